/**
 * An RTCDataChannel as a Node byte Duplex: writes go out as binary messages
 * (PPID 53, RFC 8831 §8), binary messages come in as bytes. This is the
 * carrier Obfs4Stream (src/server/obfs4/obfs4-stream.ts) takes, exactly as
 * it takes a net.Socket. It codes against RTCDataChannelLike, so werift,
 * node-datachannel (through its adapter) and browser-shaped channels work.
 *
 * Backpressure: sending holds the write callback while `bufferedAmount` is
 * above a high-water mark, released by `bufferedamountlow` (W3C §6.2). The
 * receiving side has no flow control to offer JavaScript (the W3C API has no
 * pause; SCTP's rwnd only covers the engine's own buffer), so the bytes we
 * have pushed but the reader has not taken are capped instead: a reader that
 * stops reading for good fails the stream rather than grow memory.
 */
import { Duplex } from "node:stream";
import { LimitError } from "../../../shared/errors.js";
import type { RTCDataChannelLike, RTCErrorEventLike, RTCMessageEventLike } from "../../../shared/transport/rtc-like.js";
import { DataChannelClosedError, DataChannelProtocolError, DataChannelTransportError } from "./errors.js";

/**
 * Send-side high-water mark: while `bufferedAmount` is above it the write
 * callback is held, so a writer faster than the path stops here. 1 MiB
 * keeps a loopback or LAN path full (node-datachannel reaches its peak with
 * it) while keeping werift's per-queued-message cost small.
 */
export const DATACHANNEL_SEND_HIGH_WATER_MARK = 1024 * 1024;
/** A held write is released when `bufferedAmount` falls to this (the channel's bufferedAmountLowThreshold). */
export const DATACHANNEL_SEND_LOW_WATER_MARK = 256 * 1024;
/**
 * Largest message we send. RFC 8841 §6: a peer that advertises no
 * max-message-size accepts 64 KiB, and browsers advertise at least that
 * (Chrome 256 KiB, Firefox 1 GiB, Safari 64 KiB), so larger writes are split.
 */
export const DATACHANNEL_MAX_MESSAGE_BYTES = 64 * 1024;
/**
 * Most received bytes we hold for a reader that is not reading (the
 * Duplex's readable buffer). Above it the stream fails with
 * ERR_RTC_READ_BUFFER_FULL: the DataChannel API cannot pause the peer.
 */
export const DATACHANNEL_MAX_READ_BUFFER_BYTES = 16 * 1024 * 1024;
/** The Duplex's own buffers, as Obfs4Stream's: large chunks amortise per-message costs. */
export const DATACHANNEL_STREAM_HIGH_WATER_MARK = 256 * 1024;
/**
 * After our last message has left the send buffer, how long ending the
 * writable side waits before closing the channel. node-datachannel (0.33)
 * delivers a channel's close and its messages through separate thread-safe
 * callbacks and frees the channel when the close is delivered, so a message
 * that arrives just before the peer's close can be dropped by the receiving
 * binding (measured: a third of 4-byte exchanges on loopback lost the last
 * message). Lingering puts the close well behind the data on the wire, so
 * the race needs an RTT-sized delay or a retransmission to lose bytes.
 * Destroying the stream does not linger (it drops data by definition).
 */
export const DATACHANNEL_CLOSE_LINGER_MS = 1_000;

export interface DataChannelDuplexOptions {
  readonly sendHighWaterMark?: number;
  readonly sendLowWaterMark?: number;
  readonly maxMessageBytes?: number;
  readonly maxReadBufferBytes?: number;
  readonly streamHighWaterMark?: number;
  /** Delay between the drained send buffer and close() when ending (DATACHANNEL_CLOSE_LINGER_MS); 0: none. */
  readonly closeLingerMs?: number;
}

type Callback = (err?: Error | null) => void;

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return n;
}

/** A binary message payload as a Buffer without copying; undefined for a text message (a string). */
export function dataChannelMessageBytes(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  return undefined;
}

