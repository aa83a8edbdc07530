/**
 * A real tor bridge for acceptance tests (issue 4): Debian's tor, launched
 * with a generated torrc in a temp dir, on 127.0.0.1 only and fully offline
 * (a fake directory authority on a closed loopback port, so tor never tries
 * the real network and never needs to bootstrap). tor itself launches the
 * pluggable transport through ServerTransportPlugin, exactly as in
 * production. Facts come from tor, not from the PT:
 *
 * - ports: the notice lines `OR listener listening on port N.` and
 *   `Extended OR listener listening on port N.` (connection_listener_new,
 *   src/core/mainloop/connection.c);
 * - readiness: the info line `Managed proxy "…" changed state: … -> Completed`
 *   (managed_proxy_set_state, src/feature/client/transports.c, tor ≥ 0.4.8);
 * - what was registered: `Registered server transport 'NAME' at 'ADDR'`
 *   (register_server_proxy, transports.c, notice), the raw SMETHOD lines
 *   `Got a line from managed proxy '…': (…)` (handle_proxy_line, info), and
 *   `DataDirectory/bridgelines` (pt_update_bridge_lines, tor ≥ 0.4.8: one
 *   `Bridge NAME ADDR FINGERPRINT k=v …` per transport, args space-separated);
 * - Extended ORPort traffic: the debug lines of src/feature/relay/ext_orport.c
 *   (`Got client's hash and it was legit.`, `Received DONE.`) and
 *   `Connection accepted on socket` (connection.c), logged to their own file
 *   with `Log [general,net]debug`.
 *
 * Tor runs in its own process group (the PT inherits it), so nothing
 * outlives a test: close() stops tor, then kills whatever is left.
 */
import { isAlive, killGroup, readOrEmpty, until as pollUntil } from "./process-group.js";
import { spawn, execFileSync, type ChildProcess } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { once } from "node:events";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { readFileSync } from "node:fs";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { parseIpcLine, type SmethodMessage } from "../../src/shared/codec/pt-ipc/index.js";
import { parseBridgeLine, type BridgeLine } from "../../src/shared/settings/index.js";

export const TOR = process.env.TOR ?? "/usr/bin/tor";
/** Key generation plus the PT's start; tor itself is up in ~1 s, the PT in ~1 s more. */
export const TOR_START_TIMEOUT_MS = 30_000;
/** How long close() waits for tor, then for the PT, before SIGKILLing the group. */
export const TOR_STOP_GRACE_MS = 5_000;
const LOG_POLL_MS = 50;

/** Fails loudly (never skips) when tor is missing: scripts/setup.sh installs it. */
export function requireTor(): string {
  try {
    execFileSync(TOR, ["--version"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`${TOR} is not runnable; run scripts/setup.sh (apt-get install tor)`, { cause: err });
  }
  return TOR;
}

/** A free TCP port on 127.0.0.1 (tor refuses port 0 in ServerTransportListenAddr). */
export async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, "127.0.0.1", resolve);
  });
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((resolve) => srv.close(() => resolve()));
  return port;
}

export interface TorBridgeOptions {
  /** The transport names tor asks the PT for (TOR_PT_SERVER_TRANSPORTS), in order. */
  readonly transports: readonly string[];
  /** The PT command line; no element may contain whitespace (torrc splits on it). */
  readonly ptCommand: readonly string[];
  /** ServerTransportOptions per transport (`k=v` strings). */
  readonly transportOptions?: Readonly<Record<string, readonly string[]>>;
  readonly extraTorrc?: readonly string[];
  readonly timeoutMs?: number;
}

/** One transport as tor registered it: its bridge line from DataDirectory/bridgelines. */
export interface RegisteredTransport {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  readonly fingerprint: string | null;
  /** Argument values by key (first value), as a client would copy them from the bridge line. */
  readonly args: ReadonlyMap<string, string>;
  readonly line: BridgeLine;
}

