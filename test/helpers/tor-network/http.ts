/**
 * The far end of the end-to-end check: an HTTP server on 127.0.0.1 that
 * serves one fixed body, and a minimal HTTP/1.1 GET made through a tor
 * client's SocksPort (socks5 with the host sent to tor, which resolves
 * nothing for an IP literal and connects from the exit). The body is hashed
 * as it streams, so a 16 MiB fetch costs no 16 MiB buffer.
 */
import { createHash } from "node:crypto";
import http from "node:http";
import type net from "node:net";
import { socksDial } from "../../../src/server/net/socks-dial.js";

/** Bytes of response head we accept before giving up on the server. */
export const MAX_HTTP_HEAD_BYTES = 16 * 1024;
export const FETCH_TIMEOUT_MS = 60_000;

export interface BulkHttpServer {
  /** `http://127.0.0.1:PORT/bulk` */
  readonly url: string;
  readonly port: number;
  readonly size: number;
  readonly sha256: string;
  /** GET requests answered so far. */
  readonly requests: number;
  close(): Promise<void>;
}

/** Serves `body` (with Content-Length) to every GET, on 127.0.0.1. */
export async function startBulkHttpServer(body: Uint8Array): Promise<BulkHttpServer> {
  let requests = 0;
  const server = http.createServer((req, res) => {
    if (req.method !== "GET") {
      res.writeHead(405).end();
      return;
    }
    requests++;
    res.writeHead(200, { "Content-Type": "application/octet-stream", "Content-Length": String(body.length) });
    res.end(body);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/bulk`,
    port,
    size: body.length,
    sha256: createHash("sha256").update(body).digest("hex"),
    get requests() {
      return requests;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export interface FetchResult {
  readonly status: number;
  /** Body bytes received. */
  readonly bytes: number;
  /** The Content-Length the server announced, or null. */
  readonly contentLength: number | null;
  readonly sha256: string;
  /** From the SOCKS dial to the last body byte. */
  readonly ms: number;
}

/** GET `url` through the SOCKS5 proxy at 127.0.0.1:`socksPort`, hashing the body. */
export async function fetchViaSocks(
  socksPort: number,
  url: string,
  opts: { timeoutMs?: number } = {},
): Promise<FetchResult> {
  const u = new URL(url);
  if (u.protocol !== "http:") throw new Error(`only http: URLs (got ${url})`);
  const timeoutMs = opts.timeoutMs ?? FETCH_TIMEOUT_MS;
  const started = Date.now();
  const host = u.hostname.replace(/^\[|\]$/g, "");
  const port = Number(u.port || 80);
  const sock = await socksDial({ proxy: { host: "127.0.0.1", port: socksPort }, target: { host, port }, timeoutMs });
  return new Promise<FetchResult>((resolve, reject) => {
    const hash = createHash("sha256");
    let head: Buffer | null = Buffer.alloc(0);
    let status = 0;
    let contentLength: number | null = null;
    let bytes = 0;
    let settled = false;
    const settle = (err: Error | null): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      sock.destroy();
      if (err !== null) reject(err);
      else resolve({ status, bytes, contentLength, sha256: hash.digest("hex"), ms: Date.now() - started });
    };
    const timer = setTimeout(
      () => settle(new Error(`GET ${url} via SOCKS port ${socksPort}: ${bytes} body bytes after ${timeoutMs} ms`)),
      timeoutMs,
    );
    const body = (chunk: Buffer): void => {
      bytes += chunk.length;
      hash.update(chunk);
      if (contentLength !== null && bytes >= contentLength) settle(null);
    };
    sock.on("data", (chunk: Buffer) => {
      if (head === null) return body(chunk);
      head = Buffer.concat([head, chunk]);
      const end = head.indexOf("\r\n\r\n");
      if (end < 0) {
        if (head.length > MAX_HTTP_HEAD_BYTES) settle(new Error(`GET ${url}: no end of head in ${head.length} bytes`));
        return;
      }
      const lines = head.subarray(0, end).toString("latin1").split("\r\n");
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? "");
      if (m === null) return settle(new Error(`GET ${url}: bad status line ${JSON.stringify(lines[0])}`));
      status = Number(m[1]);
      for (const l of lines.slice(1)) {
        const cl = /^content-length:\s*(\d+)\s*$/i.exec(l);
        if (cl !== null) contentLength = Number(cl[1]);
      }
      const rest = head.subarray(end + 4);
      head = null;
      if (rest.length > 0 || contentLength === 0) body(rest);
    });
    // Without Content-Length the body ends with the connection (Connection: close); with it, an early end is a
    // short body, which the caller sees in `bytes`.
    sock.once("end", () => (head === null ? settle(null) : settle(new Error(`GET ${url}: closed before the head`))));
    sock.once("error", (err) => settle(err));
    sock.write(`GET ${u.pathname}${u.search} HTTP/1.1\r\nHost: ${u.host}\r\nConnection: close\r\n\r\n`);
  });
}
