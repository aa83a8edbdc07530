/**
 * The webrtc transport end to end, as the manager runs it: the factory
 * starts the sealed signaling endpoint; a Node client dials with the
 * settings a bridge line gives (cert, iat-mode, signal), layers obfs4 on the
 * DataChannel, and 16 MiB go each way intact. The client address handed to
 * the sink is the ICE remote candidate's (the client's real UDP source).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRtcEngine, type RtcEngine, type RtcPeer } from "../../src/server/carriers/webrtc/engine.js";
import { NdcPeerConnectionAdapter } from "../../src/server/carriers/webrtc/engine-node-datachannel.js";
import { dialWebRtc } from "../../src/server/carriers/webrtc/index.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { selfSignedCert } from "../helpers/tls.js";
import { LOOPBACK, dialObfs4OverWebRtc, startBridge, type StartedBridge } from "./carrier-webrtc-helpers.js";

const MiB = 1024 * 1024;
let bridge: StartedBridge | undefined;
let engine: RtcEngine | undefined;

afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
  engine?.close();
  engine = undefined;
});

/** A client engine that remembers its peers, so the test can read the client's side of the selected pair. */
async function spyEngine(): Promise<{ engine: RtcEngine; peers: RtcPeer[] }> {
  const inner = await createRtcEngine("node-datachannel");
  engine = inner;
  const peers: RtcPeer[] = [];
  return {
    peers,
    engine: {
      name: inner.name,
      close: () => inner.close(),
      async createPeerConnection(config) {
        const pc = await inner.createPeerConnection(config);
        peers.push(pc);
        return pc;
      },
    },
  };
}

describe("webrtc transport", () => {
  it("advertises signal= (and the stun: ICE servers only) in its args", async () => {
    bridge = await startBridge({
      ice: "stun:127.0.0.1:3478",
    });
    const t = bridge.transport;
    expect(t.name).toBe("webrtc");
    expect(t.args).toEqual([
      ["signal", `http://127.0.0.1:${t.address.port}${t.path}`],
      ["ice", "stun:127.0.0.1:3478"],
    ]);
    expect(t.path).toMatch(/^\/[0-9a-f]{32}$/);
    expect(bridge.settings.signal).toBe(t.signalUrl);
  });

  it("carries 16 MiB each way through obfs4, sha256-equal, with USERADDR from the ICE candidate", async () => {
    bridge = await startBridge();
    const spy = await spyEngine();
    const client = await dialObfs4OverWebRtc(bridge.settings, { engine: spy.engine });
    client.on("error", () => undefined);
    const [server, info] = await bridge.nextStream();

    // The client's own end of its selected pair is the remote candidate the bridge reports.
    const pc = spy.peers[0];
    expect(pc).toBeInstanceOf(NdcPeerConnectionAdapter);
    const local = (pc as NdcPeerConnectionAdapter).inner.getSelectedCandidatePair()?.local;
    expect(local?.address).toBe("127.0.0.1");
    expect(info).toEqual({ remoteAddress: "127.0.0.1", remotePort: local?.port });
    expect(info.remotePort).not.toBe(bridge.transport.address.port); // not the signaling TCP connection

    const up = patternBytes("webrtc up", 16 * MiB);
    const down = patternBytes("webrtc down", 16 * MiB);
    const [atClient, atServer] = await Promise.all([
      exchange(client, up, down.length, 60_000),
      exchange(server, down, up.length, 60_000),
    ]);
    expect(atServer).toEqual({ received: up.length, sha256: sha256(up) });
    expect(atClient).toEqual({ received: down.length, sha256: sha256(down) });
    expect(bridge.transport.carrier.answered).toBe(1);
    expect(bridge.transport.engine.counters.established).toBe(1);
  }, 60_000);

  it("gathers within ice-port-range", async () => {
    bridge = await startBridge({ "ice-port-range": "47000-47010" });
    const spy = await spyEngine();
    const carrier = await dialWebRtc(bridge.settings, {
      hostAddresses: LOOPBACK,
      engine: spy.engine,
      timeoutMs: 15_000,
    });
    const pair = (spy.peers[0] as NdcPeerConnectionAdapter).inner.getSelectedCandidatePair();
    expect(pair?.remote.port).toBeGreaterThanOrEqual(47000);
    expect(pair?.remote.port).toBeLessThanOrEqual(47010);
    carrier.destroy();
  }, 20_000);

  it("closes the bridge's peer when the client's carrier closes", async () => {
    bridge = await startBridge();
    const client = await dialObfs4OverWebRtc(bridge.settings);
    client.on("error", () => undefined);
    const [server] = await bridge.nextStream();
    expect(bridge.transport.answerer.peers).toBe(1);
    const closed = new Promise((resolve) => server.once("close", resolve));
    client.destroy();
    await closed;
    await expect.poll(() => bridge!.transport.answerer.peers, { timeout: 5000 }).toBe(0);
  }, 20_000);

  it("signals over HTTPS with tls-cert/tls-key", async () => {
    const tls = selfSignedCert();
    bridge = await startBridge({ "tls-cert": tls.certFile, "tls-key": tls.keyFile });
    expect(bridge.transport.signalUrl).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/[0-9a-f]{32}$/);
    const carrier = await dialWebRtc(bridge.settings, { hostAddresses: LOOPBACK, ca: tls.cert, timeoutMs: 15_000 });
    const client = await startObfs4Client(carrier, bridge.settings, { timeoutMs: 15_000 });
    client.on("error", () => undefined);
    const [server] = await bridge.nextStream();
    const [a, b] = await Promise.all([
      exchange(client, Buffer.from("ping"), 4),
      exchange(server, Buffer.from("pong"), 4),
    ]);
    expect(a.received).toBe(4);
    expect(b.received).toBe(4);
    client.destroy();
  }, 30_000);

  it("keeps the secret path across restarts (state dir) and honours path= and url=", async () => {
    bridge = await startBridge({ path: "/my-secret", url: "https://bridge.example/my-secret" });
    expect(bridge.transport.path).toBe("/my-secret");
    expect(bridge.transport.args[0]).toEqual(["signal", "https://bridge.example/my-secret"]);
  });

  it.each([
    [{ engine: "libwebrtc" }, /engine/],
    [{ ice: "http://stun.example" }, /ice/],
    [{ ice: "turn:turn.example" }, /ice-username/],
    [{ "ice-username": "u" }, /together/],
    [{ "public-ip": "not-an-ip" }, /public-ip/],
    [{ "public-ip": "192.0.2.1,192.0.2.2" }, /at most one IPv4/],
    [{ "ice-port-range": "9000-8000" }, /ice-port-range/],
    [{ path: "/" }, /path/],
  ])("refuses bad options %j", async (options, message) => {
    await expect(startBridge(options)).rejects.toThrow(message);
  });
});
