/**
 * The browser-native connection shape the Transport API hands out, the one
 * the Direct Sockets API (`TCPSocket`) and `WebSocketStream` use:
 *
 *     const conn = connector.createConnection();
 *     const { readable, writable } = await conn.opened;   // obfs4 (and SOCKS) done
 *     await writable.getWriter().write(bytes);
 *     for await (const chunk of readable) …;               // or readable.getReader()
 *     await conn.close();
 *
 * `readable` and `writable` exist at once (as on a TCPSocket's open info);
 * writes made before `opened` settles wait, with backpressure, and reads see
 * the first bytes the far end sends. obfs4 has no half-close on the wire, so
 * closing `writable` only stops writing: the connection stays up to read
 * until the far end closes or `close()` is called.
 *
 * Errors are project errors (`WebptError` with a stable `code`), and cross
 * extension messaging as plain objects (`toJSON()`).
 */
import { WebptError, LimitError } from "../errors.js";
import type { ReadableStreamLike, WritableStreamLike } from "./streams-like.js";

/** What the browser carriers are called (the settings' transport names). */
export type BrowserTransportName = "websocket" | "webrtc";

export interface ConnectionInfo {
  readonly readable: ReadableStreamLike<Uint8Array>;
  readonly writable: WritableStreamLike<Uint8Array>;
  /** The carrier the connection runs over. */
  readonly transport: BrowserTransportName;
  /** Free mode: the destination the bridge connected to ("host:port"); absent when bound. */
  readonly destination?: string;
}

export interface BrowserConnectionStats {
  readonly transport: BrowserTransportName;
  readonly state: "connecting" | "open" | "closed";
  /** Payload bytes written by us and handed to the carrier (after obfs4 framing: `carrierBytesSent`). */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly carrierBytesSent: number;
  readonly carrierBytesReceived: number;
  /** Milliseconds from creation to `opened`; undefined until then. */
  readonly connectMs: number | undefined;
}

export interface BrowserConnection {
  readonly readable: ReadableStreamLike<Uint8Array>;
  readonly writable: WritableStreamLike<Uint8Array>;
  /** Resolves once the connection carries application bytes; rejects with the dial's error. */
  readonly opened: Promise<ConnectionInfo>;
  /** Resolves when the connection has closed cleanly; rejects with the error that closed it. */
  readonly closed: Promise<void>;
  /** Closes both directions (data already received stays readable); resolves like `closed` but never rejects. */
  close(): Promise<void>;
  getStats(): BrowserConnectionStats;
}

export type BrowserTransportErrorCode =
  | "ERR_TRANSPORT_CLOSED"
  | "ERR_TRANSPORT_CARRIER"
  | "ERR_TRANSPORT_DIAL"
  | "ERR_TRANSPORT_TEXT_MESSAGE"
  | "ERR_TRANSPORT_SETTINGS"
  | "ERR_TRANSPORT_UNSUPPORTED"
  | "ERR_TRANSPORT_SIGNALING"
  | "ERR_TRANSPORT_SOCKS";

/** A connection-level failure of the browser Transport API. */
export class BrowserTransportError extends WebptError {
  override name = "BrowserTransportError";
  declare readonly code: BrowserTransportErrorCode;
}

/**
 * Bytes received that nobody read. WebSocket and RTCDataChannel cannot stop
 * the peer from sending (they have no receive-side flow control), so a
 * reader that stalls costs memory; past this many buffered bytes the
 * connection fails with ERR_TRANSPORT_READ_BUFFER rather than grow.
 */
export const MAX_READ_BUFFER_BYTES = 16 * 1024 * 1024;

/** The readable's high-water mark: what a reader that keeps up has queued at most. */
export const READ_HIGH_WATER_BYTES = 256 * 1024;

/** The writable's high-water mark: a writer's `ready` waits above this. */
export const WRITE_HIGH_WATER_BYTES = 256 * 1024;

export function readBufferError(buffered: number): LimitError {
  return new LimitError(
    "ERR_TRANSPORT_READ_BUFFER",
    `${buffered} received bytes were not read (limit ${MAX_READ_BUFFER_BYTES})`,
    MAX_READ_BUFFER_BYTES,
  );
}

/** Any thrown value as an Error to reject or error a stream with. */
export function asError(e: unknown): Error {
  return e instanceof Error ? e : new Error(String(e));
}
