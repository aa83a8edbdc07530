/**
 * The browser Transport API (src/shared/transport) against a real webpt
 * bridge in this process, with Node's `ws` standing in for the browser's
 * WebSocket and werift for RTCPeerConnection (the same W3C shapes): bound
 * echo over websocket and webrtc, free mode through SOCKS5 inside the
 * tunnel (allowed and refused destinations), and the transport's books.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { RTCPeerConnection } from "werift";
import { WebSocket } from "ws";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { formatBridgeLine } from "../../src/shared/settings/index.js";
import {
  createBrowserTransports,
  type DialEnvironment,
  type RTCPeerConnectionConstructorLike,
  type WebSocketConstructorLike,
} from "../../src/shared/transport/index.js";
import type { RunningWebRtcTransport } from "../../src/server/carriers/webrtc/index.js";
import { startBridgeServer, type BridgeServer } from "../../src/server/service/manager.js";
import type { StreamSink } from "../../src/server/service/types.js";
import { makePolicy } from "../../src/server/standalone/policy.js";
import { freeSink } from "../../src/server/standalone/sinks.js";
import { patternBytes, sha256 } from "../helpers/bulk.js";
import { startCountingEcho } from "../helpers/standalone.js";
import { readN, writeAll } from "./browser-transport-fakes.js";

const env: DialEnvironment = {
  WebSocket: WebSocket as unknown as WebSocketConstructorLike,
  RTCPeerConnection: RTCPeerConnection as unknown as RTCPeerConnectionConstructorLike,
};

const echo: StreamSink = async (stream) => {
  stream.on("error", () => undefined);
  stream.pipe(stream);
  await new Promise((r) => stream.once("close", r));
  return {};
};

async function bridge(
  sink: StreamSink,
  names: string[],
): Promise<{ server: BridgeServer; lines: Record<string, string>; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "webpt-browser-transport-"));
  const server = await startBridgeServer({
    stateDir: dir,
    transports: names.map((name) => ({
      name,
      bind: { host: "127.0.0.1", port: 0 },
      options: new Map(name === "webrtc" ? [["ice-address", "127.0.0.1"]] : []),
    })),
    sink,
    log: { log: () => undefined },
    engineOptions: { closeDelayMs: 0 },
  });
  const lines: Record<string, string> = {};
  for (const t of server.running) {
    lines[t.name] = formatBridgeLine({
      transport: t.name,
      host: "127.0.0.1",
      port: t.address.port,
      args: server.clientArgs(t),
    });
  }
  return { server, lines, dir };
}

describe("browser transports against a real bridge", () => {
  let bound: Awaited<ReturnType<typeof bridge>>;
  beforeAll(async () => {
    bound = await bridge(echo, ["websocket", "webrtc"]);
  }, 30_000);
  afterAll(async () => {
    await bound?.server.stopAccepting();
    bound?.server.closeAll();
    if (bound !== undefined) await rm(bound.dir, { recursive: true, force: true });
  });

  for (const name of ["websocket", "webrtc"] as const) {
    it(`${name}: 1 MiB each way through the echo, sha256-equal, and counted`, async () => {
      const transports = createBrowserTransports(env);
      const [connector] = transports[name].createConnector({ bridge: bound.lines[name]! });
      expect(connector!.name).toBe(name);
      expect(connector!.isBound()).toBe(true);
      const conn = connector!.createConnection();
      const info = await conn.opened;
      expect(info.transport).toBe(name);
      const data = patternBytes(`bt-${name}`, 1 << 20);
      const [, got] = await Promise.all([writeAll(conn, data), readN(conn, data.length)]);
      expect(got).toEqual({ received: data.length, sha256: sha256(data) });
      expect(transports[name].getStats()).toMatchObject({
        connectionsOpen: 1,
        connectionsTotal: 1,
        bytesSent: data.length,
      });
      await conn.close();
      expect(transports[name].getStats()).toMatchObject({
        connectionsOpen: 0,
        connectionsFailed: 0,
        bytesSent: data.length,
        bytesReceived: data.length,
      });
    }, 30_000);
  }

  it("webrtc with manual signaling: the offer goes out over the signals pipe and the answer comes back", async () => {
    const rtc = bound.server.running.find((t) => t.name === "webrtc") as RunningWebRtcTransport;
    const sent: string[] = [];
    let deliver: (m: string) => void = () => undefined;
    const signals = {
      send(message: string) {
        sent.push(message);
        // A person pastes a wrong text first, then the operator's real answer.
        deliver("webpt-answer:AAAA");
        void rtc.answerManualOffer(message).then((answer) => deliver(answer));
      },
      onMessage(listener: (m: string) => void) {
        deliver = listener;
      },
    };
    const [connector] = createBrowserTransports(env).webrtc.createConnector(
      { bridge: bound.lines.webrtc!, signaling: "manual" },
      undefined,
      signals,
    );
    const conn = connector!.createConnection();
    await conn.opened;
    expect(sent).toHaveLength(1);
    expect(sent[0]).toMatch(/^webpt-offer:/);
    await writeAll(conn, new Uint8Array([4, 5, 6]));
    expect(await readN(conn, 3)).toMatchObject({ received: 3 });
    await conn.close();
  }, 30_000);

  it("a connector refuses a bridge of another transport, and a free connector without a destination", () => {
    const t = createBrowserTransports(env);
    expect(() => t.webrtc.createConnector({ bridge: bound.lines.websocket! })).toThrow(/not webrtc/);
    const [free] = t.websocket.createConnector({ bridge: bound.lines.websocket!, mode: "free" });
    expect(free!.isBound()).toBe(false);
    expect(() => free!.createConnection()).toThrow(expect.objectContaining({ code: "ERR_TRANSPORT_SETTINGS" }));
  });

  it("a wrong url fails the dial with ERR_TRANSPORT_DIAL, and the books say so", async () => {
    const t = createBrowserTransports(env);
    const line = bound.lines.websocket!.replace(/url=\S+/, "url=ws://127.0.0.1:1/nothing");
    const conn = t.websocket.createConnector({ bridge: line })[0]!.createConnection();
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_TRANSPORT_DIAL" });
    expect(t.websocket.getStats()).toMatchObject({ connectionsFailed: 1, lastError: { code: "ERR_TRANSPORT_DIAL" } });
  });
});

describe("free mode: SOCKS5 inside the tunnel", () => {
  let free: Awaited<ReturnType<typeof bridge>>;
  let target: Awaited<ReturnType<typeof startCountingEcho>>;
  beforeAll(async () => {
    target = await startCountingEcho();
    free = await bridge(freeSink(makePolicy({ allow: ["127.0.0.1"] }), { log: { log: () => undefined } }), [
      "websocket",
    ]);
  }, 30_000);
  afterAll(async () => {
    await free?.server.stopAccepting();
    free?.server.closeAll();
    await target?.close();
    if (free !== undefined) await rm(free.dir, { recursive: true, force: true });
  });

  it("reaches the destination it names, and reports it", async () => {
    const [connector] = createBrowserTransports(env).websocket.createConnector({
      bridge: free.lines.websocket!,
      mode: "free",
    });
    const conn = connector!.createConnection({}, { host: "127.0.0.1", port: target.port });
    const info = await conn.opened;
    expect(info.destination).toBe(`127.0.0.1:${target.port}`);
    const data = patternBytes("free", 256 * 1024);
    const [, got] = await Promise.all([writeAll(conn, data), readN(conn, data.length)]);
    expect(got).toEqual({ received: data.length, sha256: sha256(data) });
    expect(target.accepted()).toBe(1);
    await conn.close();
  });

  it("a destination the bridge's policy refuses rejects opened with the SOCKS reply", async () => {
    const [connector] = createBrowserTransports(env).websocket.createConnector({
      bridge: free.lines.websocket!,
      mode: "free",
    });
    const conn = connector!.createConnection({}, { host: "127.0.0.1", port: 25 }); // always denied
    await expect(conn.opened).rejects.toMatchObject({ name: "SocksError", reply: 0x02 });
  });
});
