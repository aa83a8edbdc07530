/**
 * dataChannelDuplex against a scripted RTCDataChannelLike: backpressure,
 * message splitting and coalescing, bounded receive buffer, close and error
 * mapping, all without a network. The engine factory's error codes too.
 */
import { describe, expect, it } from "vitest";
import { createRtcEngine, type RtcEngineName } from "../../src/server/carriers/webrtc/engine.js";
import {
  DATACHANNEL_MAX_MESSAGE_BYTES,
  DATACHANNEL_SEND_LOW_WATER_MARK,
  dataChannelDuplex,
  dataChannelMessageBytes,
} from "../../src/server/carriers/webrtc/duplex.js";
import { WebptError } from "../../src/shared/errors.js";
import type {
  RTCDataChannelLike,
  RTCDataChannelStateLike,
  RTCErrorEventLike,
  RTCMessageEventLike,
} from "../../src/shared/transport/rtc-like.js";

type H<E> = ((e: E) => void) | null | undefined;

/** A channel whose network the test drives: sent messages are recorded; `drain(n)` lowers bufferedAmount. */
class FakeChannel implements RTCDataChannelLike {
  label = "fake";
  readyState: RTCDataChannelStateLike = "open";
  binaryType = "blob";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onopen: H<unknown> = null;
  onmessage: H<RTCMessageEventLike> = null;
  onbufferedamountlow: H<unknown> = null;
  onclose: H<unknown> = null;
  onerror: H<RTCErrorEventLike> = null;
  sent: Buffer[] = [];
  closeCalls = 0;
  failSend = false;
  send(data: Uint8Array): void {
    if (this.failSend) throw new Error("engine refused");
    this.sent.push(Buffer.from(data));
    this.bufferedAmount += data.byteLength;
  }
  close(): void {
    this.closeCalls++;
    this.readyState = "closing";
  }
  drain(n: number): void {
    const before = this.bufferedAmount;
    this.bufferedAmount = Math.max(0, before - n);
    if (before > this.bufferedAmountLowThreshold && this.bufferedAmount <= this.bufferedAmountLowThreshold)
      this.onbufferedamountlow?.({});
  }
  open(): void {
    this.readyState = "open";
    this.onopen?.({});
  }
  closed(): void {
    this.readyState = "closed";
    this.onclose?.({});
  }
  deliver(data: unknown): void {
    this.onmessage?.({ data });
  }
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));
const writeDone = (d: ReturnType<typeof dataChannelDuplex>, b: Buffer): { done: boolean; err: unknown } => {
  const s = { done: false, err: undefined as unknown };
  d.write(b, (err) => {
    s.done = true;
    s.err = err;
  });
  return s;
};
const errorOf = (d: ReturnType<typeof dataChannelDuplex>): Promise<Error> =>
  new Promise((resolve) => d.once("error", resolve));

describe("dataChannelDuplex: setup", () => {
  it("asks for ArrayBuffer and sets the low-water threshold", () => {
    const ch = new FakeChannel();
    dataChannelDuplex(ch);
    expect(ch.binaryType).toBe("arraybuffer");
    expect(ch.bufferedAmountLowThreshold).toBe(DATACHANNEL_SEND_LOW_WATER_MARK);
  });

  it.each([0, -1, 1.5, Number.NaN])("rejects option value %s with RangeError", (v) => {
    expect(() => dataChannelDuplex(new FakeChannel(), { maxMessageBytes: v })).toThrow(RangeError);
    expect(() => dataChannelDuplex(new FakeChannel(), { sendHighWaterMark: v })).toThrow(RangeError);
  });
});

