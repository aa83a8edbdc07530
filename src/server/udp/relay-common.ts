/**
 * What the Node UDP adapters share (seed 000 §3.3.5): their error type, the
 * events and counters they report, and the limits the sans-IO pools
 * (src/shared/udp) leave to the adapter: how long a dial may take, how much
 * may wait unsent on one transport connection, and the clock.
 *
 * The pools decide every Table 1 / Table 2 transition; the adapters only
 * carry out the outputs (dial, write, close, send a datagram) and feed back
 * what the sockets report. The one decision taken here is congestion: a
 * transport connection whose write buffer is full gets no more datagrams
 * until it drains. The datagram is dropped, as a full router queue drops it;
 * queueing would turn UDP's loss into unbounded memory and latency.
 */
import type { Duplex } from "node:stream";
import { WebptError } from "../../shared/errors.js";
import type { UdpDropReason, UdpRemoveReason } from "../../shared/udp/index.js";

/**
 * Bytes that may wait in one transport connection's write buffer before
 * further datagrams for it are dropped ("congested"). The obfs4 stream's own
 * high-water mark, so a connection that keeps up never drops.
 */
export const MAX_UDP_TRANSPORT_BACKLOG_BYTES = 256 * 1024;

/**
 * How long a Waiting connection may take to connect (carrier plus obfs4
 * handshake) before it counts as "Connection failed" (Table 1 row 6). The
 * seed names no bound; without one a dial that never returns would keep the
 * peer Waiting, dropping every packet, for as long as it keeps sending.
 */
export const DEFAULT_UDP_DIAL_TIMEOUT_MS = 30_000;
/** Longest configurable dial timeout. */
export const MAX_UDP_DIAL_TIMEOUT_MS = 300_000;

/** Opens one transport connection (any carrier); aborting `signal` must give up the dial. */
export type UdpDial = (signal: AbortSignal) => Promise<Duplex>;

export const UdpNodeErrorCode = {
  /** The transport connection failed or was destroyed with an error. */
  TRANSPORT: "ERR_UDP_TRANSPORT",
  /** A write to a transport connection failed (Table 1 row 7, Table 2 row 4). */
  WRITE_FAILED: "ERR_UDP_WRITE_FAILED",
  /** The dial took longer than the dial timeout. */
  DIAL_TIMEOUT: "ERR_UDP_DIAL_TIMEOUT",
  /** The Server App (or TURN server) address could not be resolved or bound. */
  TARGET_UNREACHABLE: "ERR_UDP_TARGET_UNREACHABLE",
  /** Bad UDP flags or options (CLI). */
  BAD_OPTION: "ERR_UDP_BAD_OPTION",
  /** An operation on a closed tunnel socket. */
  CLOSED: "ERR_UDP_SOCKET_CLOSED",
} as const;

export class UdpNodeError extends WebptError {
  override name = "UdpNodeError";
}

