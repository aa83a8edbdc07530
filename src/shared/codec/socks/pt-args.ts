import { LimitError } from "../../errors.js";
import { concatBytes, utf8Encode } from "../../bytes/bytes.js";
import { PtArgsError } from "../pt-ipc/errors.js";
import { addArg, decodeClientArgs, encodeClientArgs } from "../pt-ipc/escaping.js";
import type { Args } from "../pt-ipc/types.js";
import { MAX_PT_ARGS_BYTES, MAX_SOCKS_FIELD_BYTES } from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";

/**
 * PT 1.0 per-connection arguments (tor-pt-spec.txt §3.5) as SOCKS carries
 * them: the `k=v;k=v` grammar and its escaping are PT IPC's (one
 * implementation, goptlib's tables as vectors); what is SOCKS's own is the
 * caller-facing input (typed values, shared with the 0x09 JSON block), the
 * SocksError a bad string becomes, and the UNAME/PASSWD split.
 */

export type PtArgValue = string | number | boolean;

/**
 * Per-connection arguments as callers give them: a record (`{cert: "…"}`,
 * arrays for repeated keys) or an Args-shaped map. Values stay typed for the
 * 0x09 JSON block and become text for PT 1.0.
 */
export type PtArgsInput =
  ReadonlyMap<string, readonly PtArgValue[]> | Readonly<Record<string, PtArgValue | readonly PtArgValue[]>>;

/**
 * Parses `k=v;k=v` with PT IPC's decodeClientArgs (goptlib's
 * parseClientParameters); a malformed string is a SocksError
 * (ERR_SOCKS_BAD_ARGS) with the PtArgsError as its cause.
 */
export function parsePtArgs(s: string): Args {
  try {
    return decodeClientArgs(s);
  } catch (cause) {
    if (!(cause instanceof PtArgsError)) throw cause;
    throw new SocksError(SocksErrorCode.BAD_ARGS, `PT arguments: ${cause.message}`, { cause });
  }
}

/** Flattens caller args to `[key, value]` pairs in order; repeated keys stay repeated. */
export function argEntries(input: PtArgsInput): [string, PtArgValue][] {
  const out: [string, PtArgValue][] = [];
  const pairs: Iterable<[string, PtArgValue | readonly PtArgValue[]]> =
    input instanceof Map
      ? (input as ReadonlyMap<string, readonly PtArgValue[]>).entries()
      : Object.entries(input as Readonly<Record<string, PtArgValue | readonly PtArgValue[]>>);
  for (const [k, v] of pairs) {
    if (Array.isArray(v)) for (const one of v as readonly PtArgValue[]) out.push([k, one]);
    else out.push([k, v as PtArgValue]);
  }
  return out;
}

/**
 * Encodes args as the escaped `k=v;k=v` string (numbers and booleans in
 * their JavaScript text form). Throws TypeError for an empty key, a NUL
 * (tor's ArgChar excludes it, and SOCKS4 could not carry it) or a value
 * that is not a string, finite number or boolean.
 */
export function encodePtArgs(input: PtArgsInput): string {
  const args: Args = new Map();
  for (const [k, v] of argEntries(input)) {
    if (k === "") throw new TypeError("PT argument keys cannot be empty");
    const text = ptArgText(v);
    if (k.includes("\0") || text.includes("\0")) throw new TypeError("PT arguments cannot contain NUL");
    addArg(args, k, text);
  }
  return encodeClientArgs(args);
}

function ptArgText(v: unknown): string {
  if (typeof v === "string") return v;
  if ((typeof v === "number" && Number.isFinite(v)) || typeof v === "boolean") return String(v);
  throw new TypeError(`a PT argument value must be a string, finite number or boolean, not ${typeof v}`);
}

/**
 * tor-pt-spec.txt §3.5 (and tor's connection_read_proxy_handshake): up to
 * 255 bytes go in UNAME with PASSWD a single NUL; longer strings fill UNAME
 * with the first 255 bytes and PASSWD with the rest (RangeError beyond 510;
 * ptArgsBytes reports that as a LimitError). Empty args are not sent this way.
 */
export function splitPtArgs(encoded: Uint8Array): { username: Uint8Array; password: Uint8Array } {
  if (encoded.length === 0) throw new RangeError("empty PT arguments are sent with method 0x00, not 0x02");
  if (encoded.length > MAX_PT_ARGS_BYTES) throw new RangeError(`${encoded.length} bytes do not fit in UNAME+PASSWD`);
  if (encoded.length <= MAX_SOCKS_FIELD_BYTES) return { username: encoded, password: Uint8Array.of(0) };
  return {
    username: encoded.subarray(0, MAX_SOCKS_FIELD_BYTES),
    password: encoded.subarray(MAX_SOCKS_FIELD_BYTES),
  };
}

/** The inverse of splitPtArgs: UNAME + PASSWD, where a lone NUL PASSWD means empty. */
export function joinPtArgs(username: Uint8Array, password: Uint8Array): Uint8Array {
  if (password.length === 1 && password[0] === 0) return username;
  return concatBytes(username, password);
}

/**
 * encodePtArgs as UTF-8, refusing more than UNAME+PASSWD (or tor's SOCKS4
 * USERID) can carry with a LimitError: the bytes a PT 1.0 client sends.
 */
export function ptArgsBytes(input: PtArgsInput): Uint8Array {
  const bytes = utf8Encode(encodePtArgs(input));
  if (bytes.length > MAX_PT_ARGS_BYTES) {
    throw new LimitError(
      "ERR_SOCKS_ARGS_TOO_LONG",
      `PT arguments of ${bytes.length} bytes do not fit in UNAME+PASSWD`,
      MAX_PT_ARGS_BYTES,
    );
  }
  return bytes;
}

/** The RFC 1929 fields for a PT 1.0 client. */
export function ptArgsCredentials(input: PtArgsInput): { username: Uint8Array; password: Uint8Array } {
  return splitPtArgs(ptArgsBytes(input));
}
