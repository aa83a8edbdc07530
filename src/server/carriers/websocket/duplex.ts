/**
 * A WebSocket as a Node byte Duplex: every write goes out as binary
 * messages, every binary message comes in as bytes. This is what the obfs4
 * stream (src/server/obfs4/obfs4-stream.ts) and every other Node consumer
 * take as a carrier, exactly as they take a net.Socket.
 *
 * It codes against the W3C shape (WebSocketLike), so `ws` and a browser-like
 * WebSocket both work; with `ws` it also uses the send callback and
 * pause()/resume() so backpressure reaches TCP in both directions.
 */
import { Duplex } from "node:stream";
import type {
  PausableWebSocketLike,
  WebSocketCloseEventLike,
  WebSocketErrorEventLike,
  WebSocketLike,
  WebSocketMessageEventLike,
} from "../../../shared/transport/websocket-like.js";
import {
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_INTERNAL_ERROR,
  WS_CLOSE_NORMAL,
  WS_CLOSE_NO_STATUS,
  WS_CLOSE_UNSUPPORTED_DATA,
  WebSocketClosedError,
  WebSocketProtocolError,
  WebSocketTransportError,
} from "./errors.js";

/** W3C readyState values. */
const CONNECTING = 0;
const OPEN = 1;

/**
 * Send-side high-water mark: once `bufferedAmount` is above it, the write
 * callback is held, so a writer faster than the network stops at this much
 * plus one write (the Duplex's own buffer) instead of growing without bound.
 */
export const WEBSOCKET_SEND_HIGH_WATER_MARK = 256 * 1024;
/** A held write is released once `bufferedAmount` falls to this (hysteresis: fewer stop/start cycles). */
export const WEBSOCKET_SEND_LOW_WATER_MARK = 64 * 1024;
/**
 * Largest binary message we send. Must not exceed the peer's receive limit
 * (the server's `maxPayload`, default 64 KiB); larger writes are split.
 */
export const WEBSOCKET_MAX_MESSAGE_BYTES = 32 * 1024;
/**
 * While a write is held on an implementation without send callbacks (the
 * browser shape), `bufferedAmount` is re-read this often: the W3C API has no
 * drain event. With `ws` the send callbacks wake us and this is only a backstop.
 */
export const WEBSOCKET_DRAIN_POLL_MS = 5;
/** The Duplex's own buffers, as Obfs4Stream's: large chunks amortise per-message costs. */
export const WEBSOCKET_STREAM_HIGH_WATER_MARK = 256 * 1024;

export interface WebSocketDuplexOptions {
  readonly sendHighWaterMark?: number;
  readonly sendLowWaterMark?: number;
  readonly maxMessageBytes?: number;
  readonly drainPollMs?: number;
  readonly streamHighWaterMark?: number;
}

type Callback = (err?: Error | null) => void;

function isPausable(ws: WebSocketLike): ws is PausableWebSocketLike {
  const w = ws as Partial<PausableWebSocketLike>;
  return typeof w.pause === "function" && typeof w.resume === "function";
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return n;
}

/**
 * Turns a binary message payload into a Buffer without copying where the
 * runtime allows; a string is a text frame, which is not ours (undefined).
 */
export function messageBytes(data: unknown): Buffer | undefined {
  if (Buffer.isBuffer(data)) return data;
  if (data instanceof ArrayBuffer) return Buffer.from(data);
  if (ArrayBuffer.isView(data)) return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  // ws's binaryType "fragments": the frames of one message.
  if (Array.isArray(data) && data.every((d) => Buffer.isBuffer(d))) return Buffer.concat(data as Buffer[]);
  return undefined;
}

/** Closes without throwing: browsers refuse codes other than 1000 and 3000–4999, so fall back to a plain close. */
function closeQuietly(ws: WebSocketLike, code: number, reason = ""): void {
  try {
    ws.close(code, reason);
  } catch {
    try {
      ws.close();
    } catch {
      // Already closing; nothing left to do.
    }
  }
}

