/**
 * The DataChannel Duplex over two real werift peers on 127.0.0.1
 * (non-trickle signaling in memory): bulk bytes both ways with sha256, and
 * close mapping. node-datachannel is not a project dependency yet; its
 * engine is exercised by bench/webrtc-throughput.ts (see the report).
 */
import { afterEach, describe, expect, it } from "vitest";
import { createRtcEngine } from "../../src/server/carriers/webrtc/engine.js";
import { dataChannelDuplex } from "../../src/server/carriers/webrtc/duplex.js";
import { connectLoopbackPair, type LoopbackPair } from "../../src/server/carriers/webrtc/gathering.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const MiB = 1024 * 1024;
let pair: LoopbackPair | undefined;

afterEach(async () => {
  await pair?.close();
  pair = undefined;
});

async function weriftPair(): Promise<LoopbackPair> {
  const engine = await createRtcEngine("werift");
  pair = await connectLoopbackPair(engine, engine);
  return pair;
}

describe("dataChannelDuplex over werift", () => {
  it("opens a reliable ordered channel and carries 8 MiB each way intact", async () => {
    const p = await weriftPair();
    expect(p.local.readyState).toBe("open");
    expect(p.remote.readyState).toBe("open");
    const a = dataChannelDuplex(p.local);
    const b = dataChannelDuplex(p.remote);
    const aToB = patternBytes("webrtc a->b", 8 * MiB);
    const bToA = patternBytes("webrtc b->a", 8 * MiB);
    const [atA, atB] = await Promise.all([
      exchange(a, aToB, bToA.length, 60_000),
      exchange(b, bToA, aToB.length, 60_000),
    ]);
    expect(atB).toEqual({ received: aToB.length, sha256: sha256(aToB) });
    expect(atA).toEqual({ received: bToA.length, sha256: sha256(bToA) });
  }, 90_000);

  it("splits writes larger than the message limit and keeps their order", async () => {
    const p = await weriftPair();
    const a = dataChannelDuplex(p.local, { maxMessageBytes: 1000 });
    const sizes: number[] = [];
    p.remote.onmessage = (ev) => sizes.push((ev.data as Uint8Array).byteLength);
    const data = patternBytes("split", 2500);
    await new Promise<void>((resolve, reject) => a.write(data, (err) => (err ? reject(err) : resolve())));
    await expect.poll(() => sizes.length).toBe(3);
    expect(sizes).toEqual([1000, 1000, 500]);
  }, 30_000);

  it("ends the far side's readable when the near side ends (no half-close)", async () => {
    const p = await weriftPair();
    const a = dataChannelDuplex(p.local);
    const b = dataChannelDuplex(p.remote);
    const got: Buffer[] = [];
    b.on("data", (c: Buffer) => got.push(c));
    const ended = new Promise<void>((resolve) => b.once("end", resolve));
    a.end(Buffer.from("last words"));
    await ended;
    expect(Buffer.concat(got).toString()).toBe("last words");
    await expect.poll(() => p.local.readyState).toBe("closed");
  }, 30_000);
});
