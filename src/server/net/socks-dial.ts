/**
 * Dialing through a SOCKS server (a PT client's SOCKS port, or an upstream
 * socks5/socks4a proxy): the shared sans-IO SocksClientHandshake driven over
 * a net.Socket. Resolves with the socket positioned at the first application
 * byte (any bytes the server sent after its reply are unshifted back).
 */
import net from "node:net";
import { SocksClientHandshake, type SocksClientOptions } from "../../shared/codec/socks/index.js";
import { AbortError, TimeoutError } from "../../shared/errors.js";

/** How long the TCP connect plus the SOCKS exchange may take. */
export const SOCKS_DIAL_TIMEOUT_MS = 30_000;

export interface SocksDialOptions extends SocksClientOptions {
  readonly proxy: { readonly host: string; readonly port: number };
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export function socksDial(options: SocksDialOptions): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const hs = new SocksClientHandshake(options);
    const sock = net.connect({ host: options.proxy.host, port: options.proxy.port });
    sock.setNoDelay(true);
    let settled = false;
    const fail = (err: unknown): void => {
      if (settled) return;
      settled = true;
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new TimeoutError(`SOCKS dial via ${options.proxy.host}:${options.proxy.port} timed out`)),
      options.timeoutMs ?? SOCKS_DIAL_TIMEOUT_MS,
    );
    const onAbort = (): void => fail(new AbortError("SOCKS dial aborted", { cause: options.signal?.reason }));
    // Paused mode ('readable' + read()), never 'data': removing the last 'data' listener leaves a socket flowing,
    // and bytes that arrived with the reply would be emitted to nobody. Once the 'readable' listener is gone the
    // socket is neither paused nor flowing, so the caller's first 'data' listener gets the unshifted rest first.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = sock.read() as Buffer | null) !== null) {
        let step;
        try {
          step = hs.push(chunk);
        } catch (err) {
          return fail(err);
        }
        if (step.send) sock.write(step.send);
        if (step.kind === "error") return fail(step.error);
        if (step.kind === "connected") {
          settled = true;
          cleanup();
          if (step.rest.length > 0) sock.unshift(Buffer.from(step.rest.buffer, step.rest.byteOffset, step.rest.length));
          resolve(sock);
        }
      }
    };
    const onEnd = (): void => {
      try {
        hs.finish();
      } catch (err) {
        return fail(err);
      }
    };
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off("readable", onReadable);
      sock.off("end", onEnd);
      sock.off("error", fail);
      options.signal?.removeEventListener("abort", onAbort);
    };
    sock.on("readable", onReadable);
    sock.on("end", onEnd);
    sock.on("error", fail);
    sock.once("connect", () => sock.write(hs.start()));
    if (options.signal?.aborted) onAbort();
    else options.signal?.addEventListener("abort", onAbort, { once: true });
  });
}
