/**
 * parseSettings: one entry point for a transport's per-connection settings,
 * whatever their source (see coerce.ts for the sources). Order of checks:
 * limits and keys (coerce.ts), then the transport's JSON Schema (schemas.ts),
 * then what a schema cannot express: the cert decodes, URLs parse, TURN URLs
 * come with credentials. Every failure is a SettingsError with a JSON pointer
 * and SOCKS reply X'13' (seed 001 §1.4; CONFORMANCE.md "0x09 reply").
 * Pointers name keys as given; an index under `/ice` counts URLs in the
 * combined list (after commas are split and repeated keys joined).
 */
import { bytesEqual, fromHex } from "../bytes/bytes.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import { parseBridgeLine, bridgeArgsToRecord, type BridgeArg, type BridgeLine } from "./bridge-line.js";
import { coerceArgs, coerceObject, type Coerced, type SettingsSource } from "./coerce.js";
import { SettingsError, jsonPointer } from "./errors.js";
import { validateSchema } from "./json-schema.js";
import { MAX_BRIDGE_ARGS } from "./limits.js";
import { SETTINGS_SCHEMAS, isTransportName, type TransportName } from "./schemas.js";
import { checkHttpLikeUrl, checkIceUrl } from "./url.js";

/** obfs4-spec §2: NODEID is 20 bytes, the identity key B is a 32-byte Curve25519 point. */
export const OBFS4_NODE_ID_LENGTH = 20;
export const OBFS4_PUBLIC_KEY_LENGTH = 32;

import type { IatMode } from "../codec/obfs4/identity-cert.js";
export type { IatMode };

interface Obfs4Keys {
  /** Canonical cert: unpadded standard base64 of nodeId || publicKey (70 characters). */
  readonly cert: string;
  readonly nodeId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly iatMode: IatMode;
}

export interface Obfs4Settings extends Obfs4Keys {
  readonly transport: "obfs4";
}

export interface WebSocketSettings extends Obfs4Keys {
  readonly transport: "websocket";
  /** Normalized ws:/wss: URL with the secret path. */
  readonly url: string;
}

export interface WebRtcSettings extends Obfs4Keys {
  readonly transport: "webrtc";
  /** Normalized http(s): URL of the signaling endpoint. */
  readonly signal: string;
  /** Normalized stun:/turn:/turns: URLs; empty when none were given. */
  readonly ice: readonly string[];
  readonly iceUsername: string | null;
  readonly iceCredential: string | null;
}

export type TransportSettings = Obfs4Settings | WebSocketSettings | WebRtcSettings;
export type SettingsFor<T extends TransportName> = Extract<TransportSettings, { transport: T }>;

export interface SettingsReport<T extends TransportName> {
  readonly settings: SettingsFor<T>;
  /** Keys present in the input that the transport does not define (args and bridge sources only). */
  readonly ignoredKeys: readonly string[];
}

/** The canonical JSON form (what storage holds and what a 0x09 block should carry). */
export interface SettingsObject {
  cert: string;
  "iat-mode": IatMode;
  url?: string;
  signal?: string;
  ice?: string[];
  "ice-username"?: string;
  "ice-credential"?: string;
}

/**
 * Parses and validates `input` as `transport`'s settings from `source`:
 * "json" (a parsed 0x09 object), "storage" (a stored SettingsObject), "args"
 * (`Record<string, string[]>` from PT 1.0 SOCKS args), or "bridge" (a bridge
 * line, as text or as parsed by parseBridgeLine; its transport must match).
 */
export function parseSettings<T extends TransportName>(
  transport: T,
  input: unknown,
  source: SettingsSource,
): SettingsFor<T> {
  return parseSettingsReport(transport, input, source).settings;
}

