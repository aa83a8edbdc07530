/**
 * The extension's throughput in real Chromium, side by side in one run and
 * one context (the extension's service worker):
 *
 *   raw-websocket       a plain WebSocket from the worker to a Node `ws` server (the anchor)
 *   websocket-obfs4     the browser Transport API: obfs4 over a WebSocket to a webpt bridge
 *   webrtc-obfs4        obfs4 over a DataChannel, run by the offscreen document and streamed to the
 *                       worker over a runtime port (the path web apps' webrtc connections take)
 *
 * Each sample moves `mib` MiB one way: "up" (worker → server; the server
 * acknowledges the last byte) or "down" (server → worker). Cases are
 * interleaved over rounds; medians and ratios to the anchor are reported.
 * Issue 6's target: websocket-obfs4 ≥ 50 % of raw-websocket.
 *
 *   node --import tsx bench/extension-throughput.ts [rounds] [mib]
 *
 * `runExtensionBench()` is exported for bench/run.ts.
 */
import { rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { WebSocketServer } from "ws";
import type { Obfs4Stream } from "../src/server/obfs4/obfs4-stream.js";
import type { StreamSink } from "../src/server/service/types.js";
import { buildForTests, launch, startBridge } from "../test/e2e/harness.js";

export const RAW = "raw-websocket";
export const WS_OBFS4 = "websocket-obfs4";
export const RTC_OBFS4 = "webrtc-obfs4";
/** Issue 6: the websocket transport's share of a raw WebSocket's throughput. */
export const TARGET_RATIO = 0.5;

export interface ExtensionBenchOptions {
  readonly rounds?: number;
  readonly mib?: number;
  readonly directions?: readonly ("up" | "down")[];
}

export interface ExtensionBenchRow {
  readonly name: string;
  readonly direction: "up" | "down";
  /** MB/s (10^6 bytes per second) of every round, and their median. */
  readonly samples: number[];
  readonly median: number;
  readonly ratio: number;
  /** Error codes of samples that failed (not in `samples`). */
  readonly failures: readonly string[];
}

/**
 * The request protocol both servers speak: the first message/bytes are
 * 9 bytes, 'u' or 'd' and a u64 length. 'u': the client then sends that many
 * bytes and the server answers one byte when all arrived. 'd': the server
 * sends that many bytes.
 */
function parseRequest(b: Buffer): { dir: string; n: number } {
  return { dir: String.fromCharCode(b[0]!), n: Number(b.readBigUInt64BE(1)) };
}

const DOWN_CHUNK = Buffer.alloc(64 * 1024, 0x5a);

/** The bridge side: a sink speaking the request protocol. */
function benchSink(): StreamSink {
  return async (stream: Obfs4Stream) => {
    stream.on("error", () => undefined);
    let header = Buffer.alloc(0);
    let want = -1;
    let got = 0;
    const onData = (d: Buffer): void => {
      if (want < 0) {
        header = Buffer.concat([header, d]);
        if (header.length < 9) return;
        const { dir, n } = parseRequest(header);
        const rest = header.length - 9;
        if (dir === "d") {
          stream.off("data", onData);
          void sendDown(stream, n);
          return;
        }
        want = n;
        got = rest;
      } else got += d.length;
      if (want >= 0 && got >= want) {
        stream.write(Buffer.from([1]));
        want = -1;
        got = 0;
        header = Buffer.alloc(0);
      }
    };
    stream.on("data", onData);
    await new Promise((r) => stream.once("close", r));
    return {};
  };
}

async function sendDown(stream: Obfs4Stream, n: number): Promise<void> {
  for (let sent = 0; sent < n; sent += DOWN_CHUNK.length) {
    const chunk = n - sent >= DOWN_CHUNK.length ? DOWN_CHUNK : DOWN_CHUNK.subarray(0, n - sent);
    if (!stream.write(chunk)) await new Promise((r) => stream.once("drain", r));
  }
}

/** The anchor's server: the same protocol over WebSocket messages. */
async function rawServer(): Promise<{ url: string; close(): Promise<void> }> {
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 1 << 20 });
  await new Promise((r) => wss.once("listening", r));
  wss.on("connection", (ws) => {
    let want = -1;
    let got = 0;
    ws.on("message", (data: Buffer) => {
      if (want < 0) {
        const { dir, n } = parseRequest(data);
        if (dir === "d") {
          void (async () => {
            for (let sent = 0; sent < n; sent += DOWN_CHUNK.length) {
              ws.send(n - sent >= DOWN_CHUNK.length ? DOWN_CHUNK : DOWN_CHUNK.subarray(0, n - sent));
              while (ws.bufferedAmount > 4 << 20) await new Promise((r) => setTimeout(r, 1));
            }
          })();
          return;
        }
        want = n;
        got = data.length - 9;
      } else got += data.length;
      if (got >= want) {
        ws.send(Buffer.from([1]));
        want = -1;
      }
    });
  });
  const port = (wss.address() as AddressInfo).port;
  return { url: `ws://127.0.0.1:${port}/`, close: () => new Promise((r) => wss.close(() => r(undefined))) };
}

