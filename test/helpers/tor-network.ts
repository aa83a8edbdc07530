/**
 * A private tor network on loopback for real-tor end-to-end tests (issue 5),
 * built from scratch in a temp dir the way chutney builds one: a directory
 * authority that is also the only exit, two more relays, then any number of
 * bridges (each running a pluggable transport server through
 * ServerTransportPlugin, with an Extended ORPort) and bridge clients (each
 * running a PT client through ClientTransportPlugin, with a SocksPort).
 *
 * One network per test file: it is usable ~6–10 s after the call (authority
 * keys 1–4 s; the three tors' descriptors at the authority ~2 s; then the
 * first consensus ~3 s later, see HOLD_SCHEDULE in ./tor-network/torrc.ts),
 * a bridge is bootstrapped ~3–4 s after it is added, and a client ~3–4 s
 * after that: tor's 1 s housekeeping ticks, not CPU, set these.
 *
 * Facts come from tor's own files and logs (the torrc of each role is in
 * ./tor-network/torrc.ts):
 * - every node's descriptor reached the authority at `Added descriptor from
 *   'NICK'` (info; dirserv_add_descriptor, src/feature/dirauth/);
 * - the network is usable when the authority's
 *   DataDirectory/cached-microdesc-consensus lists every relay Running and
 *   Valid and the authority as Exit;
 * - a bridge's PT is up at `Managed proxy "…" changed state: … -> Completed`
 *   (info; managed_proxy_set_state, src/feature/client/transports.c) and
 *   its bridge lines are DataDirectory/bridgelines (pt_update_bridge_lines,
 *   tor ≥ 0.4.8; `Bridge NAME ADDR FINGERPRINT k=v …`, one per transport);
 * - a node is bootstrapped at `Bootstrapped 100% (done): Done` (notice;
 *   src/feature/control/control_bootstrap.c);
 * - a client's SOCKS port is `Socks listener listening on port N.` (notice;
 *   connection_listener_new, src/core/mainloop/connection.c).
 * Logs stay in the node directories; failures quote their tails, and the
 * directory is kept (and its path printed) when anything failed.
 */
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { freePort, requireTor } from "./tor.js";
import { fetchViaSocks, type FetchResult } from "./tor-network/http.js";
import { dirAuthorityLine, makeAuthorityKeys, type AuthorityKeys } from "./tor-network/keys.js";
import {
  authorityTorrc,
  bridgeTorrc,
  clientTorrc,
  relayTorrc,
  checkTransports,
  fastSchedule,
  HOLD_SCHEDULE,
  type VotingSchedule,
  type NodeBase,
} from "./tor-network/torrc.js";
import { launchTor, readFingerprintFile, readOrEmpty, until, type TorProcess } from "./tor-network/tor-process.js";

export { startBulkHttpServer, fetchViaSocks, type BulkHttpServer, type FetchResult } from "./tor-network/http.js";
export type { TorProcess } from "./tor-network/tor-process.js";

/** Keys, three tors, and the first consensus with every relay in it (typically 10–15 s on a busy 2-core box). */
export const NETWORK_START_TIMEOUT_MS = 60_000;
/** A bridge's PT up and the bridge bootstrapped (typically 3–6 s). */
export const BRIDGE_START_TIMEOUT_MS = 45_000;
/** A client from spawn to Bootstrapped 100% through its bridge (typically 3–6 s). */
export const CLIENT_BOOTSTRAP_TIMEOUT_MS = 60_000;
/** Set to keep every network's directory after close, failed or not. */
export const KEEP_ENV = "WEBPT_KEEP_TOR_NETWORK";
const RELAY_COUNT = 2;
const CONSENSUS_POLL_MS = 200;

const BOOTSTRAPPED = /\[notice\] Bootstrapped 100% \(done\): Done/;
const SOCKS_LISTENING = /\[notice\] Socks listener listening on port (\d+)\./;
const PT_STATE = /Managed proxy "[^"]*" changed state: [A-Za-z ]+ -> (Completed|Broken)/;
/**
 * A PT that failed: it went Broken (an error line on its stdout, or a bad
 * method line), or it exited, which tor 0.4.9 logs as a warning and then
 * relaunches it every second forever (src/feature/client/transports.c).
 */
const PT_FAILED =
  /Managed proxy "[^"]*" changed state: [A-Za-z ]+ -> Broken|\[warn\] Managed proxy at '[^']*' died in state [A-Za-z ]+/;

