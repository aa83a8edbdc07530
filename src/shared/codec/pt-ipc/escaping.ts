/**
 * The three backslash-escaping schemes of the PT specs, each with encode and
 * decode. All three use the same rule: a backslash makes the next character
 * literal, whatever it is; a backslash at the very end is an error. Decoding
 * follows goptlib `args.go` exactly (its tables are our conformance vectors).
 *
 * 1. Client per-connection arguments (pt-spec 1.0 §3.5): `k=v;k=v`, with
 *    `\`, `=` and `;` escaped. Carried in the SOCKS username/password.
 * 2. Server transport options (TOR_PT_SERVER_TRANSPORT_OPTIONS, 2.0
 *    §3.3.1.3): `t:k=v;t:k=v`, with `\`, `:`, `;` and `=` escaped.
 * 3. SMETHOD `ARGS:` (pt-spec 1.0 §3.3.3): `k=v,k=v` sorted by key, with
 *    `\`, `=` and `,` escaped.
 */
import { PtArgsError, PtArgsErrorCode } from "./errors.js";
import type { Args, ArgsInput } from "./types.js";
import { quote } from "../../net/host-port.js";

/** Iterates the (key, values) pairs of a Map or plain record. */
export function argsEntries(args: ArgsInput): [string, readonly string[]][] {
  return isMap(args) ? [...args.entries()] : Object.entries(args);
}

function isMap(args: ArgsInput): args is ReadonlyMap<string, readonly string[]> {
  return args instanceof Map;
}

/** Appends `value` under `key`, as goptlib's `Args.Add`. */
export function addArg(args: Args, key: string, value: string): void {
  const values = args.get(key);
  if (values === undefined) args.set(key, [value]);
  else values.push(value);
}

/** Prefixes `\` and every character of `specials` with a backslash. */
export function backslashEscape(s: string, specials: string): string {
  let out = "";
  for (const ch of s) out += ch === "\\" || specials.includes(ch) ? `\\${ch}` : ch;
  return out;
}

/**
 * Reads from `s` at `start` up to the first unescaped character in
 * `terminators` (or the end), unescaping as it goes. Returns the unescaped
 * text and the index of the terminator (or `s.length`). goptlib `indexUnescaped`.
 */
function readUnescaped(s: string, start: number, terminators: string): { text: string; end: number } {
  let text = "";
  let i = start;
  for (; i < s.length; i++) {
    let ch = s[i]!;
    if (terminators.includes(ch)) break;
    if (ch === "\\") {
      i++;
      if (i >= s.length) {
        throw new PtArgsError(PtArgsErrorCode.TRAILING_ESCAPE, `nothing follows the final \\ in ${quote(s)}`);
      }
      ch = s[i]!;
    }
    text += ch;
  }
  return { text, end: i };
}

/**
 * Reads one `key=value` item starting at `i`; the key ends at an unescaped
 * `=` (an unescaped item separator before it is an error), the value at the
 * next unescaped separator. Returns the index of that separator (or the end).
 */
function readPair(s: string, i: number, separator: string): { key: string; value: string; end: number } {
  const begin = i;
  const key = readUnescaped(s, i, `=${separator}`);
  if (key.end >= s.length || s[key.end] !== "=") {
    throw new PtArgsError(PtArgsErrorCode.NO_EQUALS, `no equals sign in ${quote(s.slice(begin, key.end))}`);
  }
  const value = readUnescaped(s, key.end + 1, separator);
  if (key.text.length === 0) {
    throw new PtArgsError(PtArgsErrorCode.EMPTY_KEY, `empty key in ${quote(s.slice(begin, value.end))}`);
  }
  return { key: key.text, value: value.text, end: value.end };
}

/**
 * Decodes client per-connection arguments (pt-spec 1.0 §3.5; goptlib
 * `parseClientParameters`). The empty string is no arguments; an empty item
 * (`;`, `a=b;`, `;a=b`) is an error; `=` after the first one in an item is
 * part of the value (`a=b=c` → a: "b=c").
 */
export function decodeClientArgs(s: string): Args {
  const args: Args = new Map();
  if (s.length === 0) return args;
  for (let i = 0; ;) {
    const pair = readPair(s, i, ";");
    addArg(args, pair.key, pair.value);
    if (pair.end >= s.length) return args;
    i = pair.end + 1; // skip the ';'
  }
}

