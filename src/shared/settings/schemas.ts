/**
 * JSON Schemas (draft 2020-12) of each transport's per-connection settings, in
 * their canonical (stored, or 0x09 JSON) form. One schema per transport checks
 * every way settings arrive: PT 2.1 SOCKS 0x09 JSON (seed 001 §1.4), PT 1.0
 * SOCKS username/password `k=v` args (pt-spec §3.5), tor bridge lines, and the
 * extension's storage; `parseSettings` first turns the string forms into this
 * shape. What the schemas cannot say (a cert must decode to 52 bytes, a URL
 * must parse, TURN needs credentials) is checked in settings.ts and reported
 * the same way: a JSON pointer and SOCKS reply X'13'.
 */
import type { JsonSchema } from "./json-schema.js";
import { MAX_ICE_URLS, MAX_SETTINGS_VALUE_LENGTH } from "./limits.js";

export const TRANSPORTS = ["obfs4", "websocket", "webrtc"] as const;
export type TransportName = (typeof TRANSPORTS)[number];

const DRAFT = "https://json-schema.org/draft/2020-12/schema";

/** No C0 controls or DEL: the values end up in logs and in a UI. */
const PRINTABLE = "^[^\\u0000-\\u001f\\u007f]*$";

const OBFS4_PROPERTIES: Readonly<Record<string, JsonSchema>> = {
  cert: {
    type: "string",
    title: "obfs4 server certificate",
    description:
      "The bridge's 20-byte node ID followed by its 32-byte Curve25519 identity public key, in standard base64 " +
      "(RFC 4648 §4) without padding: 70 characters, the form obfs4proxy/lyrebird print in ARGS and bridge lines. " +
      "Trailing '==' padding is tolerated on input. Required unless node-id and public-key are given.",
    pattern: "^[A-Za-z0-9+/]{70}(==)?$",
  },
  "node-id": {
    type: "string",
    title: "obfs4 node ID (old form)",
    description:
      "obfs4proxy <= 0.0.2's alternative to cert: the 20-byte node ID as 40 hex digits. Must come with public-key; " +
      "if cert is also given, both must describe the same key.",
    pattern: "^[0-9A-Fa-f]{40}$",
  },
  "public-key": {
    type: "string",
    title: "obfs4 identity public key (old form)",
    description: "obfs4proxy <= 0.0.2's alternative to cert: the 32-byte Curve25519 public key as 64 hex digits.",
    pattern: "^[0-9A-Fa-f]{64}$",
  },
  "iat-mode": {
    type: "integer",
    title: "inter-arrival-time obfuscation",
    description:
      "0 = off, 1 = enabled, 2 = paranoid (obfs4-spec §6). Defaults to 0 when absent (obfs4proxy requires it; we " +
      "always send it when we talk to obfs4proxy). In args and bridge lines it is the decimal string '0', '1' or '2'.",
    default: 0,
    minimum: 0,
    maximum: 2,
  },
};

/** cert, or the old node-id + public-key pair (obfs4proxy ParseArgs accepts either). */
const OBFS4_KEY_RULES: Pick<JsonSchema, "anyOf" | "dependentRequired"> = {
  anyOf: [
    { description: "cert, or node-id and public-key", required: ["cert"] },
    { required: ["node-id", "public-key"] },
  ],
  dependentRequired: { "node-id": ["public-key"], "public-key": ["node-id"] },
};

const UNKNOWN_KEYS_NOTE =
  "Unknown keys are an error in 0x09 JSON and in storage (strict, SOCKS reply X'13'), but are ignored in PT 1.0 " +
  "args and bridge lines, as goptlib-based PTs (obfs4proxy, lyrebird, snowflake) ignore arguments they do not use.";

function deepFreeze<T>(value: T): T {
  if (typeof value === "object" && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const v of Object.values(value)) deepFreeze(v);
  }
  return value;
}

export const OBFS4_SETTINGS_SCHEMA: JsonSchema = deepFreeze({
  $schema: DRAFT,
  $id: "urn:webpt:schema:settings:obfs4:v1",
  title: "obfs4 connection settings",
  description: `Per-connection settings of the obfs4 transport (obfs4-spec; obfs4proxy's client args). ${UNKNOWN_KEYS_NOTE}`,
  type: "object",
  properties: OBFS4_PROPERTIES,
  additionalProperties: false,
  ...OBFS4_KEY_RULES,
});