/** parseSettings, also returning the keys it ignored (for a log line). */
export function parseSettingsReport<T extends TransportName>(
  transport: T,
  input: unknown,
  source: SettingsSource,
): SettingsReport<T> {
  if (typeof transport !== "string" || !isTransportName(transport)) {
    throw new SettingsError("", "unknown-transport", `no settings schema for transport "${String(transport)}"`);
  }
  const schema = SETTINGS_SCHEMAS[transport];
  let coerced: Coerced;
  switch (source) {
    case "json":
    case "storage":
      coerced = coerceObject(schema, input, source);
      break;
    case "args":
      coerced = coerceArgs(schema, input);
      break;
    case "bridge":
      coerced = coerceArgs(schema, bridgeRecord(transport, input));
      break;
    default:
      throw new TypeError(`unknown settings source "${String(source)}"`);
  }
  const violation = validateSchema(schema, coerced.object)[0];
  if (violation) {
    throw new SettingsError(violation.pointer, "schema", violation.message, { keyword: violation.keyword });
  }
  const settings = build(transport, coerced.object) as SettingsFor<T>;
  return { settings, ignoredKeys: coerced.ignoredKeys };
}

/** Settings from a bridge line of a known transport (text or parsed). */
export function settingsFromBridgeLine(line: string | BridgeLine): TransportSettings {
  const parsed = typeof line === "string" ? parseLine(line) : line;
  if (!isTransportName(parsed.transport)) {
    throw new SettingsError(
      "",
      "unknown-transport",
      `webpt does not implement the ${String(parsed.transport)} transport`,
    );
  }
  return parseSettings(parsed.transport, parsed, "bridge");
}

function parseLine(text: string): BridgeLine {
  try {
    return parseBridgeLine(text);
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new SettingsError("", "bridge-line", `bad bridge line: ${message}`, { cause: e });
  }
}

function bridgeRecord(transport: TransportName, input: unknown): Record<string, string[]> {
  let line: BridgeLine;
  if (typeof input === "string") line = parseLine(input);
  else if (typeof input === "object" && input !== null && "transport" in input && "args" in input) {
    line = input as BridgeLine;
  } else throw new SettingsError("", "not-object", "a bridge source must be a bridge line or a parsed BridgeLine");
  if (line.transport !== transport) {
    throw new SettingsError(
      "",
      "transport-mismatch",
      `the bridge line is for ${String(line.transport)}, not ${transport}`,
    );
  }
  const args: unknown = line.args;
  if (Array.isArray(args) && args.length > MAX_BRIDGE_ARGS) {
    throw new SettingsError("", "too-many-keys", `has more than ${MAX_BRIDGE_ARGS} arguments`);
  }
  const isPair = (a: unknown): boolean =>
    Array.isArray(a) && a.length === 2 && typeof a[0] === "string" && typeof a[1] === "string";
  if (!Array.isArray(args) || !args.every(isPair)) {
    throw new SettingsError("", "not-object", "BridgeLine.args must be a list of [key, value] string pairs");
  }
  return bridgeArgsToRecord(args as BridgeArg[]);
}

/** obfs4proxy's ParseArgs: `cert` (node ID || public key), else `node-id` + `public-key`. */
function obfs4Keys(o: Record<string, unknown>): Obfs4Keys {
  const iatMode = (o["iat-mode"] ?? 0) as IatMode;
  const oldNodeId = typeof o["node-id"] === "string" ? fromHex(o["node-id"]) : null;
  const oldPublicKey = typeof o["public-key"] === "string" ? fromHex(o["public-key"]) : null;
  if (typeof o.cert !== "string") {
    // The schema's anyOf and dependentRequired guarantee both old-form keys here.
    const raw = new Uint8Array(OBFS4_NODE_ID_LENGTH + OBFS4_PUBLIC_KEY_LENGTH);
    raw.set(oldNodeId!, 0);
    raw.set(oldPublicKey!, OBFS4_NODE_ID_LENGTH);
    return { cert: encodeBase64(raw, "std", false), nodeId: oldNodeId!, publicKey: oldPublicKey!, iatMode };
  }
  // Go's base64.StdEncoding (obfs4proxy) ignores the unused low bits of the
  // last character, so we do too; the canonical re-encoding zeroes them.
  const raw = decodeBase64(o.cert, { alphabet: "std", padding: "optional", canonical: false });
  if (!raw || raw.length !== OBFS4_NODE_ID_LENGTH + OBFS4_PUBLIC_KEY_LENGTH) {
    throw new SettingsError("/cert", "cert", "does not decode to a 20-byte node ID and a 32-byte public key");
  }
  const nodeId = raw.slice(0, OBFS4_NODE_ID_LENGTH);
  const publicKey = raw.slice(OBFS4_NODE_ID_LENGTH);
  if (oldNodeId && !bytesEqual(oldNodeId, nodeId)) {
    throw new SettingsError("/node-id", "conflict", "disagrees with the node ID in cert");
  }
  if (oldPublicKey && !bytesEqual(oldPublicKey, publicKey)) {
    throw new SettingsError("/public-key", "conflict", "disagrees with the public key in cert");
  }
  return { cert: encodeBase64(raw, "std", false), nodeId, publicKey, iatMode };
}

