/**
 * The server's replay filter (obfs4proxy common/replayfilter, used by handshake_ntor.go): every client MAC that
 * verified is remembered for REPLAY_FILTER_TTL_MS, and a handshake whose MAC is already in the filter fails like
 * any invalid one. Without it a censor could replay a captured client request and get a response, which would
 * confirm the bridge.
 *
 * Behaviour copied from obfs4proxy:
 * - entries are kept in arrival order and compacted on every testAndSet: the oldest expire first;
 * - when the filter is full, the oldest entries are evicted until there is room, whatever their age;
 * - if the clock goes backwards past the oldest entry, the whole filter is dropped (obfs4proxy does the same; the
 *   alternative is keeping entries for an unbounded time).
 * obfs4proxy stores a keyed SipHash of the MAC to avoid hash flooding in Go maps; a JS Map keyed by the 16 MAC
 * bytes has no such weakness, so the MAC itself is stored.
 */
import { bytesToBinaryString } from "../../bytes/index.js";

/** How long a client MAC is remembered (obfs4.go replayTTL = 3 h: longer than the ±1 h epoch window allows). */
export const REPLAY_FILTER_TTL_MS = 3 * 3_600_000;
/** Most MACs remembered at once (replay_filter.go maxFilterSize = 100 * 1024). */
export const MAX_REPLAY_FILTER_ENTRIES = 100 * 1024;
/** Longest value accepted for testAndSet (a MAC is 16 bytes; this only bounds memory for misuse). */
export const MAX_REPLAY_FILTER_VALUE_LENGTH = 64;

export interface ReplayFilterOptions {
  /** Time to live of an entry, > 0 (default REPLAY_FILTER_TTL_MS). */
  readonly ttlMs?: number;
  /** Capacity, >= 1 (default MAX_REPLAY_FILTER_ENTRIES). */
  readonly maxEntries?: number;
}

/** A set of recently seen byte strings with a time-to-live and a size bound. One per server (shared by handshakes). */
export class ReplayFilter {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** Key → first-seen time; Map iteration order is insertion order, which is the FIFO obfs4proxy keeps. */
  #entries = new Map<string, number>();

  constructor(options: ReplayFilterOptions = {}) {
    const ttlMs = options.ttlMs ?? REPLAY_FILTER_TTL_MS;
    const maxEntries = options.maxEntries ?? MAX_REPLAY_FILTER_ENTRIES;
    if (!(ttlMs > 0) || !Number.isFinite(ttlMs)) throw new RangeError(`ttlMs must be a positive number, got ${ttlMs}`);
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`maxEntries must be a positive integer, got ${maxEntries}`);
    }
    this.ttlMs = ttlMs;
    this.maxEntries = maxEntries;
  }

  /** Number of entries currently remembered. */
  get size(): number {
    return this.#entries.size;
  }

  /**
   * Returns true if `value` was seen within the TTL (a replay), else remembers it and returns false.
   * `nowMs` is the caller's clock, so tests and the handshake share one injectable time source.
   */
  testAndSet(nowMs: number, value: Uint8Array): boolean {
    if (value.length > MAX_REPLAY_FILTER_VALUE_LENGTH) {
      throw new RangeError(`replay filter values are at most ${MAX_REPLAY_FILTER_VALUE_LENGTH} bytes`);
    }
    if (!Number.isFinite(nowMs)) throw new RangeError(`clock returned a non-finite time: ${nowMs}`);
    this.#compact(nowMs);
    const key = bytesToBinaryString(value);
    if (this.#entries.has(key)) return true;
    this.#entries.set(key, nowMs);
    return false;
  }

  /** Forgets everything. */
  clear(): void {
    this.#entries.clear();
  }

  #compact(nowMs: number): void {
    for (const [key, firstSeen] of this.#entries) {
      if (this.#entries.size < this.maxEntries) {
        const age = nowMs - firstSeen;
        if (age < 0) {
          this.#entries.clear();
          return;
        }
        if (age < this.ttlMs) return;
      }
      this.#entries.delete(key);
    }
  }
}
