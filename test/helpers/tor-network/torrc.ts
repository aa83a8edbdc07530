/**
 * The torrc of each role in the private network, as pure functions of their
 * inputs (so a test can print or check them). The options are chutney's
 * (torrc_templates/common.i, authority.i, relay-non-exit.tmpl, bridge*.tmpl),
 * trimmed to one tor version and pushed to tor's fastest legal schedule.
 * Everything listens on 127.0.0.1 and, with OutboundBindAddress, every
 * outgoing connection (including the exit's) starts from 127.0.0.1 too, so
 * Linux refuses (EINVAL) any attempt to leave the host.
 */
import path from "node:path";
import { logTorrc } from "./tor-process.js";

/**
 * Voting schedule, in seconds (dir-spec §1.4), at tor's minimums with
 * TestingTorNetwork: intervals ≥ 5 for the first consensus and ≥ 10 after,
 * delays ≥ 2, vote + dist delay at most half the interval, and the initial
 * interval a divisor of 30 minutes (config checks in
 * src/feature/dirauth/dirauth_config.c). For the 5 s initial interval tor
 * itself shrinks both delays to interval/4 = 1 s (create_voting_schedule,
 * src/feature/dirauth/voting_schedule.c): it votes 2 s before a boundary and
 * publishes on it. Later consensuses come every 10 s, voted 4 s ahead.
 * chutney calls 5 s unstable with mixed tor versions and several
 * authorities; here there is one of each.
 */
export const INITIAL_VOTING_INTERVAL_S = 5;
export const VOTING_INTERVAL_S = 10;
export const VOTE_DELAY_S = 2;
export const DIST_DELAY_S = 2;
/** What tor makes of both delays in the initial interval (interval/4, see above). */
const INITIAL_EFFECTIVE_DELAYS_S = 2 * Math.floor(INITIAL_VOTING_INTERVAL_S / 4);
/**
 * The initial interval the authority starts with, while the relays (and the
 * authority itself, at its first 1 s tick) upload their descriptors: the
 * longest tor allows, so it does not vote before them (left out of the
 * first consensus, they wait for the next one, 10 s later). Once they are
 * in, the harness switches to the 5 s schedule with a SIGHUP; tor
 * reschedules when these options change
 * (options_transition_affects_dirauth_timing).
 */
export const HOLD_VOTING_INTERVAL_S = 30 * 60;
/** How soon after the SIGHUP the first vote may come: tor reloads its config within a tick. */
export const FIRST_VOTE_AFTER_MS = 300;

export interface VotingSchedule {
  readonly initialInterval: number;
  readonly offset: number;
}

/** The schedule to start with: no vote before the descriptors are in (see HOLD_VOTING_INTERVAL_S). */
export const HOLD_SCHEDULE: VotingSchedule = { initialInterval: HOLD_VOTING_INTERVAL_S, offset: 0 };

/**
 * The 5 s schedule whose first vote comes FIRST_VOTE_AFTER_MS to +1 s after
 * `nowMs`, and so the first consensus 2 s after that: boundaries fall at
 * midnight UTC + 5k + TestingV3AuthVotingStartOffset seconds
 * (voting_sched_get_start_of_interval_after).
 */
export function fastSchedule(nowMs: number): VotingSchedule {
  const boundary = Math.ceil((nowMs + FIRST_VOTE_AFTER_MS) / 1000) + INITIAL_EFFECTIVE_DELAYS_S;
  return { initialInterval: INITIAL_VOTING_INTERVAL_S, offset: boundary % INITIAL_VOTING_INTERVAL_S };
}

/** A consensus stays valid for this many voting intervals (V3AuthNIntervalsValid). */
export const INTERVALS_VALID = 2;

export interface NodeBase {
  /** Nickname: 1–19 letters and digits (dir-spec §2.1.1). */
  readonly nick: string;
  /** The node's directory, which is also its DataDirectory. */
  readonly dir: string;
  /** The shared `DirAuthority …` line. */
  readonly dirAuthority: string;
  /** An empty file: tor parses GeoIP files at start (~0.5 s of CPU each) and this network needs no countries. */
  readonly emptyFile: string;
}

