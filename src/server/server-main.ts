/**
 * `webpt server` managed by tor (pt-spec 1.0 §3, PT 2.0 §3.3): read the
 * TOR_PT_* environment and 2.x flags, start every transport we implement
 * through the bridge manager, announce each with SMETHOD and the ARGS a
 * client needs (cert, iat-mode, url, signal…), ignore transports we do not
 * implement (CONFORMANCE), forward every authenticated client to tor's
 * (Extended) ORPort, and end by the shutdown rules.
 */
import { createWriteStream } from "node:fs";
import type { PtEnv } from "../shared/codec/pt-ipc/index.js";
import { orSink } from "./forward/orport.js";
import { readServerConfig } from "./pt/config-entry.js";
import { IpcOut } from "./pt/ipc-out.js";
import { installShutdown } from "./pt/lifecycle.js";
import { startBridgeServer, type TransportSpec } from "./service/manager.js";
import { startMetricsServer, type MetricsServer } from "./service/metrics.js";
import { isServerTransport } from "./service/registry.js";
import { readUdpServerFlags } from "./udp/flags.js";
import { udpSink } from "./udp/udp-sink.js";

/** Environment variables of ours (not TOR_PT_*): optional operations settings under tor. */
export const WEBPT_METRICS_ENV = "WEBPT_METRICS";
export const WEBPT_UNSAFE_LOGGING_ENV = "WEBPT_UNSAFE_LOGGING";
/** Also append human-readable log lines to this file (stderr is tor's to drop; a file is the operator's). */
export const WEBPT_LOG_FILE_ENV = "WEBPT_LOG_FILE";

function firstValues(options: ReadonlyMap<string, readonly string[]>): Map<string, string> {
  const out = new Map<string, string>();
  for (const [k, v] of options) if (v[0] !== undefined) out.set(k, v[0]);
  return out;
}

/** Runs the managed server; resolves with the exit code once it should exit. */
export async function runManagedServer(env: PtEnv, argv: readonly string[]): Promise<number> {
  const read = readServerConfig(env, argv, (c) => readUdpServerFlags(c.extraFlags, c.orport, c.version));
  if (typeof read === "number") return read;
  const { config, extra: udpFlags } = read;

  const logFile = env[WEBPT_LOG_FILE_ENV];
  const fileLog = logFile === undefined || logFile === "" ? undefined : createWriteStream(logFile, { flags: "a" });
  fileLog?.on("error", (err) => process.stderr.write(`webpt: log file ${logFile}: ${err.message}\n`));
  const out = new IpcOut({
    version: config.version,
    unsafeLogging: env[WEBPT_UNSAFE_LOGGING_ENV] === "1",
    writeErr: (line) => {
      process.stderr.write(line);
      fileLog?.write(line);
    },
  });
  out.send({ kind: "VERSION", version: config.version });
  if (config.extendedServerPort !== undefined && !isLoopback(config.extendedServerPort.host)) {
    out.log("warning", "the Extended ORPort is not on a loopback address: the cookie exchange is not private");
  }

  // Transports we do not implement are ignored silently (CONFORMANCE); the rest share one identity, whose
  // options (obfs4proxy's node-id, private-key, drbg-seed, iat-mode) come from the obfs4 entry if any.
  const wanted = config.transports.filter((t) => isServerTransport(t.name));
  const specs: TransportSpec[] = wanted.map((t) => ({
    name: t.name,
    bind: t.bindaddr ?? { host: "0.0.0.0", port: 0 },
    options: firstValues(t.options),
  }));
  const identityOptions = specs.find((s) => s.name === "obfs4")?.options ?? specs[0]?.options ?? new Map();
  let bridge;
  try {
    bridge = await startBridgeServer({
      stateDir: config.stateLocation ?? process.cwd(),
      transports: specs,
      stateOptions: identityOptions,
      // PT 2.x UDP (seed 000 §3.3.5.6): with -udp every stream carries framed datagrams for one UDP server app.
      sink:
        udpFlags === undefined
          ? orSink(
              {
                orport: config.orport,
                extendedServerPort: config.extendedServerPort,
                authCookieFile: config.authCookieFile,
              },
              out,
            )
          : udpSink({
              target: udpFlags.target,
              mode: udpFlags.mode,
              log: out,
              ...(udpFlags.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: udpFlags.idleTimeoutMs }),
              ...(udpFlags.maxFlows === undefined ? {} : { maxEntries: udpFlags.maxFlows }),
            }),
      log: out,
    });
  } catch (err) {
    // The identity could not be loaded or stored: no transport can run.
    const message = oneLine((err as Error).message);
    for (const s of specs) out.send({ kind: "SMETHOD-ERROR", transport: s.name, message });
    out.send({ kind: "SMETHODS DONE" });
    return 1;
  }
  // Handlers first: tor may signal us the moment it reads SMETHODS DONE.
  let metrics: MetricsServer | undefined;
  let exit!: (code: number) => void;
  const exited = new Promise<number>((resolve) => (exit = resolve));
  installShutdown(config.exitOnStdinClose, {
    stopAccepting: () => {
      void bridge.stopAccepting();
      void metrics?.close();
    },
    closeAll: () => bridge.closeAll(),
    openConnections: () => bridge.openConnections,
    exit,
  });
  for (const t of bridge.running) {
    out.send({
      kind: "SMETHOD",
      transport: t.name,
      address: { host: t.address.address, port: t.address.port, type: t.address.family === "IPv6" ? "ipv6" : "ipv4" },
      args: new Map(bridge.clientArgs(t).map(([k, v]) => [k, [v]])),
    });
  }
  for (const f of bridge.failed) {
    out.send({ kind: "SMETHOD-ERROR", transport: f.name, message: oneLine(f.error.message) });
  }
  out.send({ kind: "SMETHODS DONE" });

  const metricsAddr = env[WEBPT_METRICS_ENV];
  if (metricsAddr !== undefined && metricsAddr !== "") {
    try {
      metrics = await startMetricsServer(metricsAddr, () => bridge.getStats());
      out.log("notice", `metrics on http://${metrics.address}/metrics`);
    } catch (err) {
      out.log("warning", `metrics endpoint not started: ${(err as Error).message}`);
    }
  }

  return exited;
}

function isLoopback(host: string): boolean {
  return host === "::1" || host.startsWith("127.") || host === "localhost";
}

function oneLine(s: string): string {
  return s.replace(/[^\x20-\x7e]+/g, " ").slice(0, 500);
}