describe("dataChannelDuplex: sending", () => {
  it("splits a write at maxMessageBytes", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { maxMessageBytes: 4 });
    writeDone(d, Buffer.from("0123456789"));
    await tick();
    expect(ch.sent.map((b) => b.toString())).toEqual(["0123", "4567", "89"]);
  });

  it("coalesces queued small writes into messages of at most maxMessageBytes", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { maxMessageBytes: 8, sendHighWaterMark: 1 });
    // The first write is held (bufferedAmount 3 > 1), so the next three queue and arrive in one _writev.
    writeDone(d, Buffer.from("abc"));
    for (const s of ["def", "ghi", "jkl"]) writeDone(d, Buffer.from(s));
    await tick();
    expect(ch.sent.map((b) => b.toString())).toEqual(["abc"]);
    ch.drain(3);
    await tick();
    expect(ch.sent.map((b) => b.toString())).toEqual(["abc", "defghijk", "l"]);
  });

  it("uses 64 KiB messages by default", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { sendHighWaterMark: 1 << 30 });
    writeDone(d, Buffer.alloc(DATACHANNEL_MAX_MESSAGE_BYTES * 2 + 1));
    await tick();
    expect(ch.sent.map((b) => b.length)).toEqual([65536, 65536, 1]);
  });

  it("holds the write callback above the high-water mark until bufferedamountlow", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { sendHighWaterMark: 10, sendLowWaterMark: 4 });
    const small = writeDone(d, Buffer.alloc(10));
    await tick();
    expect(small.done).toBe(true); // exactly at the mark: not above it
    const big = writeDone(d, Buffer.alloc(5));
    await tick();
    expect(big.done).toBe(false);
    ch.drain(5); // 15 → 10: not yet at the low mark, no event
    await tick();
    expect(big.done).toBe(false);
    ch.drain(6); // 10 → 4: bufferedamountlow
    await tick();
    expect(big.done).toBe(true);
    expect(big.err ?? undefined).toBeUndefined();
  });

  it("holds writes made while connecting and sends them on open", async () => {
    const ch = new FakeChannel();
    ch.readyState = "connecting";
    const d = dataChannelDuplex(ch);
    const w = writeDone(d, Buffer.from("early"));
    await tick();
    expect(ch.sent).toEqual([]);
    ch.open();
    await tick();
    expect(ch.sent.map((b) => b.toString())).toEqual(["early"]);
    expect(w.done).toBe(true);
  });

  it("maps a throwing send() to ERR_RTC_CHANNEL_ERROR", async () => {
    const ch = new FakeChannel();
    ch.failSend = true;
    const d = dataChannelDuplex(ch);
    const err = errorOf(d);
    d.write(Buffer.from("x"));
    expect(await err).toMatchObject({ code: "ERR_RTC_CHANNEL_ERROR" });
    expect((await err).cause).toBeInstanceOf(Error);
  });

  it("end() waits for bufferedAmount to reach 0, then closes the channel", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { closeLingerMs: 0 }); // the linger is tested in signaling-webrtc-unit.test.ts
    let finished = false;
    d.on("finish", () => (finished = true));
    d.end(Buffer.from("bye"));
    await tick();
    expect(ch.closeCalls).toBe(0);
    expect(ch.bufferedAmountLowThreshold).toBe(0);
    ch.drain(3);
    await tick();
    expect(ch.closeCalls).toBe(1);
    expect(finished).toBe(true);
  });
});

describe("dataChannelDuplex: receiving", () => {
  it("pushes Buffer, ArrayBuffer and typed-array messages as bytes, in order", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch);
    const got: Buffer[] = [];
    d.on("data", (b: Buffer) => got.push(b));
    ch.deliver(Buffer.from([1, 2]));
    ch.deliver(new Uint8Array([3, 4]).buffer);
    ch.deliver(new Uint8Array([9, 5, 6, 9]).subarray(1, 3));
    await tick();
    expect(Buffer.concat(got).toString("hex")).toBe("010203040506");
  });

  it("fails on a text message with ERR_RTC_TEXT_MESSAGE", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch);
    const err = errorOf(d);
    ch.deliver("hello");
    expect(await err).toMatchObject({ code: "ERR_RTC_TEXT_MESSAGE", name: "DataChannelProtocolError" });
    expect(ch.closeCalls).toBe(1);
  });

  it("bounds bytes waiting for a reader: over the cap is ERR_RTC_READ_BUFFER_FULL", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { maxReadBufferBytes: 100 });
    const err = errorOf(d);
    ch.deliver(Buffer.alloc(60));
    ch.deliver(Buffer.alloc(40)); // exactly 100 buffered: allowed
    expect(d.readableLength).toBe(100);
    ch.deliver(Buffer.alloc(1));
    const e = await err;
    expect(e).toBeInstanceOf(WebptError);
    expect(e).toMatchObject({ code: "ERR_RTC_READ_BUFFER_FULL", limit: 100 });
  });

  it("ends the readable side when the channel closes, and then finishes", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch);
    const events: string[] = [];
    d.on("data", () => events.push("data"));
    d.on("end", () => events.push("end"));
    d.on("close", () => events.push("close"));
    ch.deliver(Buffer.from("z"));
    ch.closed();
    await new Promise((r) => d.once("close", r));
    expect(events).toEqual(["data", "end", "close"]);
  });
});