export type TorLogName = "stdout" | "info" | "extor";

export interface TorBridge {
  readonly dir: string;
  readonly dataDir: string;
  readonly torrc: string;
  readonly orPort: number;
  readonly extOrPort: number;
  /** RSA identity fingerprint, 40 uppercase hex digits (DataDirectory/fingerprint). */
  readonly fingerprint: string;
  /** ed25519 identity, unpadded base64 (DataDirectory/fingerprint-ed25519). */
  readonly ed25519Identity: string;
  /** The PT's pid, from tor's `has spawned with PID` info line. */
  readonly ptPid: number;
  /** `Registered server transport` names, in log order. */
  readonly registeredNames: readonly string[];
  /** The bridge lines tor wrote, one per registered transport. */
  readonly registered: readonly RegisteredTransport[];
  /** The SMETHOD lines tor received from the PT (info log), parsed. */
  readonly smethods: readonly SmethodMessage[];
  /** The PT's own files (TOR_PT_STATE_LOCATION). */
  readonly ptStateDir: string;
  log(name: TorLogName): Promise<string>;
  count(name: TorLogName, re: RegExp): Promise<number>;
  /** Resolves once `re` matched at least `atLeast` lines (default 1); rejects after `timeoutMs`. */
  waitForLog(name: TorLogName, re: RegExp, opts?: { atLeast?: number; timeoutMs?: number }): Promise<void>;
  /** Stops tor with SIGTERM; reports whether the PT then exited on its own. Idempotent. */
  close(): Promise<{ torExit: number | null; torSignal: NodeJS.Signals | null; ptExitedAfterTor: boolean }>;
}

/** The torrc: loopback only, no SOCKS, no control port, offline, with info and Extended ORPort debug logs. */
export function torrcFor(dir: string, options: TorBridgeOptions, listen: ReadonlyMap<string, number>): string {
  for (const word of options.ptCommand) {
    if (/\s/.test(word) || word === "") throw new Error(`PT command word ${JSON.stringify(word)} cannot go in a torrc`);
  }
  const lines = [
    `DataDirectory ${path.join(dir, "data")}`,
    "SocksPort 0",
    "ControlPort 0",
    "ORPort 127.0.0.1:auto",
    "ExtORPort 127.0.0.1:auto",
    "BridgeRelay 1",
    "PublishServerDescriptor 0",
    "AssumeReachable 1",
    "Address 127.0.0.1",
    "ExitRelay 0",
    "ExitPolicy reject *:*",
    "Nickname webptTestBridge",
    "ContactInfo webpt-test@localhost",
    // Offline: one made-up authority on a closed loopback port replaces the real ones (and their
    // fallbacks), so tor's bootstrap attempts stay on 127.0.0.1 and fail at once.
    "DirAuthority webptoffline orport=9 no-v2 v3ident=0000000000000000000000000000000000000001 " +
      "127.0.0.1:9 0000000000000000000000000000000000000002",
    "__DisablePredictedCircuits 1",
    `ServerTransportPlugin ${options.transports.join(",")} exec ${options.ptCommand.join(" ")}`,
    ...[...listen].map(([t, port]) => `ServerTransportListenAddr ${t} 127.0.0.1:${port}`),
    ...Object.entries(options.transportOptions ?? {}).map(([t, kvs]) => `ServerTransportOptions ${t} ${kvs.join(" ")}`),
    "Log notice stdout",
    `Log info file ${path.join(dir, "info.log")}`,
    `Log [general,net]debug file ${path.join(dir, "extor-debug.log")}`,
    ...(options.extraTorrc ?? []),
  ];
  return lines.join("\n") + "\n";
}

const until = (test: () => Promise<boolean> | boolean, timeoutMs: number): Promise<boolean> =>
  pollUntil(test, timeoutMs, LOG_POLL_MS);

