/**
 * The webrtc transport's HTTP(S) signaling endpoint: `POST <secret path>`
 * with a sealed offer as the body is answered `200` with the sealed answer
 * (src/shared/codec/signaling). Everything else is the WebSocket carrier's
 * cover site (websocket/cover.ts), byte for byte: a wrong path or method, a
 * body that does not open with this bridge's key, a stale or replayed offer,
 * an oversized body, or no room for another peer. The seal is checked before
 * anything else happens, so a probe never causes a peer connection.
 *
 * Uniform handling so the secret path does not stand out: every request's
 * body is read (up to MAX_SEALED_OFFER_BYTES) before any answer, on every
 * path, since the secret path must read it to decide; a body over the limit,
 * on any path, gets the cover answer and the connection is closed. Slow
 * clients meet Node's own `headersTimeout`/`requestTimeout` (a 408 and a
 * close, as for any request to this server and to the WebSocket carrier's).
 */
import type http from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { LogSeverity } from "../../../shared/codec/pt-ipc/index.js";
import {
  MAX_SEALED_OFFER_BYTES,
  SIGNAL_MAX_CLOCK_SKEW_MS,
  SignalReplayCache,
  openOffer,
  type OpenedOffer,
  type SignalingServerKey,
  type X25519Function,
} from "../../../shared/codec/signaling/index.js";
import { WebptError } from "../../../shared/errors.js";
import { createCoverResponder, respondOnSocket, type CoverPage } from "../websocket/cover.js";
import {
  closeHttpServers,
  createHttpServer,
  httpLimits,
  isSecretPathSyntax,
  listenHttp,
  positiveInt,
  secretPathMatcher,
} from "../http-front.js";
import type { WebRtcAnswerer } from "./answerer.js";
import { WebRtcConfigError } from "./errors.js";

/** Length of the secret path, in characters (as the WebSocket carrier's). */
export const MAX_SIGNAL_PATH_LENGTH = 512;
/** After a cover answer to an oversized body, the connection is destroyed this long after the answer is sent. */
export const OVERSIZED_BODY_LINGER_MS = 1_000;

export interface SignalingServerOptions {
  /** The secret path, e.g. `/3f9c…`; `/` is the cover page and cannot be it. */
  readonly path: string;
  readonly identity: SignalingServerKey;
  readonly answerer: WebRtcAnswerer;
  /** Default: a cache sized for the offer window. */
  readonly replayCache?: SignalReplayCache;
  /** How far an offer's timestamp may be from our clock (default SIGNAL_MAX_CLOCK_SKEW_MS). */
  readonly maxClockSkewMs?: number;
  readonly x25519?: X25519Function;
  /** The clock (Unix ms); tests move it. */
  readonly now?: () => number;
  readonly coverPage?: CoverPage;
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly connectionsCheckingIntervalMs?: number;
  readonly maxConnections?: number;
  readonly log?: (severity: LogSeverity, message: string) => void;
}

export interface SignalingListenOptions {
  readonly host: string;
  readonly port: number;
  readonly tls?: { readonly cert: string | Uint8Array; readonly key: string | Uint8Array };
}

export interface SignalingCounters {
  /** Offers answered with a sealed answer. */
  answered: number;
  /** Requests given the cover site other than views of `/` (bad seal, wrong path, method, size…). */
  declined: number;
}

export interface SignalingServer {
  readonly counters: SignalingCounters;
  /** The request handler (for a server that routes its own requests). */
  handleRequest(req: http.IncomingMessage, res: http.ServerResponse): void;
  listen(options: SignalingListenOptions): Promise<AddressInfo>;
  close(): Promise<void>;
}

/** RFC 3986 §3.3 path characters only: no query, fragment, space or control byte; not `/`. */
export function checkSignalPath(path: string): string {
  if (!isSecretPathSyntax(path, MAX_SIGNAL_PATH_LENGTH)) {
    throw new WebRtcConfigError("ERR_RTC_SECRET_PATH", "the secret path must be an absolute URL path, not /");
  }
  return path;
}

type Body = { readonly ok: true; readonly bytes: Buffer } | { readonly ok: false; readonly tooLarge: boolean };

/** Reads a request body of at most `max` bytes; stops reading (paused) as soon as it is over. */
function readBody(req: http.IncomingMessage, max: number): Promise<Body> {
  const declared = req.headers["content-length"];
  if (declared !== undefined && Number(declared) > max) return Promise.resolve({ ok: false, tooLarge: true });
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (body: Body): void => {
      req.off("data", onData);
      req.off("end", onEnd);
      req.off("error", onFail);
      req.off("close", onFail);
      resolve(body);
    };
    const onData = (chunk: Buffer): void => {
      size += chunk.length;
      if (size > max) {
        req.pause();
        done({ ok: false, tooLarge: true });
        return;
      }
      chunks.push(chunk);
    };
    const onEnd = (): void => done({ ok: true, bytes: Buffer.concat(chunks, size) });
    const onFail = (): void => done({ ok: false, tooLarge: false });
    req.on("data", onData);
    req.once("end", onEnd);
    req.once("error", onFail);
    req.once("close", onFail);
  });
}