export const WEBSOCKET_SETTINGS_SCHEMA: JsonSchema = deepFreeze({
  $schema: DRAFT,
  $id: "urn:webpt:schema:settings:websocket:v1",
  title: "websocket connection settings",
  description: `obfs4 carried over a WebSocket: obfs4's settings plus the server URL. ${UNKNOWN_KEYS_NOTE}`,
  type: "object",
  properties: {
    ...OBFS4_PROPERTIES,
    url: {
      type: "string",
      title: "WebSocket server URL",
      description:
        "A ws: or wss: URL including the server's secret path (not just '/'). No credentials (user@host) and no " +
        "#fragment. Non-ASCII characters must be percent-encoded. Stored normalized: lowercase scheme and host, " +
        "default port dropped.",
      maxLength: MAX_SETTINGS_VALUE_LENGTH,
      pattern: "^[Ww][Ss][Ss]?://",
    },
  },
  required: ["url"],
  additionalProperties: false,
  ...OBFS4_KEY_RULES,
});

export const WEBRTC_SETTINGS_SCHEMA: JsonSchema = deepFreeze({
  $schema: DRAFT,
  $id: "urn:webpt:schema:settings:webrtc:v1",
  title: "webrtc connection settings",
  description:
    `obfs4 carried over a WebRTC data channel: obfs4's settings plus the signaling endpoint and ICE servers. ` +
    UNKNOWN_KEYS_NOTE,
  type: "object",
  properties: {
    ...OBFS4_PROPERTIES,
    signal: {
      type: "string",
      title: "signaling endpoint",
      description:
        "An https: (or http:, for tests and onion services) URL of the signaling endpoint, including its secret " +
        "path. No credentials and no #fragment.",
      maxLength: MAX_SETTINGS_VALUE_LENGTH,
      pattern: "^[Hh][Tt][Tt][Pp][Ss]?://",
    },
    ice: {
      type: "array",
      title: "ICE servers",
      description:
        `STUN/TURN server URLs (RFC 7064 stun:host[:port], RFC 7065 turn:/turns:host[:port][?transport=udp|tcp]), ` +
        `1 to ${MAX_ICE_URLS}. In args and bridge lines: one comma-separated string (snowflake's ice= form), ` +
        `and the key may repeat; in 0x09 JSON either that string or an array of strings. Absent means none.`,
      minItems: 1,
      maxItems: MAX_ICE_URLS,
      items: {
        type: "string",
        maxLength: MAX_SETTINGS_VALUE_LENGTH,
        pattern: "^([Ss][Tt][Uu][Nn]|[Tt][Uu][Rr][Nn][Ss]?):",
      },
    },
    "ice-username": {
      type: "string",
      title: "TURN username",
      description:
        "Username for the turn:/turns: servers in ice (RTCIceServer.username). Required with a TURN URL, and only then.",
      minLength: 1,
      maxLength: MAX_SETTINGS_VALUE_LENGTH,
      pattern: PRINTABLE,
    },
    "ice-credential": {
      type: "string",
      title: "TURN credential",
      description: "Password for the TURN servers (RTCIceServer.credential); given together with ice-username.",
      minLength: 1,
      maxLength: MAX_SETTINGS_VALUE_LENGTH,
      pattern: PRINTABLE,
    },
  },
  required: ["signal"],
  additionalProperties: false,
  anyOf: OBFS4_KEY_RULES.anyOf!,
  dependentRequired: {
    ...OBFS4_KEY_RULES.dependentRequired,
    "ice-username": ["ice-credential"],
    "ice-credential": ["ice-username"],
  },
});

export const SETTINGS_SCHEMAS: Readonly<Record<TransportName, JsonSchema>> = Object.freeze({
  obfs4: OBFS4_SETTINGS_SCHEMA,
  websocket: WEBSOCKET_SETTINGS_SCHEMA,
  webrtc: WEBRTC_SETTINGS_SCHEMA,
});

export function isTransportName(name: string): name is TransportName {
  return (TRANSPORTS as readonly string[]).includes(name);
}
