/**
 * `webpt standalone` (and `webpt server --standalone`): the bridge server
 * without tor. Reads the config (config.ts), starts the transports through
 * the server manager with a bound or free sink (sinks.ts), prints a bridge
 * line and a share link per transport on stdout (banner.ts), logs to stderr
 * or --log-file, and runs until SIGINT or SIGTERM: the first stops new
 * connections and lets open ones drain for STANDALONE_DRAIN_MS, a second
 * closes them at once. With no arguments it runs the built-in default, the
 * README's one command on a fresh machine.
 */
import { lookup } from "node:dns/promises";
import type { WriteStream } from "node:fs";
import { WebptError } from "../../shared/errors.js";
import { parseHostPort, parseIp } from "../../shared/net/index.js";
import type { Obfs4ServerOptions } from "../obfs4/tcp.js";
import { startBridgeServer, type BridgeServer } from "../service/manager.js";
import { startMetricsServer, type MetricsServer } from "../service/metrics.js";
import type { Logger } from "../service/types.js";
import { isRunningWebRtcTransport } from "../carriers/webrtc/transport.js";
import { formatBanner, type BridgeInfo } from "./banner.js";
import { StandaloneConfigError } from "./config-flags.js";
import { loadStandaloneCommand, type StandaloneConfig } from "./config.js";
import { interfaceAddresses, type Resolver } from "./destination.js";
import { createStandaloneLogger, openLogFile } from "./log.js";
import { boundSink, freeSink } from "./sinks.js";
import { StopRequests } from "./stop.js";

/** After the first SIGINT/SIGTERM, how long open connections may go on before they are closed. */
export const STANDALONE_DRAIN_MS = 10_000;
/** sysexits: no transport could start (every port taken, say). */
export const EXIT_UNAVAILABLE = 69;
/** sysexits: an unexpected internal error. */
export const EXIT_SOFTWARE = 70;
/** sysexits: the state directory or log file cannot be created or written. */
export const EXIT_CANTCREAT = 73;
/** sysexits: a bad config (also a corrupt obfs4_state.json or identity). */
export const EXIT_CONFIG = 78;

const FILE_ERRORS = ["EACCES", "EPERM", "EROFS", "ENOENT", "ENOTDIR", "EISDIR", "ENOSPC", "EEXIST"];

export interface StandaloneReady {
  readonly server: BridgeServer;
  readonly config: StandaloneConfig;
  readonly bridges: readonly BridgeInfo[];
}

/** Seams for tests and for an embedding program; every field is optional. */
export interface StandaloneIo {
  readonly stdout?: (text: string) => void;
  readonly stderr?: (text: string) => void;
  readonly cwd?: string;
  /** Answer manual WebRTC offers pasted on stdin (--manual-signaling). */
  readonly manualSignaling?: boolean;
  /** Aborting it stops the server as the first SIGTERM would. */
  readonly signal?: AbortSignal;
  /** Listen for SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
  readonly drainMs?: number;
  readonly onReady?: (ready: StandaloneReady) => void;
  /** Free mode's resolver (default: the system's). */
  readonly resolver?: Resolver;
  readonly engineOptions?: Partial<Obfs4ServerOptions>;
}

/** The public host's addresses (free mode refuses them as this host's own); best effort. */
async function publicAddresses(publicHost: string | undefined): Promise<string[]> {
  if (publicHost === undefined) return [];
  const ip = parseIp(publicHost, { brackets: true });
  if (ip !== undefined) return [ip.host];
  try {
    return (await lookup(publicHost, { all: true })).map((a) => a.address);
  } catch {
    return [];
  }
}

function exitCodeForStartError(err: unknown): number {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === "string" && FILE_ERRORS.includes(code)) return EXIT_CANTCREAT;
  if (err instanceof WebptError) return EXIT_CONFIG;
  return EXIT_SOFTWARE;
}

/** Runs the standalone server; resolves with the process exit code. */
export async function runStandalone(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  io: StandaloneIo = {},
): Promise<number> {
  const stdout = io.stdout ?? ((s: string) => void process.stdout.write(s));
  const stderr = io.stderr ?? ((s: string) => void process.stderr.write(s));
  let command;
  try {
    command = await loadStandaloneCommand(argv, env, io.cwd);
  } catch (err) {
    if (!(err instanceof StandaloneConfigError)) throw err;
    const hint = err.exitCode === 64 ? " (see --help)" : "";
    stderr(`webpt standalone: ${err.message}${hint}\n`);
    return err.exitCode;
  }
  if (command.action !== "run") {
    stdout(command.text);
    return 0;
  }
  const config = command.config;

  let logFile: WriteStream | undefined;
  if (config.log.file !== undefined) {
    try {
      logFile = await openLogFile(config.log.file);
    } catch (err) {
      stderr(`webpt standalone: cannot open the log file: ${(err as Error).message}\n`);
      return EXIT_CANTCREAT;
    }
  }
  const log = createStandaloneLogger({
    level: config.log.level,
    unsafeLogging: config.log.unsafeLogging,
    write: logFile === undefined ? stderr : (line) => void logFile.write(line),
  });
  const closeLog = (): Promise<void> =>
    new Promise((resolve) => (logFile === undefined ? resolve() : logFile.end(() => resolve())));
  const manual = argv.some((a) => /^--?manual-signaling$/.test(a));
  try {
    return await serve(config, log, stdout, manual ? { ...io, manualSignaling: true } : io);
  } finally {
    await closeLog();
  }
}

