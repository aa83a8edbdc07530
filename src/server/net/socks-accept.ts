/**
 * The server side of a SOCKS handshake over any Node Duplex (a TCP socket
 * from tor at a PT client's SOCKS port, or an obfs4 stream in standalone free
 * mode): the shared sans-IO SocksServerHandshake driven in paused mode, with
 * the settings timer (X'11') and a whole-handshake deadline against slow
 * clients. On success the bytes that followed the request are unshifted back
 * (the relay reads them first) and the caller dials, then writes
 * `handshake.grant()` or `handshake.reject(rep)`. It never rejects: a bad
 * client's failure (and whether it was sent a reply) is the result.
 */
import type { Duplex } from "node:stream";
import {
  JSON_PARAM_TIMEOUT_MS,
  SOCKS_HANDSHAKE_TIMEOUT_MS,
  Socks5Reply,
  SocksServerHandshake,
  type SocksRequest,
  type SocksServerOptions,
  type SocksServerStep,
} from "../../shared/codec/socks/index.js";
import { TimeoutError, WebptError } from "../../shared/errors.js";

export type SocksAcceptResult =
  | { readonly kind: "request"; readonly request: SocksRequest; readonly handshake: SocksServerHandshake }
  /** The handshake failed; the client was sent a failure reply when `replied`. The stream is left to the caller. */
  | { readonly kind: "failed"; readonly error: Error; readonly replied: boolean };

export interface SocksAcceptOptions extends SocksServerOptions {
  /** Greeting to CONNECT request; default SOCKS_HANDSHAKE_TIMEOUT_MS. */
  readonly handshakeTimeoutMs?: number;
  /** For the 0x09 block (answered X'11'); default JSON_PARAM_TIMEOUT_MS. */
  readonly settingsTimeoutMs?: number;
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function acceptSocks(stream: Duplex, options: SocksAcceptOptions = {}): Promise<SocksAcceptResult> {
  const hs = new SocksServerHandshake(options);
  return new Promise((resolve) => {
    let settled = false;
    let settingsTimer: ReturnType<typeof setTimeout> | undefined;
    const settle = (r: SocksAcceptResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(settingsTimer);
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      stream.off("error", onError);
      resolve(r);
    };
    const timeoutMs = options.handshakeTimeoutMs ?? SOCKS_HANDSHAKE_TIMEOUT_MS;
    const deadline = setTimeout(
      () =>
        settle({ kind: "failed", error: new TimeoutError(`no SOCKS request within ${timeoutMs} ms`), replied: false }),
      timeoutMs,
    );
    const step = (s: SocksServerStep): void => {
      if (s.reply !== undefined && s.reply.length > 0) stream.write(asBuffer(s.reply));
      if (s.kind === "error") return settle({ kind: "failed", error: s.error, replied: s.reply !== undefined });
      if (s.kind === "request") {
        if (s.rest.length > 0) stream.unshift(asBuffer(s.rest));
        return settle({ kind: "request", request: s.request, handshake: hs });
      }
      if (hs.phase === "settings" && settingsTimer === undefined) {
        settingsTimer = setTimeout(
          () => step(hs.settingsTimedOut()),
          options.settingsTimeoutMs ?? JSON_PARAM_TIMEOUT_MS,
        );
      }
    };
    // Paused mode ('readable' + read()): no 'data' listener is left behind to swallow the bytes that follow.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = stream.read() as Buffer | null) !== null) {
        try {
          step(hs.push(chunk));
        } catch (err) {
          // Only a misuse of the handshake throws; end this connection rather than the process.
          settle({ kind: "failed", error: err as Error, replied: false });
        }
      }
    };
    const onEnd = (): void => {
      let error: Error = new WebptError("ERR_SOCKS_EOF", "the client closed before its SOCKS request");
      try {
        hs.finish();
      } catch (err) {
        error = err as Error;
      }
      settle({ kind: "failed", error, replied: false });
    };
    const onClose = (): void =>
      settle({
        kind: "failed",
        error: new WebptError("ERR_SOCKS_EOF", "closed during the SOCKS handshake"),
        replied: false,
      });
    const onError = (err: Error): void => settle({ kind: "failed", error: err, replied: false });
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onClose);
    stream.on("error", onError);
  });
}

/** RFC 1928 §6 REP for a failed dial of the destination (or of the bridge, at a PT client's SOCKS port). */
export function replyForDialError(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  switch (code) {
    case "ECONNREFUSED":
      return Socks5Reply.CONNECTION_REFUSED;
    case "ENETUNREACH":
    case "ENETDOWN":
      return Socks5Reply.NETWORK_UNREACHABLE;
    case "EHOSTUNREACH":
    case "EHOSTDOWN":
    case "ETIMEDOUT":
    case "ERR_TIMEOUT":
    case "ENOTFOUND":
    case "EAI_AGAIN":
      return Socks5Reply.HOST_UNREACHABLE;
    default:
      return Socks5Reply.GENERAL_FAILURE;
  }
}
