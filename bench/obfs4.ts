/**
 * obfs4 over TCP: webpt against obfs4proxy on the same machine in the same
 * run (issue 3), client → server throughput through two PT processes, plus
 * raw TCP; and handshakes per second per core. Same topology for both: a
 * client PT process and a server PT process, each connection's clock
 * started once its obfs4 handshake is done (obfs4proxy's SOCKS reply, the
 * webpt worker's READY byte), 128 MiB pushed as fast as the tunnel drains.
 */
import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import { createInterface } from "node:readline";
import {
  startObfs4proxyClient,
  startObfs4proxyServer,
  type Obfs4proxyClient,
  type Obfs4proxyServer,
} from "../test/helpers/obfs4proxy.js";
import type { BenchGroup } from "./harness.js";
import { workerCommand } from "./build.js";
import {
  Obfs4ClientSession,
  Obfs4ServerSession,
  ReplayFilter,
  generateServerState,
  keypairFromPrivateKey,
  generateRepresentableKeypair,
} from "../src/shared/codec/obfs4/index.js";
import { nodeCryptoBackend } from "../src/server/crypto/backend.js";

const BYTES = Number(process.env.BENCH_OBFS4_MIB ?? 128) * (1 << 20);

/** A sink that counts bytes per connection and resolves when `BYTES` arrived. */
class Sink {
  server = net.createServer();
  waiting: ((ms: number) => void) | null = null;
  port = 0;
  async start(): Promise<void> {
    this.server.on("connection", (s) => {
      let n = 0;
      s.on("data", (d: Buffer) => {
        n += d.length;
        if (n >= BYTES && this.waiting) {
          const w = this.waiting;
          this.waiting = null;
          w(performance.now());
          s.destroy();
        }
      });
      s.on("error", () => undefined);
    });
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }
  close(): Promise<void> {
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Pushes BYTES through `sock` as fast as it drains; MB/s measured at the sink. */
async function pump(sock: net.Socket, sink: Sink): Promise<number> {
  const chunk = Buffer.alloc(256 * 1024, 7);
  const done = new Promise<number>((r) => (sink.waiting = r));
  const t0 = performance.now();
  let sent = 0;
  await new Promise<void>((resolve) => {
    const go = (): void => {
      while (sent < BYTES) {
        sent += chunk.length;
        if (!sock.write(chunk)) return void sock.once("drain", go);
      }
      resolve();
    };
    go();
  });
  const t1 = await done;
  sock.destroy();
  return BYTES / 1e6 / ((t1 - t0) / 1000);
}

function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => resolve(s));
    s.setNoDelay(true);
    s.once("error", reject);
  });
}

/** Connects to a webpt client worker and waits for its READY byte: its obfs4 tunnel is up. */
async function connectWebpt(port: number): Promise<net.Socket> {
  const s = await connect(port);
  await new Promise<void>((resolve, reject) => {
    s.once("data", () => {
      s.off("error", reject);
      s.pause(); // nothing else comes this way
      resolve();
    });
    s.once("error", reject);
  });
  return s;
}

async function worker(args: string[]): Promise<{ child: ChildProcess; info: { port: number; cert?: string } }> {
  const prof =
    process.env.BENCH_CPU_PROF === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`];
  const { nodeArgs, script } = workerCommand("obfs4-pair");
  const child = spawn(process.execPath, [...prof, ...nodeArgs, script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench worker exited with ${code}`)));
  });
  return { child, info: JSON.parse(line) as { port: number; cert?: string } };
}

export function obfs4ThroughputGroup(): BenchGroup {
  const sink = new Sink();
  let o4s: Obfs4proxyServer;
  let o4c: Obfs4proxyClient;
  const children: ChildProcess[] = [];
  const ports: Record<string, number> = {};
  return {
    title: `obfs4 over TCP, client → server, ${BYTES >> 20} MiB per sample, each PT side in its own process`,
    unit: "MB/s",
    anchor: "obfs4proxy 0.0.14",
    async setup() {
      await sink.start();
      o4s = await startObfs4proxyServer({ orport: sink.port });
      o4c = await startObfs4proxyClient();
      for (const backend of ["native", "js"]) {
        const s = await worker(["server", String(sink.port), backend]);
        const c = await worker(["client", String(s.info.port), s.info.cert!, backend]);
        children.push(s.child, c.child);
        ports[backend] = c.info.port;
      }
    },
    async teardown() {
      for (const c of children) c.stdin?.end();
      await o4c.close();
      await o4s.close();
      await sink.close();
    },
    cases: [
      { name: "raw TCP", run: async () => pump(await connect(sink.port), sink) },
      { name: "obfs4proxy 0.0.14", run: async () => pump(await o4c.dial(o4s), sink) },
      { name: "webpt (sodium-native)", run: async () => pump(await connectWebpt(ports.native!), sink) },
      { name: "webpt (pure JS, as in browsers)", run: async () => pump(await connectWebpt(ports.js!), sink) },
    ],
  };
}

/** Server-side handshakes per second on one core (client requests made beforehand). */
export function obfs4HandshakeGroup(): BenchGroup {
  const state = generateServerState();
  const identityKeypair = keypairFromPrivateKey(state.privateKey);
  const backend = nodeCryptoBackend();
  const N = Number(process.env.BENCH_HANDSHAKES ?? 200);
  const serverOnce = (): number => {
    const requests = Array.from(
      { length: N },
      () => new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 }).request,
    );
    const replayFilter = new ReplayFilter();
    const t0 = performance.now();
    for (const req of requests) {
      const s = new Obfs4ServerSession({
        nodeId: state.nodeId,
        identityKeypair,
        replayFilter,
        drbgSeed: state.drbgSeed,
        iatMode: 0,
        backend,
      });
      if (s.receive(req).send === undefined) throw new Error("handshake failed in bench");
    }
    return N / ((performance.now() - t0) / 1000);
  };
  const clientOnce = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) generateRepresentableKeypair();
    return N / ((performance.now() - t0) / 1000);
  };
  return {
    title: `obfs4 handshakes per second on one core (${N} per sample)`,
    unit: "handshakes/s",
    anchor: "server: verify request + respond (incl. its ephemeral Elligator key)",
    cases: [
      { name: "server: verify request + respond (incl. its ephemeral Elligator key)", run: async () => serverOnce() },
      { name: "client: ephemeral Elligator keypair alone", run: async () => clientOnce() },
    ],
  };
}
