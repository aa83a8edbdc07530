/**
 * The standalone config file: its JSON Schema (draft 2020-12, the subset our
 * eval-free validator in src/shared/settings/json-schema.ts understands) and
 * the built-in default that `npm start` runs on a fresh machine.
 *
 * Defaults chosen: free mode with the default destination policy, every
 * transport on 127.0.0.1 (nothing is exposed until the operator says so),
 * fixed ports 7900 (obfs4), 7901 (websocket), 7902 (webrtc) so bridge lines
 * stay the same across restarts, and state in $WEBPT_STATE_DIR or
 * ./.webpt-state.
 */
import type { LogSeverity } from "../../shared/codec/pt-ipc/index.js";
import { LOG_SEVERITIES } from "../../shared/codec/pt-ipc/index.js";
import type { JsonSchema } from "../../shared/settings/index.js";
import { MAX_POLICY_CIDRS, MAX_POLICY_PORT_RANGES } from "./policy.js";

/** A config file larger than this is refused before parsing. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;
/** Longest string value anywhere in the config (paths, URLs, host names). */
export const MAX_CONFIG_STRING_LENGTH = 4096;
/** Values of a list-valued transport option (e.g. webrtc `ice`). */
export const MAX_OPTION_LIST_ITEMS = 64;

export const STANDALONE_TRANSPORTS = ["obfs4", "websocket", "webrtc"] as const;
export type StandaloneTransport = (typeof STANDALONE_TRANSPORTS)[number];

/** The fixed default port of each transport. */
export const DEFAULT_PORTS: Readonly<Record<StandaloneTransport, number>> = {
  obfs4: 7900,
  websocket: 7901,
  webrtc: 7902,
};
export const DEFAULT_LISTEN = "127.0.0.1";
export const DEFAULT_STATE_DIR = "./.webpt-state";
/** The environment variable that moves the default state directory (a config file or --state still wins). */
export const STATE_DIR_ENV = "WEBPT_STATE_DIR";
export const DEFAULT_LOG_LEVEL: LogSeverity = "info";

const str = (description: string, extra: Partial<JsonSchema> = {}): JsonSchema => ({
  type: "string",
  minLength: 1,
  maxLength: MAX_CONFIG_STRING_LENGTH,
  description,
  ...extra,
});
const hex = (bytes: number, what: string): JsonSchema =>
  str(`${what}: ${bytes} bytes as ${bytes * 2} hex digits`, { pattern: `^[0-9A-Fa-f]{${bytes * 2}}$` });

const PORT: JsonSchema = {
  type: "integer",
  minimum: 0,
  maximum: 65535,
  description: "TCP port to listen on; 0 lets the system pick one (the bridge line then changes on every start).",
};
const LISTEN = str("IP address to listen on (0.0.0.0 or :: for every interface); default: the top-level listen.");

/** Options a transport may take besides port and listen, passed through as strings (lists joined with commas). */
const OPTION_VALUE: JsonSchema = {
  type: ["string", "number", "boolean", "array"],
  maxLength: MAX_CONFIG_STRING_LENGTH,
  maxItems: MAX_OPTION_LIST_ITEMS,
  items: { type: "string", maxLength: MAX_CONFIG_STRING_LENGTH },
};

