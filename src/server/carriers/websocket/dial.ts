/**
 * The WebSocket carrier's client side: open a `ws` connection to a carrier
 * server's secret URL and return it as a byte Duplex once it is open. Every
 * dial is bounded by `timeoutMs` and cancellable with an AbortSignal.
 */
import type { OutgoingHttpHeaders } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import tls, { type SecureContextOptions } from "node:tls";
import { WebSocket } from "ws";
import { AbortError, TimeoutError } from "../../../shared/errors.js";
import { webSocketDuplex, type WebSocketDuplex, type WebSocketDuplexOptions } from "./duplex.js";
import { WebSocketDialError, WebSocketTransportError } from "./errors.js";
import { DEFAULT_WEBSOCKET_MAX_PAYLOAD } from "./server.js";

/** TCP connect, TLS and the HTTP upgrade together. */
export const DEFAULT_WEBSOCKET_DIAL_TIMEOUT_MS = 30_000;

export interface DialWebSocketOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  /** Extra request headers (e.g. a browser-like User-Agent, Origin); cannot replace the handshake's own. */
  readonly headers?: OutgoingHttpHeaders;
  /** Largest message accepted from the server (default 64 KiB, as the server's). */
  readonly maxPayload?: number;
  /** For wss: the CA that signed the server's certificate (tests use a self-signed one). */
  readonly ca?: SecureContextOptions["ca"];
  readonly duplex?: WebSocketDuplexOptions;
  /**
   * An already connected TCP socket to the server (for instance through an
   * upstream proxy) to run the WebSocket over; TLS is added for wss:.
   */
  readonly socket?: net.Socket;
}

function parseUrl(url: string | URL): URL {
  let u: URL;
  try {
    u = new URL(url);
  } catch (err) {
    throw new WebSocketDialError("ERR_WS_BAD_URL", "not a URL", undefined, { cause: err });
  }
  if (u.protocol !== "ws:" && u.protocol !== "wss:") {
    throw new WebSocketDialError("ERR_WS_BAD_URL", `not a ws: or wss: URL (${u.protocol})`);
  }
  if (u.hash !== "") throw new WebSocketDialError("ERR_WS_BAD_URL", "a WebSocket URL has no fragment");
  return u;
}

/** ws's `createConnection` hook: our socket as it is (ws:), or wrapped in TLS (wss:). */
function overSocket(target: URL, socket: net.Socket, ca: DialWebSocketOptions["ca"]): () => Duplex {
  return () => {
    if (target.protocol !== "wss:") return socket;
    const host = target.hostname.replace(/^\[|\]$/g, "");
    return tls.connect({
      socket,
      ...(net.isIP(host) === 0 ? { servername: host } : {}),
      ...(ca === undefined ? {} : { ca }),
    });
  };
}

/** Resolves with an open carrier; rejects with WebSocketDialError, TimeoutError or AbortError. */
export function dialWebSocket(url: string | URL, options: DialWebSocketOptions = {}): Promise<WebSocketDuplex> {
  return new Promise((resolve, reject) => {
    const target = parseUrl(url);
    if (options.signal?.aborted === true) {
      throw new AbortError("WebSocket dial aborted", { cause: options.signal.reason });
    }
    const timeoutMs = options.timeoutMs ?? DEFAULT_WEBSOCKET_DIAL_TIMEOUT_MS;
    const ws = new WebSocket(target, {
      perMessageDeflate: false,
      maxPayload: options.maxPayload ?? DEFAULT_WEBSOCKET_MAX_PAYLOAD,
      handshakeTimeout: timeoutMs,
      followRedirects: false,
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.socket === undefined ? {} : { createConnection: overSocket(target, options.socket, options.ca) }),
    });
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      ws.terminate();
      reject(err);
    };
    const timer = setTimeout(() => fail(new TimeoutError(`WebSocket dial timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => fail(new AbortError("WebSocket dial aborted", { cause: options.signal?.reason }));
    const onError = (err: Error): void =>
      fail(
        new WebSocketDialError("ERR_WS_DIAL_FAILED", `WebSocket dial failed: ${err.message}`, undefined, {
          cause: err,
        }),
      );
    const cleanup = (): void => {
      clearTimeout(timer);
      options.signal?.removeEventListener("abort", onAbort);
    };
    options.signal?.addEventListener("abort", onAbort, { once: true });
    // Kept for the socket's life: `ws` throws an unheard 'error'. Once open, the Duplex reports errors.
    ws.on("error", onError);
    ws.once("unexpected-response", (req, res) => {
      req.destroy();
      res.destroy();
      fail(
        new WebSocketDialError(
          "ERR_WS_UNEXPECTED_RESPONSE",
          `the server answered HTTP ${res.statusCode}`,
          res.statusCode,
        ),
      );
    });
    ws.once("open", () => {
      if (settled) return;
      settled = true;
      cleanup();
      resolve(webSocketDuplex(ws, options.duplex));
    });
    ws.once("close", () => fail(new WebSocketTransportError("the WebSocket closed during the dial")));
  });
}
