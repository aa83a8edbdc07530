import type { StreamDecoder } from "../codec/decoder.js";
import { MAX_UDP_DATAGRAM, UdpFrameDecoder, encodeUdpFrame } from "../codec/framing/udp-frame.js";
import { StunStreamDecoder } from "../codec/stun/stun-decoder.js";
import { type StunFramingOptions, encodeStunFrame } from "../codec/stun/stun-message.js";
import { LimitError } from "../errors.js";

/**
 * What the UDP client pool (seed 000 §3.3.5.3, Table 1) and server pool
 * (§3.3.5.5, Table 2) share: limits, the two framings of §3.3.5.4, and the
 * vocabulary of drop and removal reasons.
 *
 * The pools are sans-IO: they own no socket and no timer. Time comes in as a
 * `now` number (milliseconds on any monotonic clock) with every event, and
 * `nextDeadline()` tells the adapter when to call `tick(now)`. Every event
 * first expires the entries whose idle time has run out at `now`, so a late
 * tick never lets an expired connection carry one more packet.
 *
 * Queueing: neither table queues. Table 1 drops every packet that arrives
 * while a connection is Waiting, and Table 2 has no Waiting state, so no
 * entry ever holds a datagram and there is no per-entry queue limit. An
 * entry's only buffer is its stream decoder: at most one partial frame
 * (2 + 65535 bytes transparent, 65535 + 3 STUN).
 */

/**
 * Default idle timeout ("Timeout since last packet", Tables 1 and 2; "The
 * specific timeout used can be configured", §3.3.5.3). The seed names no
 * value; RFC 4787 §4.3 (REQ-5) recommends 5 minutes for a NAT's UDP mapping,
 * which is the role the pool plays for the local UDP peers.
 */
export const DEFAULT_UDP_IDLE_TIMEOUT_MS = 300_000;
/** Default cap on pool entries: each is a transport (TCP) connection, so a flood of source ports is bounded. */
export const DEFAULT_MAX_UDP_POOL_ENTRIES = 1024;
/** Largest configurable pool. */
export const MAX_UDP_POOL_ENTRIES = 65536;

/** §3.3.5.4: transparent (2-byte big-endian length prefix) or STUN-aware (STUN messages concatenated). */
export type UdpFramingMode = "transparent" | "stun";

export const UdpPoolErrorCode = {
  /** A datagram too long for the 2-byte prefix; dropped, never truncated. */
  DATAGRAM_TOO_LARGE: "ERR_UDP_DATAGRAM_TOO_LARGE",
} as const;

/** Why a datagram was not delivered. */
export type UdpDropReason =
  /** Table 1 row 1: the packet that created a Waiting connection. */
  | "connection-opening"
  /** Table 1 row 2: a packet for a connection still Waiting. */
  | "waiting"
  /** Table 1/2 "Write failure sending packet": the packet the adapter failed to write. */
  | "write-failure"
  /** Table 2 row 1: a packet from the Server App with no matching connection. */
  | "no-connection"
  /** The pool holds its maximum entries; no new connection is made for this peer. */
  | "pool-full"
  /** Not carriable in this mode: a non-STUN packet in STUN mode, or longer than 65535 bytes. */
  | "invalid-datagram";

/** Why an entry left the pool. */
export type UdpRemoveReason =
  /** "Timeout since last packet". */
  | "idle-timeout"
  /** "Connection failed" (Table 1), also a transport closed before it was established. */
  | "connection-failed"
  /** "Connection closed" by the far end or an error. */
  | "connection-closed"
  /** "Write failure sending packet". */
  | "write-failure"
  /** The transport carried bytes that are not valid framing (or ended inside a frame). */
  | "malformed-framing"
  /** `close()` shut the pool down. */
  | "pool-closed";

/** One side's framing: encode a datagram into stream bytes, or make a per-connection decoder. */
export interface UdpFraming {
  readonly mode: UdpFramingMode;
  /** Stream bytes for one datagram; throws a WebptError if this mode cannot carry it. */
  encode(datagram: Uint8Array): Uint8Array;
  /** A fresh decoder for one transport connection's byte stream. */
  decoder(): StreamDecoder<Uint8Array>;
}