function matchAll(text: string, re: RegExp): RegExpExecArray[] {
  const g = new RegExp(re.source, re.flags.includes("g") ? re.flags : re.flags + "g");
  return [...text.matchAll(g)];
}

/** Launches tor; resolves once its managed PT finished configuring (or rejects with tor's last words). */
export async function startTorBridge(options: TorBridgeOptions): Promise<TorBridge> {
  const tor = requireTor();
  const dir = await mkdtemp(path.join(os.tmpdir(), "webpt-tor-"));
  const dataDir = path.join(dir, "data");
  const listen = new Map<string, number>();
  for (const t of options.transports) listen.set(t, await freePort());
  const torrc = path.join(dir, "torrc");
  await writeFile(torrc, torrcFor(dir, options, listen));
  await writeFile(path.join(dir, "torrc-defaults"), "");

  const files: Record<Exclude<TorLogName, "stdout">, string> = {
    info: path.join(dir, "info.log"),
    extor: path.join(dir, "extor-debug.log"),
  };
  let stdout = "";
  const child: ChildProcess = spawn(tor, ["-f", torrc, "--defaults-torrc", path.join(dir, "torrc-defaults")], {
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group, which the PT joins
  });
  const pgid = child.pid!;
  const killAtExit = (): void => killGroup(pgid, "SIGKILL");
  process.once("exit", killAtExit);
  child.stdout!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  child.stderr!.setEncoding("utf8").on("data", (s: string) => (stdout += s));
  let exited: { code: number | null; signal: NodeJS.Signals | null } | null = null;
  const exitPromise = new Promise<void>((resolve) =>
    child.once("exit", (code, signal) => {
      exited = { code, signal };
      resolve();
    }),
  );

  const log = async (name: TorLogName): Promise<string> => (name === "stdout" ? stdout : readOrEmpty(files[name]));
  const count = async (name: TorLogName, re: RegExp): Promise<number> => matchAll(await log(name), re).length;
  let ptPid = 0;
  let closed: Awaited<ReturnType<TorBridge["close"]>> | null = null;
  const close: TorBridge["close"] = async () => {
    if (closed !== null) return closed;
    if (exited === null) child.kill("SIGTERM"); // a relay exits at once on TERM (INT would wait ShutdownWaitLength)
    const torGone = await until(() => exited !== null, TOR_STOP_GRACE_MS);
    const ptExitedAfterTor = torGone && (ptPid === 0 || (await until(() => !isAlive(ptPid), TOR_STOP_GRACE_MS)));
    killGroup(pgid, "SIGKILL");
    await exitPromise;
    process.off("exit", killAtExit);
    closed = { torExit: exited!.code, torSignal: exited!.signal, ptExitedAfterTor };
    return closed;
  };

  try {
    const timeoutMs = options.timeoutMs ?? TOR_START_TIMEOUT_MS;
    const done = /Managed proxy "[^"]*" changed state: [A-Za-z ]+ -> (Completed|Broken)/;
    const ready = await until(async () => exited !== null || done.test(await log("info")), timeoutMs);
    const info = await log("info");
    const state = done.exec(info)?.[1];
    if (!ready || exited !== null || state !== "Completed") {
      const why = !ready ? `not ready after ${timeoutMs} ms` : exited !== null ? "tor exited" : `the PT is ${state}`;
      throw new Error(`tor bridge failed to start (${why}):\n${stdout.slice(-4000)}`);
    }
    // From the file, not stdout: the pipe may lag, and tor replays its early notices into each new log.
    const port = (re: RegExp): number => Number(re.exec(info)?.[1] ?? NaN);
    const orPort = port(/\] OR listener listening on port (\d+)\./);
    const extOrPort = port(/\] Extended OR listener listening on port (\d+)\./);
    ptPid = Number(/has spawned with PID '(\d+)'/.exec(info)?.[1] ?? 0);
    const registeredNames = matchAll(info, /Registered server transport '([^']+)' at '[^']+'/).map((m) => m[1]!);
    const smethods = matchAll(info, /Got a line from managed proxy '[^']*': \((SMETHOD .*)\)$/m).map(
      (m) => parseIpcLine(m[1]!) as SmethodMessage,
    );
    const registered = (await readOrEmpty(path.join(dataDir, "bridgelines")))
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l): RegisteredTransport => {
        const line = parseBridgeLine(l);
        const args = new Map<string, string>();
        for (const [k, v] of line.args) if (!args.has(k)) args.set(k, v);
        return { name: line.transport, host: line.host, port: line.port, fingerprint: line.fingerprint, args, line };
      });
    const word = (file: string): string => readFileSync(path.join(dataDir, file), "utf8").trim().split(/\s+/)[1]!;
    return {
      dir,
      dataDir,
      torrc,
      orPort,
      extOrPort,
      fingerprint: word("fingerprint"),
      ed25519Identity: word("fingerprint-ed25519"),
      ptPid,
      registeredNames,
      registered,
      smethods,
      ptStateDir: path.join(dataDir, "pt_state"),
      log,
      count,
      async waitForLog(name, re, opts = {}) {
        const atLeast = opts.atLeast ?? 1;
        const timeoutMs = opts.timeoutMs ?? 10_000;
        if (!(await until(async () => (await count(name, re)) >= atLeast, timeoutMs))) {
          throw new Error(`tor's ${name} log has fewer than ${atLeast} lines matching ${re} after ${timeoutMs} ms`);
        }
      },
      close: async () => {
        const r = await close();
        await rm(dir, { recursive: true, force: true });
        return r;
      },
    };
  } catch (err) {
    await close();
    await rm(dir, { recursive: true, force: true });
    throw err;
  }
}

