/**
 * The WebSocket carrier's server side: an HTTP(S) server that looks like a
 * small web site, where a well-formed WebSocket upgrade (RFC 6455 §4.2.1) on
 * one secret path becomes a byte carrier handed to `onConnection` (which
 * typically passes it to the obfs4 server engine). Everything else gets the
 * cover site (cover.ts): probing the server reveals nothing.
 */
import { LISTEN_BACKLOG } from "../../net/listen.js";
import { createHash, timingSafeEqual } from "node:crypto";
import http from "node:http";
import https from "node:https";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import { TrustedProxies, resolveClientAddress, type ClientAddressInfo } from "./client-address.js";
import { createCoverResponder, respondOnSocket, type CoverPage } from "./cover.js";
import { webSocketDuplex, type WebSocketDuplex, type WebSocketDuplexOptions } from "./duplex.js";
import { WebSocketConfigError } from "./errors.js";

/** Largest message we accept (ws's `maxPayload`; larger closes with 1009). obfs4 frames are at most 1448 bytes. */
export const DEFAULT_WEBSOCKET_MAX_PAYLOAD = 64 * 1024;
/** A client must finish its request headers within this (Node's `headersTimeout`; slowloris defence). */
export const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
/** A client must finish its whole request within this (Node's `requestTimeout`). */
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
/** How often Node checks the two timeouts above; only settable on servers we create (Node default 30 s). */
export const DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS = 1_000;
/** Request header bytes (Node's `maxHeaderSize`, default 16 KiB) on servers we create; a browser's upgrade is < 1 KiB. */
export const MAX_HTTP_HEADER_BYTES = 8 * 1024;
/** TCP connections at once, carriers included (`server.maxConnections`); past it Node drops new ones. */
export const DEFAULT_MAX_CONNECTIONS = 4096;
/** Carrier connections at once; past it an upgrade is answered like any unknown path. */
export const DEFAULT_MAX_CARRIERS = 4096;
/** Length of the secret path, in characters. */
export const MAX_SECRET_PATH_LENGTH = 512;

export type WebSocketConnectionInfo = ClientAddressInfo;

export interface WebSocketCarrierServerOptions {
  /** The secret path, e.g. `/3f9c…`; `/` is the cover page and cannot be it. */
  readonly path: string;
  readonly onConnection: (duplex: WebSocketDuplex, info: WebSocketConnectionInfo) => void;
  readonly maxPayload?: number;
  /** IPs and CIDR prefixes whose X-Forwarded-For is believed (a reverse proxy in front of us). */
  readonly trustedProxies?: readonly string[];
  readonly coverPage?: CoverPage;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  /** Only for servers created by `listen()`. */
  readonly connectionsCheckingIntervalMs?: number;
  readonly maxConnections?: number;
  readonly maxCarriers?: number;
  readonly duplex?: WebSocketDuplexOptions;
}

export interface WebSocketListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
}

export interface WebSocketCarrierCounters {
  /** Upgrades that became carriers. */
  accepted: number;
  /** Upgrade or CONNECT requests answered with the cover site instead. */
  declined: number;
}

export interface WebSocketCarrierServer {
  readonly counters: WebSocketCarrierCounters;
  /** Carriers open now. */
  readonly activeCarriers: number;
  /**
   * Serves carriers on an existing server: takes its 'upgrade' and 'connect'
   * events, serves the cover site unless the server already has a request
   * handler, and applies the timeouts and connection limit.
   */
  attach(server: http.Server | https.Server): void;
  /** Creates, attaches and starts an HTTP server (HTTPS with `tls`); resolves with the bound address. */
  listen(options: WebSocketListenOptions): Promise<AddressInfo>;
  /** The cover site, for a server that routes its own requests. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Closes every carrier, detaches from attached servers and closes the one `listen()` created. */
  close(): Promise<void>;
}

function checkPath(path: string): string {
  const ok =
    path.length > 1 &&
    path.length <= MAX_SECRET_PATH_LENGTH &&
    path.startsWith("/") &&
    // RFC 3986 §3.3 path characters only: no query, fragment, space or control byte.
    /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/]|%[0-9A-Fa-f]{2})+$/.test(path);
  if (!ok) throw new WebSocketConfigError("ERR_WS_SECRET_PATH", "the secret path must be an absolute URL path, not /");
  return path;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return n;
}

const toPem = (v: string | Uint8Array): string | Buffer => (typeof v === "string" ? v : Buffer.from(v));
const digest = (s: string): Buffer => createHash("sha256").update(s).digest();

