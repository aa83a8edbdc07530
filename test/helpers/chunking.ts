import type { StreamDecoder } from "../../src/shared/codec/decoder.js";

/** Feeds `chunks` to a decoder and returns every message, then calls finish(). */
export function decodeAll<T>(decoder: StreamDecoder<T>, chunks: Iterable<Uint8Array>): T[] {
  const out: T[] = [];
  for (const c of chunks) out.push(...decoder.push(c));
  decoder.finish();
  return out;
}

/** Every way to cut `bytes` in two, plus the 1-byte re-chunking: the splits a decoder must survive. */
export function* splits(bytes: Uint8Array): Generator<{ label: string; chunks: Uint8Array[] }> {
  for (let i = 0; i <= bytes.length; i++) {
    yield { label: `split@${i}`, chunks: [bytes.subarray(0, i), bytes.subarray(i)] };
  }
  yield { label: "1-byte chunks", chunks: Array.from(bytes, (_, i) => bytes.subarray(i, i + 1)) };
}

/**
 * Asserts that a fresh decoder yields the same messages for every split of
 * `bytes` as for the whole; returns those messages for further assertions.
 */
export function decodeEverySplit<T>(make: () => StreamDecoder<T>, bytes: Uint8Array): T[] {
  const whole = decodeAll(make(), [bytes]);
  const wholeJson = JSON.stringify(whole, jsonBytes);
  for (const { label, chunks } of splits(bytes)) {
    const got = JSON.stringify(decodeAll(make(), chunks), jsonBytes);
    if (got !== wholeJson) throw new Error(`${label}: decoded ${got}, whole input decoded ${wholeJson}`);
  }
  return whole;
}

function jsonBytes(_key: string, value: unknown): unknown {
  return value instanceof Uint8Array ? { bytes: Array.from(value) } : value;
}

/**
 * Cuts `bytes` at the given offsets (each taken modulo length + 1, so any
 * fast-check `fc.nat()` array works; repeats ignored): the random chunking
 * the property tests feed decoders.
 */
export function cutAt(bytes: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const points = [...new Set(offsets.map((o) => o % (bytes.length + 1)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of points) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
