/**
 * The client side of SOCKS over Node streams: `socksHandshake` drives the
 * shared sans-IO SocksClientHandshake over any Duplex (an obfs4 stream to a
 * free-mode server, or a TCP socket), and `socksDial` connects to a SOCKS
 * server first (a PT client's SOCKS port, or an upstream socks5/socks4a
 * proxy). Both resolve with the stream positioned at the first application
 * byte (bytes that came with the reply are unshifted back) and destroy it on
 * failure, rejecting with the SocksError whose `reply` is the REP byte, or a
 * TimeoutError/AbortError.
 */
import type net from "node:net";
import type { Duplex } from "node:stream";
import { SocksClientHandshake, type SocksClientOptions } from "../../shared/codec/socks/index.js";
import { AbortError, TimeoutError, WebptError } from "../../shared/errors.js";
import { connectTcp } from "./proxy-dial.js";

/** How long the TCP connect plus the SOCKS exchange may take. */
export const SOCKS_DIAL_TIMEOUT_MS = 30_000;

export interface SocksHandshakeOptions extends SocksClientOptions {
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal | undefined;
}

export interface SocksDialOptions extends SocksHandshakeOptions {
  readonly proxy: { readonly host: string; readonly port: number };
}

const asBuffer = (u: Uint8Array): Buffer => Buffer.from(u.buffer, u.byteOffset, u.byteLength);

export function socksHandshake<S extends Duplex>(stream: S, options: SocksHandshakeOptions): Promise<S> {
  return new Promise((resolve, reject) => {
    let hs: SocksClientHandshake;
    try {
      hs = new SocksClientHandshake(options);
    } catch (err) {
      stream.destroy();
      reject(err as Error);
      return;
    }
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      stream.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const timeoutMs = options.timeoutMs ?? SOCKS_DIAL_TIMEOUT_MS;
    const timer = setTimeout(() => fail(new TimeoutError(`the SOCKS exchange took over ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => fail(new AbortError("SOCKS connect aborted", { cause: options.signal?.reason }));
    // Paused mode ('readable' + read()), never 'data': removing the last 'data' listener leaves a stream flowing,
    // and bytes that arrived with the reply would be emitted to nobody. Once the 'readable' listener is gone the
    // stream is neither paused nor flowing, so the caller's first 'data' listener gets the unshifted rest first.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = stream.read() as Buffer | null) !== null) {
        let step;
        try {
          step = hs.push(chunk);
        } catch (err) {
          return fail(err);
        }
        if (step.send !== undefined) stream.write(asBuffer(step.send));
        if (step.kind === "error") return fail(step.error);
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
        return fail(err);
      }
      fail(new WebptError("ERR_SOCKS_EOF", "the SOCKS server closed before its reply"));
    };
    const onClose = (): void => fail(new WebptError("ERR_SOCKS_EOF", "closed during the SOCKS exchange"));
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

/** Connects to the SOCKS server at `options.proxy` and asks it for `options.target`. */
export async function socksDial(options: SocksDialOptions): Promise<net.Socket> {
  const started = Date.now();
  const timeoutMs = options.timeoutMs ?? SOCKS_DIAL_TIMEOUT_MS;
  const sock = await connectTcp(options.proxy.host, options.proxy.port, { timeoutMs, signal: options.signal });
  return socksHandshake(sock, { ...options, timeoutMs: Math.max(1, timeoutMs - (Date.now() - started)) });
}
