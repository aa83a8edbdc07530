/**
 * Throughput of every path a webpt byte can take, side by side with
 * obfs4proxy over TCP (the anchor) and with the raw carriers, in one
 * interleaved run (issues 3 and 4). Every tunnel has the same topology as
 * deployed: a client PT process and a server PT process (two bench workers,
 * or obfs4proxy twice), the bench process pushing into the client's TCP
 * port and its Target (the stand-in ORPort) behind the server; see
 * pipeline.ts for the timing. The raw cases are the same minus obfs4: the
 * workers relay TCP over the bare carrier ("raw TCP" is the bench process
 * talking to its Target directly, with no PT processes at all).
 *
 * Sizes per sample scale with BENCH_MIB (default 128): the slow WebRTC
 * engines get a fraction of it so the whole bench stays short; MB/s is
 * comparable across sizes (loopback has no slow start worth the name).
 */
import type net from "node:net";
import {
  startObfs4proxyClient,
  startObfs4proxyServer,
  type Obfs4proxyClient,
  type Obfs4proxyServer,
} from "../test/helpers/obfs4proxy.js";
import type { BenchCase, BenchGroup } from "./harness.js";
import {
  Target,
  connect,
  connectReady,
  cpuSeconds,
  measure,
  startWorker,
  stopWorker,
  type Direction,
  type Worker,
} from "./pipeline.js";

const BASE_MIB = Number(process.env.BENCH_MIB ?? process.env.BENCH_OBFS4_MIB ?? 128);

/** One way through the machine: what to start, and how to open a connection whose tunnel is up. */
interface Path {
  readonly name: string;
  readonly mib: number;
  start(target: Target): Promise<Opened>;
}

interface Opened {
  /** The client PT's and the server PT's process ids (none for raw TCP), for CPU accounting. */
  readonly pids: readonly (number | undefined)[];
  dial(): Promise<net.Socket>;
  close(): Promise<void>;
}

export const RAW_TCP = "raw TCP";
export const OBFS4PROXY = "obfs4proxy 0.0.14 over TCP";
export const WEBPT_TCP_NATIVE = "webpt obfs4 over TCP (sodium-native)";
export const WEBPT_TCP_JS = "webpt obfs4 over TCP (pure JS, as in browsers)";
export const WS_RAW = "WebSocket raw (ws → ws)";
export const WS_OBFS4 = "WebSocket + webpt obfs4 (sodium-native)";
export const RTC_NDC_RAW = "WebRTC raw, node-datachannel";
export const RTC_WERIFT_RAW = "WebRTC raw, werift";
export const RTC_NDC_OBFS4 = "WebRTC + webpt obfs4, node-datachannel (sodium-native)";

/** A server worker and a client worker of `script`; `serverArgs`/`clientArgs` around the ports and cert. */
function workerPair(
  name: string,
  mib: number,
  script: string,
  serverArgs: (targetPort: number) => string[],
  clientArgs: (serverPort: number, cert: string) => string[],
): Path {
  return {
    name,
    mib,
    async start(target) {
      const workers: Worker[] = [];
      try {
        const s = await startWorker(script, serverArgs(target.port));
        workers.push(s);
        const c = await startWorker(script, clientArgs(s.info.port, s.info.cert!));
        workers.push(c);
        return {
          pids: [c.child.pid, s.child.pid],
          dial: () => connectReady(c.info.port),
          close: async () => void (await Promise.all(workers.map(stopWorker))),
        };
      } catch (err) {
        await Promise.all(workers.map(stopWorker));
        throw err;
      }
    },
  };
}

function webptTcp(name: string, backend: "native" | "js"): Path {
  return workerPair(
    name,
    BASE_MIB,
    "obfs4-pair",
    (target) => ["server", String(target), backend],
    (server, cert) => ["client", String(server), cert, backend],
  );
}

function carrier(name: string, mib: number, kind: "ws" | "rtc-ndc" | "rtc-werift", crypto: "none" | "native"): Path {
  return workerPair(
    name,
    mib,
    "carrier-pair",
    (target) => ["server", kind, crypto, String(target)],
    (server, cert) => ["client", kind, crypto, String(server), cert],
  );
}

