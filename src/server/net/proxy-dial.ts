/**
 * Outgoing TCP for a PT client, directly or through tor's upstream proxy
 * (TOR_PT_PROXY, pt-spec 1.0 §3.2.2 / PT 2.0 §3.3.2.1): socks5 (with RFC 1929
 * credentials), socks4a, or an HTTP/1.1 CONNECT proxy (with Basic auth). Fail
 * closed: when a proxy is configured, every connection goes through it or
 * fails; there is no fallback to a direct connection.
 */
import net from "node:net";
import type { UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import { AbortError, TimeoutError, WebptError } from "../../shared/errors.js";
import { socksDial } from "./socks-dial.js";

/** TCP connect, plus the proxy's own exchange when there is one. */
export const TCP_DIAL_TIMEOUT_MS = 30_000;
/** An HTTP proxy's CONNECT response head may be at most this long (status line + headers). */
export const MAX_CONNECT_RESPONSE_BYTES = 16 * 1024;

export class ProxyDialError extends WebptError {
  override name = "ProxyDialError";
  /** The HTTP status the proxy answered, when it answered. */
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
}

export interface TcpDialOptions {
  readonly proxy?: UpstreamProxy | undefined;
  readonly signal?: AbortSignal | undefined;
  readonly timeoutMs?: number;
}

const bracket = (host: string): string => (host.includes(":") ? `[${host}]` : host);

/** A plain TCP connect (IP literal or host name) bounded by a timeout and an AbortSignal. */
export function connectTcp(
  host: string,
  port: number,
  options: { readonly timeoutMs?: number; readonly signal?: AbortSignal | undefined } = {},
): Promise<net.Socket> {
  const { signal } = options;
  const timeoutMs = options.timeoutMs ?? TCP_DIAL_TIMEOUT_MS;
  return new Promise<net.Socket>((resolve, reject) => {
    const sock = net.connect({ host, port });
    sock.setNoDelay(true);
    const fail = (err: unknown): void => {
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(() => fail(new TimeoutError(`TCP connect timed out after ${timeoutMs} ms`)), timeoutMs);
    const onAbort = (): void => fail(new AbortError("TCP connect aborted", { cause: signal?.reason }));
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off("error", fail);
      signal?.removeEventListener("abort", onAbort);
    };
    sock.once("error", fail);
    sock.once("connect", () => {
      cleanup();
      resolve(sock);
    });
    if (signal?.aborted === true) onAbort();
    else signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/** An HTTP/1.1 CONNECT tunnel (RFC 9110 §9.3.6) on an open socket to the proxy. */
function httpConnect(sock: net.Socket, target: string, proxy: UpstreamProxy, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    let head = Buffer.alloc(0);
    const fail = (err: unknown): void => {
      cleanup();
      sock.destroy();
      reject(err);
    };
    const timer = setTimeout(
      () => fail(new TimeoutError(`HTTP proxy CONNECT timed out after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while ((chunk = sock.read() as Buffer | null) !== null) {
        head = Buffer.concat([head, chunk]);
        const end = head.indexOf("\r\n\r\n");
        if (end < 0) {
          if (head.length > MAX_CONNECT_RESPONSE_BYTES) {
            return fail(new ProxyDialError("ERR_PROXY_PROTOCOL", "the HTTP proxy's response head is too long"));
          }
          continue;
        }
        const statusLine = head.subarray(0, head.indexOf("\r\n")).toString("latin1");
        const m = /^HTTP\/1\.[01] (\d{3})(?: |$)/.exec(statusLine);
        if (m === null) return fail(new ProxyDialError("ERR_PROXY_PROTOCOL", "the HTTP proxy did not answer HTTP"));
        const status = Number(m[1]);
        if (status < 200 || status > 299) {
          return fail(new ProxyDialError("ERR_PROXY_REFUSED", `the HTTP proxy refused CONNECT (${status})`, status));
        }
        cleanup();
        const rest = head.subarray(end + 4);
        if (rest.length > 0) sock.unshift(rest);
        return resolve(sock);
      }
    };
    const onEnd = (): void => fail(new ProxyDialError("ERR_PROXY_PROTOCOL", "the HTTP proxy closed during CONNECT"));
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off("readable", onReadable);
      sock.off("end", onEnd);
      sock.off("error", fail);
    };
    sock.on("readable", onReadable);
    sock.on("end", onEnd);
    sock.on("error", fail);
    const auth =
      proxy.username === undefined
        ? ""
        : `Proxy-Authorization: Basic ${Buffer.from(`${proxy.username}:${proxy.password ?? ""}`).toString("base64")}\r\n`;
    sock.write(`CONNECT ${target} HTTP/1.1\r\nHost: ${target}\r\n${auth}\r\n`);
  });
}

/** Connects to host:port, through `options.proxy` when set (and then only through it). */
export async function dialTcp(host: string, port: number, options: TcpDialOptions = {}): Promise<net.Socket> {
  const timeoutMs = options.timeoutMs ?? TCP_DIAL_TIMEOUT_MS;
  const proxy = options.proxy;
  if (proxy === undefined) return connectTcp(host, port, options);
  const signal = options.signal;
  switch (proxy.scheme) {
    case "socks5":
    case "socks4a":
      return socksDial({
        proxy: proxy.address,
        target: { host, port },
        socksVersion: proxy.scheme === "socks5" ? 5 : 4,
        ...(proxy.scheme === "socks5" && proxy.username !== undefined
          ? { credentials: { username: proxy.username, password: proxy.password ?? "" } }
          : {}),
        timeoutMs,
        ...(signal === undefined ? {} : { signal }),
      });
    case "http": {
      const sock = await connectTcp(proxy.address.host, proxy.address.port, { timeoutMs, signal });
      return httpConnect(sock, `${bracket(host)}:${port}`, proxy, timeoutMs);
    }
  }
}