// ---------------------------------------------------------------------------
// The OR link handshake (tor-spec §4): proof that bytes reached tor's OR
// protocol, and which relay answered.

/** Link protocol versions we offer in VERSIONS (tor 0.4.9 speaks 3–5). */
export const OFFERED_LINK_VERSIONS = [3, 4, 5] as const;
const CELL_VERSIONS = 7;
const CELL_CERTS = 129;
const CERT_TYPE_RSA_IDENTITY = 2;
const CERT_TYPE_ED25519_SIGNING = 4;
const ED_EXT_SIGNED_WITH_KEY = 4;

export interface TorLinkInfo {
  readonly tlsProtocol: string | null;
  /** tor's link certificate: made-up names, `www.<random>.net` issued by `www.<random>.com`. */
  readonly subjectCN: string;
  readonly issuerCN: string;
  readonly versions: readonly number[];
  readonly linkVersion: number;
  readonly certTypes: readonly number[];
  /** SHA-1 of the RSA identity key in the CERTS cell (the relay fingerprint), uppercase hex. */
  readonly rsaFingerprint: string | null;
  /** The ed25519 identity that signed the signing-key cert, unpadded base64. */
  readonly ed25519Identity: string | null;
}

/** The identity key from a type-4 Ed25519 cert's signed-with-key extension (cert-spec §2.1). */
function edSigningKeyOf(cert: Buffer): Buffer | null {
  // VERSION, CERT_TYPE, EXPIRATION_DATE(4), CERT_KEY_TYPE, CERTIFIED_KEY(32), N_EXTENSIONS
  let at = 1 + 1 + 4 + 1 + 32;
  const n = cert[at++]!;
  for (let i = 0; i < n && at + 4 <= cert.length; i++) {
    const len = cert.readUInt16BE(at);
    const type = cert[at + 2]!;
    if (type === ED_EXT_SIGNED_WITH_KEY && len === 32) return cert.subarray(at + 4, at + 4 + 32);
    at += 4 + len;
  }
  return null;
}