/** The pools take WebptErrors; anything else a socket throws is wrapped, keeping it as the cause. */
export function asWebptError(err: unknown, code: string = UdpNodeErrorCode.TRANSPORT): WebptError {
  if (err instanceof WebptError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new UdpNodeError(code, message, { cause: err });
}

/**
 * Why a datagram was not delivered: the pools' reasons plus the adapters' own.
 *   congested    the transport connection's write buffer is full
 *   send-failed  the UDP socket refused the datagram (EMSGSIZE, closed socket…)
 *   stray        a server association got a datagram from an address other than its target
 *   closed       the relay was closed
 */
export type UdpDropCause = UdpDropReason | "congested" | "send-failed" | "stray" | "closed";

export type UdpRelayEvent =
  /** A dial started for `key` (Table 1 row 1) or a stream was accepted (server). */
  | { readonly kind: "open"; readonly key: string; readonly id: number }
  /** Table 1 row 4: Waiting → Connected. */
  | { readonly kind: "connected"; readonly key: string; readonly id: number }
  /** A datagram was not delivered; `datagram` is set when the adapter still had it (the packet itself, not a copy). */
  | {
      readonly kind: "drop";
      readonly key: string;
      readonly reason: UdpDropCause;
      readonly length: number | undefined;
      readonly datagram?: Uint8Array;
      readonly error?: WebptError;
    }
  /** Entry `id` left the pool. */
  | {
      readonly kind: "removed";
      readonly key: string;
      readonly id: number;
      readonly reason: UdpRemoveReason;
      readonly error?: WebptError;
    };

export interface UdpRelayStats {
  /** Pool entries now (client: Waiting or Connected; server: associations). */
  readonly flowsOpen: number;
  readonly flowsTotal: number;
  /** Datagrams (and their payload bytes) carried towards the Server App: client app → transport → server app. */
  readonly datagramsUp: number;
  readonly bytesUp: number;
  /** Datagrams carried back towards the Client App. */
  readonly datagramsDown: number;
  readonly bytesDown: number;
  readonly dropped: Readonly<Record<UdpDropCause, number>>;
  readonly removed: Readonly<Record<UdpRemoveReason, number>>;
}

const DROP_CAUSES: readonly UdpDropCause[] = [
  "connection-opening",
  "waiting",
  "write-failure",
  "no-connection",
  "pool-full",
  "invalid-datagram",
  "congested",
  "send-failed",
  "stray",
  "closed",
];
const REMOVE_REASONS: readonly UdpRemoveReason[] = [
  "idle-timeout",
  "connection-failed",
  "connection-closed",
  "write-failure",
  "malformed-framing",
  "pool-closed",
];

/** Mutable counters behind UdpRelayStats. */
export class UdpCounters {
  flowsTotal = 0;
  datagramsUp = 0;
  bytesUp = 0;
  datagramsDown = 0;
  bytesDown = 0;
  readonly dropped = Object.fromEntries(DROP_CAUSES.map((c) => [c, 0])) as Record<UdpDropCause, number>;
  readonly removed = Object.fromEntries(REMOVE_REASONS.map((r) => [r, 0])) as Record<UdpRemoveReason, number>;

  up(length: number): void {
    this.datagramsUp++;
    this.bytesUp += length;
  }

  down(length: number): void {
    this.datagramsDown++;
    this.bytesDown += length;
  }

  snapshot(flowsOpen: number): UdpRelayStats {
    return {
      flowsOpen,
      flowsTotal: this.flowsTotal,
      datagramsUp: this.datagramsUp,
      bytesUp: this.bytesUp,
      datagramsDown: this.datagramsDown,
      bytesDown: this.bytesDown,
      dropped: { ...this.dropped },
      removed: { ...this.removed },
    };
  }
}

/**
 * One timer for a pool's next idle deadline. It is re-armed only when the
 * deadline moves earlier; when it fires early (the oldest flow was active
 * meanwhile) the pool's tick does nothing and the timer is armed again.
 * Timers are unref'd: a listening socket, not a timeout, keeps a process alive.
 */
export class DeadlineTimer {
  #timer: ReturnType<typeof setTimeout> | undefined;
  #at = Infinity;
  readonly #now: () => number;
  readonly #fire: () => void;

  constructor(now: () => number, fire: () => void) {
    this.#now = now;
    this.#fire = fire;
  }

  arm(deadline: number | undefined): void {
    if (deadline === undefined) {
      this.cancel();
      return;
    }
    if (this.#timer !== undefined && this.#at <= deadline) return;
    this.cancel();
    this.#at = deadline;
    // +1: setTimeout may fire a fraction of a millisecond early, before the pool's deadline.
    this.#timer = setTimeout(
      () => {
        this.#timer = undefined;
        this.#at = Infinity;
        this.#fire();
      },
      Math.max(0, deadline - this.#now()) + 1,
    );
    this.#timer.unref();
  }

  cancel(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#at = Infinity;
  }
}

export const monotonicNow = (): number => performance.now();
