/**
 * Transparent UDP (seed 000 §3.3.5) end to end: a UDP app → webpt client's
 * UDP listener → obfs4 over TCP → the bridge manager with the UDP sink → a
 * UDP echo server, and back. 10,010 datagrams (every size from 1 to 1400,
 * seven times over, plus ten of 65,000 bytes) come back intact and in order;
 * the only losses are the ones Table 1 prescribes, and the test names them.
 */
import dgram from "node:dgram";
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialBridge } from "../../src/server/client/bridge-dial.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import {
  createUdpConnectors,
  readUdpClientFlags,
  runUdpClient,
  type UdpRelayEvent,
} from "../../src/server/udp/index.js";
import { formatIpcMessage } from "../../src/shared/codec/pt-ipc/index.js";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { EventLog, startUdpEcho, until, type UdpEcho } from "../helpers/udp.js";
import { gate, startClient, startUdpBridge, type UdpBridge } from "./udp-stack.js";

const quiet = { log: () => undefined };

/** Datagram `k`: `size` bytes that differ from every other datagram of the same size. */
function datagram(k: number, size: number): Buffer {
  const b = Buffer.allocUnsafe(size);
  for (let j = 0; j < size; j++) b[j] = (k * 131 + j * 7 + (j >> 8)) & 0xff;
  if (size >= 4) b.writeUInt32BE(k, 0);
  return b;
}

/** The sizes of the bulk run: 1..1400 cycled over 10,000 datagrams, and a 65,000-byte one after every 1,000th. */
function bulkSizes(): number[] {
  const sizes: number[] = [];
  for (let k = 0; k < 10_000; k++) {
    sizes.push(1 + (k % 1400));
    if (k % 1000 === 999) sizes.push(65_000);
  }
  return sizes;
}

/**
 * Sends a 1-byte datagram every 20 ms until `connected()`: the first is dropped (row 1) and opens the flow, the
 * rest keep it from idling out (row 8 applies while Waiting too) should the dial be slow on a busy machine.
 */
async function openFlow(app: dgram.Socket, port: number, connected: () => boolean): Promise<void> {
  const timer = setInterval(() => app.send(fromHex("01"), port, "127.0.0.1"), 20);
  app.send(fromHex("01"), port, "127.0.0.1");
  try {
    await until(connected, "Connected", 10_000);
  } finally {
    clearInterval(timer);
  }
}

async function appSocket(): Promise<dgram.Socket> {
  const s = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  return s;
}

let echo: UdpEcho;
let bridge: UdpBridge;
beforeAll(async () => {
  echo = await startUdpEcho();
  bridge = await startUdpBridge({ target: { host: "127.0.0.1", port: echo.port }, mode: "transparent" });
});
afterAll(async () => {
  await bridge.close();
  await echo.close();
});

