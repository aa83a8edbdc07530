/**
 * Protocol polymorphism (obfs4-spec.txt §6): the weighted distributions of
 * write lengths and inter-arrival times, as obfs4proxy's
 * common/probdist/weighted_dist.go builds them.
 *
 * A distribution is a pure function of a 24-byte seed: a SipHash DRBG
 * (drbg.ts) drives Go's math/rand (probdist-go-rand.ts) to pick
 * 1..{@link PROBDIST_MAX_VALUES} distinct values of [min, max] and a weight
 * for each; Vose's alias tables then allow O(1) sampling. Sampling itself
 * uses the CSPRNG (obfs4proxy: `csrand.Intn`, `csrand.Float64`).
 *
 * Decision: reproduce obfs4proxy bit-for-bit (values, weights, and the alias
 * tables in the same FIFO order), not just "something similar". Interop does
 * not depend on it, but the server's seed is sent to every client, so a
 * webpt bridge and its clients then shape traffic exactly like an
 * obfs4proxy bridge with the same drbg-seed would; any drift would be a
 * fingerprint. It is cheap: Go's DRBG-backed rand needs no `rngCooked`
 * table, and the tests pin the output against Go 1.19.
 *
 * Who uses which seed (transports/obfs4/obfs4.go, packet.go):
 * - Lengths: `New(seed, 0, MaximumSegmentLength = 1448, biasedDist)`.
 * - IAT: `New(sha256(seed)[0:24], 0, maxIATDelay = 100, biasedDist)`, only
 *   when iat-mode != 0.
 * - The server seeds from its persistent `drbg-seed` and sends that seed as
 *   the first packet; the client starts from a random seed and resets both
 *   distributions when a 24-byte PRNG-seed packet arrives.
 * - `biasedDist` is obfs4proxy's `-obfs4-distBias` flag, false by default.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { DRBG_SEED_LENGTH, HashDrbg } from "./drbg.js";
import { GoRand } from "./probdist-go-rand.js";

/** At least this many distinct values are kept (weighted_dist.go `minValues`). */
export const PROBDIST_MIN_VALUES = 1;
/** At most this many distinct values are kept (weighted_dist.go `maxValues`). */
export const PROBDIST_MAX_VALUES = 100;

/**
 * Largest size of the value range a distribution accepts (max - min + 1).
 * obfs4 uses 1449 (lengths) and 101 (IAT); Go's Perm would accept more, but
 * a bound keeps a bad argument from allocating without limit.
 */
export const MAX_PROBDIST_RANGE = 1 << 16;

/** Go's Perm/Intn interface, satisfied by GoRand; sampling only needs intn and float64. */
export interface SamplingRand {
  intn(n: number): number;
  float64(): number;
}

export class WeightedDist {
  readonly minValue: number;
  readonly maxValue: number;
  readonly biased: boolean;
  #values: number[] = [];
  #weights: number[] = [];
  #prob: number[] = [];
  #alias: number[] = [];

  /** weighted_dist.go `New`: requires min < max (else RangeError, where Go panics). */
  constructor(seed: Uint8Array, min: number, max: number, biased = false) {
    if (!Number.isInteger(min) || !Number.isInteger(max) || max <= min) {
      throw new RangeError(`weighted distribution needs integers min < max, got (${min}, ${max})`);
    }
    if (max - min + 1 > MAX_PROBDIST_RANGE) {
      throw new RangeError(`weighted distribution range ${max - min + 1} exceeds ${MAX_PROBDIST_RANGE}`);
    }
    this.minValue = min;
    this.maxValue = max;
    this.biased = biased;
    this.reset(seed);
  }

  /** Offsets from minValue, in table order. */
  get values(): readonly number[] {
    return this.#values;
  }
  get weights(): readonly number[] {
    return this.#weights;
  }
  get prob(): readonly number[] {
    return this.#prob;
  }
  get alias(): readonly number[] {
    return this.#alias;
  }

  /** Rebuilds the tables from a new 24-byte seed (weighted_dist.go `Reset`). */
  reset(seed: Uint8Array): void {
    const rng = new GoRand(new HashDrbg(seed));
    this.#genValues(rng);
    this.#weights = this.biased ? this.#biasedWeights(rng) : this.#uniformWeights(rng);
    this.#genTables();
  }

  /** `genValues`: a random prefix (1..100 long) of a permutation of [0, max - min]. */
  #genValues(rng: GoRand): void {
    let n = this.maxValue + 1 - this.minValue;
    const values = rng.perm(n);
    n = Math.min(Math.max(n, PROBDIST_MIN_VALUES), PROBDIST_MAX_VALUES);
    n = rng.intn(n) + 1;
    this.#values = values.slice(0, n);
  }

  /** ScrambleSuit-style: each weight takes a random share of what is left. */
  #biasedWeights(rng: GoRand): number[] {
    const w = new Array<number>(this.#values.length);
    let culm = 0;
    for (let i = 0; i < w.length; i++) {
      const p = (1.0 - culm) * rng.float64();
      w[i] = p;
      culm += p;
    }
    return w;
  }

  #uniformWeights(rng: GoRand): number[] {
    const w = new Array<number>(this.#values.length);
    for (let i = 0; i < w.length; i++) w[i] = rng.float64();
    return w;
  }

  /**
   * Vose's alias method with FIFO work lists (obfs4proxy uses container/list
   * PushBack/Front), in the same operation order so that floating-point
   * results and table layout match obfs4proxy exactly.
   */
  #genTables(): void {
    const w = this.#weights;
    const n = w.length;
    let sum = 0;
    for (const x of w) sum += x;
    const alias = new Array<number>(n).fill(0);
    const prob = new Array<number>(n).fill(0);
    const scaled = new Array<number>(n);
    // Each list holds at most n entries at a time and each index enters at most n times.
    const small: number[] = [];
    const large: number[] = [];
    let sHead = 0;
    let lHead = 0;
    for (let i = 0; i < n; i++) {
      scaled[i] = (w[i]! * n) / sum;
      (scaled[i]! < 1.0 ? small : large).push(i);
    }
    while (sHead < small.length && lHead < large.length) {
      const l = small[sHead++]!;
      const g = large[lHead++]!;
      prob[l] = scaled[l]!;
      alias[l] = g;
      scaled[g] = scaled[g]! + scaled[l]! - 1.0;
      (scaled[g]! < 1.0 ? small : large).push(g);
    }
    while (lHead < large.length) prob[large[lHead++]!] = 1.0;
    while (sHead < small.length) prob[small[sHead++]!] = 1.0; // only from rounding error
    this.#prob = prob;
    this.#alias = alias;
  }

  /**
   * Draws a value in [minValue, maxValue] (weighted_dist.go `Sample`): a fair
   * die picks a column, a biased coin picks it or its alias. `rand` is the
   * CSPRNG-backed GoRand (`createCsRand` in probdist-go-rand.ts).
   */
  sample(rand: SamplingRand): number {
    const i = rand.intn(this.#values.length);
    const idx = rand.float64() <= this.#prob[i]! ? i : this.#alias[i]!;
    return this.minValue + this.#values[idx]!;
  }
}

/** The IAT seed obfs4proxy derives from a length seed: the first 24 bytes of SHA-256(seed). */
export function deriveIatSeed(lengthSeed: Uint8Array): Uint8Array {
  if (lengthSeed.length !== DRBG_SEED_LENGTH) {
    throw new RangeError(`length seed must be ${DRBG_SEED_LENGTH} bytes, got ${lengthSeed.length}`);
  }
  return sha256(lengthSeed).subarray(0, DRBG_SEED_LENGTH);
}
