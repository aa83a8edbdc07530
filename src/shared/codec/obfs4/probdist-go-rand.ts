/**
 * The few methods of Go's `math/rand.Rand` that obfs4proxy's distributions
 * use, reproduced bit-for-bit over an arbitrary 63-bit source.
 *
 * obfs4proxy never uses Go's seeded generator (`rand.NewSource`, the
 * additive lagged Fibonacci `rngSource` with its `rngCooked` table) for
 * obfs4: probdist.Reset calls `rand.New(drbg)` with the SipHash DRBG as the
 * `rand.Source`, and csrand wraps crypto/rand the same way. Neither
 * implements `Source64`, so every method below draws whole `Int63()` values
 * from the source, exactly as Go's rand.go does:
 *
 * - `Int31()  = Int63() >> 32`
 * - `Int31n(n)`: mask when n is a power of two, else rejection sampling
 *   above `(1<<31) - 1 - (1<<31) % n`, then `v % n`
 * - `Intn(n)  = Int31n(n)` for n < 2^31 (the only sizes used here)
 * - `Float64()`: `float64(Int63()) / (1<<63)`, drawing again on exactly 1.0
 * - `Perm(n)`: the "inside-out" shuffle that also calls `Intn(1)` for i = 0
 *   (kept in Go for value-stream compatibility; it consumes one Int63).
 *
 * Verified against Go 1.19's math/rand in test/unit/obfs4-probdist.test.ts.
 * The CSPRNG-backed source (obfs4proxy csrand) is at the end of this file.
 */
import { randomBytes } from "@noble/hashes/utils.js";
import { readU32BE } from "../../bytes/index.js";
import type { Int63 } from "./drbg.js";

/** A Go `rand.Source`: yields Int63() values split into hi (31 bits) and lo (32 bits). */
export interface Int63Source {
  nextInt63(out: Int63): void;
}

const TWO_32 = 0x100000000;
const TWO_63 = 9223372036854775808;
const MAX_INT31 = 0x7fffffff;

export class GoRand {
  readonly #src: Int63Source;
  readonly #v: Int63 = { hi: 0, lo: 0 };

  constructor(source: Int63Source) {
    this.#src = source;
  }

  /** Go `Int31()`: the top 31 bits of one Int63(). */
  int31(): number {
    this.#src.nextInt63(this.#v);
    return this.#v.hi;
  }

  /** Go `Int31n(n)` for 0 < n < 2^31. */
  int31n(n: number): number {
    if (!Number.isInteger(n) || n <= 0 || n > MAX_INT31) throw new RangeError(`invalid argument to Int31n: ${n}`);
    if ((n & (n - 1)) === 0) return this.int31() & (n - 1);
    const max = MAX_INT31 - ((MAX_INT31 + 1) % n);
    let v = this.int31();
    while (v > max) v = this.int31();
    return v % n;
  }

  /** Go `Intn(n)`; only the n < 2^31 branch exists here (larger n is a RangeError). */
  intn(n: number): number {
    return this.int31n(n);
  }

  /** Go `Float64()`: uniform in [0, 1), from one Int63() (two on the 2^-53 chance of rounding to 1). */
  float64(): number {
    for (;;) {
      this.#src.nextInt63(this.#v);
      // hi * 2^32 is exact; the one addition rounds to nearest-even like Go's int64 -> float64.
      const f = (this.#v.hi * TWO_32 + this.#v.lo) / TWO_63;
      if (f !== 1) return f;
    }
  }

  /** Go `Perm(n)`: a permutation of [0, n). */
  perm(n: number): number[] {
    if (!Number.isInteger(n) || n < 0) throw new RangeError(`invalid argument to Perm: ${n}`);
    const m = new Array<number>(n).fill(0);
    for (let i = 0; i < n; i++) {
      const j = this.intn(i + 1);
      m[i] = m[j]!;
      m[j] = i;
    }
    return m;
  }
}

/*
 * obfs4proxy's `csrand` (common/csrand): the same math/rand API over the
 * system CSPRNG, with `Int63()` = 8 random bytes read big-endian, top bit
 * cleared. Used wherever obfs4proxy samples with `csrand.Intn` /
 * `csrand.Float64`: drawing from a weighted distribution, and choosing the
 * fake frame length after a bad length field. Random bytes come from an
 * injected function (default: noble's `randomBytes`, i.e.
 * `crypto.getRandomValues`), drawn in pooled blocks so that a sample does
 * not cost a platform call.
 */

/** Random bytes fetched per refill of the csrand pool (32 Int63 draws). */
export const CSRAND_POOL_BYTES = 256;

export type RandomBytesFn = (n: number) => Uint8Array;

/** An Int63Source over a CSPRNG, as obfs4proxy's `csRandSource`. */
export class CsRandSource implements Int63Source {
  readonly #random: RandomBytesFn;
  #pool: Uint8Array = new Uint8Array(0);
  #pos = 0;

  constructor(random: RandomBytesFn = randomBytes) {
    this.#random = random;
  }

  nextInt63(out: Int63): void {
    if (this.#pos + 8 > this.#pool.length) {
      const pool = this.#random(CSRAND_POOL_BYTES);
      if (pool.length < 8) throw new RangeError("random source returned too few bytes");
      this.#pool = pool;
      this.#pos = 0;
    }
    out.hi = readU32BE(this.#pool, this.#pos) & 0x7fffffff;
    out.lo = readU32BE(this.#pool, this.#pos + 4);
    this.#pos += 8;
  }
}

/** A Go-compatible `*rand.Rand` over the CSPRNG (obfs4proxy `csrand.Rand`). */
export function createCsRand(random: RandomBytesFn = randomBytes): GoRand {
  return new GoRand(new CsRandSource(random));
}

/** obfs4proxy `csrand.IntRange(min, max)`: uniform in [min, max]. */
export function csIntRange(rand: GoRand, min: number, max: number): number {
  if (max < min) throw new RangeError(`IntRange: min > max (${min}, ${max})`);
  return rand.intn(max + 1 - min) + min;
}
