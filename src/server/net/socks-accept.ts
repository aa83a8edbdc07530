/**
 * The server side of a SOCKS handshake over any Node Duplex (a TCP socket
 * from tor, or an obfs4 stream in standalone free mode): the shared sans-IO
 * SocksServerHandshake driven in paused mode, with the settings timer
 * (X'11') and a whole-handshake deadline against slow clients. Resolves with
 * the request once it is complete; the caller dials and then calls grant()
 * or reject(). Bad clients get their reply code (or nothing) and are closed;
 * this never throws at its caller for a client's mistake.
 */
import type { Duplex } from "node:stream";
import {
  JSON_PARAM_TIMEOUT_MS,
  SOCKS_HANDSHAKE_TIMEOUT_MS,
  SocksServerHandshake,
  type SocksRequest,
  type SocksServerOptions,
  type SocksServerStep,
} from "../../shared/codec/socks/index.js";
import type { SocksAddress } from "../../shared/codec/socks/index.js";

export interface AcceptedSocks {
  readonly request: SocksRequest;
  /** Bytes the client sent after its request: the first application bytes. */
  readonly rest: Uint8Array;
  /** Writes the success reply; the stream then carries the application bytes. */
  grant(bound?: SocksAddress): void;
  /** Writes the failure reply (a SOCKS5 REP code) and closes. */
  reject(reply: number): void;
}

export interface SocksAcceptOptions extends SocksServerOptions {
  readonly handshakeTimeoutMs?: number;
  readonly settingsTimeoutMs?: number;
}

/** Why a handshake ended without a request (for counters and logs; the client already got its reply). */
export type SocksAcceptFailure = "timeout" | "protocol" | "closed";

export function acceptSocks(
  stream: Duplex,
  options: SocksAcceptOptions = {},
): Promise<AcceptedSocks | { readonly failed: SocksAcceptFailure; readonly error?: Error }> {
  return new Promise((resolve) => {
    const hs = new SocksServerHandshake(options);
    let done = false;
    let settingsTimer: ReturnType<typeof setTimeout> | undefined;
    const end = (failed: SocksAcceptFailure, reply?: Uint8Array, error?: Error): void => {
      if (done) return;
      done = true;
      cleanup();
      if (reply !== undefined && reply.length > 0 && !stream.destroyed) stream.end(reply);
      else stream.destroy();
      // Whatever was written, do not wait on a client that will not read it.
      setTimeout(() => stream.destroy(), 1000).unref();
      resolve(error === undefined ? { failed } : { failed, error });
    };
    const deadline = setTimeout(() => end("timeout"), options.handshakeTimeoutMs ?? SOCKS_HANDSHAKE_TIMEOUT_MS);
    const step = (s: SocksServerStep): void => {
      if (s.kind === "error") return end("protocol", s.reply, s.error);
      if (s.reply !== undefined && s.reply.length > 0) stream.write(s.reply);
      if (hs.phase === "settings" && settingsTimer === undefined) {
        settingsTimer = setTimeout(
          () => step(hs.settingsTimedOut()),
          options.settingsTimeoutMs ?? JSON_PARAM_TIMEOUT_MS,
        );
      }
      if (s.kind !== "request") return;
      done = true;
      cleanup();
      resolve({
        request: s.request,
        rest: s.rest,
        grant: (bound) => {
          stream.write(hs.grant(bound));
        },
        reject: (reply) => {
          stream.end(hs.reject(reply));
          setTimeout(() => stream.destroy(), 1000).unref();
        },
      });
    };
    // Paused mode: no 'data' listener is left behind to swallow the application bytes that follow.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!done && (chunk = stream.read() as Buffer | null) !== null) {
        try {
          step(hs.push(chunk));
        } catch (err) {
          end("protocol", undefined, err as Error);
        }
      }
    };
    const onEnd = (): void => end("closed");
    const onError = (err: Error): void => end("closed", undefined, err);
    const cleanup = (): void => {
      clearTimeout(deadline);
      clearTimeout(settingsTimer);
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("error", onError);
      // Keep an error listener: a reset after we are done must not become an unheard 'error'.
      stream.on("error", () => undefined);
    };
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("error", onError);
  });
}
