/**
 * The `K=V K="V"` lists of LOG and STATUS lines (tor ipc.md "Log Message" and
 * "Status Message"; values are a String or a CString as in control-spec §2.1.1).
 *
 * Parsing follows tor's `kvline_parse(…, KV_QUOTED)`, since tor is the parent
 * that reads these lines: pairs separated by whitespace runs, a key ends at
 * `=`, a value is either a bare token up to whitespace or a double-quoted C
 * string (`\n \r \t \" \' \\`, `\xHH`, 1–3 digit octal up to `\377`). No
 * keyless values, no empty keys, no NUL in a value, and keys must be
 * printable ASCII without quotes.
 *
 * Encoding quotes a value only when tor would (`kvline_encode` needs_escape:
 * whitespace, quotes, controls, non-ASCII) — except LOG's MESSAGE, which
 * goptlib always quotes. Inside quotes only printable ASCII other than `"`
 * and `\` appears raw; everything else is escaped, byte by byte of its UTF-8,
 * so an encoded value can never carry NUL, CR, LF or a byte >= 0x80.
 */
import { utf8Encode } from "../../bytes/index.js";
import { IpcParseError, IpcParseErrorCode } from "./errors.js";
import { quote } from "../../net/host-port.js";

/** Non-fatal: a PT's log text is for humans, so bad UTF-8 becomes U+FFFD instead of an error. */
const lossyDecoder = new TextDecoder("utf-8");

const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x09: "\\t",
  0x0a: "\\n",
  0x0d: "\\r",
  0x22: '\\"',
  0x5c: "\\\\",
};

/**
 * Encodes `s` as a control-spec CString (with the surrounding quotes). NUL
 * and lone surrogates become U+FFFD: tor refuses a kvline value that decodes
 * to a NUL, so writing `\000` would only get the whole line dropped.
 */
export function encodeCString(s: string): string {
  let out = '"';
  for (const b of utf8Encode(s.replaceAll("\0", "\ufffd"))) {
    const short = SHORT_ESCAPES[b];
    if (short !== undefined) out += short;
    else if (b >= 0x20 && b <= 0x7e) out += String.fromCharCode(b);
    // Always three octal digits, so a following digit can never extend the escape.
    else out += `\\${b.toString(8).padStart(3, "0")}`;
  }
  return `${out}"`;
}

const WHITESPACE = " \t\r\v\n";

/**
 * Decodes the CString that starts at `s[start]` (which must be `"`). Returns
 * the decoded text and the index just after the closing quote, or a reason
 * string when tor's `unescape_string` would refuse it.
 */
export function decodeCString(s: string, start: number): { value: string; end: number } | string {
  if (s[start] !== '"') return "not a quoted string";
  const bytes: number[] = [];
  let i = start + 1;
  for (;;) {
    if (i >= s.length) return "unterminated quoted string";
    const ch = s[i]!;
    if (ch === '"') break;
    if (ch === "\n" || ch === "\0") return "forbidden character in quoted string";
    if (ch !== "\\") {
      const len = s.codePointAt(i)! > 0xffff ? 2 : 1;
      for (const b of utf8Encode(s.slice(i, i + len))) bytes.push(b);
      i += len;
      continue;
    }
    const e = s[i + 1] ?? "";
    if (e === "x" || e === "X") {
      const hex = s.slice(i + 2, i + 4);
      if (!/^[0-9a-fA-F]{2}$/.test(hex)) return "bad \\x escape";
      bytes.push(parseInt(hex, 16));
      i += 4;
    } else if (e >= "0" && e <= "7") {
      const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))![0];
      const n = parseInt(oct, 8);
      if (n > 255) return "octal escape above \\377";
      bytes.push(n);
      i += 1 + oct.length;
    } else if (e === "n" || e === "r" || e === "t") {
      bytes.push(e === "n" ? 0x0a : e === "r" ? 0x0d : 0x09);
      i += 2;
    } else if (e === '"' || e === "'" || e === "\\") {
      bytes.push(e.charCodeAt(0));
      i += 2;
    } else {
      return `unknown escape \\${e}`;
    }
  }
  if (bytes.includes(0)) return "NUL in quoted string";
  return { value: lossyDecoder.decode(new Uint8Array(bytes)), end: i + 1 };
}

/** tor kvline `needs_escape` for a keyed value: whitespace, quotes, controls or non-ASCII. */
export function valueNeedsQuoting(v: string): boolean {
  return /[^\x21\x23-\x26\x28-\x7e]/.test(v);
}

/** A key tor can carry unquoted: printable ASCII, no whitespace, no quotes, no `=`, not empty. */
export function isKvKey(k: string): boolean {
  return /^[\x21\x23-\x26\x28-\x3c\x3e-\x7e]+$/.test(k);
}

/** Encodes one value: bare when tor would leave it bare, else as a CString. */
export function encodeKvValue(v: string): string {
  return valueNeedsQuoting(v) ? encodeCString(v) : v;
}

/**
 * Parses a whitespace-separated `K=V` list as tor's `kvline_parse` with
 * KV_QUOTED does. Throws {@link IpcParseError} (ERR_IPC_BAD_KVLINE).
 */
export function parseKvLine(s: string): [string, string][] {
  const pairs: [string, string][] = [];
  let i = 0;
  for (;;) {
    while (i < s.length && WHITESPACE.includes(s[i]!)) i++;
    if (i >= s.length) return pairs;
    if (s[i] === '"') throw bad(s, "a value without a key");
    let k = i;
    while (k < s.length && !WHITESPACE.includes(s[k]!) && s[k] !== "=") k++;
    if (s[k] !== "=") throw bad(s, `${quote(s.slice(i, k))} has no value`);
    const key = s.slice(i, k);
    if (!isKvKey(key)) throw bad(s, `bad key ${quote(key)}`);
    i = k + 1;
    if (s[i] === '"') {
      const decoded = decodeCString(s, i);
      if (typeof decoded === "string") throw bad(s, decoded);
      pairs.push([key, decoded.value]);
      i = decoded.end;
    } else {
      let v = i;
      while (v < s.length && !WHITESPACE.includes(s[v]!)) v++;
      pairs.push([key, s.slice(i, v)]);
      i = v;
    }
  }
}

function bad(s: string, why: string): IpcParseError {
  return new IpcParseError(IpcParseErrorCode.BAD_KVLINE, `bad key=value list ${quote(s)}: ${why}`);
}
