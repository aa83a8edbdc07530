import { concatBytes } from "./bytes.js";

/**
 * A FIFO of byte chunks for incremental decoders (the uint8arraylist idea):
 * push() keeps a reference to the chunk (no copy); read(n) copies only when
 * the requested bytes span several chunks. Decoders check `length` against
 * their named limits before buffering more.
 */
export class ByteQueue {
  // Consumed chunks are dropped by advancing #first, not by Array.shift(),
  // which is O(n) and made 1-byte-chunk floods quadratic; the array is
  // compacted once the dead prefix outweighs the live part.
  #chunks: Uint8Array[] = [];
  #first = 0; // index of the first live chunk
  #head = 0; // offset into #chunks[#first]
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
    for (let k = this.#first; k < this.#chunks.length; k++) {
      const c = this.#chunks[k]!;
      if (idx < c.length) return c[idx];
      idx -= c.length;
    }
    return undefined;
  }

  /** The first n bytes without consuming them (a view when they lie in one chunk). */
  peek(n: number): Uint8Array {
    this.#checkCount("peek", n);
    const first = this.#chunks[this.#first];
    if (n === 0 || first === undefined) return new Uint8Array(0);
    if (first.length - this.#head >= n) return first.subarray(this.#head, this.#head + n);
    const out = new Uint8Array(n);
    let off = 0;
    let head = this.#head;
    for (let k = this.#first; k < this.#chunks.length; k++) {
      const c = this.#chunks[k]!;
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
    this.#checkCount("skip", n);
    this.#length -= n;
    while (n > 0) {
      const c = this.#chunks[this.#first]!;
      const avail = c.length - this.#head;
      if (n < avail) {
        this.#head += n;
        break;
      }
      n -= avail;
      this.#first++;
      this.#head = 0;
    }
    if (this.#first === this.#chunks.length) {
      this.#chunks = [];
      this.#first = 0;
    } else if (this.#first > 64 && this.#first * 2 > this.#chunks.length) {
      this.#chunks = this.#chunks.slice(this.#first);
      this.#first = 0;
    }
  }

  /** Removes and returns everything buffered. */
  readAll(): Uint8Array {
    const live = this.#chunks.slice(this.#first);
    if (live.length === 1) {
      const out = live[0]!.subarray(this.#head);
      this.clear();
      return out;
    }
    const out = concatBytes(...live.map((c, i) => (i === 0 ? c.subarray(this.#head) : c)));
    this.clear();
    return out;
  }

  /** Index of the first occurrence of byte b at or after `from`, or -1. */
  indexOf(b: number, from = 0): number {
    let base = 0;
    let head = this.#head;
    for (let k = this.#first; k < this.#chunks.length; k++) {
      const c = this.#chunks[k]!;
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

  /** A count must be a whole number within what is buffered (a programmer error otherwise). */
  #checkCount(op: string, n: number): void {
    if (!Number.isInteger(n) || n < 0 || n > this.#length) {
      throw new RangeError(`${op}(${n}): need a whole number from 0 to ${this.#length} (bytes buffered)`);
    }
  }

  clear(): void {
    this.#chunks = [];
    this.#first = 0;
    this.#head = 0;
    this.#length = 0;
  }
}