/** RFC 6455 §4.2.1 client handshake requirements, checked before `ws` sees the request (its refusals are wordy). */
function isWellFormedUpgrade(req: http.IncomingMessage): boolean {
  const h = req.headers;
  if (req.method !== "GET" || req.httpVersion !== "1.1") return false;
  if (h.upgrade?.toLowerCase() !== "websocket") return false;
  if (h["sec-websocket-version"] !== "13") return false;
  const key = h["sec-websocket-key"];
  if (key === undefined || !/^[+/0-9A-Za-z]{21}[AQgw]==$/.test(key)) return false;
  const protocols = h["sec-websocket-protocol"];
  // RFC 6455 §4.1: a comma-separated list of RFC 2616 tokens.
  if (
    protocols !== undefined &&
    !/^[!#$%&'*+\-.^_`|~0-9A-Za-z]+(?:\s*,\s*[!#$%&'*+\-.^_`|~0-9A-Za-z]+)*$/.test(protocols)
  )
    return false;
  return true;
}

export function createWebSocketCarrierServer(options: WebSocketCarrierServerOptions): WebSocketCarrierServer {
  const secret = digest(checkPath(options.path));
  const trusted = TrustedProxies.parse(options.trustedProxies ?? []);
  const maxPayload = positiveInt("maxPayload", options.maxPayload, DEFAULT_WEBSOCKET_MAX_PAYLOAD);
  const headersTimeout = positiveInt("headersTimeoutMs", options.headersTimeoutMs, DEFAULT_HEADERS_TIMEOUT_MS);
  const requestTimeout = positiveInt("requestTimeoutMs", options.requestTimeoutMs, DEFAULT_REQUEST_TIMEOUT_MS);
  if (headersTimeout > requestTimeout) throw new RangeError("headersTimeoutMs must not exceed requestTimeoutMs");
  const checkingInterval = positiveInt(
    "connectionsCheckingIntervalMs",
    options.connectionsCheckingIntervalMs,
    DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
  );
  const maxConnections = positiveInt("maxConnections", options.maxConnections, DEFAULT_MAX_CONNECTIONS);
  const maxCarriers = positiveInt("maxCarriers", options.maxCarriers, DEFAULT_MAX_CARRIERS);
  const cover = createCoverResponder(options.coverPage);
  const duplexOptions = options.duplex ?? {};
  // noServer: we decide which upgrades it sees. No compression (it would leak lengths and cost CPU), no
  // client tracking (we keep our own set), and the reply carries no subprotocol.
  const wss = new WebSocketServer({ noServer: true, maxPayload, perMessageDeflate: false, clientTracking: false });
  const carriers = new Set<WebSocket>();
  const attached = new Map<http.Server, { upgrade: UpgradeListener; connect: UpgradeListener; request?: RequestL }>();
  const owned: http.Server[] = [];
  const counters: WebSocketCarrierCounters = { accepted: 0, declined: 0 };

  type UpgradeListener = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => void;
  type RequestL = (req: http.IncomingMessage, res: http.ServerResponse) => void;

  const isSecretPath = (url: string | undefined): boolean => {
    const path = (url ?? "").split("?", 1)[0]!;
    // Hash first so the comparison is constant-time and leaks neither content nor length.
    return timingSafeEqual(digest(path), secret);
  };

  const decline = (req: http.IncomingMessage, socket: Duplex): void => {
    counters.declined++;
    respondOnSocket(req, socket, cover);
  };

  const onUpgrade: UpgradeListener = (req, socket, head) => {
    socket.on("error", () => socket.destroy());
    if (!isSecretPath(req.url) || !isWellFormedUpgrade(req) || carriers.size >= maxCarriers) {
      decline(req, socket);
      return;
    }
    const info = resolveClientAddress(
      req.socket.remoteAddress,
      req.socket.remotePort,
      req.headers["x-forwarded-for"],
      trusted,
    );
    wss.handleUpgrade(req, socket, head, (ws) => {
      counters.accepted++;
      carriers.add(ws);
      ws.once("close", () => carriers.delete(ws));
      options.onConnection(webSocketDuplex(ws, duplexOptions), info);
    });
  };

  const limit = (server: http.Server): void => {
    server.headersTimeout = headersTimeout;
    server.requestTimeout = requestTimeout;
    server.maxConnections = maxConnections;
  };

  const attach = (server: http.Server): void => {
    if (attached.has(server)) return;
    const entry: { upgrade: UpgradeListener; connect: UpgradeListener; request?: RequestL } = {
      upgrade: onUpgrade,
      connect: (req, socket) => decline(req, socket),
    };
    if (server.listenerCount("request") === 0) {
      entry.request = cover;
      server.on("request", cover);
    }
    server.on("upgrade", entry.upgrade);
    server.on("connect", entry.connect);
    limit(server);
    attached.set(server, entry);
  };

  return {
    counters,
    get activeCarriers() {
      return carriers.size;
    },
    attach,
    handleRequest: cover,
    async listen({ host, port, tls }) {
      const common = {
        headersTimeout,
        requestTimeout,
        connectionsCheckingInterval: checkingInterval,
        maxHeaderSize: MAX_HTTP_HEADER_BYTES,
      };
      const server =
        tls === undefined
          ? http.createServer(common)
          : https.createServer({ ...common, cert: toPem(tls.cert), key: toPem(tls.key) });
      attach(server);
      owned.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen({ port, host, backlog: LISTEN_BACKLOG }, () => {
          server.off("error", reject);
          resolve();
        });
      });
      return server.address() as AddressInfo;
    },
    async close() {
      for (const [server, entry] of attached) {
        server.off("upgrade", entry.upgrade);
        server.off("connect", entry.connect);
        if (entry.request !== undefined) server.off("request", entry.request);
      }
      attached.clear();
      for (const ws of carriers) ws.terminate();
      carriers.clear();
      await Promise.all(
        owned.splice(0).map(
          (server) =>
            new Promise<void>((resolve) => {
              server.close(() => resolve());
              server.closeAllConnections();
            }),
        ),
      );
    },
  };
}
