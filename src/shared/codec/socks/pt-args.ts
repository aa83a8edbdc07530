import { LimitError } from "../../errors.js";
import { concatBytes, utf8Encode } from "../../bytes/bytes.js";
import { MAX_PT_ARGS_BYTES, MAX_SOCKS_FIELD_BYTES } from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";

/**
 * PT 1.0 per-connection arguments (tor-pt-spec.txt §3.5): `k=v;k=v` with
 * `\`, `=` and `;` backslash-escaped, carried in RFC 1929 UNAME+PASSWD or the
 * SOCKS4 USERID. A local parser for now: the IPC module has the same escaping
 * and the two are to be folded together.
 */

/** Keys in first-seen order, each with its values in order (goptlib's `Args`: a key may repeat). */
export type PtArgs = Map<string, string[]>;

export type PtArgValue = string | number | boolean;

/**
 * Per-connection arguments as callers give them: a record (`{cert: "…"}`,
 * arrays for repeated keys) or a PtArgs-shaped map.
 */
export type ArgsInput =
  ReadonlyMap<string, readonly PtArgValue[]> | Readonly<Record<string, PtArgValue | readonly PtArgValue[]>>;

/**
 * Parses `k=v;k=v` the way goptlib's parseClientParameters does: a key ends
 * at an unescaped `=` (an unescaped `;` first is an error), a value at an
 * unescaped `;`, so `a=b=c` is `a → "b=c"`. A backslash escapes any next
 * character; a final lone backslash, an empty key, a missing `=` or a
 * trailing `;` are errors. The empty string is no arguments.
 */
export function parsePtArgs(s: string): PtArgs {
  const args: PtArgs = new Map();
  let i = 0;
  while (i < s.length) {
    const key = readUnescaped(s, i, "=;");
    i = key.end;
    if (s[i] !== "=") throw badArgs(`no "=" after key ${JSON.stringify(key.text)}`);
    const value = readUnescaped(s, i + 1, ";");
    i = value.end;
    if (key.text === "") throw badArgs("an empty key");
    const list = args.get(key.text);
    if (list === undefined) args.set(key.text, [value.text]);
    else list.push(value.text);
    if (i < s.length) {
      i++; // the ";" separator: something must follow it
      if (i === s.length) throw badArgs('a trailing ";"');
    }
  }
  return args;
}

/** Reads from `start` up to the first unescaped terminator (or the end), undoing escapes. */
function readUnescaped(s: string, start: number, terminators: string): { text: string; end: number } {
  let text = "";
  let i = start;
  for (; i < s.length; i++) {
    let c = s[i]!;
    if (terminators.includes(c)) break;
    if (c === "\\") {
      i++;
      if (i === s.length) throw badArgs("a backslash with nothing after it");
      c = s[i]!;
    }
    text += c;
  }
  return { text, end: i };
}

function badArgs(what: string): SocksError {
  return new SocksError(SocksErrorCode.BAD_ARGS, `PT arguments: ${what}`);
}

/** tor-pt-spec.txt §3.5: backslash, equal sign and semicolon are escaped with a backslash. */
export function escapePtArg(s: string): string {
  return s.replace(/[\\=;]/g, (c) => `\\${c}`);
}

/** Flattens caller args to `[key, value]` pairs in order; repeated keys stay repeated. */
export function argEntries(input: ArgsInput): [string, PtArgValue][] {
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
export function encodePtArgs(input: ArgsInput): string {
  return argEntries(input)
    .map(([k, v]) => {
      if (k === "") throw new TypeError("PT argument keys cannot be empty");
      const text = ptArgText(v);
      if (k.includes("\0") || text.includes("\0")) throw new TypeError("PT arguments cannot contain NUL");
      return `${escapePtArg(k)}=${escapePtArg(text)}`;
    })
    .join(";");
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
export function ptArgsBytes(input: ArgsInput): Uint8Array {
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
export function ptArgsCredentials(input: ArgsInput): { username: Uint8Array; password: Uint8Array } {
  return splitPtArgs(ptArgsBytes(input));
}
