/**
 * The Node Transport API (seed 000 §3.2.5) end to end on loopback: a server
 * made with generateConfiguration + createServer/createProxy, a client made
 * with createConnector + createConnection, each transport, bound and free,
 * sha256-checked, plus the refusals a user would hit.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { transports, type TransportServer, type ServerManager } from "../../src/server/api/index.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const MiB = 1 << 20;
const closers: (() => Promise<unknown>)[] = [];
afterAll(async () => {
  for (const c of closers.reverse()) await c();
});

let echo: net.Server;
let echoPort: number;
beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as net.AddressInfo).port;
  closers.push(() => new Promise((r) => echo.close(r)));
});

describe.each(["obfs4", "websocket"] as const)("%s through the Transport API", (name) => {
  const t = transports[name];
  let srv: TransportServer;
  beforeAll(async () => {
    const { server } = t.generateConfiguration();
    srv = await t.createServer(server, "127.0.0.1:0", undefined, {}, (stream) => stream.pipe(stream));
    closers.push(() => srv.close());
  });

  it("createServer's bridge line is all createConnector needs, and bytes echo intact", async () => {
    const [connector] = t.createConnector({ bridge: srv.bridgeLine() });
    expect(connector!.name).toBe(name);
    expect(connector!.isBound()).toBe(true);
    let connected = false;
    const conn = connector!.createConnection({}, {}, () => (connected = true));
    expect(conn.getStats().state).toBe("connecting");
    const data = patternBytes(`api-${name}`, 2 * MiB);
    // Written before the connection is up: held, not lost.
    expect(await exchange(conn, data, data.length, 20_000)).toEqual({ received: data.length, sha256: sha256(data) });
    expect(connected).toBe(true);
    const stats = conn.getStats();
    expect(stats.bytesSent).toBe(data.length);
    expect(stats.bytesReceived).toBe(data.length);
    expect(stats.connectMs).toBeGreaterThanOrEqual(0);
    await new Promise((r) => setTimeout(r, 50));
    expect(srv.getStats().transports[0]).toMatchObject({ transport: name, connectionsTotal: 1, bytesUp: data.length });
  });

  it("destroys the connection with the dial's error when the cert is wrong", async () => {
    const wrong = srv.bridgeLine().replace(/cert=[^ ]+/, `cert=${"B".repeat(70)}`);
    const [connector] = t.createConnector({ bridge: wrong });
    const conn = connector!.createConnection({}, { timeoutMs: 1500 });
    const err = await new Promise<Error>((resolve) => conn.once("error", resolve));
    expect((err as { code?: string }).code).toBe("ERR_TIMEOUT");
  });

  it("refuses bad settings at once with the schema's pointer", () => {
    const [connector] = t.createConnector({ bridge: srv.bridgeLine() });
    const bad = { cert: "short", "iat-mode": 0, ...(name === "websocket" ? { url: "ws://127.0.0.1/secret" } : {}) };
    expect(() => connector!.createConnection(bad)).toThrow(
      expect.objectContaining({ code: "ERR_SETTINGS_INVALID", pointer: "/cert" }),
    );
  });
});

describe("createProxy", () => {
  const t = transports.websocket;
  const { client: _client, server } = t.generateConfiguration();
  let bound: ServerManager & { bridgeLine?: () => string };
  let free: ServerManager & { bridgeLine?: () => string };
  let strict: ServerManager & { bridgeLine?: () => string };
  beforeAll(async () => {
    bound = await t.createProxy(server, "127.0.0.1:0", undefined, { target: `127.0.0.1:${echoPort}` });
    free = await t.createProxy(server, "127.0.0.1:0", undefined, { free: { allow: ["127.0.0.1/32"] } });
    strict = await t.createProxy(server, "127.0.0.1:0", undefined, { free: {} });
    closers.push(
      () => bound.close(),
      () => free.close(),
      () => strict.close(),
    );
  });

  it("bound: every connection reaches the target", async () => {
    const [c] = t.createConnector({ bridge: bound.bridgeLine!() });
    const data = patternBytes("bound", MiB);
    expect((await exchange(c!.createConnection(), data, data.length, 20_000)).sha256).toBe(sha256(data));
  });

  it("free: the client names the destination, and the policy allows it", async () => {
    const [c] = t.createConnector({ bridge: free.bridgeLine!(), mode: "free" });
    expect(c!.isBound()).toBe(false);
    const data = patternBytes("free", MiB);
    const conn = c!.createConnection({}, { host: "127.0.0.1", port: echoPort });
    expect((await exchange(conn, data, data.length, 20_000)).sha256).toBe(sha256(data));
  });

  it("free: the default policy refuses loopback with X'02'", async () => {
    const [c] = t.createConnector({ bridge: strict.bridgeLine!(), mode: "free" });
    const conn = c!.createConnection({}, { host: "127.0.0.1", port: echoPort });
    const err = await new Promise<Error>((resolve) => conn.once("error", resolve));
    expect((err as { reply?: number }).reply).toBe(0x02);
  });
});
