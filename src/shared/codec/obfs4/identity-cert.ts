/**
 * The obfs4 bridge "cert" and the client's bridge-line arguments (obfs4proxy transports/obfs4/statefile.go and
 * obfs4.go ParseArgs). The cert is base64 (standard alphabet) of NODEID (20) | B (32), with the "==" padding
 * removed: always 70 characters. Old (<= 0.0.2) bridge lines give node-id and public-key in hex instead; both
 * forms are accepted, the cert wins when present. iat-mode is required and must be 0, 1 or 2.
 */
import { WebptError, type ErrorData } from "../../errors.js";
import { PUBLIC_KEY_LENGTH } from "./elligator2.js";
import { NODE_ID_LENGTH } from "./ntor.js";

/** Decoded length of a cert: NODEID | B. */
export const CERT_BYTES_LENGTH = NODE_ID_LENGTH + PUBLIC_KEY_LENGTH;
/** Encoded length of a cert (base64 of 52 bytes is 72 characters, minus the "==" obfs4proxy trims). */
export const CERT_LENGTH = 70;

export type IatMode = 0 | 1 | 2;

export type Obfs4IdentityErrorCode =
  | "ERR_OBFS4_BAD_CERT"
  | "ERR_OBFS4_BAD_ARGUMENT"
  | "ERR_OBFS4_MISSING_ARGUMENT"
  | "ERR_OBFS4_STATE_INVALID_JSON"
  | "ERR_OBFS4_STATE_BAD_FIELD";

/**
 * A bad cert, bridge-line/server argument or state file. `argument` names the transport argument (`cert`,
 * `iat-mode`, …) and `pointer` is the JSON pointer of a bad state-file field ("" for the whole document).
 */
export class Obfs4IdentityError extends WebptError {
  override name = "Obfs4IdentityError";
  declare readonly code: Obfs4IdentityErrorCode;
  readonly argument: string | undefined;
  readonly pointer: string | undefined;

  constructor(
    code: Obfs4IdentityErrorCode,
    message: string,
    where: { argument?: string; pointer?: string } = {},
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.argument = where.argument;
    this.pointer = where.pointer;
  }

  override toJSON(): ErrorData {
    const out: Record<string, unknown> = { ...super.toJSON() };
    if (this.argument !== undefined) out["argument"] = this.argument;
    if (this.pointer !== undefined) out["pointer"] = this.pointer;
    return out as unknown as ErrorData;
  }
}

const B64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const B64_VALUE = new Map<string, number>(Array.from(B64, (c, i) => [c, i]));

/** Standard base64 with "=" padding (RFC 4648 §4). */
export function base64Encode(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | ((bytes[i + 1] ?? 0) << 8) | (bytes[i + 2] ?? 0);
    const left = bytes.length - i;
    out += B64[(n >> 18) & 63]! + B64[(n >> 12) & 63]!;
    out += left > 1 ? B64[(n >> 6) & 63]! : "=";
    out += left > 2 ? B64[n & 63]! : "=";
  }
  return out;
}

/**
 * Decodes unpadded standard base64. Like Go's base64.StdEncoding (not Strict), unused low bits of the last
 * character are ignored. Returns null for any character outside the alphabet or an impossible length.
 */
