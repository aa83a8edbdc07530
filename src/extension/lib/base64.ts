/**
 * Bytes ↔ base64 for Chrome's runtime ports, which carry JSON (a Uint8Array
 * would arrive as {"0":…,"1":…}). Uses the native Uint8Array.toBase64 /
 * fromBase64 (Chrome 140+, Firefox 133+) where present: no string building
 * per byte on the hot path.
 */
interface NativeBase64 {
  toBase64?: (this: Uint8Array) => string;
}
interface NativeFromBase64 {
  fromBase64?: (text: string) => Uint8Array;
}

const nativeTo = (Uint8Array.prototype as unknown as NativeBase64).toBase64;
const nativeFrom = (Uint8Array as unknown as NativeFromBase64).fromBase64;

export function bytesToBase64(bytes: Uint8Array): string {
  if (nativeTo !== undefined) return nativeTo.call(bytes);
  let s = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  }
  return btoa(s);
}

/** Throws (SyntaxError / DOMException) on text that is not base64. */
export function base64ToBytes(text: string): Uint8Array {
  if (nativeFrom !== undefined) return nativeFrom(text);
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}
