/**
 * The server's memory of offers it has answered, so that a captured offer
 * cannot be replayed to make the bridge answer (and so confirm itself) a
 * second time. An offer passes the timestamp check for at most
 * `maxAge + maxFuture` after the server first sees it, so remembering each
 * key that long is enough; after that the timestamp check refuses it anyway.
 *
 * Bounded and fail-closed: when every slot holds an entry that has not
 * expired, a new offer is refused (ERR_SIGNAL_REPLAY_CACHE_FULL) rather than
 * an entry forgotten, since forgetting would reopen the replay. Time comes in
 * as an argument: no timers, runtime-neutral.
 */
import { SignalingError } from "./errors.js";

/** Offers remembered at once: ~27 offers a second sustained over the default 10-minute window. */
export const MAX_SIGNAL_REPLAY_ENTRIES = 16_384;

export interface SignalReplayCacheOptions {
  /** How long an entry is kept: the offer window's width (maxAge + maxFuture). */
  readonly ttlMs: number;
  readonly maxEntries?: number;
}

export class SignalReplayCache {
  readonly ttlMs: number;
  readonly maxEntries: number;
  /** key → expiry. Insertion order is expiry order while the clock runs forward, so pruning reads the front. */
  readonly #entries = new Map<string, number>();

  constructor(options: SignalReplayCacheOptions) {
    if (!Number.isSafeInteger(options.ttlMs) || options.ttlMs <= 0) throw new RangeError("ttlMs must be positive");
    const max = options.maxEntries ?? MAX_SIGNAL_REPLAY_ENTRIES;
    if (!Number.isSafeInteger(max) || max <= 0) throw new RangeError("maxEntries must be a positive integer");
    this.ttlMs = options.ttlMs;
    this.maxEntries = max;
  }

  get size(): number {
    return this.#entries.size;
  }

  /** Whether `key` is remembered and unexpired at `now` (does not record it). */
  has(key: string, now: number): boolean {
    const expiry = this.#entries.get(key);
    return expiry !== undefined && expiry > now;
  }

  /**
   * Records `key` at `now`. Throws SignalingError ERR_SIGNAL_REPLAY when it
   * is already remembered, ERR_SIGNAL_REPLAY_CACHE_FULL when there is no room.
   */
  remember(key: string, now: number): void {
    this.prune(now);
    if (this.#entries.has(key)) throw new SignalingError("ERR_SIGNAL_REPLAY", "this offer was already answered");
    if (this.#entries.size >= this.maxEntries) {
      throw new SignalingError("ERR_SIGNAL_REPLAY_CACHE_FULL", `${this.maxEntries} offers are remembered already`);
    }
    this.#entries.set(key, now + this.ttlMs);
  }

  /** Drops expired entries from the front (amortised O(1) per entry). */
  prune(now: number): void {
    for (const [key, expiry] of this.#entries) {
      if (expiry > now) break;
      this.#entries.delete(key);
    }
  }

  clear(): void {
    this.#entries.clear();
  }
}
