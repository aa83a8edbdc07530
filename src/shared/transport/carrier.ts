/**
 * A message carrier: what obfs4 rides on in a browser. Two adapters, coded
 * against the W3C shapes (STYLE principle 4) so one adapter serves the
 * browser's native objects, `ws` and werift:
 *
 * - WebSocket (WebSockets Standard §"The WebSocket interface"): send-side
 *   backpressure is `bufferedAmount`, which has no "low" event, so
 *   `drained()` polls it on a short timer (WEBSOCKET_DRAIN_POLL_MS).
 * - RTCDataChannel (WebRTC 1.0 §6.2): `bufferedAmount` with
 *   `bufferedAmountLowThreshold` and `bufferedamountlow`, no polling.
 *
 * Neither API can stop the peer from sending: receive-side bounds are the
 * connection's (connection.ts MAX_READ_BUFFER_BYTES). Text messages are a
 * protocol violation: our servers send binary only.
 */
import type { RTCDataChannelLike } from "./rtc-like.js";
import type { WebSocketLike } from "./websocket-like.js";
import { BrowserTransportError } from "./connection.js";

/** Largest message we send over a WebSocket: the webpt server's maxPayload is 64 KiB. */
export const WEBSOCKET_MAX_MESSAGE_BYTES = 64 * 1024;
/** Largest message we send over a DataChannel (the server's own limit; under every engine's max-message-size). */
export const DATACHANNEL_MAX_MESSAGE_BYTES = 64 * 1024;
/** A writer waits when the carrier holds more than this many unsent bytes… */
export const CARRIER_HIGH_WATER_BYTES = 1024 * 1024;
/** …until it falls to this. */
export const CARRIER_LOW_WATER_BYTES = 256 * 1024;
/** How often a waiting writer looks at a WebSocket's bufferedAmount. */
export const WEBSOCKET_DRAIN_POLL_MS = 2;
/** WebSocket close code for a normal close (RFC 6455 §7.4.1); browsers accept only 1000 and 3000–4999. */
export const WEBSOCKET_CLOSE_NORMAL = 1000;

export interface CarrierEvents {
  /** One binary message. */
  message(data: Uint8Array): void;
  /** The carrier closed; `error` when it failed (or sent text). Called once. */
  close(error?: Error): void;
}

export interface MessageCarrier {
  readonly kind: "websocket" | "webrtc";
  readonly maxMessageBytes: number;
  readonly bufferedAmount: number;
  readonly closed: boolean;
  /** Starts delivering events; what arrived before is delivered first, in order. Call once. */
  attach(events: CarrierEvents): void;
  send(data: Uint8Array): void;
  /** Resolves once bufferedAmount ≤ `low` (or the carrier closed). */
  drained(low: number): Promise<void>;
  close(): void;
}

/** Binary message data as bytes (ArrayBuffer, a view, or ws's fragment list), or null for text. */
export function messageBytes(data: unknown): Uint8Array | null {
  if (data instanceof ArrayBuffer) return new Uint8Array(data);
  if (ArrayBuffer.isView(data)) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  if (Array.isArray(data) && data.every((d) => ArrayBuffer.isView(d))) {
    const views = data as ArrayBufferView[];
    const out = new Uint8Array(views.reduce((n, v) => n + v.byteLength, 0));
    let off = 0;
    for (const v of views) {
      out.set(new Uint8Array(v.buffer, v.byteOffset, v.byteLength), off);
      off += v.byteLength;
    }
    return out;
  }
  return null;
}

/**
 * Shared bookkeeping: events that arrive before attach() are held (a server
 * may answer before the connection object exists: its list is bounded by
 * what the peer can send before our request, which for obfs4 is nothing).
 */
abstract class CarrierBase implements MessageCarrier {
  abstract readonly kind: "websocket" | "webrtc";
  abstract readonly maxMessageBytes: number;
  abstract readonly bufferedAmount: number;
  #events: CarrierEvents | null = null;
  #early: Uint8Array[] = [];
  #closed = false;
  #closeError: Error | undefined;
  #closeDelivered = false;
  protected drainWaiters: (() => void)[] = [];

  get closed(): boolean {
    return this.#closed;
  }