describe("transparent UDP through obfs4", () => {
  it("echoes 10,010 datagrams of 1..1400 and 65,000 bytes intact; drops exactly the ones sent while Waiting", async () => {
    const g = gate(bridge.dial);
    const { client, log } = await startClient({ dial: g.dial, mode: "transparent" });
    const app = await appSocket();
    const to = client.address;
    try {
      // Table 1 rows 1 and 2: five datagrams while the transport connection is held Waiting.
      const early = [0, 1, 2, 3, 4].map((i) => datagram(1_000_000 + i, 100 + i));
      for (const d of early) app.send(d, to.port, to.address);
      await until(() => log.events.filter((e) => e.kind === "drop").length === 5, "five drops");
      const drops = log.events.filter((e): e is Extract<UdpRelayEvent, { kind: "drop" }> => e.kind === "drop");
      expect(drops.map((d) => d.reason)).toEqual(["connection-opening", "waiting", "waiting", "waiting", "waiting"]);
      expect(drops.map((d) => toHex(d.datagram!))).toEqual(early.map((d) => toHex(d)));
      g.open();
      const key = `127.0.0.1:${app.address().port}`;
      await until(() => client.state(key) === "Connected", "Connected", 10_000);

      // Row 3, 10,010 times: at most 64 datagrams in flight (under 160 KB), so no socket buffer or transport backlog
      // overflows: a loss here would be a bug, not congestion.
      const sizes = bulkSizes();
      const expected = sizes.map((size, k) => datagram(k, size));
      let sent = 0;
      let received = 0;
      let mismatch: string | undefined;
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`stalled at ${received}/${sizes.length}`)), 45_000);
        const pump = (): void => {
          while (sent < expected.length && sent - received < 64) app.send(expected[sent++]!, to.port, to.address);
        };
        app.on("message", (msg: Buffer) => {
          if (mismatch === undefined && !msg.equals(expected[received]!)) {
            mismatch = `echo ${received}: ${msg.length} bytes, expected ${expected[received]!.length}`;
          }
          if (++received === expected.length) {
            clearTimeout(timer);
            resolve();
          } else pump();
        });
        pump();
      });
      expect(mismatch).toBeUndefined();
      expect(received).toBe(10_010);
      // The Server App saw exactly the bulk run: none of the five dropped datagrams reached it.
      expect(echo.seen.length).toBe(10_010);
      expect(echo.seen.filter((s) => s.msg.length === 65_000)).toHaveLength(10);
      const stats = client.getStats();
      expect(stats).toMatchObject({ datagramsUp: 10_010, datagramsDown: 10_010, flowsTotal: 1 });
      expect(Object.entries(stats.dropped).filter(([, n]) => n > 0)).toEqual([
        ["connection-opening", 1],
        ["waiting", 4],
      ]);
      expect(Object.values(bridge.sink.getStats().dropped).every((n) => n === 0)).toBe(true);
    } finally {
      app.close();
      await client.close();
    }
  }, 60_000);

  it("rows 8 and 5: the client's idle timeout closes the flow, the server removes it, the next packet dials again", async () => {
    const { client, log } = await startClient({ dial: bridge.dial, mode: "transparent", idleTimeoutMs: 300 });
    const app = await appSocket();
    const key = `127.0.0.1:${app.address().port}`;
    const got: string[] = [];
    app.on("message", (m: Buffer) => got.push(toHex(m)));
    await until(() => bridge.sink.size === 0, "earlier flows gone from the server");
    const closedBefore = bridge.sinkLog.count("removed:connection-closed");
    try {
      await openFlow(app, client.address.port, () => client.state(key) === "Connected");
      app.send(fromHex("02"), client.address.port, "127.0.0.1");
      await until(() => got.includes("02"), "echo");
      await until(() => log.count("removed:idle-timeout") === 1, "client idle timeout");
      await until(() => bridge.sinkLog.count("removed:connection-closed") === closedBefore + 1, "server removal");
      app.send(fromHex("03"), client.address.port, "127.0.0.1");
      await until(() => log.count("drop:connection-opening") === 2, "a new flow");
      expect(got.at(-1)).toBe("02");
    } finally {
      app.close();
      await client.close();
    }
  });

  it("row 5 from the server's side: the server's idle timeout closes the connection and the client removes it", async () => {
    const echo2 = await startUdpEcho();
    const b = await startUdpBridge({
      target: { host: "127.0.0.1", port: echo2.port },
      mode: "transparent",
      idleTimeoutMs: 150,
    });
    const { client, log } = await startClient({ dial: b.dial, mode: "transparent" });
    const app = await appSocket();
    const key = `127.0.0.1:${app.address().port}`;
    try {
      app.send(fromHex("01"), client.address.port, "127.0.0.1");
      await until(() => log.count("connected") === 1, "Connected", 10_000);
      await until(() => b.sinkLog.count("removed:idle-timeout") === 1, "server idle timeout");
      await until(() => log.count("removed:connection-closed") === 1, "client removal");
      expect(client.state(key)).toBeUndefined();
    } finally {
      app.close();
      await client.close();
      await b.close();
      await echo2.close();
    }
  });

  it("row 6: a bridge that refuses the connection is a failed connection", async () => {
    const closed = net.createServer();
    await new Promise<void>((r) => closed.listen(0, "127.0.0.1", r));
    const port = (closed.address() as net.AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const { client, log } = await startClient({
      dial: (signal) => dialBridge(bridge.settings, { target: { host: "127.0.0.1", port }, signal }),
    });
    const app = await appSocket();
    try {
      app.send(fromHex("01"), client.address.port, "127.0.0.1");
      await until(() => log.count("removed:connection-failed") === 1, "connection failed");
      expect(client.openConnections).toBe(0);
    } finally {
      app.close();
      await client.close();
    }
  });

  it("a frame cut short by the client's close is malformed framing; the bridge keeps serving", async () => {
    const before = bridge.sinkLog.count("removed:malformed-framing");
    const stream: Obfs4Stream = await dialBridge(bridge.settings, { target: bridge.address });
    stream.on("error", () => undefined);
    stream.end(fromHex("0005" + "6162"));
    await until(() => bridge.sinkLog.count("removed:malformed-framing") === before + 1, "malformed framing");
    const ok = await dialBridge(bridge.settings, { target: bridge.address });
    const back = new Promise<Buffer>((r) => ok.once("data", r));
    ok.write(fromHex("0002" + "beef"));
    expect(toHex(await back)).toBe("0002beef");
    ok.destroy();
  });

  it("runUdpClient: -udp flags and a bridge line give the CMETHOD line and a working relay", async () => {
    const flags = readUdpClientFlags(
      new Map([
        ["udp", "transparent"],
        ["udp-bridge", bridge.bridgeLine],
      ]),
      "2",
    )!;
    const events = new EventLog();
    const running = await runUdpClient({ flags, log: quiet, onEvent: events.on });
    const app = await appSocket();
    try {
      expect(formatIpcMessage(running.cmethod, { version: "2" })).toBe(
        `CMETHOD obfs4 transparent-UDP 127.0.0.1:${running.address.port}`,
      );
      // An application retransmits until answered, as UDP applications do.
      const answer = new Promise<Buffer>((r) => app.once("message", r));
      const timer = setInterval(() => app.send("ping", running.address.port, "127.0.0.1"), 25);
      const got = await answer;
      clearInterval(timer);
      expect(got.toString()).toBe("ping");
      expect(events.count("drop:connection-opening")).toBe(1);
    } finally {
      app.close();
      await running.close();
    }
  });

  it("createUDPSocket (Transport API): a dgram-like socket through the bridge", async () => {
    const [connector] = createUdpConnectors("obfs4", { bridge: bridge.bridgeLine, mode: "transparent" });
    const sock = connector!.createUDPSocket("udp4");
    try {
      const answer = new Promise<Buffer>((r) => sock.once("message", r));
      sock.send("first"); // dropped: it opens the connection (Table 1 row 1)
      await until(() => sock.flowState === "Connected", "Connected", 10_000);
      sock.send("second");
      expect((await answer).toString()).toBe("second");
    } finally {
      sock.close();
    }
  });
});
