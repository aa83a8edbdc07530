/**
 * The carrier server under probing: every request that is not a well-formed
 * upgrade on the secret path gets an ordinary web answer, nothing crashes,
 * and nothing says "transport". Raw TCP is used so malformed requests really
 * reach the server as sent.
 */
import net from "node:net";
import { selfSignedCert } from "../helpers/tls.js";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import {
  createWebSocketCarrierServer,
  dialWebSocket,
  type WebSocketCarrierServer,
  type WebSocketCarrierServerOptions,
  type WebSocketConnectionInfo,
  type WebSocketDuplex,
} from "../../src/server/carriers/websocket/index.js";
import { isWebptError } from "../../src/shared/errors.js";

const PATH = "/f0a1b2c3d4e5f60718293a4b5c6d7e8f";
const KEY = "dGhlIHNhbXBsZSBub25jZQ=="; // RFC 6455 §1.3's sample key
/** Anything that would tell a prober this is a WebSocket endpoint or a tor transport. */
const TELLTALE = /websocket|sec-websocket|\bupgrade\b|obfs|\btor\b|transport|pluggable/i;

let server: WebSocketCarrierServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

interface Started {
  port: number;
  carriers: [WebSocketDuplex, WebSocketConnectionInfo][];
  srv: WebSocketCarrierServer;
}

async function start(extra: Partial<WebSocketCarrierServerOptions> = {}, tls?: { cert: string; key: string }) {
  const carriers: [WebSocketDuplex, WebSocketConnectionInfo][] = [];
  server = createWebSocketCarrierServer({
    path: PATH,
    onConnection: (d, info) => {
      d.on("error", () => undefined);
      carriers.push([d, info]);
    },
    ...extra,
  });
  const addr = await server.listen({ host: "127.0.0.1", port: 0, ...(tls === undefined ? {} : { tls }) });
  return { port: addr.port, carriers, srv: server } satisfies Started;
}