const NICK = /^[A-Za-z0-9]{1,19}$/;
/** pt-spec §3.2.3: transport names are C identifiers. */
const TRANSPORT_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

function checkWords(what: string, words: readonly string[]): void {
  if (words.length === 0) throw new Error(`${what} is empty`);
  for (const w of words) {
    // torrc splits values on whitespace and has no quoting for exec arguments.
    if (w === "" || /\s/.test(w)) throw new Error(`${what} word ${JSON.stringify(w)} cannot go in a torrc`);
  }
}

export function checkTransports(transports: readonly string[]): void {
  if (transports.length === 0) throw new Error("no transports");
  for (const t of transports) if (!TRANSPORT_NAME.test(t)) throw new Error(`bad transport name ${JSON.stringify(t)}`);
}

/** What every node shares (chutney common.i, minus its control port and sandbox). */
export function commonTorrc(node: NodeBase): string[] {
  if (!NICK.test(node.nick)) throw new Error(`bad nickname ${JSON.stringify(node.nick)}`);
  return [
    "TestingTorNetwork 1",
    `DataDirectory ${node.dir}`,
    `Nickname ${node.nick}`,
    node.dirAuthority,
    "ControlPort 0",
    "OutboundBindAddress 127.0.0.1",
    // The harness's own process: tor exits by itself within ~15 s of the test process dying, whatever killed it.
    `__OwningControllerProcess ${process.pid}`,
    `GeoIPFile ${node.emptyFile}`,
    `GeoIPv6File ${node.emptyFile}`,
    // Relays publish at once instead of self-testing first; the authority votes Running without its own test.
    "AssumeReachable 1",
    // With 3 relays, 0.67 > 2/3: tor holds out for all 3 descriptors before building circuits (chutney).
    "PathsNeededToBuildCircuits 0.67",
    "ShutdownWaitLength 0",
    ...logTorrc(node.dir),
  ];
}

/** What a relay-side node (authority, relay, bridge) shares. */
function serverTorrc(): string[] {
  return ["Address 127.0.0.1", "ContactInfo webpt-test@localhost", "SocksPort 0"];
}

/**
 * The directory authority, also the network's only exit. The exit policy
 * must accept `*:*` for clients to use it at all: clients choose exits by
 * the microdescriptor's policy summary, which counts only accept rules for
 * every address (policy_summarize, src/core/or/policies.c), so
 * `accept 127.0.0.1:*` alone summarizes to `reject 1-65535` and tor reports
 * "no exits in consensus". OutboundBindAddress keeps it to the host anyway.
 */
export function authorityTorrc(
  node: NodeBase,
  opts: { orPort: number; dirPort: number; schedule: VotingSchedule },
): string[] {
  return [
    ...commonTorrc(node),
    ...serverTorrc(),
    `ORPort 127.0.0.1:${opts.orPort}`,
    `DirPort 127.0.0.1:${opts.dirPort}`,
    "AuthoritativeDirectory 1",
    "V3AuthoritativeDirectory 1",
    `TestingV3AuthInitialVotingInterval ${opts.schedule.initialInterval}`,
    `TestingV3AuthInitialVoteDelay ${VOTE_DELAY_S}`,
    `TestingV3AuthInitialDistDelay ${DIST_DELAY_S}`,
    `V3AuthVotingInterval ${VOTING_INTERVAL_S}`,
    `V3AuthVoteDelay ${VOTE_DELAY_S}`,
    `V3AuthDistDelay ${DIST_DELAY_S}`,
    `V3AuthNIntervalsValid ${INTERVALS_VALID}`,
    `TestingV3AuthVotingStartOffset ${opts.schedule.offset}`,
    // Flags without the usual uptime, bandwidth and stability requirements (chutney common.i).
    "TestingDirAuthVoteExit *",
    "TestingDirAuthVoteGuard *",
    "TestingDirAuthVoteHSDir *",
    "TestingMinExitFlagThreshold 0",
    "ExitRelay 1",
    "ExitPolicyRejectPrivate 0",
    "ExitPolicyRejectLocalInterfaces 0",
    "ExitPolicy accept 127.0.0.0/8:*",
    "ExitPolicy accept *:*",
  ];
}

