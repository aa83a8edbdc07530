/** Bound mode over real sockets on 127.0.0.1: every obfs4 stream goes to the operator's target, payload only. */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { boundSink } from "../../src/server/standalone/sinks.js";
import { exchange, patternBytes, sha256, startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import { closedPort, eventually, readToEnd, startSinkRig, type SinkRig } from "../helpers/standalone.js";

const MiB = 1 << 20;

describe("bound mode", () => {
  const up = patternBytes("bound-up", 4 * MiB);
  const down = patternBytes("bound-down", 4 * MiB);
  let peer: ExchangePeer;
  let rig: SinkRig;

  beforeAll(async () => {
    peer = await startExchangePeer(
      (i) => (i === 0 ? down : Buffer.from(`hello ${i}`)),
      (i) => (i === 0 ? up.length : 5),
    );
    rig = await startSinkRig((log) => boundSink({ host: "127.0.0.1", port: peer.port }, { log }));
  });
  afterAll(async () => {
    await rig?.close();
    await peer?.close();
  });

  it("relays 4 MiB each way to the target, sha256-equal, with no SOCKS in between", async () => {
    const stream = await rig.dial();
    const got = await exchange(stream, up, down.length);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    expect(await peer.results[0]).toEqual({ received: up.length, sha256: sha256(up) });
    await eventually(() => rig.server.openConnections === 0);
    const stats = rig.server.getStats().transports[0]!;
    expect([stats.connectionsTotal, stats.refused]).toEqual([1, 0]);
    expect(stats.bytesUp).toBeGreaterThanOrEqual(up.length);
  });

  it("passes the first bytes through untouched (a SOCKS greeting is just payload here)", async () => {
    const stream = await rig.dial();
    const got = await exchange(stream, Buffer.from([0x05, 0x01, 0x00, 0x41, 0x42]), 7);
    expect(got).toEqual({ received: 7, sha256: sha256(Buffer.from("hello 1")) });
    expect(await peer.results[1]).toEqual({ received: 5, sha256: sha256(Buffer.from("0501004142", "hex")) });
  });
});

describe("bound mode, target down", () => {
  let rig: SinkRig;
  beforeAll(async () => {
    const port = await closedPort();
    rig = await startSinkRig((log) => boundSink({ host: "127.0.0.1", port }, { log }));
  });
  afterAll(async () => rig?.close());

  it("drops the client's stream and counts a refusal", async () => {
    const stream = await rig.dial();
    const r = await readToEnd(stream);
    expect(r.data.length).toBe(0);
    await eventually(() => rig.server.getStats().transports[0]!.refused === 1);
    expect(rig.logs.some((l) => /^\[warning\] obfs4: cannot reach the target 127\.0\.0\.1:\d+: /.test(l))).toBe(true);
  });
});
