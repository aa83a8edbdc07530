/**
 * Probing resistance (obfs4-spec §4, issue 3): a server never answers a
 * client that cannot prove it knows the bridge's cert, and closes such a
 * connection only after its handshake timeout plus its per-bridge delay, so
 * every failure looks alike. Timeouts are shortened here; the values
 * obfs4proxy uses (30 s + [0, 60) s) are the defaults.
 */
import net from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Obfs4ClientSession, decodeCert, generateServerState } from "../../src/shared/codec/obfs4/index.js";
import { dialObfs4Tcp } from "../../src/server/obfs4/tcp.js";
import { startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import { startWebptObfs4Server, type WebptObfs4Server } from "../helpers/obfs4-node.js";

const TIMEOUT_MS = 800;
const DELAY_MS = 400;

/** Sends `bytes` (in pieces, optionally), then reports every byte that came back and when the server closed. */
function probe(port: number, pieces: Uint8Array[]): Promise<{ received: number; closedAfterMs: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    let received = 0;
    const sock = net.connect({ host: "127.0.0.1", port }, () => {
      for (const p of pieces) sock.write(p);
    });
    sock.on("data", (d: Buffer) => (received += d.length));
    sock.on("error", () => undefined);
    sock.on("close", () => resolve({ received, closedAfterMs: Date.now() - t0 }));
    setTimeout(() => reject(new Error("server never closed the probe")), 10_000);
  });
}

describe("obfs4 server under probes", () => {
  let peer: ExchangePeer;
  let server: WebptObfs4Server;
  beforeAll(async () => {
    peer = await startExchangePeer(
      () => new Uint8Array(0),
      () => 0,
    );
    server = await startWebptObfs4Server({
      target: peer.port,
      options: { handshakeTimeoutMs: TIMEOUT_MS, closeDelayMs: DELAY_MS },
    });
  });
  afterAll(async () => {
    await server.close();
    await peer.close();
  });

  const expectSilentClose = (r: { received: number; closedAfterMs: number }): void => {
    expect(r.received).toBe(0);
    expect(r.closedAfterMs).toBeGreaterThanOrEqual(TIMEOUT_MS + DELAY_MS - 50);
    expect(r.closedAfterMs).toBeLessThan(TIMEOUT_MS + DELAY_MS + 2000);
  };

  it("a client with the wrong cert gets no byte back", async () => {
    const other = generateServerState();
    const session = new Obfs4ClientSession({
      nodeId: server.state.nodeId,
      identityPublicKey: other.publicKey,
      iatMode: 0,
    });
    expectSilentClose(await probe(server.port, [session.request]));
  });

  it("random bytes get no answer, short or past the handshake limit", async () => {
    expectSilentClose(await probe(server.port, [randomBytes(200)]));
    expectSilentClose(await probe(server.port, [randomBytes(20_000)]));
  });

  it("a truncated handshake gets no answer", async () => {
    const { nodeId, identityPublicKey } = decodeCert(server.cert);
    const session = new Obfs4ClientSession({ nodeId, identityPublicKey, iatMode: 0 });
    expectSilentClose(await probe(server.port, [session.request.subarray(0, session.request.length - 1)]));
  });

  it("a replayed handshake gets no answer, though the original did", async () => {
    const { nodeId, identityPublicKey } = decodeCert(server.cert);
    const session = new Obfs4ClientSession({ nodeId, identityPublicKey, iatMode: 0 });
    const first = await new Promise<number>((resolve) => {
      const sock = net.connect({ host: "127.0.0.1", port: server.port }, () => sock.write(session.request));
      sock.once("data", (d: Buffer) => {
        sock.destroy();
        resolve(d.length);
      });
    });
    expect(first).toBeGreaterThan(0);
    expectSilentClose(await probe(server.port, [session.request]));
  });

  it("a genuine client still connects after all that, and failures were counted", async () => {
    const { nodeId, identityPublicKey } = decodeCert(server.cert);
    const stream = await dialObfs4Tcp(server, { nodeId, publicKey: identityPublicKey, iatMode: 0 });
    expect(stream.established).toBe(true);
    stream.destroy();
    expect(server.engine.counters.failedHandshakes).toBeGreaterThanOrEqual(5);
  });
});