/** Runs in the service worker: one sample of one case; returns MB/s. */
async function sampleInWorker(arg: {
  name: string;
  dir: "up" | "down";
  n: number;
  line: string;
  rawUrl: string;
}): Promise<number> {
  interface Conn {
    opened: Promise<unknown>;
    readable: { getReader(): { read(): Promise<{ done: boolean; value?: Uint8Array }>; releaseLock(): void } };
    writable: {
      getWriter(): { ready: Promise<void>; write(c: Uint8Array): Promise<void>; releaseLock(): void };
    };
    close(): Promise<void>;
  }
  const g = globalThis as unknown as {
    webpt: {
      transports: { websocket: { createConnector(c: object): { createConnection(): Conn }[] } };
      service: { rtc: { open(r: object): Conn } };
    };
    WebSocket: new (url: string) => {
      binaryType: string;
      bufferedAmount: number;
      onopen: (() => void) | null;
      onmessage: ((e: { data: ArrayBuffer }) => void) | null;
      send(d: Uint8Array): void;
      close(): void;
    };
  };
  const header = new Uint8Array(9);
  header[0] = arg.dir === "up" ? 0x75 : 0x64;
  new DataView(header.buffer).setBigUint64(1, BigInt(arg.n));
  const chunk = new Uint8Array(64 * 1024).fill(0xa5);
  if (arg.name === "raw-websocket") {
    const ws = new g.WebSocket(arg.rawUrl);
    ws.binaryType = "arraybuffer";
    await new Promise<void>((r) => (ws.onopen = () => r()));
    let received = 0;
    let done!: () => void;
    const finished = new Promise<void>((r) => (done = r));
    ws.onmessage = (e) => {
      received += e.data.byteLength;
      if (arg.dir === "up" || received >= arg.n) done();
    };
    const t0 = performance.now();
    ws.send(header);
    if (arg.dir === "up") {
      for (let sent = 0; sent < arg.n; sent += chunk.length) {
        while (ws.bufferedAmount > 4 << 20) await new Promise((r) => setTimeout(r, 1));
        ws.send(chunk);
      }
    }
    await finished;
    const ms = performance.now() - t0;
    ws.close();
    return arg.n / 1e6 / (ms / 1000);
  }
  const conn =
    arg.name === "websocket-obfs4"
      ? g.webpt.transports.websocket.createConnector({ bridge: arg.line })[0]!.createConnection()
      : g.webpt.service.rtc.open({ line: arg.line });
  await conn.opened;
  const writer = conn.writable.getWriter();
  const reader = conn.readable.getReader();
  const t0 = performance.now();
  await writer.write(header);
  if (arg.dir === "up") {
    for (let sent = 0; sent < arg.n; sent += chunk.length) {
      await writer.ready;
      void writer.write(chunk);
    }
    await reader.read(); // the ack
  } else {
    let received = 0;
    while (received < arg.n) {
      const r = await reader.read();
      if (r.done) break;
      received += r.value!.length;
    }
  }
  const ms = performance.now() - t0;
  writer.releaseLock();
  reader.releaseLock();
  await conn.close();
  return arg.n / 1e6 / (ms / 1000);
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export async function runExtensionBench(options: ExtensionBenchOptions = {}): Promise<ExtensionBenchRow[]> {
  const rounds = options.rounds ?? 3;
  const n = (options.mib ?? 32) * 1024 * 1024;
  const directions = options.directions ?? ["up", "down"];
  const built = await buildForTests();
  const bridge = await startBridge(benchSink());
  const raw = await rawServer();
  const browser = await launch(built.chrome);
  try {
    const worker = await browser.worker();
    const rows: ExtensionBenchRow[] = [];
    for (const dir of directions) {
      const samples: Record<string, number[]> = { [RAW]: [], [WS_OBFS4]: [], [RTC_OBFS4]: [] };
      const failures: Record<string, string[]> = {};
      for (let round = 0; round < rounds + 1; round++) {
        for (const name of [RAW, WS_OBFS4, RTC_OBFS4]) {
          const line = name === RTC_OBFS4 ? bridge.lines.webrtc : bridge.lines.websocket;
          let mbps: number;
          try {
            mbps = await worker.evaluate(sampleInWorker, { name, dir, n, line, rawUrl: raw.url });
          } catch (err) {
            // A failed sample is a result too (e.g. ERR_TRANSPORT_READ_BUFFER: a DataChannel cannot be paused).
            const code = /(ERR_[A-Z0-9_]+)/.exec(String(err))?.[1] ?? "error";
            failures[name] = [...(failures[name] ?? []), code];
            continue;
          }
          if (round > 0) samples[name]!.push(mbps); // round 0 warms up
        }
      }
      const anchor = median(samples[RAW]!);
      for (const name of [RAW, WS_OBFS4, RTC_OBFS4]) {
        const m = median(samples[name]!);
        rows.push({
          name,
          direction: dir,
          samples: samples[name]!,
          median: m,
          ratio: m / anchor,
          failures: failures[name] ?? [],
        });
      }
    }
    return rows;
  } finally {
    await browser.close();
    await raw.close();
    await bridge.stop();
    await rm(built.dir, { recursive: true, force: true });
  }
}

export function formatExtensionBench(rows: readonly ExtensionBenchRow[]): string {
  const lines = [
    "## extension (Chromium service worker), MB/s, median",
    "",
    "| case | direction | median | × raw | samples | failed |",
    "|---|---|---|---|---|---|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.name} | ${r.direction} | ${r.median.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.samples.map((s) => s.toFixed(1)).join(", ")} | ${r.failures.join(", ")} |`,
    );
  }
  for (const dir of new Set(rows.map((r) => r.direction))) {
    const ws = rows.find((r) => r.name === WS_OBFS4 && r.direction === dir);
    if (ws !== undefined) {
      const ok = ws.ratio >= TARGET_RATIO;
      lines.push(
        "",
        `${ok ? "PASS" : "FAIL"} ${dir}: ${WS_OBFS4} is ${(ws.ratio * 100).toFixed(0)} % of ${RAW} (target ≥ ${TARGET_RATIO * 100} %)`,
      );
    }
  }
  return lines.join("\n");
}

if (process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const rounds = Number(process.argv[2] ?? 3);
  const mib = Number(process.argv[3] ?? 32);
  runExtensionBench({ rounds, mib }).then(
    (rows) => console.log(formatExtensionBench(rows)),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
