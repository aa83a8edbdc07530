import { concatBytes } from "./bytes.js";

/**
 * A FIFO of byte chunks for incremental decoders (the uint8arraylist idea):
 * push() keeps a reference to the chunk (no copy); read(n) copies only when
 * the requested bytes span several chunks. Decoders check `length` against
 * their named limits before buffering more.
 */
export class ByteQueue {
  #chunks: Uint8Array[] = [];
  #head = 0; // offset into #chunks[0]
  #length = 0;

  get length(): number {
    return this.#length;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.#chunks.push(chunk);
    this.#length += chunk.length;
  }

  /** The byte at offset i from the front, or undefined past the end. */
  at(i: number): number | undefined {
    if (i < 0 || i >= this.#length) return undefined;
    let idx = i + this.#head;
    for (const c of this.#chunks) {
      if (idx < c.length) return c[idx];
      idx -= c.length;
    }
    return undefined;
  }

  /** The first n bytes without consuming them (a view when they lie in one chunk). */
  peek(n: number): Uint8Array {
    if (n > this.#length) throw new RangeError(`peek(${n}) past ${this.#length} buffered bytes`);
    const first = this.#chunks[0];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = new Uint8Array(n);
    let off = 0;
    let head = this.#head;
    for (const c of this.#chunks) {
      const take = Math.min(c.length - head, n - off);
      out.set(c.subarray(head, head + take), off);
      off += take;
      head = 0;
      if (off === n) break;
    }
    return out;
  }

  /** Removes and returns the first n bytes. */
  read(n: number): Uint8Array {
    const out = this.peek(n);
    this.skip(n);
    return out;
  }

  /** Removes the first n bytes. */
  skip(n: number): void {
    if (n > this.#length) throw new RangeError(`skip(${n}) past ${this.#length} buffered bytes`);
    this.#length -= n;
    while (n > 0) {
      const c = this.#chunks[0]!;
      const avail = c.length - this.#head;
      if (n < avail) {
        this.#head += n;
        return;
      }
      n -= avail;
      this.#chunks.shift();
      this.#head = 0;
    }
  }

  /** Removes and returns everything buffered. */
  readAll(): Uint8Array {
    if (this.#chunks.length === 1) {
      const out = this.#chunks[0]!.subarray(this.#head);
      this.clear();
      return out;
    }
    const out = concatBytes(...this.#chunks.map((c, i) => (i === 0 ? c.subarray(this.#head) : c)));
    this.clear();
    return out;
  }

  /** Index of the first occurrence of byte b at or after `from`, or -1. */
  indexOf(b: number, from = 0): number {
    let base = 0;
    let head = this.#head;
    for (const c of this.#chunks) {
      const len = c.length - head;
      if (from < base + len) {
        const start = Math.max(0, from - base);
        const j = c.subarray(head).indexOf(b, start);
        if (j !== -1) return base + j;
      }
      base += len;
      head = 0;
    }
    return -1;
  }

  clear(): void {
    this.#chunks = [];
    this.#head = 0;
    this.#length = 0;
  }
}