/**
 * Runs TLS and the start of the v3 link handshake over `carrier` as a tor
 * client would: VERSIONS out, then tor's VERSIONS and CERTS in. Rejects if
 * the peer closes or stalls (tor closes at once on a failed ExtORPort auth).
 */
export async function torLinkHandshake(carrier: Duplex, timeoutMs = 10_000): Promise<TorLinkInfo> {
  const sock = tls.connect({ socket: carrier, rejectUnauthorized: false });
  try {
    await withTimeout(once(sock, "secureConnect"), timeoutMs, "TLS handshake with tor's ORPort");
    const peer = sock.getPeerCertificate();
    const versionsCell = Buffer.alloc(5 + 2 * OFFERED_LINK_VERSIONS.length);
    versionsCell.writeUInt8(CELL_VERSIONS, 2);
    versionsCell.writeUInt16BE(2 * OFFERED_LINK_VERSIONS.length, 3);
    OFFERED_LINK_VERSIONS.forEach((v, i) => versionsCell.writeUInt16BE(v, 5 + 2 * i));
    sock.write(versionsCell);

    // One listener for the whole read: several TLS records can arrive in one tick.
    let buf = Buffer.alloc(0);
    let wake: (() => void) | null = null;
    let ended = false;
    sock.on("data", (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      wake?.();
    });
    sock.once("close", () => {
      ended = true;
      wake?.();
    });
    const need = async (n: number): Promise<void> => {
      while (buf.length < n) {
        if (ended) throw new Error(`tor closed the link after ${buf.length} of ${n} bytes`);
        await withTimeout(new Promise<void>((r) => (wake = r)), timeoutMs, "tor's link handshake cells");
        wake = null;
      }
    };
    // VERSIONS always uses 2-byte circuit IDs.
    await need(5);
    if (buf[2] !== CELL_VERSIONS) throw new Error(`tor's first cell is command ${buf[2]}, not VERSIONS`);
    const vlen = buf.readUInt16BE(3);
    await need(5 + vlen);
    const versions = Array.from({ length: vlen / 2 }, (_, i) => buf.readUInt16BE(5 + 2 * i));
    const linkVersion = Math.max(...versions.filter((v) => (OFFERED_LINK_VERSIONS as readonly number[]).includes(v)));
    buf = buf.subarray(5 + vlen);
    // Then CERTS, a variable-length cell with the negotiated circuit ID width.
    const idLen = linkVersion >= 4 ? 4 : 2;
    await need(idLen + 3);
    if (buf[idLen] !== CELL_CERTS) throw new Error(`tor's second cell is command ${buf[idLen]}, not CERTS`);
    const clen = buf.readUInt16BE(idLen + 1);
    await need(idLen + 3 + clen);
    const body = buf.subarray(idLen + 3, idLen + 3 + clen);
    const certTypes: number[] = [];
    let rsaFingerprint: string | null = null;
    let ed25519Identity: string | null = null;
    for (let at = 1, i = 0; i < body[0]!; i++) {
      const type = body[at]!;
      const len = body.readUInt16BE(at + 1);
      const cert = body.subarray(at + 3, at + 3 + len);
      certTypes.push(type);
      if (type === CERT_TYPE_RSA_IDENTITY) {
        const der = new X509Certificate(cert).publicKey.export({ type: "pkcs1", format: "der" });
        rsaFingerprint = createHash("sha1").update(der).digest("hex").toUpperCase();
      } else if (type === CERT_TYPE_ED25519_SIGNING) {
        ed25519Identity = edSigningKeyOf(cert)?.toString("base64").replace(/=+$/, "") ?? null;
      }
      at += 3 + len;
    }
    return {
      tlsProtocol: sock.getProtocol(),
      subjectCN: String(peer.subject?.CN ?? ""),
      issuerCN: String(peer.issuer?.CN ?? ""),
      versions,
      linkVersion,
      certTypes,
      rsaFingerprint,
      ed25519Identity,
    };
  } finally {
    sock.destroy();
  }
}

async function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
