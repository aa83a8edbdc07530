import { ByteQueue } from "../../bytes/byte-queue.js";
import { readU16BE, writeU16BE } from "../../bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../errors.js";
import type { StreamDecoder } from "../decoder.js";

/**
 * Transparent UDP framing (PT 2.0, seed 000 §3.3.5.4 and §3.3.5.5): each
 * datagram crosses the TCP transport prefixed by "a simple two byte length in
 * network byte order", i.e. big-endian (CONFORMANCE). The prefix covers the
 * whole datagram, so any datagram of up to 65535 bytes crosses intact; a
 * zero-length datagram (legal in UDP) is the frame `00 00`.
 */

/** Length of the frame prefix. */
export const UDP_FRAME_HEADER_LENGTH = 2;
/** Largest datagram a frame carries: the 16-bit prefix's maximum. Never truncated, never split. */
export const MAX_UDP_DATAGRAM = 65535;

/** Error codes of this module. */
export const UdpFrameErrorCode = {
  TOO_LARGE: "ERR_UDP_FRAME_TOO_LARGE",
} as const;

/**
 * The 2-byte prefix for a datagram of `length` bytes, for writers that send
 * header and payload separately (writev) instead of copying.
 */
export function encodeUdpFrameHeader(length: number): Uint8Array {
  if (!Number.isInteger(length) || length < 0 || length > MAX_UDP_DATAGRAM) {
    throw new RangeError(`a UDP frame carries 0..${MAX_UDP_DATAGRAM} bytes, got ${length}`);
  }
  const out = new Uint8Array(UDP_FRAME_HEADER_LENGTH);
  writeU16BE(out, 0, length);
  return out;
}

/**
 * Frames one datagram: prefix and payload in one new buffer. RangeError
 * above MAX_UDP_DATAGRAM (the length would not fit the prefix: truncating
 * silently would corrupt the stream), TypeError for a non-Uint8Array.
 */
export function encodeUdpFrame(datagram: Uint8Array): Uint8Array {
  if (!(datagram instanceof Uint8Array)) throw new TypeError("a UDP datagram must be a Uint8Array");
  if (datagram.length > MAX_UDP_DATAGRAM) {
    throw new RangeError(`a UDP datagram is at most ${MAX_UDP_DATAGRAM} bytes, got ${datagram.length}`);
  }
  const out = new Uint8Array(UDP_FRAME_HEADER_LENGTH + datagram.length);
  writeU16BE(out, 0, datagram.length);
  out.set(datagram, UDP_FRAME_HEADER_LENGTH);
  return out;
}

export interface UdpFrameDecoderOptions {
  /**
   * Largest datagram accepted, at most MAX_UDP_DATAGRAM (the default). A
   * lower value bounds memory per connection; a longer frame is a LimitError
   * (ERR_UDP_FRAME_TOO_LARGE) as soon as its prefix arrives.
   */
  readonly maxDatagram?: number;
}

/**
 * Splits a transparent-mode byte stream back into datagrams (the PT server's
 * side of §3.3.5.5, and the client's for the return path). Buffers at most
 * one partial frame: 2 + maxDatagram bytes. Datagrams are views into the
 * pushed chunks when a frame lies within one chunk (no copy).
 */
export class UdpFrameDecoder implements StreamDecoder<Uint8Array> {
  readonly #queue = new ByteQueue();
  readonly #max: number;
  #error: unknown = undefined;

  constructor(options: UdpFrameDecoderOptions = {}) {
    const max = options.maxDatagram ?? MAX_UDP_DATAGRAM;
    if (!Number.isInteger(max) || max < 0 || max > MAX_UDP_DATAGRAM) {
      throw new RangeError(`maxDatagram must be an integer in 0..${MAX_UDP_DATAGRAM}, got ${max}`);
    }
    this.#max = max;
  }

  /** Bytes held between pushes: at most one partial frame. */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    this.#rethrow();
    this.#queue.push(chunk);
    const out: Uint8Array[] = [];
    while (this.#queue.length >= UDP_FRAME_HEADER_LENGTH) {
      const length = readU16BE(this.#queue.peek(UDP_FRAME_HEADER_LENGTH), 0);
      if (length > this.#max) {
        this.#error = new LimitError(
          UdpFrameErrorCode.TOO_LARGE,
          `UDP frame announces ${length} bytes; the limit is ${this.#max}`,
          this.#max,
        );
        throw this.#error;
      }
      if (this.#queue.length < UDP_FRAME_HEADER_LENGTH + length) break;
      this.#queue.skip(UDP_FRAME_HEADER_LENGTH);
      out.push(this.#queue.read(length));
    }
    return out;
  }

  finish(): void {
    this.#rethrow();
    if (this.#queue.length > 0) {
      this.#error = new UnexpectedEOFError("a UDP frame", this.#queue.length);
      throw this.#error;
    }
  }

  #rethrow(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}