export function createUdpFraming(mode: UdpFramingMode, stun: StunFramingOptions = {}): UdpFraming {
  if (mode === "transparent") {
    return {
      mode,
      encode(datagram) {
        if (datagram.length > MAX_UDP_DATAGRAM) {
          throw new LimitError(
            UdpPoolErrorCode.DATAGRAM_TOO_LARGE,
            `a ${datagram.length}-byte datagram does not fit a 2-byte length prefix`,
            MAX_UDP_DATAGRAM,
          );
        }
        return encodeUdpFrame(datagram);
      },
      decoder: () => new UdpFrameDecoder(),
    };
  }
  if (mode === "stun") {
    // Validate the options once, here, rather than on the first packet.
    new StunStreamDecoder(stun);
    return { mode, encode: (datagram) => encodeStunFrame(datagram, stun), decoder: () => new StunStreamDecoder(stun) };
  }
  throw new RangeError(`unknown UDP framing mode ${String(mode)}`);
}

/** Options both pools take. */
export interface UdpPoolOptions {
  /** §3.3.5.4 framing; both ends must agree (§3.3.5.6). Default "transparent". */
  readonly mode?: UdpFramingMode;
  /** For mode "stun": ChannelData and message size (see codec/stun). */
  readonly stun?: StunFramingOptions;
  /** Idle timeout in ms, a positive integer; default DEFAULT_UDP_IDLE_TIMEOUT_MS. */
  readonly idleTimeoutMs?: number;
  /** Most entries at once, 1..MAX_UDP_POOL_ENTRIES; default DEFAULT_MAX_UDP_POOL_ENTRIES. */
  readonly maxEntries?: number;
}

export interface ResolvedPoolOptions {
  readonly framing: UdpFraming;
  readonly idleTimeoutMs: number;
  readonly maxEntries: number;
}

/** Checks options; bad ones are programmer errors (RangeError), like the codecs' constructors. */
export function resolvePoolOptions(options: UdpPoolOptions): ResolvedPoolOptions {
  const idleTimeoutMs = options.idleTimeoutMs ?? DEFAULT_UDP_IDLE_TIMEOUT_MS;
  if (!Number.isSafeInteger(idleTimeoutMs) || idleTimeoutMs <= 0) {
    throw new RangeError(`idleTimeoutMs must be a positive integer, got ${idleTimeoutMs}`);
  }
  const maxEntries = options.maxEntries ?? DEFAULT_MAX_UDP_POOL_ENTRIES;
  if (!Number.isInteger(maxEntries) || maxEntries < 1 || maxEntries > MAX_UDP_POOL_ENTRIES) {
    throw new RangeError(`maxEntries must be an integer in 1..${MAX_UDP_POOL_ENTRIES}, got ${maxEntries}`);
  }
  return { framing: createUdpFraming(options.mode ?? "transparent", options.stun), idleTimeoutMs, maxEntries };
}

/**
 * Entries kept in order of last activity (oldest first) so that the next
 * deadline and the expired entries are found at the front in O(1) per entry:
 * a touched entry is re-inserted at the back of the Map. Needs a clock that
 * does not go backwards; the pools clamp `now` to the latest seen.
 */
export class ActivityOrder<K, E extends { lastActivity: number }> {
  readonly #map = new Map<K, E>();

  get size(): number {
    return this.#map.size;
  }
  get(key: K): E | undefined {
    return this.#map.get(key);
  }
  add(key: K, entry: E): void {
    this.#map.set(key, entry);
  }
  delete(key: K): void {
    this.#map.delete(key);
  }
  touch(key: K, entry: E, now: number): void {
    entry.lastActivity = now;
    this.#map.delete(key);
    this.#map.set(key, entry);
  }
  /** Least recently active entry. */
  oldest(): [K, E] | undefined {
    for (const kv of this.#map) return kv;
    return undefined;
  }
  keys(): K[] {
    return [...this.#map.keys()];
  }
}

/** A monotonic view of the caller's clock: `now` values below the latest seen count as the latest. */
export class Clock {
  #latest = -Infinity;
  advance(now: number): number {
    if (typeof now !== "number" || Number.isNaN(now)) throw new TypeError(`now must be a number, got ${String(now)}`);
    if (now > this.#latest) this.#latest = now;
    return this.#latest;
  }
}
