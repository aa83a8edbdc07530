/**
 * `webpt server` managed by tor (pt-spec 1.0 §3, PT 2.0 §3.3): read the
 * TOR_PT_* environment and 2.x flags, open one listener per transport we
 * implement, announce them with SMETHOD (unknown transports are ignored
 * silently, CONFORMANCE), forward every authenticated client to tor's
 * (Extended) ORPort, and end by the shutdown rules.
 */
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import type net from "node:net";
import {
  IpcError,
  ipcErrorOutput,
  parseServerConfig,
  type PtEnv,
  type PtServerConfig,
  type PtServerTransport,
} from "../shared/codec/pt-ipc/index.js";
import {
  BRIDGE_LINE_FILE_NAME,
  STATE_FILE_NAME,
  resolveServerState,
  serverMethodArgs,
} from "../shared/codec/obfs4/index.js";
import { dialOr, type OrTarget } from "./forward/orport.js";
import { relay } from "./net/relay.js";
import { listenObfs4Tcp, type Obfs4TcpServer } from "./obfs4/tcp.js";
import type { Obfs4Stream } from "./obfs4/obfs4-stream.js";
import { IpcOut } from "./pt/ipc-out.js";
import { installShutdown } from "./pt/lifecycle.js";

/** The transports this server implements, in the order we announce them. */
export const SERVER_TRANSPORTS = ["obfs4"] as const;

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

function firstValues(options: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of options) if (v[0] !== undefined) out.set(k, v[0]);
  return out;
}

/** Starts obfs4 over TCP for one SMETHOD; resolves with its listener. */
async function startObfs4(
  t: PtServerTransport,
  stateDir: string,
  target: OrTarget,
  out: IpcOut,
  connections: Set<Obfs4Stream | net.Socket>,
): Promise<{ srv: Obfs4TcpServer; args: [string, string][] }> {
  // obfs4proxy's rules: server transport options override the state file, which is (re)written on every start.
  const resolved = resolveServerState({
    options: firstValues(t.options),
    stateJson: await readOptional(path.join(stateDir, STATE_FILE_NAME)),
  });
  await writeFile(path.join(stateDir, STATE_FILE_NAME), resolved.stateJson, { mode: 0o600 });
  await writeFile(path.join(stateDir, BRIDGE_LINE_FILE_NAME), resolved.bridgeLineFile);
  const bind = t.bindaddr ?? { host: "0.0.0.0", port: 0 };
  const srv = await listenObfs4Tcp(bind, resolved.state, (stream, info) => {
    connections.add(stream);
    stream.once("close", () => connections.delete(stream));
    dialOr(target, t.name, info).then(
      (or) => {
        connections.add(or);
        or.once("close", () => connections.delete(or));
        void relay(stream, or);
      },
      (err: unknown) => {
        out.log("warning", `${t.name}: cannot reach tor's ORPort: ${(err as Error).message}`);
        stream.destroy();
      },
    );
  });
  return { srv, args: serverMethodArgs(resolved.state) };
}

/** Runs the managed server; resolves with the exit code once it should exit. */
export async function runManagedServer(env: PtEnv, argv: readonly string[]): Promise<number> {
  let config: PtServerConfig;
  try {
    const r = parseServerConfig(env, argv);
    if (r.action === "help") {
      process.stdout.write(r.text);
      return r.exitCode;
    }
    if (r.action === "version") {
      process.stdout.write(`webpt ${process.env.npm_package_version ?? "0.1.0"}\n`);
      return r.exitCode;
    }
    config = r.config;
  } catch (err) {
    if (!(err instanceof IpcError)) throw err;
    const lines = ipcErrorOutput(err);
    for (const l of lines.stdout) process.stdout.write(l + "\n");
    for (const l of lines.stderr) process.stderr.write(l + "\n");
    return err.exitCode;
  }

  const out = new IpcOut({ version: config.version });
  out.send({ kind: "VERSION", version: config.version });
  const stateDir = config.stateLocation ?? process.cwd();
  await mkdir(stateDir, { recursive: true, mode: 0o700 });
  const target: OrTarget = {
    orport: config.orport,
    extendedServerPort: config.extendedServerPort,
    authCookieFile: config.authCookieFile,
  };
  if (config.extendedServerPort !== undefined && !isLoopback(config.extendedServerPort.host)) {
    out.log("warning", "the Extended ORPort is not on a loopback address: the cookie exchange is not private");
  }

  const connections = new Set<Obfs4Stream | net.Socket>();
  const running: Obfs4TcpServer[] = [];
  for (const t of config.transports) {
    if (!(SERVER_TRANSPORTS as readonly string[]).includes(t.name)) continue; // ignored silently
    try {
      const { srv, args } = await startObfs4(t, stateDir, target, out, connections);
      running.push(srv);
      out.send({
        kind: "SMETHOD",
        transport: t.name,
        address: addressOf(srv.address),
        args: new Map(args.map(([k, v]) => [k, [v]])),
      });
    } catch (err) {
      out.send({ kind: "SMETHOD-ERROR", transport: t.name, message: oneLine((err as Error).message) });
    }
  }
  out.send({ kind: "SMETHODS DONE" });

  return new Promise<number>((resolve) => {
    installShutdown(config.exitOnStdinClose, {
      stopAccepting: () => {
        for (const r of running) r.server.close();
      },
      closeAll: () => {
        for (const c of connections) c.destroy();
      },
      openConnections: () => connections.size,
      exit: resolve,
    });
  });
}

function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host === "localhost";
}

function addressOf(a: net.AddressInfo): { host: string; port: number; type: "ipv4" | "ipv6" } {
  return { host: a.address, port: a.port, type: a.family === "IPv6" ? "ipv6" : "ipv4" };
}

function oneLine(s: string): string {
  return s.replace(/[^\x20-\x7e]+/g, " ").slice(0, 500);
}
