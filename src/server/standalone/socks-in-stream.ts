/**
 * SOCKS5 (RFC 1928) spoken *inside* an established obfs4 stream, the way a
 * free-mode client names its destination (seed 002 §"Bound vs. Free": a free
 * transport's connection factory takes a destination endpoint). Both sides
 * drive the shared sans-IO handshakes over any Node Duplex, in paused mode
 * ('readable' + read()) so no byte that follows the handshake is lost: it is
 * unshifted back and the relay reads it first.
 *
 * Only method X'00' and CONNECT are served: the obfs4 handshake already
 * authenticated the client, and the tunnel carries one stream.
 */
import type { Duplex } from "node:stream";
import {
  AuthMethod,
  SocksClientHandshake,
  SocksServerHandshake,
  type SocksError,
  type SocksRequest,
  type SocksTarget,
} from "../../shared/codec/socks/index.js";
import { AbortError, TimeoutError, WebptError } from "../../shared/errors.js";

/**
 * How long a client has, from the tunnel opening, to send its greeting and
 * CONNECT request (two round trips over the carrier). The client is already
 * authenticated, so this only bounds a broken or stalled one; 30 s matches
 * the obfs4 server's own handshake deadline.
 */
export const FREE_SOCKS_HANDSHAKE_TIMEOUT_MS = 30_000;

/** The client side's deadline for the whole exchange, including the server's dial of the destination. */
export const SOCKS_TUNNEL_TIMEOUT_MS = 60_000;

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export type SocksReadResult =
  | { readonly kind: "request"; readonly request: SocksRequest; readonly handshake: SocksServerHandshake }
  /** The handshake failed; `reply` (already written) says so if the protocol allowed one. */
  | { readonly kind: "failed"; readonly error: Error; readonly replied: boolean };

/**
 * Reads a SOCKS5 no-auth CONNECT request from `stream`, writing the method
 * selection (and any failure reply) as it goes. On success the bytes that
 * followed the request are unshifted, nothing more is read, and the caller
 * answers with `handshake.grant()` or `handshake.reject(rep)`. Never rejects.
 */
export function readSocksRequest(
  stream: Duplex,
  timeoutMs: number = FREE_SOCKS_HANDSHAKE_TIMEOUT_MS,
): Promise<SocksReadResult> {
  const hs = new SocksServerHandshake({ methods: [AuthMethod.NO_AUTH], socks4: false });
  return new Promise((resolve) => {
    let settled = false;
    const settle = (r: SocksReadResult): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      stream.off("error", onError);
      resolve(r);
    };
    const timer = setTimeout(
      () =>
        settle({
          kind: "failed",
          error: new TimeoutError(`no SOCKS request within ${timeoutMs} ms`),
          replied: false,
        }),
      timeoutMs,
    );
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = stream.read() as Buffer | null) !== null) {
        let step;
        try {
          step = hs.push(chunk);
        } catch (err) {
          // Only a misuse of the handshake throws; end the connection rather than the process.
          return settle({ kind: "failed", error: err as Error, replied: false });
        }
        if (step.reply !== undefined) stream.write(asBuffer(step.reply));
        if (step.kind === "error") {
          settle({ kind: "failed", error: step.error, replied: step.reply !== undefined });
        } else if (step.kind === "request") {
          if (step.rest.length > 0) stream.unshift(asBuffer(step.rest));
          settle({ kind: "request", request: step.request, handshake: hs });
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
        error: new WebptError("ERR_SOCKS_EOF", "the tunnel closed during the SOCKS handshake"),
        replied: false,
      });
    const onError = (err: Error): void => settle({ kind: "failed", error: err, replied: false });
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onClose);
    stream.on("error", onError);
  });
}

export interface SocksTunnelOptions {
  /** Default SOCKS_TUNNEL_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

/**
 * The client side: asks the free-mode server at the far end of `stream` (an
 * established obfs4 stream) to connect to `target`, and resolves once it
 * has, with the stream positioned at the destination's first byte. Rejects
 * with the SocksError the server's reply maps to (its `reply` is the REP
 * byte: X'02' refused by policy, X'04'/X'05' unreachable/refused), or with
 * TimeoutError/AbortError; the stream is destroyed on failure.
 */
export function socksConnectInStream(
  stream: Duplex,
  target: SocksTarget,
  options: SocksTunnelOptions = {},
): Promise<Duplex> {
  return new Promise((resolve, reject) => {
    let hs: SocksClientHandshake;
    try {
      hs = new SocksClientHandshake({ target });
    } catch (err) {
      reject(err as Error);
      return;
    }
    let settled = false;
    const fail = (err: Error): void => {
      if (settled) return;
      settled = true;
      cleanup();
      stream.destroy();
      reject(err);
    };
    const timeoutMs = options.timeoutMs ?? SOCKS_TUNNEL_TIMEOUT_MS;
    const timer = setTimeout(
      () => fail(new TimeoutError(`SOCKS inside the tunnel took over ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = (): void => fail(new AbortError("SOCKS connect aborted", { cause: options.signal?.reason }));
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = stream.read() as Buffer | null) !== null) {
        let step;
        try {
          step = hs.push(chunk);
        } catch (err) {
          return fail(err as Error);
        }
        if (step.send !== undefined) stream.write(asBuffer(step.send));
        if (step.kind === "error") return fail(step.error satisfies SocksError);
        if (step.kind === "connected") {
          settled = true;
          cleanup();
          if (step.rest.length > 0) stream.unshift(asBuffer(step.rest));
          resolve(stream);
        }
      }
    };
    const onEnd = (): void => {
      try {
        hs.finish();
      } catch (err) {
        return fail(err as Error);
      }
    };
    const onClose = (): void => fail(new WebptError("ERR_SOCKS_EOF", "the tunnel closed during the SOCKS handshake"));
    const cleanup = (): void => {
      clearTimeout(timer);
      stream.off("readable", onReadable);
      stream.off("end", onEnd);
      stream.off("close", onClose);
      stream.off("error", fail);
      options.signal?.removeEventListener("abort", onAbort);
    };
    stream.on("readable", onReadable);
    stream.on("end", onEnd);
    stream.on("close", onClose);
    stream.on("error", fail);
    if (options.signal?.aborted === true) return onAbort();
    options.signal?.addEventListener("abort", onAbort, { once: true });
    stream.write(asBuffer(hs.start()));
  });
}