/** Sends raw bytes and returns everything the server wrote before it closed. */
function raw(port: number, request: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(got).toString())}`));
    }, timeoutMs);
    sock.on("data", (b: Buffer) => got.push(b));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString("latin1"));
    });
    sock.write(request);
  });
}

const upgrade = (path: string, extra: Record<string, string> = {}, method = "GET", version = "1.1"): string => {
  const headers: Record<string, string> = {
    Host: "example.com",
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
    ...extra,
  };
  const lines = Object.entries(headers)
    .filter(([, v]) => v !== "")
    .map(([k, v]) => `${k}: ${v}\r\n`);
  return `${method} ${path} HTTP/${version}\r\n${lines.join("")}\r\n`;
};
const get = (path: string): string => `GET ${path} HTTP/1.1\r\nHost: example.com\r\nConnection: close\r\n\r\n`;

function parse(response: string): { status: string; headers: Map<string, string>; body: string } {
  const end = response.indexOf("\r\n\r\n");
  const [status, ...lines] = response.slice(0, end).split("\r\n");
  const headers = new Map(
    lines.map((l) => [l.slice(0, l.indexOf(":")).toLowerCase(), l.slice(l.indexOf(":") + 1).trim()]),
  );
  return { status: status!, headers, body: response.slice(end + 4) };
}

describe("WebSocket carrier server: the cover site", () => {
  it("serves a static page for / with ordinary headers", async () => {
    const { port } = await start({ coverPage: { body: "<p>hello</p>" } });
    const r = parse(await raw(port, get("/")));
    expect(r.status).toBe("HTTP/1.1 200 OK");
    expect(r.body).toBe("<p>hello</p>");
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(r.headers.get("content-length")).toBe("12");
    expect(r.headers.has("date")).toBe(true);
    expect(await raw(port, get("/"))).not.toMatch(TELLTALE);
  });

  it("answers HEAD / without a body and other methods on / with 405", async () => {
    const { port } = await start();
    const head = parse(await raw(port, "HEAD / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"));
    expect(head.status).toBe("HTTP/1.1 200 OK");
    expect(head.body).toBe("");
    const post = parse(await raw(port, "POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"));
    expect(post.status).toBe("HTTP/1.1 405 Method Not Allowed");
    expect(post.headers.get("allow")).toBe("GET, HEAD");
  });

  it("answers the secret path without an upgrade exactly like any unknown path", async () => {
    const { port } = await start();
    const secret = parse(await raw(port, get(PATH)));
    const other = parse(await raw(port, get("/nothing-here")));
    expect(secret.status).toBe("HTTP/1.1 404 Not Found");
    expect(secret.body).toBe("Not Found\n");
    expect([...secret.headers.keys()]).toEqual([...other.headers.keys()]);
    expect(secret.body).toBe(other.body);
  });
});

describe("WebSocket carrier server: declined upgrades look like plain 404s", () => {
  const cases: [string, string][] = [
    ["wrong path", upgrade("/wrong")],
    ["the secret path as a prefix", upgrade(`${PATH}/more`)],
    ["a prefix of the secret path", upgrade(PATH.slice(0, -1))],
    ["bad Sec-WebSocket-Key", upgrade(PATH, { "Sec-WebSocket-Key": "short" })],
    ["missing Sec-WebSocket-Key", upgrade(PATH, { "Sec-WebSocket-Key": "" })],
    ["version 8", upgrade(PATH, { "Sec-WebSocket-Version": "8" })],
    ["Upgrade: h2c", upgrade(PATH, { Upgrade: "h2c" })],
    ["bad subprotocol list", upgrade(PATH, { "Sec-WebSocket-Protocol": "a b" })],
    ["POST", upgrade(PATH, {}, "POST")],
  ];
  for (const [name, request] of cases) {
    it(`${name}: 404, no carrier, server alive`, async () => {
      const { port, carriers, srv } = await start();
      const response = await raw(port, request);
      const r = parse(response);
      expect(r.status).toBe("HTTP/1.1 404 Not Found");
      expect(r.body).toBe("Not Found\n");
      expect(r.headers.get("content-type")).toBe("text/plain; charset=utf-8");
      expect(response).not.toMatch(TELLTALE);
      expect(carriers).toHaveLength(0);
      expect(srv.counters.accepted).toBe(0);
      // Still serving.
      expect(parse(await raw(port, get("/"))).status).toBe("HTTP/1.1 200 OK");
    });
  }

  it("an upgrade on / gets the cover page, as a web site would", async () => {
    const { port, carriers } = await start();
    const r = parse(await raw(port, upgrade("/")));
    expect(r.status).toBe("HTTP/1.1 200 OK");
    expect(r.headers.get("content-type")).toBe("text/html; charset=utf-8");
    expect(carriers).toHaveLength(0);
  });

  it("HTTP/1.0 upgrade and garbage request lines get ordinary errors", async () => {
    const { port, carriers } = await start();
    expect(parse(await raw(port, upgrade(PATH, {}, "GET", "1.0"))).status).toBe("HTTP/1.1 404 Not Found");
    expect(await raw(port, "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03\r\n\r\n")).toMatch(
      /^HTTP\/1\.1 400 Bad Request/,
    );
    expect(parse(await raw(port, "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n")).status).toBe(
      "HTTP/1.1 404 Not Found",
    );
    expect(carriers).toHaveLength(0);
  });

  it("a well-formed upgrade on the secret path is accepted (101)", async () => {
    const { port, carriers } = await start();
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.write(upgrade(PATH));
    const head = await new Promise<string>((resolve) => sock.once("data", (b: Buffer) => resolve(b.toString())));
    sock.destroy();
    expect(head).toMatch(/^HTTP\/1\.1 101 Switching Protocols\r\n/);
    // RFC 6455 §1.3: the accept value for the sample key.
    expect(head).toContain("Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=");
    await new Promise((r) => setTimeout(r, 20));
    expect(carriers).toHaveLength(1);
  });

  it("past maxCarriers a further upgrade is declined like a wrong path", async () => {
    const { port, carriers } = await start({ maxCarriers: 1 });
    const first = await dialWebSocket(`ws://127.0.0.1:${port}${PATH}`);
    expect(parse(await raw(port, upgrade(PATH))).status).toBe("HTTP/1.1 404 Not Found");
    expect(carriers).toHaveLength(1);
    first.destroy();
  });
});

