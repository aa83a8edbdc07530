/**
 * What both HTTP-borne carriers (the WebSocket server and the WebRTC
 * signaling endpoint) need from an HTTP(S) server that must look like an
 * ordinary small web site: a secret path compared in constant time, the
 * slowloris timeouts and size limits applied to servers we create, TLS from
 * PEM, and listen/close with our backlog.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import { LISTEN_BACKLOG } from "../net/listen.js";

/** A client must finish its request headers within this (Node's `headersTimeout`; slowloris defence). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A client must finish its whole request within this (Node's `requestTimeout`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks the two timeouts above; only settable on servers we create (Node default 30 s). */
export const DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;
/** Request header bytes (Node's `maxHeaderSize`, default 16 KiB) on servers we create; a browser's request is < 1 KiB. */
export const MAX_HTTP_HEADER_BYTES = 8 * 1024;
/** TCP connections at once (`server.maxConnections`); past it Node drops new ones. */
export const DEFAULT_MAX_CONNECTIONS = 4096;

export interface HttpLimitOptions {
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Only for servers created by `listen()`. */
  readonly connectionsCheckingIntervalMs?: number;
  readonly maxConnections?: number;
}

export interface HttpLimits {
  readonly headersTimeout: number;
  readonly requestTimeout: number;
  readonly checkingInterval: number;
  readonly maxConnections: number;
}

export interface TlsPem {
  readonly cert: string | Uint8Array;
  readonly key: string | Uint8Array;
}

export function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return n;
}

/** Validates the limits (throws RangeError) and fills in the defaults. */
export function httpLimits(options: HttpLimitOptions): HttpLimits {
  const headersTimeout = positiveInt("headersTimeoutMs", options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS);
  const requestTimeout = positiveInt("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  if (headersTimeout > requestTimeout) throw new RangeError("headersTimeoutMs must not exceed requestTimeoutMs");
  return {
    headersTimeout,
    requestTimeout,
    checkingInterval: positiveInt(
      "connectionsCheckingIntervalMs",
      options.connectionsCheckingIntervalMs,
      DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
    ),
    maxConnections: positiveInt("maxConnections", options.maxConnections, DEFAULT_MAX_CONNECTIONS),
  };
}

/** An absolute URL path of RFC 3986 §3.3 characters only (no query, fragment, space or control byte), not `/`. */
export function isSecretPathSyntax(path: string, maxLength: number): boolean {
  return (
    path.length > 1 &&
    path.length <= maxLength &&
    path.startsWith("/") &&
    /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$/.test(path)
  );
}

const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/**
 * Whether a request URL's path is `secret`: both are hashed first, so the
 * comparison is constant-time and leaks neither content nor length.
 */
export function secretPathMatcher(secret: string): (url: string | undefined) => boolean {
  const want = digest(secret);
  return (url) => timingSafeEqual(digest((url ?? "").split("?", 1)[0]!), want);
}

const toPem = (v: string | Uint8Array): string | Buffer => (typeof v === "string" ? v : Buffer.from(v));

/** An HTTP server (HTTPS with `tls`) with our timeouts and limits. */
export function createHttpServer(
  limits: HttpLimits,
  tls: TlsPem | undefined,
  handler?: http.RequestListener,
): http.Server {
  const common = {
    headersTimeout: limits.headersTimeout,
    requestTimeout: limits.requestTimeout,
    connectionsCheckingInterval: limits.checkingInterval,
    maxHeaderSize: MAX_HTTP_HEADER_BYTES,
  };
  const server =
    tls === undefined
      ? http.createServer(common, handler)
      : https.createServer({ ...common, cert: toPem(tls.cert), key: toPem(tls.key) }, handler);
  server.maxConnections = limits.maxConnections;
  return server;
}

export function listenHttp(server: http.Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve(server.address() as AddressInfo);
    });
  });
}

/** Stops the servers and drops every connection they hold. */
export async function closeHttpServers(servers: readonly http.Server[]): Promise<void> {
  await Promise.all(
    servers.map(
      (server) =>
        new Promise<void>((resolve) => {
          server.close(() => resolve());
          server.closeAllConnections();
        }),
    ),
  );
}