export interface TorNetworkOptions {
  /** Parent of the network's temp dir (default os.tmpdir()). */
  readonly dir?: string;
  /** Keep the directory after close even if nothing failed (also: env WEBPT_KEEP_TOR_NETWORK=1). */
  readonly keep?: boolean;
  readonly timeoutMs?: number;
}

export interface TorNetworkTimings {
  /** Authority keys (tor-gencert and tor --list-fingerprint, in parallel). */
  readonly keysMs: number;
  /** From launching the three tors to all their descriptors at the authority. */
  readonly descriptorsMs: number;
  /** From launching the three tors to a consensus listing all of them. */
  readonly consensusMs: number;
  /** From startTorNetwork() to usable. */
  readonly totalMs: number;
}

export interface AddBridgeOptions {
  /** The transports tor asks the PT for (TOR_PT_SERVER_TRANSPORTS), in order. */
  readonly transports: readonly string[];
  /** The PT command line; no word may contain whitespace. */
  readonly ptCommand: readonly string[];
  /** ServerTransportOptions per transport (`k=v` words). */
  readonly transportOptions?: Readonly<Record<string, readonly string[]>>;
  readonly extraTorrc?: readonly string[];
  /** Nickname (default bridgeN). */
  readonly name?: string;
  /** Wait for the bridge's own Bootstrapped 100%, so it can serve the consensus at once (default true). */
  readonly waitBootstrapped?: boolean;
  readonly timeoutMs?: number;
}

export interface NetworkBridge {
  readonly name: string;
  readonly tor: TorProcess;
  /** RSA identity, 40 uppercase hex digits. */
  readonly fingerprint: string;
  /** DataDirectory/bridgelines without the leading `Bridge `, one per registered transport, in file order. */
  readonly bridgeLines: readonly string[];
  /** The line for `transport`; throws, naming what tor did register, if there is none. */
  bridgeLine(transport: string): string;
  /** Spawn to PT Completed, and to Bootstrapped 100% (null when not waited for). */
  readonly timings: { readonly ptReadyMs: number; readonly bootstrappedMs: number | null };
  close(): Promise<void>;
}

export interface AddClientOptions {
  /** One bridge line or several, without the leading `Bridge `. */
  readonly bridgeLine: string | readonly string[];
  /** The transports of ClientTransportPlugin. */
  readonly transports: readonly string[];
  readonly ptCommand: readonly string[];
  readonly extraTorrc?: readonly string[];
  /** Nickname (default clientN). */
  readonly name?: string;
  /** Resolve only after Bootstrapped 100% (default true); else call waitBootstrapped(). */
  readonly waitBootstrapped?: boolean;
  readonly timeoutMs?: number;
}

export interface NetworkClient {
  readonly name: string;
  readonly tor: TorProcess;
  readonly socksPort: number;
  /** Resolves with ms from spawn to `Bootstrapped 100%`; rejects (with log tails) on timeout or a Broken PT. */
  waitBootstrapped(timeoutMs?: number): Promise<number>;
  /** GET `url` through this client's SocksPort. */
  fetch(url: string, opts?: { timeoutMs?: number }): Promise<FetchResult>;
  close(): Promise<void>;
}

export interface TorNetwork {
  readonly dir: string;
  readonly authority: TorProcess;
  readonly relays: readonly TorProcess[];
  readonly keys: AuthorityKeys;
  readonly timings: TorNetworkTimings;
  addBridge(opts: AddBridgeOptions): Promise<NetworkBridge>;
  addClient(opts: AddClientOptions): Promise<NetworkClient>;
  /** Every tor started so far: authority, relays, then bridges and clients in the order they were added. */
  nodes(): readonly TorProcess[];
  /** The tails of every node's logs, for a failure message. */
  report(): Promise<string>;
  /** Keep the directory on close (the harness calls it itself when one of its waits fails). */
  markFailed(): void;
  /** Stops every tor (clients and bridges first) and their PTs; removes the directory unless kept. Idempotent. */
  close(): Promise<void>;
}

/** The consensus's router entries: nickname → flags (dir-spec §3.4.1, `r` then `s` lines). */
export function consensusFlags(consensus: string): Map<string, Set<string>> {
  const flags = new Map<string, Set<string>>();
  let nick: string | null = null;
  for (const line of consensus.split("\n")) {
    if (line.startsWith("r ")) nick = line.split(" ")[1] ?? null;
    else if (line.startsWith("s ") && nick !== null) flags.set(nick, new Set(line.slice(2).trim().split(" ")));
  }
  return flags;
}

