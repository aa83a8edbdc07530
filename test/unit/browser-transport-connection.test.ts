/**
 * The browser obfs4 connection (src/shared/transport/obfs4-connection.ts)
 * against a fake WebSocket whose far end is a real Obfs4ServerSession:
 * opening, both directions, backpressure (the writer waits while the carrier
 * holds too much), the bounded read buffer, text frames, and the close rules.
 */
import { describe, expect, it } from "vitest";
import { Obfs4ClientSession } from "../../src/shared/codec/obfs4/index.js";
import {
  CARRIER_HIGH_WATER_BYTES,
  MAX_READ_BUFFER_BYTES,
  createObfs4Connection,
  webSocketCarrier,
  type BrowserConnection,
} from "../../src/shared/transport/index.js";
import { patternBytes, sha256 } from "../helpers/bulk.js";
import { FakeWebSocket, fakeBridge, readN, writeAll } from "./browser-transport-fakes.js";

function open(opts: { timeoutMs?: number; signal?: AbortSignal } = {}): { ws: FakeWebSocket; conn: BrowserConnection } {
  const { state } = fakeBridge();
  const ws = new FakeWebSocket(state);
  const session = new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 });
  const carrier = new Promise<ReturnType<typeof webSocketCarrier>>((resolve) =>
    ws.addEventListener("open", () => resolve(webSocketCarrier(ws))),
  );
  const conn = createObfs4Connection({ transport: "websocket", session, carrier, ...opts });
  return { ws, conn };
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("browser obfs4 connection", () => {
  it("opens after the handshake and carries 1 MiB each way, sha256-equal", async () => {
    const { ws, conn } = open();
    ws.echo = true;
    const info = await conn.opened;
    expect(info.transport).toBe("websocket");
    expect(info.readable).toBe(conn.readable);
    expect(ws.binaryType).toBe("arraybuffer");
    const data = patternBytes("conn", 1 << 20);
    const [, got] = await Promise.all([writeAll(conn, data), readN(conn, data.length)]);
    expect(got).toEqual({ received: data.length, sha256: sha256(data) });
    const stats = conn.getStats();
    expect(stats).toMatchObject({ state: "open", bytesSent: data.length, bytesReceived: data.length });
    expect(stats.carrierBytesSent).toBeGreaterThan(data.length); // framing overhead and the handshake
    await conn.close();
    expect(conn.getStats().state).toBe("closed");
    expect(ws.closedWith).toBe(1000);
  });

  it("holds writes made before opening and sends them after the handshake", async () => {
    const { ws, conn } = open();
    const writer = conn.writable.getWriter();
    const early = writer.write(new Uint8Array([1, 2, 3]));
    expect(ws.serverReceived).toEqual([]);
    await early;
    expect(Buffer.concat(ws.serverReceived)).toEqual(Buffer.from([1, 2, 3]));
    await conn.close();
  });

  it("makes the writer wait while the carrier holds more than the high-water mark", async () => {
    const { ws, conn } = open();
    await conn.opened;
    ws.hold = true;
    const writer = conn.writable.getWriter();
    const chunk = new Uint8Array(256 * 1024);
    let written = 0;
    const pump = (async () => {
      for (let i = 0; i < 32; i++) {
        await writer.ready;
        await writer.write(chunk);
        written += chunk.length;
      }
    })();
    await tick(100);
    // Everything past the carrier's high-water mark waits: at most HIGH plus one write slice plus a queued write.
    expect(ws.bufferedAmount).toBeGreaterThan(CARRIER_HIGH_WATER_BYTES);
    expect(written).toBeLessThan(CARRIER_HIGH_WATER_BYTES + 2 * chunk.length);
    ws.release();
    await pump;
    expect(written).toBe(32 * chunk.length);
    await conn.close();
  });

  it("fails with ERR_TRANSPORT_READ_BUFFER when nobody reads past the limit", async () => {
    const { ws, conn } = open();
    await conn.opened;
    const block = new Uint8Array(1 << 20);
    for (let i = 0; i < MAX_READ_BUFFER_BYTES / block.length + 1; i++) ws.serverSend(block);
    await expect(conn.closed).rejects.toMatchObject({
      code: "ERR_TRANSPORT_READ_BUFFER",
      limit: MAX_READ_BUFFER_BYTES,
    });
    expect(ws.closedWith).toBe(1000);
  });

  it("fails on a text message", async () => {
    const { ws, conn } = open();
    await conn.opened;
    ws.deliver("hello");
    await expect(conn.closed).rejects.toMatchObject({ code: "ERR_TRANSPORT_TEXT_MESSAGE" });
    await expect(conn.readable.getReader().read()).rejects.toMatchObject({ code: "ERR_TRANSPORT_TEXT_MESSAGE" });
  });

  it("ends the readable cleanly when the server closes, keeping what was queued", async () => {
    const { ws, conn } = open();
    await conn.opened;
    ws.serverSend(new Uint8Array([9, 8, 7]));
    ws.serverClose();
    await conn.closed;
    const reader = conn.readable.getReader();
    expect(await reader.read()).toEqual({ done: false, value: new Uint8Array([9, 8, 7]) });
    expect((await reader.read()).done).toBe(true);
    await expect(conn.writable.getWriter().write(new Uint8Array(1))).rejects.toMatchObject({
      code: "ERR_TRANSPORT_CLOSED",
    });
  });

  it("rejects opened when the carrier closes during the handshake", async () => {
    const { ws, conn } = open();
    ws.serverClose();
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_TRANSPORT_CLOSED" });
    await expect(conn.closed).rejects.toMatchObject({ code: "ERR_TRANSPORT_CLOSED" });
  });

  it("close() before opening rejects opened but resolves closed", async () => {
    const { conn } = open();
    const closing = conn.close();
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_TRANSPORT_CLOSED" });
    await expect(closing).resolves.toBeUndefined();
    await expect(conn.closed).resolves.toBeUndefined();
  });

  it("times out and can be aborted", async () => {
    const slow = new Promise<never>(() => undefined);
    const { state } = fakeBridge();
    const session = () =>
      new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 });
    const timed = createObfs4Connection({ transport: "webrtc", session: session(), carrier: slow, timeoutMs: 30 });
    await expect(timed.opened).rejects.toMatchObject({ code: "ERR_TIMEOUT" });
    const ac = new AbortController();
    const aborted = createObfs4Connection({
      transport: "webrtc",
      session: session(),
      carrier: slow,
      signal: ac.signal,
    });
    ac.abort();
    await expect(aborted.opened).rejects.toMatchObject({ code: "ERR_ABORTED" });
  });

  it("a dial error fails the connection with that error", async () => {
    const { state } = fakeBridge();
    const session = new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 });
    const err = Object.assign(new Error("refused"), { code: "ERR_TRANSPORT_DIAL" });
    const conn = createObfs4Connection({ transport: "websocket", session, carrier: Promise.reject(err) });
    await expect(conn.opened).rejects.toBe(err);
    expect(conn.getStats().state).toBe("closed");
  });

  it("a wrong bridge key never opens: the server stays silent and the deadline fires", async () => {
    const { state } = fakeBridge();
    const other = fakeBridge().state;
    const ws = new FakeWebSocket(state);
    const session = new Obfs4ClientSession({ nodeId: other.nodeId, identityPublicKey: other.publicKey, iatMode: 0 });
    const carrier = new Promise<ReturnType<typeof webSocketCarrier>>((resolve) =>
      ws.addEventListener("open", () => resolve(webSocketCarrier(ws))),
    );
    const conn = createObfs4Connection({ transport: "websocket", session, carrier, timeoutMs: 200 });
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_TIMEOUT" });
  });
});
