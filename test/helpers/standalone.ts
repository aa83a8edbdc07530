/** Standalone-mode test rigs: the bridge server manager with one obfs4-over-TCP transport and a given sink. */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { dialObfs4Tcp } from "../../src/server/obfs4/tcp.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import { startBridgeServer, type BridgeServer } from "../../src/server/service/manager.js";
import type { Logger, StreamSink } from "../../src/server/service/types.js";

export interface SinkRig {
  readonly server: BridgeServer;
  readonly logs: string[];
  readonly log: Logger;
  dial(): Promise<Obfs4Stream>;
  close(): Promise<void>;
}

/** Starts the manager with obfs4 on 127.0.0.1:0 and `makeSink(log)` as its sink. */
export async function startSinkRig(makeSink: (log: Logger) => StreamSink): Promise<SinkRig> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "webpt-standalone-"));
  const logs: string[] = [];
  const log: Logger = { log: (severity, message) => void logs.push(`[${severity}] ${message}`) };
  const server = await startBridgeServer({
    stateDir,
    transports: [{ name: "obfs4", bind: { host: "127.0.0.1", port: 0 }, options: new Map() }],
    sink: makeSink(log),
    log,
    engineOptions: { closeDelayMs: 0 },
  });
  const port = server.running[0]!.address.port;
  return {
    server,
    logs,
    log,
    dial: () => dialObfs4Tcp({ host: "127.0.0.1", port }, server.state),
    close: async () => {
      await server.stopAccepting();
      server.closeAll();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** A TCP server that counts the connections it accepts and echoes what they send. */
export async function startCountingEcho(): Promise<{ port: number; accepted: () => number; close(): Promise<void> }> {
  let accepted = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    accepted++;
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    accepted: () => accepted,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((resolve) => s.listen(0, "127.0.0.1", resolve));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Everything the peer sends until it ends (or closes), and how it ended. */
export function readToEnd(stream: Duplex, timeoutMs = 10_000): Promise<{ data: Buffer; ended: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let ended = false;
    const timer = setTimeout(() => reject(new Error(`no end within ${timeoutMs} ms`)), timeoutMs);
    stream.on("data", (c: Buffer) => chunks.push(c));
    stream.once("end", () => {
      ended = true;
      stream.destroy();
    });
    stream.on("error", () => undefined);
    stream.once("close", () => {
      clearTimeout(timer);
      resolve({ data: Buffer.concat(chunks), ended });
    });
    stream.resume();
  });
}

/** Resolves once `n` bytes have arrived; the bytes are returned and the stream keeps flowing into nothing. */
export function readBytes(stream: Duplex, n: number, timeoutMs = 10_000): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let got = 0;
    const timer = setTimeout(() => reject(new Error(`only ${got} of ${n} bytes within ${timeoutMs} ms`)), timeoutMs);
    const onData = (c: Buffer): void => {
      chunks.push(c);
      got += c.length;
      if (got >= n) {
        clearTimeout(timer);
        stream.off("data", onData);
        stream.pause();
        const all = Buffer.concat(chunks);
        if (all.length > n) stream.unshift(all.subarray(n));
        resolve(all.subarray(0, n));
      }
    };
    stream.on("data", onData);
    stream.resume();
  });
}

/** Polls `cond` every 10 ms until true or `timeoutMs`. */
export async function eventually(cond: () => boolean, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error("condition not met in time");
    await new Promise((r) => setTimeout(r, 10));
  }
}
