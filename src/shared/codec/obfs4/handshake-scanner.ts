/**
 * The part both handshake state machines share: accumulate the peer's bytes in one MAX_HANDSHAKE_LENGTH buffer and
 * find the peer's mark (obfs4 spec §4 steps "derives M_S/M_C ... uses it to locate MAC"). The mark is
 * HMAC(B | NODEID, first 32 bytes), so it is known once the representative has arrived; the search is incremental
 * (each byte offset is examined once), so the cost of a handshake stays linear however the bytes are chunked.
 */
import { MAC_LENGTH, MARK_LENGTH, MAX_HANDSHAKE_LENGTH, computeMark, findMark } from "./handshake-messages.js";
import { REPRESENTATIVE_LENGTH } from "./elligator2.js";

export interface ScanResult {
  /** Offset of the mark, or -1 when it has not been seen (yet). */
  readonly markAt: number;
  /** The tail of the pushed chunk that did not fit in the buffer (past MAX_HANDSHAKE_LENGTH): never scanned. */
  readonly overflow: Uint8Array;
}

export class HandshakeScanner {
  readonly #macKey: Uint8Array;
  readonly #minLength: number;
  #buf: Uint8Array | null = new Uint8Array(MAX_HANDSHAKE_LENGTH);
  #filled = 0;
  #searchFrom: number;
  #mark: Uint8Array | null = null;

  /**
   * @param minLength - bytes to wait for before searching (obfs4proxy: the shortest plausible message).
   * @param searchStart - first offset where the mark may begin (after the fixed fields and minimum padding).
   */
  constructor(macKey: Uint8Array, minLength: number, searchStart: number) {
    this.#macKey = macKey;
    this.#minLength = minLength;
    this.#searchFrom = searchStart;
  }

  /** Bytes held (never more than MAX_HANDSHAKE_LENGTH). */
  get buffered(): number {
    return this.#filled;
  }

  /** True once MAX_HANDSHAKE_LENGTH bytes are held: a mark not found by now never will be. */
  get full(): boolean {
    return this.#filled >= MAX_HANDSHAKE_LENGTH;
  }

  push(chunk: Uint8Array): ScanResult {
    const buf = this.#buffer();
    const take = Math.min(chunk.length, MAX_HANDSHAKE_LENGTH - this.#filled);
    buf.set(chunk.subarray(0, take), this.#filled);
    this.#filled += take;
    const overflow = chunk.subarray(take);
    if (this.#filled < this.#minLength) return { markAt: -1, overflow };
    this.#mark ??= computeMark(this.#macKey, buf.subarray(0, REPRESENTATIVE_LENGTH));
    const markAt = findMark(buf, this.#mark, this.#searchFrom, this.#filled);
    if (markAt === -1) {
      // Offsets up to filled - (mark + MAC) were examined; resume after them.
      this.#searchFrom = Math.max(this.#searchFrom, this.#filled - MARK_LENGTH - MAC_LENGTH + 1);
    }
    return { markAt, overflow };
  }

  /** A view of buffered bytes [start, end). */
  view(start: number, end: number = this.#filled): Uint8Array {
    return this.#buffer().subarray(start, Math.min(end, this.#filled));
  }

  /** Drops the buffer; the scanner must not be used afterwards. */
  release(): void {
    this.#buf = null;
    this.#filled = 0;
  }

  #buffer(): Uint8Array {
    if (this.#buf === null) throw new RangeError("handshake scanner used after release");
    return this.#buf;
  }
}