export function base64DecodeUnpadded(text: string): Uint8Array | null {
  if (text.length % 4 === 1) return null;
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (const c of text) {
    const v = B64_VALUE.get(c);
    if (v === undefined) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  return out;
}

/** The cert string for a server's Node ID and identity public key. */
export function encodeCert(nodeId: Uint8Array, identityPublicKey: Uint8Array): string {
  if (nodeId.length !== NODE_ID_LENGTH) throw new RangeError(`nodeId must be ${NODE_ID_LENGTH} bytes`);
  if (identityPublicKey.length !== PUBLIC_KEY_LENGTH) throw new RangeError("identityPublicKey must be 32 bytes");
  const raw = new Uint8Array(CERT_BYTES_LENGTH);
  raw.set(nodeId, 0);
  raw.set(identityPublicKey, NODE_ID_LENGTH);
  const encoded = base64Encode(raw);
  return encoded.endsWith("==") ? encoded.slice(0, -2) : encoded;
}

/** Splits a cert into Node ID and identity public key. Throws Obfs4IdentityError(ERR_OBFS4_BAD_CERT). */
export function decodeCert(cert: string): { nodeId: Uint8Array; identityPublicKey: Uint8Array } {
  const raw = cert.length === CERT_LENGTH ? base64DecodeUnpadded(cert) : null;
  if (raw === null || raw.length !== CERT_BYTES_LENGTH) {
    throw new Obfs4IdentityError(
      "ERR_OBFS4_BAD_CERT",
      `obfs4 cert must be ${CERT_LENGTH} base64 characters encoding ${CERT_BYTES_LENGTH} bytes`,
      { argument: "cert" },
    );
  }
  return { nodeId: raw.slice(0, NODE_ID_LENGTH), identityPublicKey: raw.slice(NODE_ID_LENGTH) };
}

/** Decodes hex as Go's hex.DecodeString does (either case, even length); null when invalid. */
export function hexDecode(text: string): Uint8Array | null {
  if (text.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(text)) return null;
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Parses an integer as Go's strconv.Atoi does (optional sign, ASCII digits only); null when invalid. */
export function parseGoInt(text: string): number | null {
  if (!/^[+-]?[0-9]+$/.test(text)) return null;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : null;
}

/** Validates an iat-mode value from an argument (string) or a state file (number). */
export function toIatMode(value: number | null): IatMode | null {
  return value === 0 || value === 1 || value === 2 ? value : null;
}

/** Transport arguments: from SOCKS per-connection args, TOR_PT_SERVER_TRANSPORT_OPTIONS or a bridge line. */
export type TransportArgs = Readonly<Record<string, string>> | ReadonlyMap<string, string>;

export function getArg(args: TransportArgs, key: string): string | undefined {
  if (args instanceof Map) return (args as ReadonlyMap<string, string>).get(key);
  const rec = args as Readonly<Record<string, string>>;
  return Object.prototype.hasOwnProperty.call(rec, key) ? rec[key] : undefined;
}

export interface Obfs4ClientArgs {
  readonly nodeId: Uint8Array;
  readonly identityPublicKey: Uint8Array;
  readonly iatMode: IatMode;
}

function hexArg(args: TransportArgs, key: string, length: number): Uint8Array {
  const text = getArg(args, key);
  if (text === undefined) {
    throw new Obfs4IdentityError("ERR_OBFS4_MISSING_ARGUMENT", `missing argument '${key}'`, { argument: key });
  }
  const raw = hexDecode(text);
  if (raw === null || raw.length !== length) {
    throw new Obfs4IdentityError("ERR_OBFS4_BAD_ARGUMENT", `'${key}' must be ${length} bytes of hex`, {
      argument: key,
    });
  }
  return raw;
}

/** The client's obfs4 arguments (obfs4ClientFactory.ParseArgs): cert or node-id + public-key, and iat-mode. */
export function parseClientArgs(args: TransportArgs): Obfs4ClientArgs {
  const cert = getArg(args, "cert");
  const { nodeId, identityPublicKey } =
    cert !== undefined
      ? decodeCert(cert)
      : { nodeId: hexArg(args, "node-id", NODE_ID_LENGTH), identityPublicKey: hexArg(args, "public-key", 32) };
  const iatText = getArg(args, "iat-mode");
  if (iatText === undefined) {
    throw new Obfs4IdentityError("ERR_OBFS4_MISSING_ARGUMENT", "missing argument 'iat-mode'", {
      argument: "iat-mode",
    });
  }
  const iatMode = toIatMode(parseGoInt(iatText));
  if (iatMode === null) {
    throw new Obfs4IdentityError("ERR_OBFS4_BAD_ARGUMENT", "'iat-mode' must be 0, 1 or 2", { argument: "iat-mode" });
  }
  return { nodeId, identityPublicKey, iatMode };
}