/** Builds and starts the network; resolves once a consensus with every relay exists. */
export async function startTorNetwork(options: TorNetworkOptions = {}): Promise<TorNetwork> {
  requireTor();
  const t0 = Date.now();
  const dir = await mkdtemp(path.join(options.dir ?? os.tmpdir(), "webpt-tornet-"));
  const emptyFile = path.join(dir, "empty");
  await writeFile(emptyFile, "");
  const nodes: TorProcess[] = [];
  const attached: TorProcess[] = []; // bridges and clients, stopped before the network they use
  let failed = false;
  const keep = options.keep === true || process.env[KEEP_ENV] === "1";
  const counter = { bridge: 0, client: 0 };
  let dirAuthority = ""; // set once the authority's keys exist, before any node is made
  const report = async (): Promise<string> =>
    [`tor network in ${dir}`, ...(await Promise.all(nodes.map((n) => n.tails())))].join("\n");
  let closing: Promise<void> | null = null;
  const close = (): Promise<void> =>
    (closing ??= (async () => {
      await Promise.all(attached.map((n) => n.close()));
      await Promise.all(nodes.map((n) => n.close()));
      if (keep || failed) console.error(`tor network logs kept in ${dir}`);
      else await rm(dir, { recursive: true, force: true });
    })());

  const makeNode = async (nick: string): Promise<NodeBase> => {
    const nodeDir = path.join(dir, nick);
    await mkdir(nodeDir, { recursive: true, mode: 0o700 });
    return { nick, dir: nodeDir, dirAuthority, emptyFile };
  };
  try {
    const authDir = path.join(dir, "auth");
    await mkdir(authDir, { mode: 0o700 });
    const keys = await makeAuthorityKeys(authDir);
    const [orPort, dirPort] = [await freePort(), await freePort()];
    dirAuthority = dirAuthorityLine("auth", orPort, dirPort, keys);
    const keysMs = Date.now() - t0;

    const t1 = Date.now();
    const authNode = await makeNode("auth");
    const authTorrc = (schedule: VotingSchedule): string[] => authorityTorrc(authNode, { orPort, dirPort, schedule });
    const authority = await launchTor("auth", authDir, authTorrc(HOLD_SCHEDULE));
    nodes.push(authority);
    const relays: TorProcess[] = [];
    for (let i = 1; i <= RELAY_COUNT; i++) {
      const nick = `relay${i}`;
      const relay = await launchTor(nick, path.join(dir, nick), relayTorrc(await makeNode(nick)));
      relays.push(relay);
      nodes.push(relay);
    }
    const timeoutMs = options.timeoutMs ?? NETWORK_START_TIMEOUT_MS;
    const anyExited = (): boolean => nodes.some((n) => n.exited);
    // Every descriptor in (dirserv_add_descriptor, info), then the 5 s schedule: the first vote has them all.
    const added = (info: string, nick: string): boolean =>
      info.includes(`dirserv_add_descriptor(): Added descriptor from '${nick}'`);
    const allAdded = async (): Promise<boolean> => {
      const info = await authority.log("info");
      return nodes.every((n) => added(info, n.name));
    };
    if (!(await until(async () => anyExited() || (await allAdded()), timeoutMs)) || anyExited()) {
      const info = await authority.log("info");
      const missing = nodes.filter((n) => !added(info, n.name)).map((n) => n.name);
      throw new Error(`the authority lacks descriptors from ${missing.join(", ")}\n${await report()}`);
    }
    const descriptorsMs = Date.now() - t1;
    await authority.reconfigure(authTorrc(fastSchedule(Date.now())));
    const consensusFile = path.join(authDir, "cached-microdesc-consensus");
    const ready = (flags: Map<string, Set<string>>): boolean =>
      nodes.every((n) => flags.get(n.name)?.has("Running") === true && flags.get(n.name)?.has("Valid") === true) &&
      flags.get("auth")?.has("Exit") === true;
    const ok = await until(
      async () => anyExited() || ready(consensusFlags(await readOrEmpty(consensusFile))),
      timeoutMs,
      CONSENSUS_POLL_MS,
    );
    if (!ok || anyExited()) {
      const flags = [...consensusFlags(await readOrEmpty(consensusFile))].map(([k, v]) => `${k}: ${[...v].join(" ")}`);
      throw new Error(
        `no consensus with every relay after ${Date.now() - t1} ms (have: ${flags.join("; ") || "none"})\n` +
          (await report()),
      );
    }
    const timings: TorNetworkTimings = {
      keysMs,
      descriptorsMs,
      consensusMs: Date.now() - t1,
      totalMs: Date.now() - t0,
    };

    const addBridge = async (opts: AddBridgeOptions): Promise<NetworkBridge> => {
      checkTransports(opts.transports);
      const name = opts.name ?? `bridge${++counter.bridge}`;
      const listen = new Map<string, number>();
      for (const t of opts.transports) listen.set(t, await freePort());
      const node = await makeNode(name);
      const tor = await launchTor(name, node.dir, bridgeTorrc(node, { ...opts, listen }));
      nodes.push(tor);
      attached.push(tor);
      const timeoutMs = opts.timeoutMs ?? BRIDGE_START_TIMEOUT_MS;
      try {
        const state = await tor.waitForLog(PT_STATE, {
          file: "info",
          failOn: PT_FAILED,
          timeoutMs,
          what: "its PT to finish launching",
        });
        if (state[1] !== "Completed") throw new Error(`${name}: its PT is ${state[1]}\n${await tor.tails()}`);
        const ptReadyMs = Date.now() - tor.startedAt;
        const linesFile = path.join(node.dir, "bridgelines");
        let bridgeLines: string[] = [];
        // tor writes the file right after the PT's SMETHODs; allow it a moment past the state change.
        await until(async () => (bridgeLines = parseBridgelines(await readOrEmpty(linesFile))).length > 0, 5_000);
        if (bridgeLines.length === 0) throw new Error(`${name}: no DataDirectory/bridgelines\n${await tor.tails()}`);
        let bootstrappedMs: number | null = null;
        if (opts.waitBootstrapped !== false) {
          await tor.waitForLog(BOOTSTRAPPED, { timeoutMs, what: "Bootstrapped 100%" });
          bootstrappedMs = Date.now() - tor.startedAt;
        }
        return {
          name,
          tor,
          fingerprint: readFingerprintFile(path.join(node.dir, "fingerprint")),
          bridgeLines,
          bridgeLine(transport) {
            const line = bridgeLines.find((l) => l.split(" ")[0] === transport);
            if (line === undefined) {
              throw new Error(`${name} registered no ${transport} (its bridge lines: ${bridgeLines.join(" | ")})`);
            }
            return line;
          },
          timings: { ptReadyMs, bootstrappedMs },
          close: () => tor.close(),
        };
      } catch (err) {
        failed = true;
        throw err;
      }
    };

    const addClient = async (opts: AddClientOptions): Promise<NetworkClient> => {
      const name = opts.name ?? `client${++counter.client}`;
      const bridgeLines = typeof opts.bridgeLine === "string" ? [opts.bridgeLine] : opts.bridgeLine;
      const node = await makeNode(name);
      const tor = await launchTor(name, node.dir, clientTorrc(node, { ...opts, bridgeLines }));
      nodes.push(tor);
      attached.push(tor);
      const timeoutMs = opts.timeoutMs ?? CLIENT_BOOTSTRAP_TIMEOUT_MS;
      const guard = async <T>(p: Promise<T>): Promise<T> => {
        try {
          return await p;
        } catch (err) {
          failed = true;
          throw err;
        }
      };
      const socks = await guard(tor.waitForLog(SOCKS_LISTENING, { timeoutMs: 15_000, what: "its SOCKS listener" }));
      let bootstrapped: Promise<number> | null = null;
      const client: NetworkClient = {
        name,
        tor,
        socksPort: Number(socks[1]),
        waitBootstrapped: (ms = timeoutMs) =>
          (bootstrapped ??= guard(
            tor
              .waitForLog(BOOTSTRAPPED, { file: "info", failOn: PT_FAILED, timeoutMs: ms, what: "Bootstrapped 100%" })
              .then(() => Date.now() - tor.startedAt),
          )),
        fetch: (url, fetchOpts) => guard(fetchViaSocks(Number(socks[1]), url, fetchOpts)),
        close: () => tor.close(),
      };
      if (opts.waitBootstrapped !== false) await client.waitBootstrapped();
      return client;
    };

    return {
      dir,
      authority,
      relays,
      keys,
      timings,
      addBridge,
      addClient,
      nodes: () => [...nodes],
      report,
      markFailed: () => void (failed = true),
      close,
    };
  } catch (err) {
    failed = true;
    await close();
    throw err;
  }
}

/** DataDirectory/bridgelines: comment lines, then `Bridge …` lines; returns them without `Bridge `. */
export function parseBridgelines(text: string): string[] {
  return text
    .split("\n")
    .map((l) => l.trim())
    .filter((l) => l.startsWith("Bridge "))
    .map((l) => l.slice("Bridge ".length));
}