describe("dataChannelDuplex: close and error mapping", () => {
  it("fails a held write with ERR_RTC_CHANNEL_CLOSED when the channel closes", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch, { sendHighWaterMark: 1 });
    d.on("error", () => undefined);
    const w = writeDone(d, Buffer.alloc(4));
    await tick();
    ch.closed();
    await tick();
    expect(w.done).toBe(true);
    expect(w.err).toMatchObject({ code: "ERR_RTC_CHANNEL_CLOSED" });
  });

  it("maps onerror to ERR_RTC_CHANNEL_ERROR with the engine error as cause", async () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch);
    const err = errorOf(d);
    const cause = new Error("sctp abort");
    ch.onerror?.({ error: cause });
    const e = await err;
    expect(e).toMatchObject({ code: "ERR_RTC_CHANNEL_ERROR" });
    expect(e.cause).toBe(cause);
  });

  it("destroy() closes the channel once and detaches its handlers", () => {
    const ch = new FakeChannel();
    const d = dataChannelDuplex(ch);
    d.destroy();
    expect(ch.closeCalls).toBe(1);
    expect([ch.onopen, ch.onmessage, ch.onclose, ch.onerror, ch.onbufferedamountlow]).toEqual([
      null,
      null,
      null,
      null,
      null,
    ]);
  });

  it("a write on a closed channel fails with ERR_RTC_CHANNEL_CLOSED", async () => {
    const ch = new FakeChannel();
    ch.readyState = "closing";
    const d = dataChannelDuplex(ch);
    const err = errorOf(d);
    d.write(Buffer.from("x"));
    expect(await err).toMatchObject({ code: "ERR_RTC_CHANNEL_CLOSED" });
  });
});

describe("dataChannelMessageBytes", () => {
  it("views without copying and refuses strings", () => {
    const backing = new Uint8Array([0, 1, 2, 3]);
    const view = dataChannelMessageBytes(backing.subarray(1, 3))!;
    expect(view.toString("hex")).toBe("0102");
    backing[1] = 0xff;
    expect(view[0]).toBe(0xff);
    expect(dataChannelMessageBytes("text")).toBeUndefined();
    expect(dataChannelMessageBytes(42)).toBeUndefined();
  });
});

describe("createRtcEngine", () => {
  it("rejects an unknown engine with ERR_RTC_ENGINE_UNKNOWN", async () => {
    await expect(createRtcEngine("libwebrtc" as RtcEngineName)).rejects.toMatchObject({
      code: "ERR_RTC_ENGINE_UNKNOWN",
    });
  });

  it("reports a missing node-datachannel as ERR_RTC_ENGINE_UNAVAILABLE", async () => {
    await expect(
      createRtcEngine("node-datachannel", { nodeDatachannelSpecifier: "/nonexistent/node-datachannel.mjs" }),
    ).rejects.toMatchObject({ code: "ERR_RTC_ENGINE_UNAVAILABLE" });
  });

  it("refuses a module that is not node-datachannel", async () => {
    await expect(createRtcEngine("node-datachannel", { nodeDatachannelSpecifier: "node:path" })).rejects.toMatchObject({
      code: "ERR_RTC_ENGINE_UNAVAILABLE",
    });
  });

  it("creates werift peers in the W3C shape", async () => {
    const engine = await createRtcEngine("werift");
    const pc = await engine.createPeerConnection({ hostAddresses: ["127.0.0.1"] });
    expect(pc.iceGatheringState).toBe("new");
    expect(pc.localDescription).toBeNull();
    const ch = pc.createDataChannel("x");
    expect(ch.label).toBe("x");
    expect(ch.readyState).toBe("connecting");
    await pc.close();
  });
});