describe("WebSocket carrier server: hostile WebSocket peers", () => {
  const closeOf = (ws: WebSocket): Promise<number> =>
    new Promise((resolve) => ws.once("close", (code) => resolve(code)));

  it("a text frame closes the connection with 1003 and errors the carrier (ERR_WS_TEXT_FRAME)", async () => {
    const { port, carriers } = await start();
    const ws = new WebSocket(`ws://127.0.0.1:${port}${PATH}`, { perMessageDeflate: false });
    await new Promise((resolve) => ws.once("open", resolve));
    await new Promise((r) => setTimeout(r, 10));
    const carrierErr = new Promise<Error>((resolve) => carriers[0]![0].once("error", resolve));
    const closed = closeOf(ws);
    ws.send("hello");
    expect(await closed).toBe(1003);
    const err = await carrierErr;
    expect(isWebptError(err)).toBe(true);
    expect(err).toMatchObject({ code: "ERR_WS_TEXT_FRAME", closeCode: 1003 });
    expect(parse(await raw(port, get("/"))).status).toBe("HTTP/1.1 200 OK");
  });

  it("a message over maxPayload closes with 1009; the server keeps serving", async () => {
    const { port, carriers } = await start({ maxPayload: 1024 });
    const ws = new WebSocket(`ws://127.0.0.1:${port}${PATH}`, { perMessageDeflate: false });
    ws.on("error", () => undefined);
    await new Promise((resolve) => ws.once("open", resolve));
    await new Promise((r) => setTimeout(r, 10));
    const carrierErr = new Promise<Error>((resolve) => carriers[0]![0].once("error", resolve));
    const closed = closeOf(ws);
    ws.send(Buffer.alloc(1025));
    expect(await closed).toBe(1009);
    expect(isWebptError(await carrierErr)).toBe(true);
    // Exactly maxPayload is fine on a fresh connection.
    const ok = await dialWebSocket(`ws://127.0.0.1:${port}${PATH}`);
    await new Promise((r) => setTimeout(r, 10));
    const got = new Promise<Buffer>((resolve) => carriers[1]![0].once("data", resolve));
    ok.write(Buffer.alloc(1024, 7));
    expect((await got).length).toBe(1024);
    ok.destroy();
  });

  it("slowloris: headers sent 1 byte per second are cut off by headersTimeout", async () => {
    const { port } = await start({
      headersTimeoutMs: 1000,
      requestTimeoutMs: 2000,
      connectionsCheckingIntervalMs: 200,
    });
    const request = upgrade(PATH);
    const sock = net.connect({ host: "127.0.0.1", port });
    sock.on("error", () => undefined);
    let sent = 0;
    const got: Buffer[] = [];
    sock.on("data", (b: Buffer) => got.push(b));
    const ticker = setInterval(() => {
      if (sent < request.length && !sock.destroyed) sock.write(request[sent++]!);
    }, 1000);
    sock.write(request[sent++]!);
    const t0 = Date.now();
    await new Promise((resolve) => sock.once("close", resolve));
    clearInterval(ticker);
    const elapsed = Date.now() - t0;
    expect(elapsed).toBeLessThan(2500);
    expect(sent).toBeLessThan(5);
    expect(Buffer.concat(got).toString()).toMatch(/^HTTP\/1\.1 408 Request Timeout/);
  });
});