/**
 * The Duplex itself. Close mapping: a close with 1000, 1001 or 1005 (no
 * status) ends the readable side; the Duplex is not half-open (like
 * net.Socket with allowHalfOpen false), so it then ends and is destroyed.
 * Any other close, or an error, destroys it with a WebSocketClosedError /
 * WebSocketTransportError. Ending our writable side sends close 1000 (a
 * WebSocket has no half-close; RFC 6455 §7.1.2).
 */
export class WebSocketDuplex extends Duplex {
  readonly ws: WebSocketLike;
  readonly #pausable: PausableWebSocketLike | undefined;
  readonly #high: number;
  readonly #low: number;
  readonly #maxMessage: number;
  readonly #pollMs: number;
  /** A write whose callback waits for `bufferedAmount` to drain (at most one: Writable serialises _write). */
  #held: Callback | undefined;
  /** A write that arrived while CONNECTING; replayed on open. */
  #beforeOpen: (() => void) | undefined;
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #sendCb: (err?: Error) => void;

  constructor(ws: WebSocketLike, options: WebSocketDuplexOptions = {}) {
    const hwm = positiveInt("streamHighWaterMark", options.streamHighWaterMark, WEBSOCKET_STREAM_HIGH_WATER_MARK);
    super({ readableHighWaterMark: hwm, writableHighWaterMark: hwm, allowHalfOpen: false });
    this.ws = ws;
    this.#high = positiveInt("sendHighWaterMark", options.sendHighWaterMark, WEBSOCKET_SEND_HIGH_WATER_MARK);
    this.#low = Math.min(
      this.#high,
      positiveInt("sendLowWaterMark", options.sendLowWaterMark, WEBSOCKET_SEND_LOW_WATER_MARK),
    );
    this.#maxMessage = positiveInt("maxMessageBytes", options.maxMessageBytes, WEBSOCKET_MAX_MESSAGE_BYTES);
    this.#pollMs = positiveInt("drainPollMs", options.drainPollMs, WEBSOCKET_DRAIN_POLL_MS);
    this.#pausable = isPausable(ws) ? ws : undefined;
    // ws delivers Buffers as they are ("nodebuffer"); elsewhere ask for ArrayBuffer, never a Blob (async to read).
    ws.binaryType = this.#pausable !== undefined ? "nodebuffer" : "arraybuffer";
    this.#sendCb = (err) => {
      if (err !== undefined && err !== null) this.destroy(new WebSocketTransportError("send failed", { cause: err }));
      else this.#checkDrain();
    };
    // Listeners stay attached for the socket's life: `ws` throws an unheard 'error' from its EventEmitter.
    ws.addEventListener("open", () => this.#onOpen());
    ws.addEventListener("message", (ev) => this.#onMessage(ev));
    ws.addEventListener("close", (ev) => this.#onClose(ev));
    ws.addEventListener("error", (ev) => this.#onError(ev));
  }

  /** Bytes handed to the WebSocket and not yet on the network. */
  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  #onOpen(): void {
    const replay = this.#beforeOpen;
    this.#beforeOpen = undefined;
    replay?.();
  }

  #onMessage(ev: WebSocketMessageEventLike): void {
    if (this.destroyed) return;
    const bytes = messageBytes(ev.data);
    if (bytes === undefined) {
      const text = typeof ev.data === "string";
      this.destroy(
        new WebSocketProtocolError(
          text ? "ERR_WS_TEXT_FRAME" : "ERR_WS_UNSUPPORTED_DATA",
          text ? "a text message on a binary byte carrier" : "a message payload of an unsupported type",
          WS_CLOSE_UNSUPPORTED_DATA,
        ),
      );
      return;
    }
    if (bytes.length === 0) return;
    // ws's backpressure bridge: a full readable side stops reading the socket.
    if (!this.push(bytes)) this.#pausable?.pause();
  }

  #onClose(ev: WebSocketCloseEventLike): void {
    this.#stopPolling();
    const code = ev.code;
    if (this.destroyed) return;
    const clean = code === WS_CLOSE_NORMAL || code === WS_CLOSE_GOING_AWAY || code === WS_CLOSE_NO_STATUS;
    const reason = String(ev.reason);
    const held = this.#held;
    this.#held = undefined;
    if (!clean) {
      this.destroy(new WebSocketClosedError("ERR_WS_CLOSED", `the WebSocket closed with status ${code}`, code, reason));
      return;
    }
    // Data the writer thought was on its way did not leave: that is an error even on a clean close.
    if (held !== undefined) {
      held(new WebSocketClosedError("ERR_WS_WRITE_AFTER_CLOSE", "the WebSocket closed during a write", code, reason));
      return;
    }
    if (this.#beforeOpen !== undefined) {
      this.destroy(new WebSocketClosedError("ERR_WS_CLOSED", "the WebSocket closed before it opened", code, reason));
      return;
    }
    this.push(null);
  }

  #onError(ev: WebSocketErrorEventLike): void {
    if (this.destroyed) return;
    const message = ev.message ?? (ev.error instanceof Error ? ev.error.message : "WebSocket error");
    this.destroy(new WebSocketTransportError(message, { cause: ev.error }));
  }

  override _read(): void {
    const p = this.#pausable;
    if (p !== undefined && p.isPaused) p.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: Callback): void {
    this.#send(chunk, cb);
  }

  /** Queued small writes leave as one message (up to the message cap): fewer frames, same bytes. */
  override _writev(chunks: { chunk: Buffer }[], cb: Callback): void {
    this.#send(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  #send(data: Buffer, cb: Callback): void {
    const state = this.ws.readyState;
    if (state === CONNECTING) {
      this.#beforeOpen = () => this.#send(data, cb);
      return;
    }
    if (state !== OPEN) {
      cb(new WebSocketClosedError("ERR_WS_WRITE_AFTER_CLOSE", "write after the WebSocket closed", state));
      return;
    }
    try {
      for (let off = 0; off < data.length; off += this.#maxMessage) {
        const piece = data.subarray(off, off + this.#maxMessage);
        if (this.#pausable !== undefined) this.#pausable.send(piece, this.#sendCb);
        else this.ws.send(piece);
      }
    } catch (err) {
      cb(new WebSocketTransportError("send failed", { cause: err }));
      return;
    }
    if (this.ws.bufferedAmount <= this.#high) {
      cb();
      return;
    }
    this.#held = cb;
    this.#poll();
  }

  #poll(): void {
    this.#pollTimer = setTimeout(() => {
      this.#pollTimer = undefined;
      this.#checkDrain();
      if (this.#held !== undefined) this.#poll();
    }, this.#pollMs);
  }

  #stopPolling(): void {
    clearTimeout(this.#pollTimer);
    this.#pollTimer = undefined;
  }

  #checkDrain(): void {
    const held = this.#held;
    if (held === undefined || this.ws.bufferedAmount > this.#low) return;
    this.#held = undefined;
    this.#stopPolling();
    held();
  }

  override _final(cb: Callback): void {
    const state = this.ws.readyState;
    if (state === OPEN || state === CONNECTING) closeQuietly(this.ws, WS_CLOSE_NORMAL);
    cb();
  }

  override _destroy(err: Error | null, cb: Callback): void {
    this.#stopPolling();
    const held = this.#held;
    this.#held = undefined;
    this.#beforeOpen = undefined;
    const state = this.ws.readyState;
    if (state === OPEN || state === CONNECTING) {
      const code =
        err === null
          ? WS_CLOSE_NORMAL
          : err instanceof WebSocketProtocolError
            ? err.closeCode
            : WS_CLOSE_INTERNAL_ERROR;
      closeQuietly(this.ws, code);
    }
    held?.(err ?? new WebSocketClosedError("ERR_WS_WRITE_AFTER_CLOSE", "the carrier was destroyed", state));
    cb(err);
  }
}

/** Wraps an open (or opening) WebSocket as a byte Duplex; see WebSocketDuplex for the close mapping. */
export function webSocketDuplex(ws: WebSocketLike, options: WebSocketDuplexOptions = {}): WebSocketDuplex {
  return new WebSocketDuplex(ws, options);
}