/** A middle relay (chutney relay-non-exit.tmpl); it also serves directory info over begindir. */
export function relayTorrc(node: NodeBase): string[] {
  return [...commonTorrc(node), ...serverTorrc(), "ORPort 127.0.0.1:auto", "ExitRelay 0", "ExitPolicy reject *:*"];
}

export interface BridgeTorrcOptions {
  readonly transports: readonly string[];
  readonly ptCommand: readonly string[];
  /** ServerTransportListenAddr per transport: tor hands it to the PT as TOR_PT_SERVER_BINDADDR. */
  readonly listen: ReadonlyMap<string, number>;
  /** ServerTransportOptions per transport (`k=v` words). */
  readonly transportOptions?: Readonly<Record<string, readonly string[]>>;
  readonly extraTorrc?: readonly string[];
}

/**
 * An unpublished bridge (chutney bridge-obfs4.tmpl): clients learn it only
 * from its bridge line and fetch its descriptor from it directly. tor ≥ 0.4.8
 * writes DataDirectory/bridgelines once its PT reported its SMETHODs.
 */
export function bridgeTorrc(node: NodeBase, opts: BridgeTorrcOptions): string[] {
  checkTransports(opts.transports);
  checkWords("PT command", opts.ptCommand);
  const lines = [
    ...commonTorrc(node),
    ...serverTorrc(),
    "ORPort 127.0.0.1:auto",
    "ExtORPort 127.0.0.1:auto",
    "BridgeRelay 1",
    "PublishServerDescriptor 0",
    // Directory info straight from the authority, which has each consensus and its microdescriptors first
    // (dirclient_fetches_from_authorities; a bridge otherwise asks caches like a client does). A relay cache a
    // consensus behind answers 404 for new microdescriptors, and tor waits ~10 s before it asks again. The relays
    // cannot simply stop caching: clients only take directory caches as guards.
    "FetchDirInfoEarly 1",
    "ExitRelay 0",
    "ExitPolicy reject *:*",
    `ServerTransportPlugin ${opts.transports.join(",")} exec ${opts.ptCommand.join(" ")}`,
  ];
  for (const t of opts.transports) {
    const port = opts.listen.get(t);
    if (port === undefined) throw new Error(`no listen port for ${t}`);
    lines.push(`ServerTransportListenAddr ${t} 127.0.0.1:${port}`);
    const o = opts.transportOptions?.[t];
    if (o !== undefined && o.length > 0) {
      checkWords(`${t} options`, o);
      lines.push(`ServerTransportOptions ${t} ${o.join(" ")}`);
    }
  }
  return [...lines, ...(opts.extraTorrc ?? [])];
}

export interface ClientTorrcOptions {
  /** Bridge lines without the leading `Bridge ` (as tor's bridgelines file has them after it). */
  readonly bridgeLines: readonly string[];
  readonly transports: readonly string[];
  readonly ptCommand: readonly string[];
  readonly extraTorrc?: readonly string[];
}

/** A bridge client (chutney bridgeclient-obfs4.tmpl) with a SOCKS port on 127.0.0.1. */
export function clientTorrc(node: NodeBase, opts: ClientTorrcOptions): string[] {
  checkTransports(opts.transports);
  checkWords("PT command", opts.ptCommand);
  if (opts.bridgeLines.length === 0) throw new Error("a bridge client needs a bridge line");
  for (const b of opts.bridgeLines) {
    if (/[\r\n]/.test(b) || b.startsWith("Bridge ")) throw new Error(`bad bridge line ${JSON.stringify(b)}`);
  }
  return [
    ...commonTorrc(node),
    "SocksPort 127.0.0.1:auto",
    "UseBridges 1",
    ...opts.bridgeLines.map((b) => `Bridge ${b}`),
    `ClientTransportPlugin ${opts.transports.join(",")} exec ${opts.ptCommand.join(" ")}`,
    ...(opts.extraTorrc ?? []),
  ];
}

/** Where a node lives under the network's directory. */
export function nodeDir(netDir: string, nick: string): string {
  return path.join(netDir, nick);
}