const PATHS: readonly Path[] = [
  {
    name: RAW_TCP,
    mib: BASE_MIB,
    start: (target) => Promise.resolve({ pids: [], dial: () => connect(target.port), close: () => Promise.resolve() }),
  },
  {
    name: OBFS4PROXY,
    mib: BASE_MIB,
    async start(target) {
      const server: Obfs4proxyServer = await startObfs4proxyServer({ orport: target.port });
      let client: Obfs4proxyClient;
      try {
        client = await startObfs4proxyClient();
      } catch (err) {
        await server.close();
        throw err;
      }
      return {
        pids: [client.pt.child.pid, server.pt.child.pid],
        dial: () => client.dial(server),
        close: async () => {
          await client.close();
          await server.close();
        },
      };
    },
  },
  webptTcp(WEBPT_TCP_NATIVE, "native"),
  webptTcp(WEBPT_TCP_JS, "js"),
  carrier(WS_RAW, BASE_MIB, "ws", "none"),
  carrier(WS_OBFS4, BASE_MIB, "ws", "native"),
  carrier(RTC_NDC_RAW, BASE_MIB / 2, "rtc-ndc", "none"),
  carrier(RTC_NDC_OBFS4, BASE_MIB / 2, "rtc-ndc", "native"),
  carrier(RTC_WERIFT_RAW, BASE_MIB / 8, "rtc-werift", "none"),
];

/** Server → client is measured for these (issue 4 asks it of the WebSocket carrier; the rest are its context). */
const DOWN_PATHS: readonly string[] = [RAW_TCP, OBFS4PROXY, WEBPT_TCP_NATIVE, WS_RAW, WS_OBFS4];
const TCP_PATHS: readonly string[] = [RAW_TCP, OBFS4PROXY, WEBPT_TCP_NATIVE, WEBPT_TCP_JS];

/**
 * The group for `dir` over the paths named in `only` (default: every path
 * measured in that direction), further narrowed by BENCH_CASES (comma-separated
 * substrings of case names). The anchor is always included.
 */
export function throughputGroup(dir: Direction, only?: readonly string[]): BenchGroup {
  const wanted = only ?? (dir === "up" ? PATHS.map((p) => p.name) : DOWN_PATHS);
  const filter = process.env.BENCH_CASES?.split(",").map((s) => s.trim().toLowerCase());
  const paths = PATHS.filter(
    (p) =>
      p.name === OBFS4PROXY ||
      (wanted.includes(p.name) && (filter === undefined || filter.some((f) => p.name.toLowerCase().includes(f)))),
  );
  const target = new Target();
  const opened = new Map<string, Opened>();
  const cases: BenchCase[] = paths.map((p) => ({
    name: p.name,
    note: `${p.mib} MiB`,
    run: async () => {
      const o = opened.get(p.name)!;
      const sock = await o.dial();
      const before = o.pids.map(cpuSeconds);
      const bytes = p.mib * (1 << 20);
      const value = await measure(sock, target, dir, bytes);
      const cpu = o.pids.map((pid, i) => ((cpuSeconds(pid) - before[i]!) * 1000) / (bytes / 1e6));
      return cpu.length === 0 ? { value } : { value, cpu };
    },
  }));
  return {
    title: `Throughput ${dir === "up" ? "client → server" : "server → client"}, each PT side in its own process`,
    unit: "MB/s",
    anchor: OBFS4PROXY,
    cpuLabel: "CPU ms/MB: client PT + server PT",
    cases,
    async setup() {
      await target.start();
      for (const p of paths) opened.set(p.name, await p.start(target));
    },
    async teardown() {
      await Promise.all([...opened.values()].map((o) => o.close()));
      await target.close();
    },
  };
}

/** The TCP cases alone (issue 3's comparison; `npm run bench -- obfs4-tcp`). */
export function obfs4TcpGroup(): BenchGroup {
  return throughputGroup("up", TCP_PATHS);
}
