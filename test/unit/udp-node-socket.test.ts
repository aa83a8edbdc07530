/**
 * The two front ends of UdpClientRelay: the UDP listener of `webpt client`
 * (startUdpClient, a real dgram socket on loopback) and the Transport API's
 * dgram-like TunnelUdpSocket. The transport is in memory and echoes frames,
 * so what comes back is what the relay framed.
 */
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import {
  TunnelUdpSocket,
  parsePeerKey,
  peerKey,
  startUdpClient,
  type RemoteInfo,
  type UdpClient,
} from "../../src/server/udp/index.js";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { EventLog, fakeTransport, until, type FakeTransport } from "../helpers/udp.js";

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

/** Dials whose far end sends every byte straight back: frames come back as sent. */
function echoTransport(): FakeTransport {
  const t = fakeTransport();
  const dial = t.dial;
  return {
    ...t,
    dial: async (signal) => {
      const near = await dial(signal);
      const far = t.far.at(-1)!;
      far.pipe(far);
      return near;
    },
  };
}

describe("peer keys", () => {
  it.each([
    ["127.0.0.1", 5000, "127.0.0.1:5000"],
    ["::1", 1, "[::1]:1"],
    ["fe80::1%lo", 65535, "[fe80::1%lo]:65535"],
  ])("%s port %d ↔ %s", (address, port, key) => {
    expect(peerKey(address, port)).toBe(key);
    expect(parsePeerKey(key)).toEqual({ address, port });
  });
});

describe("startUdpClient", () => {
  async function app(client: UdpClient) {
    const sock = dgram.createSocket("udp4");
    const got: string[] = [];
    sock.on("message", (m) => got.push(toHex(m)));
    await new Promise<void>((r) => sock.bind(0, "127.0.0.1", r));
    cleanup.push(() => sock.close());
    const send = (hex: string) => sock.send(fromHex(hex), client.address.port, client.address.address);
    return { sock, got, send, key: peerKey("127.0.0.1", sock.address().port) };
  }

  it("listens on loopback by default, keys flows by the app's source address, and echoes after the first packet", async () => {
    const t = echoTransport();
    const log = new EventLog();
    const client = await startUdpClient({ dial: t.dial, onEvent: log.on });
    cleanup.push(() => client.close());
    expect(client.address).toMatchObject({ address: "127.0.0.1", family: "IPv4" });
    expect(client.mode).toBe("transparent");
    const a = await app(client);
    const b = await app(client);
    a.send("01");
    await until(() => client.state(a.key) === "Connected", "a Connected");
    a.send("aabb");
    b.send("02");
    await until(() => client.state(b.key) === "Connected", "b Connected");
    b.send("cc");
    await until(() => a.got.length === 1 && b.got.length === 1, "echoes");
    expect([a.got, b.got]).toEqual([["aabb"], ["cc"]]);
    expect(log.kinds().filter((k) => k.startsWith("drop"))).toEqual([
      "drop:connection-opening",
      "drop:connection-opening",
    ]);
    expect(client.openConnections).toBe(2);
    await client.close();
    expect(client.openConnections).toBe(0);
    await client.close(); // idempotent
  });

  it("fails to start when the port is taken", async () => {
    const first = await startUdpClient({ dial: echoTransport().dial });
    cleanup.push(() => first.close());
    const listen = { host: "127.0.0.1", port: first.address.port };
    await expect(startUdpClient({ dial: echoTransport().dial, listen })).rejects.toMatchObject({ code: "EADDRINUSE" });
  });
});

describe("TunnelUdpSocket (createUDPSocket)", () => {
  function socket(options: Partial<ConstructorParameters<typeof TunnelUdpSocket>[0]> = {}) {
    const t = echoTransport();
    const s = new TunnelUdpSocket({ dial: t.dial, ...options });
    cleanup.push(() => s.close());
    const got: { hex: string; rinfo: RemoteInfo }[] = [];
    s.on("message", (m: Buffer, rinfo: RemoteInfo) => got.push({ hex: toHex(m), rinfo }));
    return { t, s, got };
  }

  it("follows Table 1: the first send is dropped while connecting, later ones come back as 'message'", async () => {
    const { s, got } = socket();
    const drops: unknown[] = [];
    s.on("drop", (e) => drops.push(e));
    const listening = new Promise((r) => s.once("listening", r));
    s.send("hi", 9999, "198.51.100.1");
    await listening;
    expect(drops).toEqual([expect.objectContaining({ reason: "connection-opening", length: 2 })]);
    await until(() => s.flowState === "Connected", "Connected");
    const sent = await new Promise<number>((resolve, reject) =>
      s.send(Buffer.from("00010203", "hex"), 1, 2, (err, n) => (err === null ? resolve(n) : reject(err))),
    );
    expect(sent).toBe(2);
    s.send(["a", Buffer.from("b")]);
    await until(() => got.length === 2, "two messages");
    expect(got.map((g) => g.hex)).toEqual(["0102", "6162"]);
    // rinfo names the sender send() was given (the bridge decides the real destination).
    expect(got[0]!.rinfo).toEqual({ address: "198.51.100.1", port: 9999, family: "IPv4", size: 2 });
  });

  it("connect() sets the remote reported in rinfo and remoteAddress()", async () => {
    const { s, got } = socket({ type: "udp6" });
    const connected = new Promise((r) => s.connect(7000, "2001:db8::1", () => r(undefined)));
    await connected;
    expect(s.remoteAddress()).toEqual({ address: "2001:db8::1", port: 7000, family: "IPv6" });
    expect(() => s.connect(1)).toThrow(expect.objectContaining({ code: "ERR_SOCKET_DGRAM_IS_CONNECTED" }));
    s.send("x");
    await until(() => s.flowState === "Connected", "Connected");
    s.send("y");
    await until(() => got.length === 1, "echo");
    expect(got[0]).toEqual({ hex: "79", rinfo: { address: "2001:db8::1", port: 7000, family: "IPv6", size: 1 } });
    expect(s.address()).toEqual({ address: "::", family: "IPv6", port: 0 });
    s.disconnect();
    expect(() => s.remoteAddress()).toThrow(expect.objectContaining({ code: "ERR_SOCKET_DGRAM_NOT_CONNECTED" }));
  });

  it("close() closes the transport and emits 'close'; a closed socket refuses sends", async () => {
    const { t, s } = socket();
    s.send("x");
    await until(() => s.flowState === "Connected", "Connected");
    await new Promise((r) => s.close(() => r(undefined)));
    await until(() => t.far[0]!.destroyed, "transport closed");
    expect(() => s.send("y")).toThrow(expect.objectContaining({ code: "ERR_UDP_SOCKET_CLOSED" }));
  });

  it("an aborted signal closes the socket, as dgram.createSocket's does", async () => {
    const ac = new AbortController();
    const { s } = socket({ signal: ac.signal });
    const closed = new Promise((r) => s.once("close", r));
    ac.abort();
    await closed;
    expect(() => s.send("y")).toThrow(expect.objectContaining({ code: "ERR_UDP_SOCKET_CLOSED" }));
  });

  it("rejects offset/length outside the message", () => {
    const { s } = socket();
    expect(() => s.send(Buffer.alloc(4), 3, 2)).toThrow(RangeError);
    expect(() => s.send(Buffer.alloc(4), -1, 2)).toThrow(RangeError);
  });
});