  attach(events: CarrierEvents): void {
    if (this.#events !== null) throw new TypeError("a carrier is attached once");
    this.#events = events;
    for (const m of this.#early.splice(0)) events.message(m);
    if (this.#closed) this.#deliverClose();
  }

  protected received(data: unknown): void {
    if (this.#closed) return;
    const bytes = messageBytes(data);
    if (bytes === null) {
      this.closeWith(new BrowserTransportError("ERR_TRANSPORT_TEXT_MESSAGE", "the carrier received a text message"));
      return;
    }
    if (this.#events === null) this.#early.push(bytes);
    else this.#events.message(bytes);
  }

  /** The carrier ended (error when it failed); releases waiters; reports once. */
  protected ended(error?: Error): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closeError = error;
    for (const w of this.drainWaiters.splice(0)) w();
    if (this.#events !== null) this.#deliverClose();
  }

  #deliverClose(): void {
    if (this.#closeDelivered) return;
    this.#closeDelivered = true;
    this.#events!.close(this.#closeError);
  }

  protected closeWith(error: Error): void {
    this.ended(error);
    this.closeUnderlying();
  }

  close(): void {
    this.ended();
    this.closeUnderlying();
  }

  protected abstract closeUnderlying(): void;
  abstract send(data: Uint8Array): void;
  abstract drained(low: number): Promise<void>;
}

class WebSocketCarrier extends CarrierBase {
  readonly kind = "websocket" as const;
  readonly maxMessageBytes = WEBSOCKET_MAX_MESSAGE_BYTES;
  readonly #ws: WebSocketLike;

  constructor(ws: WebSocketLike) {
    super();
    this.#ws = ws;
    ws.binaryType = "arraybuffer";
    ws.addEventListener("message", (e) => this.received(e.data));
    ws.addEventListener("close", (e) =>
      this.ended(
        e.code === WEBSOCKET_CLOSE_NORMAL || e.code === 1005
          ? undefined
          : new BrowserTransportError("ERR_TRANSPORT_CARRIER", `the WebSocket closed with code ${e.code}`),
      ),
    );
    ws.addEventListener("error", () =>
      this.ended(new BrowserTransportError("ERR_TRANSPORT_CARRIER", "the WebSocket failed")),
    );
  }

  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  send(data: Uint8Array): void {
    if (this.closed) throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the WebSocket is closed");
    this.#ws.send(data);
  }

  drained(low: number): Promise<void> {
    if (this.closed || this.#ws.bufferedAmount <= low) return Promise.resolve();
    return new Promise((resolve) => {
      this.drainWaiters.push(resolve);
      const poll = (): void => {
        if (this.closed) return; // ended() resolved us
        if (this.#ws.bufferedAmount <= low) {
          const i = this.drainWaiters.indexOf(resolve);
          if (i >= 0) this.drainWaiters.splice(i, 1);
          resolve();
        } else setTimeout(poll, WEBSOCKET_DRAIN_POLL_MS);
      };
      setTimeout(poll, WEBSOCKET_DRAIN_POLL_MS);
    });
  }

  protected closeUnderlying(): void {
    try {
      this.#ws.close(WEBSOCKET_CLOSE_NORMAL);
    } catch {
      // already closing
    }
  }
}

class DataChannelCarrier extends CarrierBase {
  readonly kind = "webrtc" as const;
  readonly maxMessageBytes = DATACHANNEL_MAX_MESSAGE_BYTES;
  readonly #channel: RTCDataChannelLike;
  readonly #onClose: () => void;
  #onCloseCalled = false;

  /** `onClose` runs once the channel is done (the dialer closes its peer connection there). */
  constructor(channel: RTCDataChannelLike, onClose?: () => void) {
    super();
    this.#channel = channel;
    this.#onClose = () => {
      if (this.#onCloseCalled) return;
      this.#onCloseCalled = true;
      onClose?.();
    };
    channel.binaryType = "arraybuffer";
    channel.onmessage = (e) => this.received(e.data);
    channel.onbufferedamountlow = () => {
      for (const w of this.drainWaiters.splice(0)) w();
    };
    channel.onclose = () => {
      this.ended();
      this.#onClose();
    };
    channel.onerror = (e) =>
      this.ended(
        new BrowserTransportError("ERR_TRANSPORT_CARRIER", "the data channel failed", { cause: e.error ?? e }),
      );
    if (channel.readyState === "closed") this.ended();
  }

  get bufferedAmount(): number {
    return this.#channel.bufferedAmount;
  }

  send(data: Uint8Array): void {
    if (this.closed) throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the data channel is closed");
    this.#channel.send(data);
  }

  drained(low: number): Promise<void> {
    if (this.closed || this.#channel.bufferedAmount <= low) return Promise.resolve();
    this.#channel.bufferedAmountLowThreshold = low;
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  protected closeUnderlying(): void {
    try {
      this.#channel.close();
    } catch {
      // already closed
    }
    this.#onClose();
  }
}

/** Wraps an OPEN WebSocket (see dial.ts for opening one). */
export function webSocketCarrier(ws: WebSocketLike): MessageCarrier {
  return new WebSocketCarrier(ws);
}

/** Wraps a DataChannel (open, or opening: messages are held until attach()). */
export function dataChannelCarrier(channel: RTCDataChannelLike, onClose?: () => void): MessageCarrier {
  return new DataChannelCarrier(channel, onClose);
}
