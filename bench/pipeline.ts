/**
 * The throughput bench's plumbing, the same for every case: the bench
 * process plays both ends of a tunnel. It connects through the case's path
 * (a client PT, a carrier, a server PT) to its own Target, which stands in
 * for tor's ORPort, and times `bytes` one way:
 *
 *   up   (client → server): the driver pushes as fast as the path drains;
 *        the clock stops when the Target has counted every byte.
 *   down (server → client): the driver sends one DOWN byte; the Target answers
 *        with `bytes` as fast as the path drains; the clock stops when the
 *        driver has counted every byte.
 *
 * Each sample uses a fresh connection whose tunnel is already up (a SOCKS
 * reply or a worker's READY byte), so no handshake is timed. MB = 10^6 bytes.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { readFileSync } from "node:fs";
import net from "node:net";
import { createInterface } from "node:readline";
import { workerCommand } from "./build.js";

/** First byte of a connection that asks the Target to send instead of count (data bytes up are 0x07). */
const DOWN = 0x44;
/** Up-direction filler: any byte but DOWN. */
const FILL = 0x07;
const CHUNK = 256 * 1024;
/** A sample that has not finished in this long fails (a stalled carrier must not hang the bench). */
export const SAMPLE_TIMEOUT_MS = 120_000;

export type Direction = "up" | "down";

interface Pending {
  readonly bytes: number;
  done(t: number): void;
}

/** The stand-in ORPort: counts what comes up, or sends what is asked for down. */
export class Target {
  readonly server = net.createServer();
  port = 0;
  #up: Pending | undefined;
  #down: number | undefined;
  readonly #open = new Set<net.Socket>();

  async start(): Promise<void> {
    this.server.on("connection", (s) => this.#accept(s));
    await new Promise<void>((r) => this.server.listen(0, "127.0.0.1", r));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** The next connection that sends data is counted up to `bytes`; resolves with the time it completes. */
  expectUp(bytes: number): Promise<number> {
    return new Promise((done) => (this.#up = { bytes, done }));
  }

  /** The next connection that sends DOWN gets `bytes` back. */
  sendDown(bytes: number): void {
    this.#down = bytes;
  }

  #accept(s: net.Socket): void {
    this.#open.add(s);
    s.setNoDelay(true);
    s.on("error", () => s.destroy());
    s.once("close", () => this.#open.delete(s));
    let n = 0;
    let first = true;
    s.on("data", (d: Buffer) => {
      if (first) {
        first = false;
        if (d[0] === DOWN && this.#down !== undefined) {
          const bytes = this.#down;
          this.#down = undefined;
          void pushBytes(s, bytes);
          return;
        }
      }
      n += d.length;
      const up = this.#up;
      if (up !== undefined && n >= up.bytes) {
        this.#up = undefined;
        up.done(performance.now());
        s.destroy();
      }
    });
  }

  close(): Promise<void> {
    for (const s of this.#open) s.destroy();
    return new Promise((r) => this.server.close(() => r()));
  }
}

/** Writes `bytes` filler bytes as fast as `sock` drains; resolves when all are handed to it (or it closed). */
function pushBytes(sock: net.Socket, bytes: number): Promise<void> {
  const chunk = Buffer.alloc(CHUNK, FILL);
  let sent = 0;
  return new Promise<void>((resolve) => {
    sock.once("close", () => resolve());
    const go = (): void => {
      while (sent < bytes && !sock.destroyed) {
        const n = Math.min(CHUNK, bytes - sent);
        sent += n;
        if (!sock.write(n === CHUNK ? chunk : chunk.subarray(0, n))) return void sock.once("drain", go);
      }
      resolve();
    };
    go();
  });
}

function withTimeout<T>(p: Promise<T>, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const t = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish in ${SAMPLE_TIMEOUT_MS} ms`)), SAMPLE_TIMEOUT_MS);
  });
  return Promise.race([p, t]).finally(() => clearTimeout(timer));
}

/** Times `bytes` over `sock` (whose tunnel is up) in `dir`; returns MB/s and destroys `sock`. */
export async function measure(sock: net.Socket, target: Target, dir: Direction, bytes: number): Promise<number> {
  try {
    if (dir === "up") {
      const done = target.expectUp(bytes);
      const t0 = performance.now();
      void pushBytes(sock, bytes);
      const t1 = await withTimeout(done, "upload");
      return bytes / 1e3 / (t1 - t0);
    }
    target.sendDown(bytes);
    const done = new Promise<number>((resolve, reject) => {
      let n = 0;
      sock.on("data", (d: Buffer) => {
        n += d.length;
        if (n >= bytes) resolve(performance.now());
      });
      sock.once("close", () => reject(new Error(`the tunnel closed after ${n} of ${bytes} bytes`)));
    });
    const t0 = performance.now();
    sock.write(Uint8Array.of(DOWN));
    sock.resume();
    const t1 = await withTimeout(done, "download");
    return bytes / 1e3 / (t1 - t0);
  } finally {
    sock.destroy();
  }
}

/** Kernel clock ticks per second for /proc/<pid>/stat (USER_HZ, 100 on Linux everywhere we run). */
const USER_HZ = 100;

/**
 * CPU seconds `pid` has used so far, all its threads (utime + stime from
 * /proc/<pid>/stat, 10 ms resolution), or NaN where there is no /proc.
 */
export function cpuSeconds(pid: number | undefined): number {
  if (pid === undefined) return NaN;
  try {
    // Fields after the ")" that ends the command name: state is field 3, utime 14, stime 15.
    const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1]!.split(" ");
    return (Number(f[11]) + Number(f[12])) / USER_HZ;
  } catch {
    return NaN;
  }
}

export function connect(port: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: "127.0.0.1", port }, () => {
      s.off("error", reject);
      s.on("error", () => s.destroy());
      resolve(s);
    });
    s.setNoDelay(true);
    s.once("error", reject);
  });
}

/** Connects to a webpt client worker and waits for its READY byte: its tunnel is up. */
export async function connectReady(port: number): Promise<net.Socket> {
  const s = await connect(port);
  await withTimeout(
    new Promise<void>((resolve, reject) => {
      s.once("data", () => {
        s.off("close", onClose);
        s.pause(); // nothing else comes this way until measure() asks for it
        resolve();
      });
      const onClose = (): void => reject(new Error("the client worker closed the connection before READY"));
      s.once("close", onClose);
    }),
    "tunnel setup",
  );
  return s;
}

export interface Worker {
  readonly child: ChildProcess;
  readonly info: { port: number; cert?: string };
}

/**
 * Starts bench/workers/<name> with `args` and reads its one JSON line.
 * BENCH_CPU_PROF=<dir> profiles every worker (.cpuprofile files in <dir>).
 */
export async function startWorker(name: string, args: readonly string[]): Promise<Worker> {
  const prof =
    process.env.BENCH_CPU_PROF === undefined ? [] : ["--cpu-prof", `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`];
  const { nodeArgs, script } = workerCommand(name);
  const child = spawn(process.execPath, [...prof, ...nodeArgs, script, ...args], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once("line", resolve);
    child.once("exit", (code) => reject(new Error(`bench worker ${name} ${args.join(" ")} exited with ${code}`)));
  });
  return { child, info: JSON.parse(line) as { port: number; cert?: string } };
}

/** Ends a worker through its stdin (it exits on EOF, writing its CPU profile) and waits for it. */
export function stopWorker(w: Worker): Promise<void> {
  if (w.child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    w.child.once("exit", () => resolve());
    w.child.stdin?.end();
  });
}