/**
 * The Duplex. Close mapping: the channel closing ends the readable side; the
 * Duplex is not half-open (a DataChannel has no half-close; closing resets
 * the SCTP stream both ways, RFC 8831 §6.7), so it then finishes. A write
 * still held when the channel closes fails with ERR_RTC_CHANNEL_CLOSED; an
 * engine error destroys the stream with ERR_RTC_CHANNEL_ERROR. Ending our
 * writable side waits for `bufferedAmount` to drain, then closes the channel.
 */
export class DataChannelDuplex extends Duplex {
  readonly channel: RTCDataChannelLike;
  readonly #high: number;
  readonly #maxMessage: number;
  readonly #maxRead: number;
  /** A write waiting for open or for `bufferedAmount` to fall (at most one: Writable serialises _write). */
  #held: { retry: () => void; cb: Callback } | undefined;
  /** _final waiting for the send buffer to drain before close(). */
  #finalCb: Callback | undefined;
  readonly #lingerMs: number;
  #lingerTimer: ReturnType<typeof setTimeout> | undefined;
  /** _final's callback while lingering. */
  #lingerCb: Callback | undefined;

  constructor(channel: RTCDataChannelLike, options: DataChannelDuplexOptions = {}) {
    const hwm = positiveInt("streamHighWaterMark", options.streamHighWaterMark, DATACHANNEL_STREAM_HIGH_WATER_MARK);
    super({ readableHighWaterMark: hwm, writableHighWaterMark: hwm, allowHalfOpen: false });
    this.channel = channel;
    this.#high = positiveInt("sendHighWaterMark", options.sendHighWaterMark, DATACHANNEL_SEND_HIGH_WATER_MARK);
    const low = Math.min(
      this.#high,
      positiveInt("sendLowWaterMark", options.sendLowWaterMark, DATACHANNEL_SEND_LOW_WATER_MARK),
    );
    this.#maxMessage = positiveInt("maxMessageBytes", options.maxMessageBytes, DATACHANNEL_MAX_MESSAGE_BYTES);
    this.#maxRead = positiveInt("maxReadBufferBytes", options.maxReadBufferBytes, DATACHANNEL_MAX_READ_BUFFER_BYTES);
    const linger = options.closeLingerMs ?? DATACHANNEL_CLOSE_LINGER_MS;
    if (!Number.isSafeInteger(linger) || linger < 0) throw new RangeError(`closeLingerMs must be >= 0, got ${linger}`);
    this.#lingerMs = linger;
    channel.binaryType = "arraybuffer"; // never a Blob (asynchronous to read)
    channel.bufferedAmountLowThreshold = low;
    channel.onopen = () => this.#wake();
    channel.onbufferedamountlow = () => this.#wake();
    channel.onmessage = (ev) => this.#onMessage(ev);
    channel.onclose = () => this.#onClose();
    channel.onerror = (ev) => this.#onError(ev);
    if (channel.readyState === "closed") queueMicrotask(() => this.#onClose());
  }

  /** Bytes handed to the channel and not yet to SCTP. */
  get bufferedAmount(): number {
    return this.channel.bufferedAmount;
  }

  override _read(): void {
    // Nothing to resume: the DataChannel API cannot pause the peer (see DATACHANNEL_MAX_READ_BUFFER_BYTES).
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    this.#send([chunk], cb);
  }

  override _writev(chunks: { chunk: Buffer }[], cb: Callback): void {
    this.#send(
      chunks.map((c) => c.chunk),
      cb,
    );
  }

  override _final(cb: Callback): void {
    if (this.channel.readyState !== "open" || this.channel.bufferedAmount === 0) {
      this.#closeAfterLinger(cb);
      return;
    }
    // W3C §6.2 close() should flush pending messages, but engines differ (werift resets the stream at once).
    this.#finalCb = cb;
    this.channel.bufferedAmountLowThreshold = 0;
  }

