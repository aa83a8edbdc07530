import { ByteQueue } from "../../bytes/byte-queue.js";
import { readU16BE, readU32BE } from "../../bytes/bytes.js";
import { UnexpectedEOFError } from "../../errors.js";
import type { StreamDecoder } from "../decoder.js";
import {
  CHANNEL_DATA_HEADER_LENGTH,
  STUN_HEADER_LENGTH,
  type StunFramingOptions,
  StunError,
  StunErrorCode,
  checkMagicCookie,
  checkStunLength,
  paddedChannelDataLength,
  resolveStunOptions,
  stunMessageKind,
  tooLarge,
} from "./stun-message.js";

/**
 * Splits a STUN-aware stream (seed 000 §3.3.5.5) back into datagrams: STUN
 * messages sized by their header's length field, and (unless disabled)
 * padded ChannelData messages, emitted without their padding. Each field is
 * checked as soon as its bytes arrive, in wire order (prefix, length, magic
 * cookie), so garbage fails fast and with the same error for every split of
 * the input. Buffers at most one partial message (at most maxMessage + 3
 * bytes). Emits views into the pushed chunks when a message lies within one.
 *
 * This decoder has the same shape as UdpFrameDecoder, so the UDP relay picks
 * one per configured mode and treats them alike.
 */
export class StunStreamDecoder implements StreamDecoder<Uint8Array> {
  readonly #queue = new ByteQueue();
  readonly #channelData: boolean;
  readonly #max: number;
  #error: unknown = undefined;

  constructor(options: StunFramingOptions = {}) {
    const { channelData, maxMessage } = resolveStunOptions(options);
    this.#channelData = channelData;
    this.#max = maxMessage;
  }

  /** Bytes held between pushes: at most one partial message. */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): Uint8Array[] {
    if (this.#error !== undefined) throw this.#error;
    this.#queue.push(chunk);
    const out: Uint8Array[] = [];
    try {
      for (let m = this.#next(); m !== undefined; m = this.#next()) out.push(m);
    } catch (e) {
      this.#error = e;
      throw e;
    }
    return out;
  }

  finish(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#queue.length > 0) {
      this.#error = new UnexpectedEOFError("a STUN message", this.#queue.length);
      throw this.#error;
    }
  }

  #next(): Uint8Array | undefined {
    const first = this.#queue.at(0);
    if (first === undefined) return undefined;
    const kind = stunMessageKind(first);
    if (kind === "stun") return this.#nextStun();
    if (kind === "channel-data" && this.#channelData) return this.#nextChannelData();
    throw new StunError(
      StunErrorCode.BAD_PREFIX,
      `byte 0x${first.toString(16).padStart(2, "0")} starts no STUN${this.#channelData ? " or ChannelData" : ""} message`,
    );
  }

  /** RFC 5389 §6: 20-byte header, then `length` bytes. */
  #nextStun(): Uint8Array | undefined {
    if (this.#queue.length < 4) return undefined;
    const length = readU16BE(this.#queue.peek(4), 2);
    checkStunLength(length);
    const size = STUN_HEADER_LENGTH + length;
    if (size > this.#max) throw tooLarge(size, this.#max);
    if (this.#queue.length < 8) return undefined;
    checkMagicCookie(readU32BE(this.#queue.peek(8), 4));
    if (this.#queue.length < size) return undefined;
    return this.#queue.read(size);
  }

  /** RFC 5766 §11.4-5: 4-byte header, `length` data bytes, zero to three padding bytes. */
  #nextChannelData(): Uint8Array | undefined {
    if (this.#queue.length < CHANNEL_DATA_HEADER_LENGTH) return undefined;
    const length = readU16BE(this.#queue.peek(CHANNEL_DATA_HEADER_LENGTH), 2);
    const size = CHANNEL_DATA_HEADER_LENGTH + length;
    if (size > this.#max) throw tooLarge(size, this.#max);
    const padded = paddedChannelDataLength(length);
    if (this.#queue.length < padded) return undefined;
    const message = this.#queue.read(size);
    this.#queue.skip(padded - size);
    return message;
  }
}
