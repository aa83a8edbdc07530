/**
 * The stream protocol between a web app and the webpt extension (and, inside
 * the extension, between a Chrome service worker and its offscreen
 * document): many byte streams over one message port, with credit-based
 * flow control so that no hop ever queues without bound.
 *
 *   client → host  {t:"open", id, req}            open stream `id` (ConnectRequest)
 *   host → client  {t:"opened", id, info}         it carries bytes now
 *   both           {t:"data", id, b}              bytes (at most MAX_PORT_CHUNK_BYTES)
 *   both           {t:"credit", id, n}            the receiver consumed n more bytes
 *   both           {t:"end", id}                  the sender will send no more data
 *   both           {t:"close", id, error?}        the stream is over (error: ErrorData)
 *
 * Flow control: each side may have at most PORT_WINDOW_BYTES of data sent
 * and not yet credited back; the receiver credits bytes once they have left
 * its hands (read by the app, or written into the connection), in batches of
 * PORT_CREDIT_BATCH_BYTES. A peer that sends past its window, or anything not
 * in this grammar, is a protocol error that closes the whole port.
 *
 * Messages are plain data: through a MessagePort (structured clone) `b` is a
 * Uint8Array; through Chrome's runtime ports (JSON) the extension's adapter
 * turns it into base64 and back.
 */
import { ProtocolError, type ErrorData } from "../errors.js";

export const PORT_PROTOCOL_VERSION = 1;
/** Unacknowledged bytes a sender may have in flight per stream and direction. */
export const PORT_WINDOW_BYTES = 1024 * 1024;
/** Receivers return credit in batches of this (or when the last queued bytes leave). */
export const PORT_CREDIT_BATCH_BYTES = 128 * 1024;
/** Largest `b` in one data message. */
export const MAX_PORT_CHUNK_BYTES = 64 * 1024;
/** Streams open at once on one port. */
export const MAX_PORT_STREAMS = 64;
/** Longest string field in a ConnectRequest (a share link is the longest thing it carries). */
export const MAX_REQUEST_FIELD_LENGTH = 4096;
/** Stream ids are 1 … MAX_STREAM_ID. */
export const MAX_STREAM_ID = 0x7fffffff;

/** What a web app asks for (`connect()`). Every field is optional. */
export interface ConnectRequest {
  /** "websocket" or "webrtc": the user's bridge of that carrier (default: the user's active bridge). */
  readonly transport?: string;
  /** The app's own bridge, as a bridge line or web+webpt:// share link (instead of the user's). */
  readonly bridge?: string;
  /** Free mode: "host:port" to reach through the bridge (SOCKS5 inside the tunnel). */
  readonly destination?: string;
  /**
   * Inside the extension only (service worker → offscreen document): "manual"
   * for copy-paste signaling, and who asked, for the person. A host serving
   * web apps ignores both.
   */
  readonly signaling?: string;
  readonly purpose?: string;
}

/** What `opened` reports across the port (never anything about the user's bridge). */
export interface OpenedInfo {
  readonly transport: string;
  readonly destination?: string;
}

export type PortMessage =
  | { readonly t: "open"; readonly id: number; readonly req: ConnectRequest }
  | { readonly t: "opened"; readonly id: number; readonly info: OpenedInfo }
  | { readonly t: "data"; readonly id: number; readonly b: Uint8Array }
  | { readonly t: "credit"; readonly id: number; readonly n: number }
  | { readonly t: "end"; readonly id: number }
  | { readonly t: "close"; readonly id: number; readonly error?: ErrorData };