  override _destroy(err: Error | null, cb: Callback): void {
    const held = this.#held;
    this.#held = undefined;
    const final = this.#finalCb ?? this.#lingerCb;
    this.#finalCb = this.#lingerCb = undefined;
    clearTimeout(this.#lingerTimer);
    const ch = this.channel;
    ch.onopen = ch.onbufferedamountlow = ch.onmessage = ch.onclose = ch.onerror = null;
    this.#closeChannel();
    const cause = err ?? new DataChannelClosedError();
    held?.cb(cause);
    final?.(cause);
    cb(err);
  }

  /** Sends `chunks` as messages of at most maxMessageBytes, coalescing small writes (obfs4 frames). */
  #send(chunks: Buffer[], cb: Callback): void {
    const state = this.channel.readyState;
    if (state === "connecting") {
      this.#held = { retry: () => this.#send(chunks, cb), cb };
      return;
    }
    if (state !== "open") {
      cb(new DataChannelClosedError(`write on a ${state} data channel`));
      return;
    }
    try {
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const flush = (): void => {
        if (pendingBytes === 0) return;
        this.channel.send(pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes));
        pending = [];
        pendingBytes = 0;
      };
      for (const chunk of chunks) {
        for (let off = 0; off < chunk.length;) {
          const n = Math.min(chunk.length - off, this.#maxMessage - pendingBytes);
          pending.push(chunk.subarray(off, off + n));
          pendingBytes += n;
          off += n;
          if (pendingBytes === this.#maxMessage) flush();
        }
      }
      flush();
    } catch (err) {
      cb(new DataChannelTransportError("send failed", { cause: err }));
      return;
    }
    if (this.channel.bufferedAmount > this.#high) this.#held = { retry: () => cb(), cb };
    else cb();
  }

  /** open or bufferedamountlow: release a held write, or finish a pending _final. */
  #wake(): void {
    const held = this.#held;
    if (held !== undefined && (this.channel.readyState !== "open" || this.channel.bufferedAmount <= this.#high)) {
      this.#held = undefined;
      held.retry();
    }
    const final = this.#finalCb;
    if (final !== undefined && this.channel.bufferedAmount === 0) {
      this.#finalCb = undefined;
      this.#closeAfterLinger(final);
    }
  }

  #onMessage(ev: RTCMessageEventLike): void {
    if (this.destroyed) return;
    const bytes = dataChannelMessageBytes(ev.data);
    if (bytes === undefined) {
      this.destroy(new DataChannelProtocolError());
      return;
    }
    if (this.readableLength + bytes.length > this.#maxRead) {
      this.destroy(
        new LimitError(
          "ERR_RTC_READ_BUFFER_FULL",
          `more than ${this.#maxRead} received bytes are waiting for a reader`,
          this.#maxRead,
        ),
      );
      return;
    }
    this.push(bytes);
  }

  #onClose(): void {
    if (this.destroyed) return;
    const held = this.#held;
    this.#held = undefined;
    held?.cb(new DataChannelClosedError("the data channel closed with a write pending"));
    const final = this.#finalCb ?? this.#lingerCb;
    this.#finalCb = this.#lingerCb = undefined;
    clearTimeout(this.#lingerTimer);
    final?.();
    this.push(null);
  }

  #onError(ev: RTCErrorEventLike): void {
    this.destroy(new DataChannelTransportError("data channel error", { cause: ev.error }));
  }

  /** Ends our side: close() after DATACHANNEL_CLOSE_LINGER_MS (see there), then `cb`. */
  #closeAfterLinger(cb: Callback): void {
    if (this.#lingerMs === 0 || this.channel.readyState !== "open") {
      this.#closeChannel();
      cb();
      return;
    }
    this.#lingerCb = cb;
    this.#lingerTimer = setTimeout(() => {
      const done = this.#lingerCb;
      this.#lingerCb = undefined;
      this.#closeChannel();
      done?.();
    }, this.#lingerMs);
  }

  #closeChannel(): void {
    const s = this.channel.readyState;
    if (s === "closing" || s === "closed") return;
    try {
      this.channel.close();
    } catch {
      // Already closing in the engine; nothing left to do.
    }
  }
}

/** Wraps an RTCDataChannelLike (open or still connecting) as a Node Duplex; see DataChannelDuplex. */
export function dataChannelDuplex(channel: RTCDataChannelLike, options?: DataChannelDuplexOptions): DataChannelDuplex {
  return new DataChannelDuplex(channel, options);
}