describe("WebSocket carrier server: client address", () => {
  const dialWith = async (s: Started, xff: string): Promise<WebSocketConnectionInfo> => {
    const d = await dialWebSocket(`ws://127.0.0.1:${s.port}${PATH}`, { headers: { "X-Forwarded-For": xff } });
    await new Promise((r) => setTimeout(r, 10));
    d.destroy();
    return s.carriers.at(-1)![1];
  };

  it("believes X-Forwarded-For from a trusted proxy", async () => {
    const s = await start({ trustedProxies: ["127.0.0.0/8"] });
    expect(await dialWith(s, "203.0.113.7")).toEqual({
      remoteAddress: "203.0.113.7",
      remotePort: undefined,
      peerAddress: "127.0.0.1",
      peerPort: expect.any(Number),
      forwarded: true,
    });
    expect((await dialWith(s, "198.51.100.1, 203.0.113.7, 127.0.0.2")).remoteAddress).toBe("203.0.113.7");
  });

  it("ignores X-Forwarded-For from anyone else", async () => {
    const s = await start({ trustedProxies: ["10.0.0.0/8", "::1"] });
    const info = await dialWith(s, "203.0.113.7");
    expect(info).toMatchObject({ remoteAddress: "127.0.0.1", forwarded: false });
    expect(info.remotePort).toBe(info.peerPort);
  });
});

describe("dialWebSocket", () => {
  it("rejects a declined dial with the HTTP status (404) and no carrier", async () => {
    const { port, carriers } = await start();
    await expect(dialWebSocket(`ws://127.0.0.1:${port}/wrong`)).rejects.toMatchObject({
      code: "ERR_WS_UNEXPECTED_RESPONSE",
      status: 404,
    });
    expect(carriers).toHaveLength(0);
  });

  it("times out against a server that never answers, and can be aborted", async () => {
    const held = new Set<net.Socket>();
    const silent = net.createServer((sock) => held.add(sock));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
    const port = (silent.address() as net.AddressInfo).port;
    try {
      await expect(dialWebSocket(`ws://127.0.0.1:${port}${PATH}`, { timeoutMs: 200 })).rejects.toMatchObject({
        code: "ERR_TIMEOUT",
      });
      const ac = new AbortController();
      const p = dialWebSocket(`ws://127.0.0.1:${port}${PATH}`, { signal: ac.signal });
      ac.abort();
      await expect(p).rejects.toMatchObject({ code: "ERR_ABORTED" });
      // Already aborted: refused before any connection is made.
      await expect(dialWebSocket(`ws://127.0.0.1:${port}/`, { signal: ac.signal })).rejects.toMatchObject({
        code: "ERR_ABORTED",
      });
    } finally {
      for (const sock of held) sock.destroy();
      await new Promise((resolve) => silent.close(resolve));
    }
  });

  it("refuses URLs that are not ws: or wss:", async () => {
    await expect(dialWebSocket("http://127.0.0.1/x")).rejects.toMatchObject({ code: "ERR_WS_BAD_URL" });
    await expect(dialWebSocket("not a url")).rejects.toMatchObject({ code: "ERR_WS_BAD_URL" });
    await expect(dialWebSocket("ws://127.0.0.1/x#frag")).rejects.toMatchObject({ code: "ERR_WS_BAD_URL" });
  });

  it("works over TLS (wss) with listen({ tls })", async () => {
    const { cert, key } = selfSignedCert();
    const { port, carriers } = await start({}, { cert, key });
    const d = await dialWebSocket(`wss://127.0.0.1:${port}${PATH}`, { ca: cert });
    await new Promise((r) => setTimeout(r, 10));
    const got = new Promise<Buffer>((resolve) => carriers[0]![0].once("data", resolve));
    d.write(Buffer.from("over tls"));
    expect((await got).toString()).toBe("over tls");
    d.destroy();
  });
});