/** The port broke the grammar or its window. */
export class PortProtocolError extends ProtocolError {
  override name = "PortProtocolError";
  constructor(message: string) {
    super("ERR_PORT_PROTOCOL", message);
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function shortString(v: unknown, what: string): string | undefined {
  if (v === undefined) return undefined;
  if (typeof v !== "string" || v.length > MAX_REQUEST_FIELD_LENGTH) {
    throw new PortProtocolError(`${what} must be a string of at most ${MAX_REQUEST_FIELD_LENGTH} characters`);
  }
  return v;
}

function parseRequest(v: unknown): ConnectRequest {
  if (!isObject(v)) throw new PortProtocolError("req must be an object");
  const transport = shortString(v.transport, "req.transport");
  const bridge = shortString(v.bridge, "req.bridge");
  const destination = shortString(v.destination, "req.destination");
  const signaling = shortString(v.signaling, "req.signaling");
  const purpose = shortString(v.purpose, "req.purpose");
  return {
    ...(transport === undefined ? {} : { transport }),
    ...(bridge === undefined ? {} : { bridge }),
    ...(destination === undefined ? {} : { destination }),
    ...(signaling === undefined ? {} : { signaling }),
    ...(purpose === undefined ? {} : { purpose }),
  };
}

function parseErrorData(v: unknown): ErrorData {
  if (!isObject(v)) throw new PortProtocolError("error must be an object");
  const name = shortString(v.name, "error.name") ?? "Error";
  const code = shortString(v.code, "error.code") ?? "ERR_UNKNOWN";
  const message = shortString(v.message, "error.message") ?? "";
  const out: Record<string, unknown> = { name, code, message };
  for (const k of ["limit", "reply"] as const) if (typeof v[k] === "number") out[k] = v[k];
  return out as unknown as ErrorData;
}

/**
 * Checks an untrusted message against the grammar and returns a clean copy
 * (only the known fields). Throws PortProtocolError. `b` must already be a
 * Uint8Array (adapters decode their wire form first).
 */
export function parsePortMessage(raw: unknown): PortMessage {
  if (!isObject(raw)) throw new PortProtocolError("a port message is an object");
  const id = raw.id;
  if (typeof id !== "number" || !Number.isInteger(id) || id < 1 || id > MAX_STREAM_ID) {
    throw new PortProtocolError("id must be an integer in 1…2^31-1");
  }
  switch (raw.t) {
    case "open":
      return { t: "open", id, req: parseRequest(raw.req) };
    case "opened": {
      if (!isObject(raw.info)) throw new PortProtocolError("info must be an object");
      const transport = shortString(raw.info.transport, "info.transport") ?? "";
      const destination = shortString(raw.info.destination, "info.destination");
      return { t: "opened", id, info: { transport, ...(destination === undefined ? {} : { destination }) } };
    }
    case "data": {
      const b = raw.b;
      if (!(b instanceof Uint8Array) || b.length === 0 || b.length > MAX_PORT_CHUNK_BYTES) {
        throw new PortProtocolError(`b must be 1…${MAX_PORT_CHUNK_BYTES} bytes`);
      }
      return { t: "data", id, b };
    }
    case "credit": {
      const n = raw.n;
      if (typeof n !== "number" || !Number.isInteger(n) || n < 1 || n > PORT_WINDOW_BYTES) {
        throw new PortProtocolError(`n must be an integer in 1…${PORT_WINDOW_BYTES}`);
      }
      return { t: "credit", id, n };
    }
    case "end":
      return { t: "end", id };
    case "close":
      return raw.error === undefined ? { t: "close", id } : { t: "close", id, error: parseErrorData(raw.error) };
    default:
      throw new PortProtocolError("unknown message type");
  }
}

/** An error as plain data for the port (WebptError.toJSON() where there is one). */
export function errorData(e: unknown): ErrorData {
  const err = e as { name?: unknown; code?: unknown; message?: unknown; toJSON?: () => unknown };
  if (typeof err?.toJSON === "function") {
    const j = err.toJSON();
    if (isObject(j) && typeof j.code === "string") return parseErrorData(j);
  }
  return {
    name: typeof err?.name === "string" ? err.name : "Error",
    code: typeof err?.code === "string" ? err.code : "ERR_UNKNOWN",
    message: typeof err?.message === "string" ? err.message.slice(0, MAX_REQUEST_FIELD_LENGTH) : String(e),
  };
}