async function serve(
  config: StandaloneConfig,
  log: Logger,
  stdout: (text: string) => void,
  io: StandaloneIo,
): Promise<number> {
  const stops = new StopRequests(io);
  try {
    return await serveUntilStopped(config, log, stdout, io, stops);
  } finally {
    stops.dispose();
  }
}

async function serveUntilStopped(
  config: StandaloneConfig,
  log: Logger,
  stdout: (text: string) => void,
  io: StandaloneIo,
  stops: StopRequests,
): Promise<number> {
  for (const w of config.warnings) log.log("warning", w);
  const unsafe = config.log.unsafeLogging;
  const publicIps = await publicAddresses(config.publicHost);
  const sink =
    config.mode === "bound"
      ? boundSink(config.target!, { log, logDestinations: unsafe })
      : freeSink(config.policy, {
          log,
          logDestinations: unsafe,
          ownAddresses: () => [...interfaceAddresses(), ...publicIps],
          ...(io.resolver === undefined ? {} : { resolver: io.resolver }),
        });
  let server: BridgeServer;
  try {
    server = await startBridgeServer({
      stateDir: config.stateDir,
      transports: config.transports,
      stateOptions: config.stateOptions,
      sink,
      log,
      ...(config.publicHost === undefined ? {} : { publicHost: config.publicHost }),
      ...(io.engineOptions === undefined ? {} : { engineOptions: io.engineOptions }),
    });
  } catch (err) {
    log.log("error", `cannot start: ${(err as Error).message}`);
    return exitCodeForStartError(err);
  }
  for (const f of server.failed) log.log("warning", `${f.name} did not start: ${f.error.message}`);
  if (server.running.length === 0) {
    log.log("error", "no transport could start");
    return EXIT_UNAVAILABLE;
  }

  let metrics: MetricsServer | undefined;
  if (config.metrics !== undefined) {
    try {
      metrics = await startMetricsServer(config.metrics, () => server.getStats());
      const host = parseHostPort(metrics.address).host;
      if (!host.startsWith("127.") && host !== "::1") {
        log.log("warning", "the metrics endpoint is not on loopback: it tells whoever asks that this is a bridge");
      }
    } catch (err) {
      log.log("error", `cannot start the metrics endpoint on ${config.metrics}: ${(err as Error).message}`);
      await server.stopAccepting();
      server.closeAll();
      return EXIT_UNAVAILABLE;
    }
  }

  if (stops.pending) {
    // Asked to stop while starting: no banner for a server that is going away.
    await server.stopAccepting();
    server.closeAll();
    await metrics?.close();
    return 0;
  }
  const banner = await formatBanner(server, config);
  for (const w of banner.warnings) log.log("warning", w);
  stdout(banner.text);
  log.log("notice", `running in ${config.mode} mode: ${server.running.map((t) => t.name).join(", ")}`);
  io.onReady?.({ server, config, bridges: banner.bridges });
  if (io.manualSignaling === true) void answerManualOffers(server, log);
  const code = await untilStopped(server, log, stops, io.drainMs ?? STANDALONE_DRAIN_MS);
  await metrics?.close();
  return code;
}

/**
 * Manual WebRTC signaling for when the signaling endpoint is blocked (the
 * seeds' out-of-band `signals` pipe): each `webpt-offer:` text pasted on
 * stdin is answered with a `webpt-answer:` text on stdout, until stdin ends.
 */
async function answerManualOffers(server: BridgeServer, log: Logger): Promise<void> {
  const webrtc = server.running.find(isRunningWebRtcTransport);
  if (webrtc === undefined) {
    log.log("warning", "--manual-signaling needs the webrtc transport");
    return;
  }
  process.stdout.write("# paste a webpt-offer: text to answer it (manual signaling)\n");
  while (!process.stdin.readableEnded && !process.stdin.destroyed) {
    try {
      await webrtc.answerOfferFromStream(process.stdin, process.stdout);
    } catch (err) {
      if (process.stdin.readableEnded) return;
      log.log("warning", `manual signaling: ${(err as Error).message}`);
    }
  }
}

/** Resolves 0 once a stop request has run its course: the first drains, a second closes everything. */
function untilStopped(server: BridgeServer, log: Logger, stops: StopRequests, drainMs: number): Promise<number> {
  return new Promise((resolve) => {
    let stopping = false;
    let done = false;
    let poll: ReturnType<typeof setInterval> | undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearInterval(poll);
      clearTimeout(timer);
      server.closeAll();
      resolve(0);
    };
    stops.onRequest((why) => {
      if (stopping) {
        log.log("notice", `${why} again: closing ${server.openConnections} open connection(s)`);
        return finish();
      }
      stopping = true;
      log.log("notice", `${why}: no new connections; open ones have ${drainMs} ms (repeat to close them now)`);
      // The drain deadline runs from now, whatever the listeners take to close.
      timer = setTimeout(finish, drainMs);
      server.stopAccepting().then(
        () => {
          if (done) return;
          if (server.openConnections === 0) return finish();
          poll = setInterval(() => server.openConnections === 0 && finish(), 100);
        },
        (err: unknown) => {
          log.log("warning", `while stopping: ${(err as Error).message}`);
          finish();
        },
      );
    });
  });
}
