/**
 * The structural WebSocket shape every carrier adapter codes against: the
 * W3C WebSocket interface (WHATWG HTML §9.3 / the WebSockets Living
 * Standard), cut down to what carrying a byte stream needs. The browser's
 * native `WebSocket`, Node's `ws` and undici's WebSocket all satisfy it, so a
 * single adapter per runtime wraps any of them (js-libp2p's pattern).
 *
 * Types only: no implementation, no DOM or Node types (src/shared is
 * runtime-neutral), so it compiles under tsconfig.shared.json.
 */

/** `readyState` values (WebSockets standard §"The WebSocket interface"): CONNECTING, OPEN, CLOSING, CLOSED. */
export type WebSocketReadyState = 0 | 1 | 2 | 3;

/** The payload a binary message may arrive as, depending on `binaryType`. */
export type WebSocketBinaryData = ArrayBuffer | ArrayBufferView | readonly ArrayBufferView[];

/**
 * A `message` event. `data` is a string for a text frame (opcode 0x1) in
 * every implementation, which is how an adapter tells text from binary
 * without the opcode.
 */
export interface WebSocketMessageEventLike {
  readonly data: unknown;
}

/** A `close` event: the peer's status code (RFC 6455 §7.4) and reason. */
export interface WebSocketCloseEventLike {
  readonly code: number;
  readonly reason: string | { toString(): string };
  readonly wasClean: boolean;
}

/** An `error` event. Browsers say nothing more; `ws` adds the underlying `error`. */
export interface WebSocketErrorEventLike {
  readonly error?: unknown;
  readonly message?: string;
}

export interface WebSocketEventMapLike {
  open: unknown;
  message: WebSocketMessageEventLike;
  close: WebSocketCloseEventLike;
  error: WebSocketErrorEventLike;
}

/** The W3C WebSocket surface a byte carrier needs. */
export interface WebSocketLike {
  /** "arraybuffer" in browsers; `ws` also has "nodebuffer" (its default, zero-copy on Node). */
  binaryType: string;
  /** Bytes queued by `send()` and not yet handed to the network: the only send-side backpressure signal. */
  readonly bufferedAmount: number;
  readonly readyState: number;
  send(data: Uint8Array): void;
  /** Browsers accept only 1000 or 3000–4999 here; `ws` also accepts the RFC 6455 §7.4.1 codes. */
  close(code?: number, reason?: string): void;
  addEventListener<K extends keyof WebSocketEventMapLike>(
    type: K,
    listener: (event: WebSocketEventMapLike[K]) => void,
  ): void;
}

/**
 * What Node's `ws` adds and an adapter uses when present: a per-send
 * completion callback (so send backpressure needs no polling) and
 * `pause()`/`resume()` of the underlying socket (so receive backpressure
 * reaches TCP). Browsers have neither.
 */
export interface PausableWebSocketLike extends WebSocketLike {
  send(data: Uint8Array, cb?: (err?: Error) => void): void;
  pause(): void;
  resume(): void;
  readonly isPaused: boolean;
}
