/**
 * webSocketDuplex against scripted WebSockets: a browser-shaped one (no
 * send callback, no pause, strict close codes) and a `ws`-shaped one. Every
 * message type, close code and backpressure transition is driven by hand.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  WebSocketClosedError,
  WebSocketDialError,
  WebSocketProtocolError,
  messageBytes,
  webSocketDuplex,
  type WebSocketDuplex,
} from "../../src/server/carriers/websocket/index.js";
import type { WebSocketLike } from "../../src/shared/transport/websocket-like.js";
import { fcParams } from "../helpers/fc.js";

type Listener = (ev: never) => void;

/** The W3C shape, as a browser behaves: close() accepts only 1000 and 3000–4999. */
class FakeBrowserSocket implements WebSocketLike {
  binaryType = "blob";
  bufferedAmount = 0;
  readyState = 1;
  readonly sent: Buffer[] = [];
  readonly closes: (number | undefined)[] = [];
  readonly #listeners = new Map<string, Listener[]>();
  send(data: Uint8Array): void {
    this.sent.push(Buffer.from(data));
    this.bufferedAmount += data.length;
  }
  close(code?: number): void {
    if (code !== undefined && code !== 1000 && (code < 3000 || code > 4999)) throw new Error("InvalidAccessError");
    this.closes.push(code);
    this.readyState = 2;
  }
  addEventListener(type: string, listener: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), listener]);
  }
  emit(type: string, ev: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) (l as (e: unknown) => void)(ev);
  }
}

/** `ws`'s extras: a callback per send, pause()/resume(), any RFC 6455 close code. */
class FakeNodeSocket extends FakeBrowserSocket {
  paused = false;
  readonly callbacks: ((err?: Error) => void)[] = [];
  override send(data: Uint8Array, cb?: (err?: Error) => void): void {
    super.send(data);
    if (cb !== undefined) this.callbacks.push(cb);
  }
  override close(code?: number): void {
    this.closes.push(code);
    this.readyState = 2;
  }
  pause(): void {
    this.paused = true;
  }
  resume(): void {
    this.paused = false;
  }
  get isPaused(): boolean {
    return this.paused;
  }
}

const tick = (ms = 0): Promise<void> => new Promise((r) => setTimeout(r, ms));
const errorOf = (d: WebSocketDuplex): Promise<Error> => new Promise((resolve) => d.once("error", resolve));

describe("messageBytes", () => {
  it("takes every binary form, zero-copy where possible, and refuses text and others", () => {
    const buf = Buffer.from("0102", "hex");
    expect(messageBytes(buf)).toBe(buf);
    expect(messageBytes(new Uint8Array([1, 2, 3]).buffer)).toEqual(Buffer.from([1, 2, 3]));
    const view = new Uint8Array([9, 1, 2, 9]).subarray(1, 3); // offset 1, length 2
    expect(messageBytes(view)).toEqual(Buffer.from([1, 2]));
    expect(messageBytes(new DataView(new Uint8Array([7, 8]).buffer, 1))).toEqual(Buffer.from([8]));
    expect(messageBytes([Buffer.from([1]), Buffer.from([2, 3])])).toEqual(Buffer.from([1, 2, 3]));
    expect(messageBytes("text")).toBeUndefined();
    expect(messageBytes({ size: 3 })).toBeUndefined();
    expect(messageBytes([1, 2])).toBeUndefined();
    expect(messageBytes(42)).toBeUndefined();
  });
});