function checkedUrl(value: string, pointer: string, schemes: readonly string[]): string {
  const r = checkHttpLikeUrl(value, schemes);
  if (!r.ok) throw new SettingsError(pointer, "url", r.error);
  return r.url;
}

function build(transport: TransportName, o: Record<string, unknown>): TransportSettings {
  const keys = obfs4Keys(o);
  if (transport === "obfs4") return { transport, ...keys };
  if (transport === "websocket") {
    return { transport, ...keys, url: checkedUrl(o.url as string, "/url", ["ws", "wss"]) };
  }
  const signal = checkedUrl(o.signal as string, "/signal", ["https", "http"]);
  const ice = ((o.ice ?? []) as string[]).map((u, i) => {
    const r = checkIceUrl(u);
    if (!r.ok) throw new SettingsError(jsonPointer("ice", i), "ice", r.error);
    return r.url;
  });
  const iceUsername = (o["ice-username"] as string | undefined) ?? null;
  const iceCredential = (o["ice-credential"] as string | undefined) ?? null;
  // RTCPeerConnection rejects a turn:/turns: server without username and
  // credential (WebRTC §4.4.1.1 InvalidAccessError); catch it here instead.
  const hasTurn = ice.some((u) => u.startsWith("turn"));
  if (hasTurn && iceUsername === null) {
    throw new SettingsError("/ice-username", "ice-credentials", "is required when ice has a turn: or turns: URL");
  }
  if (!hasTurn && iceUsername !== null) {
    throw new SettingsError("/ice-username", "ice-credentials", "is only used with a turn: or turns: URL in ice");
  }
  return { transport, ...keys, signal, ice, iceUsername, iceCredential };
}

/** The canonical JSON object of `settings` (valid against its schema; what storage and 0x09 carry). */
export function settingsToObject(settings: TransportSettings): SettingsObject {
  const out: SettingsObject = { cert: settings.cert, "iat-mode": settings.iatMode };
  if (settings.transport === "websocket") out.url = settings.url;
  if (settings.transport === "webrtc") {
    out.signal = settings.signal;
    if (settings.ice.length > 0) out.ice = [...settings.ice];
    if (settings.iceUsername !== null) out["ice-username"] = settings.iceUsername;
    if (settings.iceCredential !== null) out["ice-credential"] = settings.iceCredential;
  }
  return out;
}

/**
 * `settings` as k=v pairs for PT 1.0 args and bridge lines, in a fixed order;
 * `ice` is one comma-separated value, `iat-mode` is always present (obfs4proxy
 * requires it).
 */
export function settingsToArgs(settings: TransportSettings): BridgeArg[] {
  const o = settingsToObject(settings);
  const out: BridgeArg[] = [];
  for (const [k, v] of Object.entries(o)) {
    out.push([k, Array.isArray(v) ? v.join(",") : String(v)]);
  }
  return out;
}