/** pt-spec 1.0 §3.5: a client argument key or value with `\`, `=` and `;` backslash-escaped. */
export function escapeClientArg(s: string): string {
  return backslashEscape(s, "=;");
}

/**
 * Encodes client per-connection arguments: keys in the map's order, each
 * value in order. Keys must be non-empty (the decoder rejects empty keys); a
 * key with no values contributes nothing.
 */
export function encodeClientArgs(args: ArgsInput): string {
  const items: string[] = [];
  for (const [key, values] of argsEntries(args)) {
    if (key.length === 0) throw new TypeError("client argument keys must not be empty");
    for (const v of values) items.push(`${escapeClientArg(key)}=${escapeClientArg(v)}`);
  }
  return items.join(";");
}

/**
 * Decodes TOR_PT_SERVER_TRANSPORT_OPTIONS (2.0 §3.3.1.3; goptlib
 * `parseServerTransportOptions`): transport → its options, both in order of
 * first appearance. tor escapes only `:`, `;` and `\` (it leaves `=` bare in
 * values); any backslash-escape is accepted, so both forms decode.
 */
export function decodeServerTransportOptions(s: string): Map<string, Args> {
  const opts = new Map<string, Args>();
  if (s.length === 0) return opts;
  for (let i = 0; ;) {
    const begin = i;
    const transport = readUnescaped(s, i, ":=;");
    if (transport.end >= s.length || s[transport.end] !== ":") {
      throw new PtArgsError(PtArgsErrorCode.NO_COLON, `no colon in ${quote(s.slice(begin, transport.end))}`);
    }
    const pair = readPair(s, transport.end + 1, ";");
    if (transport.text.length === 0) {
      throw new PtArgsError(
        PtArgsErrorCode.EMPTY_TRANSPORT,
        `empty transport name in ${quote(s.slice(begin, pair.end))}`,
      );
    }
    let args = opts.get(transport.text);
    if (args === undefined) opts.set(transport.text, (args = new Map()));
    addArg(args, pair.key, pair.value);
    if (pair.end >= s.length) return opts;
    i = pair.end + 1;
  }
}

/** Encodes TOR_PT_SERVER_TRANSPORT_OPTIONS, escaping `\ : ; =` everywhere (2.0 §3.3.1.3). */
export function encodeServerTransportOptions(
  options: ReadonlyMap<string, ArgsInput> | Readonly<Record<string, ArgsInput>>,
): string {
  const items: string[] = [];
  const entries = options instanceof Map ? [...options.entries()] : Object.entries(options);
  for (const [transport, args] of entries as [string, ArgsInput][]) {
    if (transport.length === 0) throw new TypeError("transport names must not be empty");
    const t = backslashEscape(transport, ":;=");
    for (const [key, values] of argsEntries(args)) {
      if (key.length === 0) throw new TypeError("option keys must not be empty");
      for (const v of values) items.push(`${t}:${backslashEscape(key, ":;=")}=${backslashEscape(v, ":;=")}`);
    }
  }
  return items.join(";");
}

/**
 * Encodes the value of an SMETHOD `ARGS:` option (without the prefix), as
 * goptlib `encodeSmethodArgs`: keys sorted, every value of a key in order,
 * `\`, `=` and `,` escaped. Keys must be non-empty.
 */
export function encodeSmethodArgs(args: ArgsInput): string {
  const entries = argsEntries(args).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const items: string[] = [];
  for (const [key, values] of entries) {
    if (key.length === 0) throw new TypeError("SMETHOD ARGS keys must not be empty");
    for (const v of values) items.push(`${backslashEscape(key, "=,")}=${backslashEscape(v, "=,")}`);
  }
  return items.join(",");
}

/**
 * Decodes an SMETHOD `ARGS:` value (for parents). The empty string is no
 * arguments. The key ends at the first unescaped `=`; later bare `=` belong to
 * the value, because deployed PTs do not always escape them.
 */
export function decodeSmethodArgs(s: string): Args {
  const args: Args = new Map();
  if (s.length === 0) return args;
  for (let i = 0; ;) {
    const pair = readPair(s, i, ",");
    addArg(args, pair.key, pair.value);
    if (pair.end >= s.length) return args;
    i = pair.end + 1;
  }
}
