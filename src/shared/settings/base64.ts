/**
 * Base64 (RFC 4648 §4) and base64url (§5) without `atob`/`Buffer`, which are
 * not runtime-neutral. Decoding never throws: it returns null for anything
 * that is not exactly the requested form, and the caller raises its own error
 * with a pointer or code.
 */

const STD = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

export type Base64Alphabet = "std" | "url";

export interface Base64DecodeOptions {
  /** RFC 4648 §4 "+/" or §5 "-_". */
  readonly alphabet: Base64Alphabet;
  /** "forbidden": no `=` allowed; "optional": none or exactly the right amount; "required": the right amount. */
  readonly padding: "forbidden" | "optional" | "required";
  /**
   * Whether the unused low bits of the last character must be zero (RFC 4648
   * §3.5 "canonical encoding"). Go's `base64.StdEncoding`, which obfs4proxy
   * uses for certs, does not check them; our share links do.
   */
  readonly canonical: boolean;
}

function reverse(alphabet: string): Int8Array {
  const table = new Int8Array(128).fill(-1);
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  return table;
}

const STD_REV = reverse(STD);
const URL_REV = reverse(URL);

export function encodeBase64(bytes: Uint8Array, alphabet: Base64Alphabet, pad: boolean): string {
  const chars = alphabet === "std" ? STD : URL;
  let out = "";
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += chars[n >>> 18]! + chars[(n >>> 12) & 63]! + chars[(n >>> 6) & 63]! + chars[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += chars[n >>> 18]! + chars[(n >>> 12) & 63]! + (pad ? "==" : "");
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += chars[n >>> 18]! + chars[(n >>> 12) & 63]! + chars[(n >>> 6) & 63]! + (pad ? "=" : "");
  }
  return out;
}

/** Decodes `text`, or returns null if it is not base64 of the requested form. */
export function decodeBase64(text: string, options: Base64DecodeOptions): Uint8Array | null {
  let body = text;
  let padCount = 0;
  while (padCount < 2 && body.endsWith("=")) {
    body = body.slice(0, -1);
    padCount++;
  }
  const tail = body.length % 4;
  if (tail === 1) return null; // 6 bits cannot end a byte string
  const expectedPad = tail === 0 ? 0 : 4 - tail;
  if (padCount > 0 && (options.padding === "forbidden" || padCount !== expectedPad)) return null;
  if (padCount === 0 && expectedPad > 0 && options.padding === "required") return null;

  const rev = options.alphabet === "std" ? STD_REV : URL_REV;
  const out = new Uint8Array(Math.floor((body.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < body.length; i++) {
    const c = body.charCodeAt(i);
    const v = c < 128 ? rev[c]! : -1;
    if (v < 0) return null;
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >>> bits) & 0xff;
    }
  }
  if (options.canonical && (acc & ((1 << bits) - 1)) !== 0) return null;
  return out;
}