describe("webSocketDuplex: receiving", () => {
  it("asks for ArrayBuffers from a browser socket and Buffers from ws", () => {
    const b = new FakeBrowserSocket();
    webSocketDuplex(b);
    expect(b.binaryType).toBe("arraybuffer");
    const n = new FakeNodeSocket();
    webSocketDuplex(n);
    expect(n.binaryType).toBe("nodebuffer");
  });

  it("delivers binary messages in order as bytes and skips empty ones", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws);
    const got: Buffer[] = [];
    d.on("data", (b: Buffer) => got.push(b));
    ws.emit("message", { data: new Uint8Array([0xde, 0xad]).buffer });
    ws.emit("message", { data: new ArrayBuffer(0) });
    ws.emit("message", { data: new Uint8Array([0xbe, 0xef]) });
    await tick();
    expect(Buffer.concat(got).toString("hex")).toBe("deadbeef");
  });

  it("a text message is a protocol error: ERR_WS_TEXT_FRAME, close 1003 (browser falls back to a plain close)", async () => {
    const n = new FakeNodeSocket();
    const dn = webSocketDuplex(n);
    const en = errorOf(dn);
    n.emit("message", { data: "hello" });
    const err = await en;
    expect(err).toBeInstanceOf(WebSocketProtocolError);
    expect(err).toMatchObject({ code: "ERR_WS_TEXT_FRAME", closeCode: 1003 });
    expect(n.closes).toEqual([1003]);

    const b = new FakeBrowserSocket();
    const db = webSocketDuplex(b);
    const eb = errorOf(db);
    b.emit("message", { data: "hello" });
    expect(await eb).toMatchObject({ code: "ERR_WS_TEXT_FRAME" });
    expect(b.closes).toEqual([undefined]);
  });

  it("an unknown payload type is ERR_WS_UNSUPPORTED_DATA", async () => {
    const ws = new FakeNodeSocket();
    const d = webSocketDuplex(ws);
    const e = errorOf(d);
    ws.emit("message", { data: { blob: true } });
    expect(await e).toMatchObject({ code: "ERR_WS_UNSUPPORTED_DATA", closeCode: 1003 });
  });

  for (const code of [1000, 1001, 1005]) {
    it(`close ${code} ends the stream cleanly`, async () => {
      const ws = new FakeBrowserSocket();
      const d = webSocketDuplex(ws);
      d.resume();
      const ended = new Promise((r) => d.once("end", r));
      const closed = new Promise((r) => d.once("close", r));
      ws.readyState = 3;
      ws.emit("close", { code, reason: "", wasClean: true });
      await ended;
      await closed;
      expect(d.errored).toBeNull();
    });
  }

  for (const code of [1002, 1006, 1009, 1011, 4000]) {
    it(`close ${code} destroys the stream with ERR_WS_CLOSED carrying the code and reason`, async () => {
      const ws = new FakeBrowserSocket();
      const d = webSocketDuplex(ws);
      const e = errorOf(d);
      ws.readyState = 3;
      ws.emit("close", { code, reason: "why", wasClean: code !== 1006 });
      const err = await e;
      expect(err).toBeInstanceOf(WebSocketClosedError);
      expect(err).toMatchObject({ code: "ERR_WS_CLOSED", closeCode: code, reason: "why" });
    });
  }

  it("an error event destroys the stream with ERR_WS_TRANSPORT and the cause", async () => {
    const ws = new FakeNodeSocket();
    const d = webSocketDuplex(ws);
    const e = errorOf(d);
    const cause = new RangeError("Max payload size exceeded");
    ws.emit("error", { error: cause, message: cause.message });
    expect(await e).toMatchObject({ code: "ERR_WS_TRANSPORT", message: "Max payload size exceeded", cause });
  });

  it("a full readable side pauses ws and reading resumes it", async () => {
    const ws = new FakeNodeSocket();
    const d = webSocketDuplex(ws, { streamHighWaterMark: 16 });
    ws.emit("message", { data: Buffer.alloc(8) });
    expect(ws.paused).toBe(false);
    ws.emit("message", { data: Buffer.alloc(16) });
    expect(ws.paused).toBe(true);
    // Messages ws had already parsed still arrive (bounded by one socket read).
    ws.emit("message", { data: Buffer.alloc(4) });
    expect(d.readableLength).toBe(28);
    d.read();
    expect(ws.paused).toBe(false);
  });
});

