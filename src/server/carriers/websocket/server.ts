/**
 * The WebSocket carrier's server side: an HTTP(S) server that looks like a
 * small web site, where a well-formed WebSocket upgrade (RFC 6455 §4.2.1) on
 * one secret path becomes a byte carrier handed to `onConnection` (which
 * typically passes it to the obfs4 server engine). Everything else gets the
 * cover site (cover.ts): probing the server reveals nothing.
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { WebSocketServer, type WebSocket } from "ws";
import {
  closeHttpServers,
  createHttpServer,
  httpLimits,
  isSecretPathSyntax,
  listenHttp,
  positiveInt,
  secretPathMatcher,
} from "../http-front.js";
import { TrustedProxies, resolveClientAddress, type ClientAddressInfo } from "./client-address.js";
import { createCoverResponder, respondOnSocket, type CoverPage } from "./cover.js";
import { webSocketDuplex, type WebSocketDuplex, type WebSocketDuplexOptions } from "./duplex.js";
import { WebSocketConfigError } from "./errors.js";

/** Largest message we accept (ws's `maxPayload`; larger closes with 1009). obfs4 frames are at most 1448 bytes. */
export const DEFAULT_WEBSOCKET_MAX_PAYLOAD = 64 * 1024;
export {
  DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  MAX_HTTP_HEADER_BYTES,
} from "../http-front.js";
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
  attach(server: http.Server): void;
  /** Creates, attaches and starts an HTTP server (HTTPS with `tls`); resolves with the bound address. */
  listen(options: WebSocketListenOptions): Promise<AddressInfo>;
  /** The cover site, for a server that routes its own requests. */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Closes every carrier, detaches from attached servers and closes the one `listen()` created. */
  close(): Promise<void>;
}

function checkPath(path: string): string {
  if (!isSecretPathSyntax(path, MAX_SECRET_PATH_LENGTH)) {
    throw new WebSocketConfigError("ERR_WS_SECRET_PATH", "the secret path must be an absolute URL path, not /");
  }
  return path;
}

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
  const isSecretPath = secretPathMatcher(checkPath(options.path));
  const trusted = TrustedProxies.parse(options.trustedProxies ?? []);
  const maxPayload = positiveInt("maxPayload", options.maxPayload, DEFAULT_WEBSOCKET_MAX_PAYLOAD);
  const limits = httpLimits(options);
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
    server.headersTimeout = limits.headersTimeout;
    server.requestTimeout = limits.requestTimeout;
    server.maxConnections = limits.maxConnections;
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
      const server = createHttpServer(limits, tls);
      attach(server);
      owned.push(server);
      return listenHttp(server, host, port);
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
      await closeHttpServers(owned.splice(0));
    },
  };
}