export const STANDALONE_CONFIG_SCHEMA: JsonSchema = {
  $schema: "https://json-schema.org/draft/2020-12/schema",
  $id: "urn:webpt:schema:standalone-config:v1",
  title: "webpt standalone server configuration",
  description:
    "Every key is optional; absent keys take the built-in defaults. Relative paths are relative to the " +
    "directory of the config file. Command-line flags override the file.",
  type: "object",
  additionalProperties: false,
  properties: {
    $schema: { type: "string", description: "Ignored: lets an editor find this schema." },
    state: str("Directory for the bridge identity (obfs4_state.json) and transport secrets; created 0700."),
    mode: {
      enum: ["free", "bound"],
      description:
        "free: clients name each destination with SOCKS5 inside the tunnel, judged by policy. " +
        "bound: every connection goes to target.",
    },
    target: str("bound mode: host:port every connection is relayed to (a name, IPv4, or [IPv6]).", {
      maxLength: 300,
    }),
    listen: LISTEN,
    publicHost: str("The name or IP address clients reach this server at (for bridge lines and URLs).", {
      maxLength: 253,
    }),
    identity: {
      type: "object",
      additionalProperties: false,
      description: "Overrides of obfs4_state.json, as obfs4proxy's server transport options.",
      properties: {
        "node-id": hex(20, "obfs4 node ID"),
        "private-key": hex(32, "obfs4 identity private key"),
        "drbg-seed": hex(24, "obfs4 DRBG seed"),
        "iat-mode": { type: "integer", minimum: 0, maximum: 2, description: "0 off, 1 enabled, 2 paranoid." },
      },
      dependentRequired: {
        "node-id": ["private-key", "drbg-seed"],
        "private-key": ["node-id", "drbg-seed"],
        "drbg-seed": ["node-id", "private-key"],
      },
    },
    transports: {
      type: "object",
      additionalProperties: false,
      description: "The transports to run (at least one); a transport that is absent does not run.",
      properties: {
        obfs4: {
          type: "object",
          additionalProperties: false,
          properties: { port: PORT, listen: LISTEN },
        },
        websocket: {
          type: "object",
          additionalProperties: false,
          properties: {
            port: PORT,
            listen: LISTEN,
            path: str("The secret path (default: random, kept in the state directory).", { pattern: "^/." }),
            url: str("The public ws:/wss: URL, when a reverse proxy or a name fronts this server.", {
              pattern: "^[Ww][Ss][Ss]?://",
            }),
            "tls-cert": str("PEM certificate file: serve wss: ourselves."),
            "tls-key": str("PEM private key file for tls-cert."),
            "trusted-proxies": {
              type: ["string", "array"],
              maxItems: MAX_OPTION_LIST_ITEMS,
              items: { type: "string", maxLength: MAX_CONFIG_STRING_LENGTH },
              description: "IPs/CIDRs whose X-Forwarded-For is believed (a list, or one comma-separated string).",
            },
            "cover-file": str("An HTML file served at / instead of the bland default page."),
          },
          dependentRequired: { "tls-cert": ["tls-key"], "tls-key": ["tls-cert"] },
        },
        webrtc: {
          type: "object",
          description: "port and listen, plus the webrtc transport's own options (passed through as strings).",
          properties: { port: PORT, listen: LISTEN },
          additionalProperties: OPTION_VALUE,
        },
      },
    },
    policy: {
      type: "object",
      additionalProperties: false,
      description:
        "free mode's destination policy. Special-purpose ranges (loopback, private, link-local, ...) are refused " +
        "unless an allow rule covers them; the most specific matching rule decides, deny winning a tie.",
      properties: {
        allow: {
          type: "array",
          maxItems: MAX_POLICY_CIDRS,
          items: str("IPv4/IPv6 address or CIDR network", { maxLength: 64 }),
        },
        deny: {
          type: "array",
          maxItems: MAX_POLICY_CIDRS,
          items: str("IPv4/IPv6 address or CIDR network", { maxLength: 64 }),
        },
        ports: {
          type: "array",
          maxItems: MAX_POLICY_PORT_RANGES,
          description: "Allowed destination ports (default: any but 25).",
          items: { type: ["integer", "string"], maxLength: 11, description: 'A port, or a range like "8000-8999".' },
        },
      },
    },
    metrics: str("host:port for the Prometheus /metrics and /stats.json endpoint (keep it on loopback).", {
      maxLength: 300,
    }),
    log: {
      type: "object",
      additionalProperties: false,
      properties: {
        file: str("Append logs here instead of stderr."),
        level: { enum: LOG_SEVERITIES, description: "The least severe level logged (default info)." },
        unsafeLogging: { type: "boolean", description: "Keep client addresses in logs (default false: scrubbed)." },
      },
    },
  },
};

/** The built-in default config, in the file's shape. `env` may move the state directory. */
export function defaultConfigJson(env: Readonly<Record<string, string | undefined>>): Record<string, unknown> {
  const state = env[STATE_DIR_ENV];
  return {
    state: state === undefined || state === "" ? DEFAULT_STATE_DIR : state,
    mode: "free",
    listen: DEFAULT_LISTEN,
    transports: Object.fromEntries(STANDALONE_TRANSPORTS.map((t) => [t, { port: DEFAULT_PORTS[t] }])),
    policy: {},
    log: { level: DEFAULT_LOG_LEVEL, unsafeLogging: false },
  };
}