describe("webSocketDuplex: sending", () => {
  it("splits a write into messages of at most maxMessageBytes, bytes unchanged", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws, { maxMessageBytes: 10 });
    const data = Buffer.from(Array.from({ length: 25 }, (_, i) => i));
    await new Promise<void>((resolve, reject) => d.write(data, (e) => (e ? reject(e) : resolve())));
    expect(ws.sent.map((m) => m.length)).toEqual([10, 10, 5]);
    expect(Buffer.concat(ws.sent)).toEqual(data);
  });

  it("coalesces queued small writes into one message", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws);
    d.cork();
    d.write(Buffer.from("ab"));
    d.write(Buffer.from("cd"));
    d.write(Buffer.from("ef"));
    d.uncork();
    await tick();
    expect(ws.sent.map((m) => m.toString())).toEqual(["abcdef"]);
  });

  it("browser shape: holds the write callback above the high-water mark until a poll sees the low mark", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws, { sendHighWaterMark: 100, sendLowWaterMark: 20, drainPollMs: 1 });
    let done = false;
    d.write(Buffer.alloc(150), () => (done = true));
    await tick(10);
    expect(done).toBe(false);
    ws.bufferedAmount = 50; // below high but above low: still held (hysteresis)
    await tick(10);
    expect(done).toBe(false);
    ws.bufferedAmount = 20;
    await tick(10);
    expect(done).toBe(true);
  });

  it("below the high-water mark the callback is immediate", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws, { sendHighWaterMark: 100 });
    let done = false;
    d.write(Buffer.alloc(100), () => (done = true));
    await tick();
    expect(done).toBe(true);
  });

  it("ws shape: a send callback releases a held write without waiting for the poll", async () => {
    const ws = new FakeNodeSocket();
    const d = webSocketDuplex(ws, { sendHighWaterMark: 100, sendLowWaterMark: 20, drainPollMs: 60_000 });
    let done = false;
    d.write(Buffer.alloc(150), () => (done = true));
    await tick();
    expect(done).toBe(false);
    expect(ws.callbacks).toHaveLength(1);
    ws.bufferedAmount = 0;
    ws.callbacks[0]!();
    await tick();
    expect(done).toBe(true);
    d.destroy();
  });

  it("a failed send destroys the stream with ERR_WS_TRANSPORT", async () => {
    const ws = new FakeNodeSocket();
    const d = webSocketDuplex(ws);
    const e = errorOf(d);
    d.write(Buffer.from("x"));
    await tick();
    ws.callbacks[0]!(new Error("EPIPE"));
    expect(await e).toMatchObject({ code: "ERR_WS_TRANSPORT" });
  });

  it("writes while CONNECTING wait for open", async () => {
    const ws = new FakeBrowserSocket();
    ws.readyState = 0;
    const d = webSocketDuplex(ws);
    d.write(Buffer.from("early"));
    await tick();
    expect(ws.sent).toHaveLength(0);
    ws.readyState = 1;
    ws.emit("open", {});
    await tick();
    expect(ws.sent.map((m) => m.toString())).toEqual(["early"]);
  });

  it("a write after the socket closed fails with ERR_WS_WRITE_AFTER_CLOSE", async () => {
    const ws = new FakeBrowserSocket();
    ws.readyState = 3;
    const d = webSocketDuplex(ws);
    const e = errorOf(d);
    d.write(Buffer.from("late"));
    expect(await e).toMatchObject({ code: "ERR_WS_WRITE_AFTER_CLOSE" });
  });

  it("a clean close during a held write fails that write", async () => {
    const ws = new FakeBrowserSocket();
    const d = webSocketDuplex(ws, { sendHighWaterMark: 10, drainPollMs: 60_000 });
    const e = errorOf(d);
    d.write(Buffer.alloc(11));
    await tick();
    ws.readyState = 3;
    ws.emit("close", { code: 1000, reason: "", wasClean: true });
    expect(await e).toMatchObject({ code: "ERR_WS_WRITE_AFTER_CLOSE", closeCode: 1000 });
  });

  it("end() closes with 1000; destroy() with 1000; destroy(err) with 1011 (or the protocol error's code)", async () => {
    const a = new FakeNodeSocket();
    webSocketDuplex(a).end();
    await tick();
    expect(a.closes).toEqual([1000]);
    const b = new FakeNodeSocket();
    webSocketDuplex(b).destroy();
    expect(b.closes).toEqual([1000]);
    const c = new FakeNodeSocket();
    const dc = webSocketDuplex(c);
    dc.on("error", () => undefined);
    dc.destroy(new Error("boom"));
    expect(c.closes).toEqual([1011]);
    const f = new FakeBrowserSocket();
    const df = webSocketDuplex(f);
    df.on("error", () => undefined);
    df.destroy(new Error("boom"));
    expect(f.closes).toEqual([undefined]); // 1011 refused by the browser shape: plain close instead
  });

  it("refuses nonsense options with RangeError", () => {
    expect(() => webSocketDuplex(new FakeBrowserSocket(), { maxMessageBytes: 0 })).toThrow(RangeError);
    expect(() => webSocketDuplex(new FakeBrowserSocket(), { sendHighWaterMark: 1.5 })).toThrow(RangeError);
    expect(() => webSocketDuplex(new FakeBrowserSocket(), { drainPollMs: -1 })).toThrow(RangeError);
  });
});

describe("webSocketDuplex: properties", () => {
  it("any sequence of writes arrives as messages ≤ maxMessageBytes whose concatenation is the input", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 300 }), { maxLength: 12 }),
        fc.integer({ min: 1, max: 64 }),
        async (writes, max) => {
          const ws = new FakeBrowserSocket();
          const d = webSocketDuplex(ws, { maxMessageBytes: max });
          for (const w of writes) d.write(w);
          await new Promise<void>((resolve) => d.end(resolve));
          expect(ws.sent.every((m) => m.length > 0 && m.length <= max)).toBe(true);
          expect(Buffer.concat(ws.sent)).toEqual(Buffer.concat(writes));
        },
      ),
      fcParams(300),
    );
  });

  it("any sequence of binary messages reads back as their concatenation", async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 200 }), { maxLength: 12 }), async (messages) => {
        const ws = new FakeNodeSocket();
        const d = webSocketDuplex(ws, { streamHighWaterMark: 64 });
        const got: Buffer[] = [];
        d.on("data", (b: Buffer) => got.push(b));
        for (const m of messages) ws.emit("message", { data: Buffer.from(m) });
        ws.readyState = 3;
        ws.emit("close", { code: 1000, reason: "", wasClean: true });
        await new Promise((r) => d.once("end", r));
        expect(Buffer.concat(got)).toEqual(Buffer.concat(messages));
      }),
      fcParams(300),
    );
  });
});

describe("carrier errors are data", () => {
  it("carry their wire forms through toJSON", () => {
    expect(new WebSocketProtocolError("ERR_WS_TEXT_FRAME", "t", 1003).toJSON()).toEqual({
      name: "WebSocketProtocolError",
      code: "ERR_WS_TEXT_FRAME",
      message: "t",
      closeCode: 1003,
    });
    expect(new WebSocketClosedError("ERR_WS_CLOSED", "c", 1006, "r").toJSON()).toMatchObject({
      closeCode: 1006,
      reason: "r",
    });
    expect(new WebSocketDialError("ERR_WS_UNEXPECTED_RESPONSE", "d", 404).toJSON()).toMatchObject({ status: 404 });
  });
});