export function createSignalingServer(options: SignalingServerOptions): SignalingServer {
  const isSecretPath = secretPathMatcher(checkSignalPath(options.path));
  const skew = positiveInt("maxClockSkewMs", options.maxClockSkewMs, SIGNAL_MAX_CLOCK_SKEW_MS);
  const replay = options.replayCache ?? new SignalReplayCache({ ttlMs: 2 * skew });
  const limits = httpLimits(options);
  const now = options.now ?? Date.now;
  const log = options.log ?? (() => undefined);
  const cover = createCoverResponder(options.coverPage);
  const counters: SignalingCounters = { answered: 0, declined: 0 };
  const owned: http.Server[] = [];
  const openOptions = { maxAgeMs: skew, maxFutureMs: skew, ...(options.x25519 && { x25519: options.x25519 }) };

  const decline = (req: http.IncomingMessage, res: http.ServerResponse, why: string): void => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (!(path === "/" && (req.method === "GET" || req.method === "HEAD"))) counters.declined++;
    if (why !== "") log("debug", `webrtc signaling: declined (${why})`);
    cover(req, res);
  };

  /** Opens, checks freshness and replay, and answers: the sealed answer, or why not (a code, for the log). */
  const answerOffer = async (body: Buffer, res: http.ServerResponse): Promise<Uint8Array | string> => {
    const t = now();
    let opened: OpenedOffer;
    try {
      opened = openOffer(body, options.identity, { ...openOptions, now: t });
    } catch (err) {
      return err instanceof WebptError ? err.code : "open failed";
    }
    if (!options.answerer.hasRoom()) return "no room for another peer";
    try {
      replay.remember(opened.replayKey, t);
    } catch (err) {
      return (err as WebptError).code;
    }
    const abort = new AbortController();
    const onClose = (): void => {
      if (!res.writableFinished) abort.abort();
    };
    res.once("close", onClose);
    const delivered = new Promise<void>((resolve, reject) => {
      res.once("finish", resolve);
      res.once("close", () => (res.writableFinished ? resolve() : reject(new Error("not delivered"))));
    });
    delivered.catch(() => undefined);
    try {
      const sdp = await options.answerer.answer(opened.sdp, { signal: abort.signal, candidatesAfter: delivered });
      return opened.sealAnswer(sdp);
    } catch (err) {
      return err instanceof WebptError ? err.code : "answer failed";
    } finally {
      res.off("close", onClose);
    }
  };

  const handleRequest = (req: http.IncomingMessage, res: http.ServerResponse): void => {
    void readBody(req, MAX_SEALED_OFFER_BYTES).then(async (body) => {
      if (!body.ok) {
        if (!body.tooLarge || res.writableEnded) return; // the client went away
        res.shouldKeepAlive = false;
        res.once("finish", () => setTimeout(() => req.socket.destroy(), OVERSIZED_BODY_LINGER_MS).unref());
        decline(req, res, "body over the limit");
        return;
      }
      if (req.method !== "POST" || !isSecretPath(req.url)) {
        decline(req, res, "");
        return;
      }
      const result = await answerOffer(body.bytes, res);
      if (res.destroyed || res.writableEnded) return;
      if (typeof result === "string") {
        decline(req, res, result);
        return;
      }
      counters.answered++;
      res.statusCode = 200;
      res.setHeader("Content-Type", "application/octet-stream");
      res.setHeader("Content-Length", result.length);
      res.setHeader("Cache-Control", "no-store");
      res.setHeader("X-Content-Type-Options", "nosniff");
      res.end(Buffer.from(result.buffer, result.byteOffset, result.byteLength));
    });
  };

  return {
    counters,
    handleRequest,
    async listen({ host, port, tls }) {
      const server = createHttpServer(limits, tls, handleRequest);
      // Node closes an 'upgrade' or CONNECT nobody listens for without a word; answer them as the cover site does.
      const declineSocket = (req: http.IncomingMessage, socket: Duplex): void => {
        socket.on("error", () => socket.destroy());
        counters.declined++;
        respondOnSocket(req, socket, cover);
      };
      server.on("upgrade", declineSocket);
      server.on("connect", declineSocket);
      owned.push(server);
      return listenHttp(server, host, port);
    },
    async close() {
      await closeHttpServers(owned.splice(0));
    },
  };
}
