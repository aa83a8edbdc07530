/**
 * A real coturn (Debian `coturn`, installed by scripts/setup.sh) for the
 * STUN-aware UDP tests: started in the foreground on 127.0.0.1 with a
 * temporary config (long-term credentials, one user, no TLS/DTLS/TCP, no
 * CLI, loopback peers allowed so a relay can reach a local echo peer), ready
 * once it answers a Binding request, stopped with SIGTERM.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import dgram from "node:dgram";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { StunMethod, encodeStun, messageType, newTransactionId, parseStun } from "./stun-client.js";

export const COTURN_BIN = "turnserver";

export interface Coturn {
  readonly host: "127.0.0.1";
  readonly port: number;
  readonly realm: string;
  readonly user: string;
  readonly password: string;
  /** coturn's output so far, for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

/** Whether the binary is installed; a test that needs it must fail (not skip) when it is not. */
export function coturnInstalled(): boolean {
  return spawnSync(COTURN_BIN, ["--version"], { stdio: "ignore" }).status === 0;
}

async function freeUdpPort(): Promise<number> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  const { port } = s.address();
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

/** Sends Binding requests every 100 ms until one is answered or `timeoutMs` passes. */
async function waitForBinding(port: number, timeoutMs: number, exited: () => boolean): Promise<void> {
  const s = dgram.createSocket("udp4");
  await new Promise<void>((r) => s.bind(0, "127.0.0.1", r));
  try {
    await new Promise<void>((resolve, reject) => {
      const req = encodeStun(messageType(StunMethod.BINDING, "request"), newTransactionId(), []);
      const deadline = Date.now() + timeoutMs;
      const timer = setInterval(() => {
        if (exited()) return finish(new Error("turnserver exited"));
        if (Date.now() > deadline) return finish(new Error(`turnserver did not answer within ${timeoutMs} ms`));
        s.send(req, port, "127.0.0.1");
      }, 100);
      const finish = (err?: Error): void => {
        clearInterval(timer);
        if (err === undefined) resolve();
        else reject(err);
      };
      s.on("message", (m) => {
        if (parseStun(m).type === messageType(StunMethod.BINDING, "success")) finish();
      });
      s.send(req, port, "127.0.0.1");
    });
  } finally {
    s.close();
  }
}

export async function startCoturn(options: { user?: string; password?: string; realm?: string } = {}): Promise<Coturn> {
  const user = options.user ?? "webpt";
  const password = options.password ?? "s3cret-udp";
  const realm = options.realm ?? "webpt.test";
  const dir = await mkdtemp(path.join(tmpdir(), "webpt-coturn-"));
  const port = await freeUdpPort();
  // A random relay range above the Linux ephemeral range's usual start; coturn skips ports in use.
  const minPort = 50_000 + Math.floor(Math.random() * 10_000);
  const config = [
    "listening-ip=127.0.0.1",
    "relay-ip=127.0.0.1",
    `listening-port=${port}`,
    `min-port=${minPort}`,
    `max-port=${minPort + 200}`,
    "lt-cred-mech",
    `user=${user}:${password}`,
    `realm=${realm}`,
    "no-tls",
    "no-dtls",
    "no-tcp",
    "no-tcp-relay",
    "allow-loopback-peers",
    "no-cli",
    "no-multicast-peers",
    "no-software-attribute",
    `userdb=${path.join(dir, "turndb")}`,
    `pidfile=${path.join(dir, "turn.pid")}`,
    "log-file=stdout",
    "simple-log",
  ].join("\n");
  const conf = path.join(dir, "turnserver.conf");
  await writeFile(conf, config + "\n");
  const child: ChildProcess = spawn(COTURN_BIN, ["-c", conf], { stdio: ["ignore", "pipe", "pipe"] });
  let output = "";
  let exited = false;
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-20_000)));
  const gone = new Promise<void>((r) =>
    child.once("exit", () => {
      exited = true;
      r();
    }),
  );
  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill("SIGTERM");
      const t = setTimeout(() => child.kill("SIGKILL"), 3000);
      await gone;
      clearTimeout(t);
    }
    await rm(dir, { recursive: true, force: true });
  };
  try {
    await waitForBinding(port, 10_000, () => exited);
  } catch (err) {
    await stop();
    throw new Error(`${(err as Error).message}\n${output}`);
  }
  return { host: "127.0.0.1", port, realm, user, password, output: () => output, stop };
}
