/**
 * The WebSocket carrier moving real bytes over loopback: 8 MiB each way
 * checked by sha256, obfs4 over it end to end, and backpressure both ways.
 */
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import { WebSocket } from "ws";
import type { WebSocketDuplex } from "../../src/server/carriers/websocket/index.js";
import {
  WEBSOCKET_SEND_HIGH_WATER_MARK,
  createWebSocketCarrierServer,
  dialWebSocket,
  type WebSocketCarrierServer,
  type WebSocketConnectionInfo,
} from "../../src/server/carriers/websocket/index.js";
import { createObfs4ServerEngine, startObfs4Client } from "../../src/server/obfs4/tcp.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import { generateServerState } from "../../src/shared/codec/obfs4/index.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const PATH = "/c2VjcmV0LXBhdGg";
const MiB = 1024 * 1024;

let server: WebSocketCarrierServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

/** A carrier server whose accepted connections arrive through `next()`. */
async function startServer(extra: Partial<Parameters<typeof createWebSocketCarrierServer>[0]> = {}) {
  const waiting: ((v: [WebSocketDuplex, WebSocketConnectionInfo]) => void)[] = [];
  const ready: [WebSocketDuplex, WebSocketConnectionInfo][] = [];
  server = createWebSocketCarrierServer({
    path: PATH,
    onConnection: (d, info) => {
      const w = waiting.shift();
      if (w !== undefined) w([d, info]);
      else ready.push([d, info]);
    },
    ...extra,
  });
  const addr: AddressInfo = await server.listen({ host: "127.0.0.1", port: 0 });
  const next = (): Promise<[WebSocketDuplex, WebSocketConnectionInfo]> => {
    const r = ready.shift();
    return r !== undefined ? Promise.resolve(r) : new Promise((resolve) => waiting.push(resolve));
  };
  return { url: `ws://127.0.0.1:${addr.port}${PATH}`, port: addr.port, next, srv: server };
}

describe("WebSocket carrier: bytes both ways", () => {
  it("moves 8 MiB each way at once, byte-exact (sha256)", async () => {
    const { url, next } = await startServer();
    const up = patternBytes("ws-up", 8 * MiB);
    const down = patternBytes("ws-down", 8 * MiB);
    const client = await dialWebSocket(url, { timeoutMs: 5000 });
    const [srv, info] = await next();
    expect(info.remoteAddress).toBe("127.0.0.1");
    expect(info.forwarded).toBe(false);
    const [c, s] = await Promise.all([exchange(client, up, down.length), exchange(srv, down, up.length)]);
    expect(c).toEqual({ received: down.length, sha256: sha256(down) });
    expect(s).toEqual({ received: up.length, sha256: sha256(up) });
  });

  it("ending one side closes the WebSocket with 1000 and ends the peer cleanly", async () => {
    const { url, next } = await startServer();
    const client = await dialWebSocket(url);
    const [srv] = await next();
    const got: Buffer[] = [];
    srv.on("data", (b: Buffer) => got.push(b));
    const ended = new Promise<void>((resolve) => srv.once("end", resolve));
    const closed = new Promise<boolean>((resolve) => srv.once("close", () => resolve(srv.errored !== null)));
    client.end(Buffer.from("last words"));
    await ended;
    expect(Buffer.concat(got).toString()).toBe("last words");
    expect(await closed).toBe(false);
  });

  it("a destroyed peer (no close frame: 1006) destroys the other side with ERR_WS_CLOSED", async () => {
    const { url, next } = await startServer();
    const raw = new WebSocket(url, { perMessageDeflate: false });
    await new Promise((resolve) => raw.once("open", resolve));
    const [srv] = await next();
    const err = new Promise<Error>((resolve) => srv.once("error", resolve));
    raw.terminate();
    expect(await err).toMatchObject({ code: "ERR_WS_CLOSED", closeCode: 1006 });
  });
});

describe("WebSocket carrier: obfs4 end to end", () => {
  it("carries an obfs4 session (handshake + 2 MiB each way)", async () => {
    const state = generateServerState();
    const streams: Promise<Obfs4Stream>[] = [];
    let deliver: (s: Obfs4Stream) => void = () => undefined;
    streams.push(new Promise((resolve) => (deliver = resolve)));
    const engine = createObfs4ServerEngine(state, (stream) => deliver(stream), { closeDelayMs: 0 });
    const { url } = await startServer({ onConnection: (d, info) => engine.accept(d, info) });
    const carrier = await dialWebSocket(url);
    const client = await startObfs4Client(
      carrier,
      { nodeId: state.nodeId, publicKey: state.publicKey, iatMode: 0 },
      { timeoutMs: 5000 },
    );
    const srv = await streams[0]!;
    const up = patternBytes("obfs4-ws-up", 2 * MiB);
    const down = patternBytes("obfs4-ws-down", 2 * MiB);
    const [c, s] = await Promise.all([exchange(client, up, down.length), exchange(srv, down, up.length)]);
    expect(c.sha256).toBe(sha256(down));
    expect(s.sha256).toBe(sha256(up));
    expect(engine.counters).toMatchObject({ accepted: 1, established: 1, failedHandshakes: 0 });
  });
});

describe("WebSocket carrier: backpressure", () => {
  it("a reader that stops reading stops the writer: buffered bytes stay bounded", async () => {
    const { url, next } = await startServer();
    const client = await dialWebSocket(url);
    const [srv] = await next();
    srv.pause(); // the server reads nothing
    const chunk = Buffer.alloc(64 * 1024, 0x5a);
    const offer = 64 * MiB; // what an unbounded writer would end up queueing
    let written = 0;
    // Write until the Duplex says stop, then keep offering whenever it drains, until it stays full for 300 ms.
    await new Promise<void>((resolve) => {
      const pump = (): void => {
        let ok = true;
        while (ok && written < offer) {
          ok = client.write(chunk);
          written += chunk.length;
        }
        if (written >= offer) return resolve();
        const t = setTimeout(resolve, 300);
        client.once("drain", () => {
          clearTimeout(t);
          pump();
        });
      };
      pump();
    });
    // TCP buffers on both sides, ws's own queue, the server's paused readable: all finite. Without
    // backpressure the writer would have queued everything it was offered (unbounded).
    const queued = client.bufferedAmount + client.writableLength;
    expect(queued).toBeLessThan(WEBSOCKET_SEND_HIGH_WATER_MARK + 2 * 256 * 1024);
    expect(written).toBeLessThan(offer / 2);
    expect(srv.readableLength).toBeLessThan(2 * MiB);
    // And everything written still arrives once the reader resumes.
    let received = 0;
    srv.on("data", (b: Buffer) => (received += b.length));
    srv.resume();
    client.end();
    await new Promise((resolve) => srv.once("end", resolve));
    expect(received).toBe(written);
  });
});
