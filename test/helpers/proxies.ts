/**
 * Upstream proxies for the client tests, written from the RFCs rather than
 * with our own codec (so a bug in the codec cannot hide behind itself): a
 * SOCKS5 proxy with RFC 1929 username/password (RFC 1928), and an HTTP/1.1
 * CONNECT proxy with Basic auth. Each records what it was asked to reach.
 */
import http from "node:http";
import net from "node:net";

export interface TestProxy {
  readonly port: number;
  /** host:port of each tunnel it opened. */
  readonly connects: string[];
  /** Attempts it refused (bad credentials). */
  refused: number;
  close(): Promise<void>;
}

function pipeBoth(a: net.Socket, b: net.Socket): void {
  a.pipe(b);
  b.pipe(a);
  a.on("error", () => b.destroy());
  b.on("error", () => a.destroy());
  a.on("close", () => b.destroy());
  b.on("close", () => a.destroy());
}

function closer(server: net.Server, sockets: Set<net.Socket>) {
  return () =>
    new Promise<void>((resolve) => {
      for (const s of sockets) s.destroy();
      server.close(() => resolve());
    });
}

export async function startSocks5Proxy(user: string, pass: string): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TestProxy = { port: 0, connects: [], refused: 0, close: async () => undefined };
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    let stage: "greeting" | "auth" | "request" = "greeting";
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      if (stage === "greeting") {
        if (buf.length < 2 || buf.length < 2 + buf[1]!) return;
        const methods = buf.subarray(2, 2 + buf[1]!);
        buf = buf.subarray(2 + buf[1]!);
        if (!methods.includes(0x02)) return void sock.end(Buffer.from([5, 0xff]));
        sock.write(Buffer.from([5, 0x02]));
        stage = "auth";
      }
      if (stage === "auth") {
        if (buf.length < 2) return;
        const ul = buf[1]!;
        if (buf.length < 3 + ul) return;
        const pl = buf[2 + ul]!;
        if (buf.length < 3 + ul + pl) return;
        const u = buf.subarray(2, 2 + ul).toString();
        const p = buf.subarray(3 + ul, 3 + ul + pl).toString();
        buf = buf.subarray(3 + ul + pl);
        if (u !== user || p !== pass) {
          proxy.refused++;
          return void sock.end(Buffer.from([1, 1]));
        }
        sock.write(Buffer.from([1, 0]));
        stage = "request";
      }
      if (stage === "request") {
        if (buf.length < 5) return;
        const atyp = buf[3]!;
        let host: string;
        let off: number;
        if (atyp === 1) {
          if (buf.length < 10) return;
          host = [...buf.subarray(4, 8)].join(".");
          off = 8;
        } else if (atyp === 3) {
          const l = buf[4]!;
          if (buf.length < 7 + l) return;
          host = buf.subarray(5, 5 + l).toString();
          off = 5 + l;
        } else {
          return void sock.end(Buffer.from([5, 8, 0, 1, 0, 0, 0, 0, 0, 0]));
        }
        const port = buf.readUInt16BE(off);
        const rest = buf.subarray(off + 2);
        sock.off("data", onData);
        proxy.connects.push(`${host}:${port}`);
        const out = net.connect(port, host, () => {
          sock.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          if (rest.length > 0) out.write(rest);
          pipeBoth(sock, out);
        });
        out.on("error", () => sock.end(Buffer.from([5, 5, 0, 1, 0, 0, 0, 0, 0, 0])));
      }
    };
    sock.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return Object.assign(proxy, { port: (server.address() as net.AddressInfo).port, close: closer(server, sockets) });
}

export async function startHttpConnectProxy(user: string, pass: string): Promise<TestProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: TestProxy = { port: 0, connects: [], refused: 0, close: async () => undefined };
  const expected = "Basic " + Buffer.from(`${user}:${pass}`).toString("base64");
  const server = http.createServer((_req, res) => res.writeHead(405).end());
  server.on("connection", (s: net.Socket) => sockets.add(s));
  server.on("connect", (req: http.IncomingMessage, sock: net.Socket, head: Buffer) => {
    sock.on("error", () => undefined);
    if (req.headers["proxy-authorization"] !== expected) {
      proxy.refused++;
      return void sock.end("HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic\r\n\r\n");
    }
    const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(req.url ?? "");
    if (m === null) return void sock.end("HTTP/1.1 400 Bad Request\r\n\r\n");
    proxy.connects.push(req.url!);
    const out = net.connect(Number(m[2]), m[1]!, () => {
      sock.write("HTTP/1.1 200 Connection Established\r\n\r\n");
      if (head.length > 0) out.write(head);
      pipeBoth(sock, out);
    });
    out.on("error", () => sock.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return Object.assign(proxy, { port: (server.address() as net.AddressInfo).port, close: closer(server, sockets) });
}
