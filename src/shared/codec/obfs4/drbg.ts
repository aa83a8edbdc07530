/**
 * obfs4proxy's hash DRBG (common/drbg/hash_drbg.go): SipHash-2-4 "in OFB
 * mode", seeded with 24 bytes = a 16-byte SipHash key || an 8-byte initial
 * block. Used to mask frame lengths (obfs4-spec.txt §5) and as the random
 * source for the protocol-polymorphism distributions (§6, probdist.ts).
 *
 * The spec describes IV[n] = SipHash(K, IV[n-1]). obfs4proxy does not do
 * exactly that: it keeps one streaming `hash.Hash64` (dchest/siphash) and
 * for each block calls `Write(IV[n-1])` then `Sum()`, which finalizes a copy
 * of the state without resetting it. So block n is SipHash over the whole
 * chain so far:
 *
 *   IV[n] = SipHash-2-4(K, IV[0] || IV[1] || ... || IV[n-1])
 *
 * That is what goes on the wire, so that is what this module computes. A
 * one-shot SipHash per block would be O(n) per block; instead this keeps the
 * absorbed state (8 SipRounds per block: 2 to absorb, 2 + 4 to finalize).
 * The backend's one-shot `sipHash24` is used by the tests to check it.
 *
 * 64-bit words are held as (hi, lo) int32 pairs; all arithmetic is `| 0`.
 */
import { randomBytes } from "@noble/hashes/utils.js";

/** Seed length: SipHash key (16) + initial block (8). obfs4proxy drbg.SeedLength. */
export const DRBG_SEED_LENGTH = 24;
/** Output block length (siphash.Size). */
export const DRBG_BLOCK_LENGTH = 8;

// SipHash initialization constants ("somepseudorandomlygeneratedbytes"), hi/lo halves.
const IV0_H = 0x736f6d65;
const IV0_L = 0x70736575;
const IV1_H = 0x646f7261;
const IV1_L = 0x6e646f6d;
const IV2_H = 0x6c796765;
const IV2_L = 0x6e657261;
const IV3_H = 0x74656462;
const IV3_L = 0x79746573;

function readU32LE(b: Uint8Array, off: number): number {
  return b[off]! | (b[off + 1]! << 8) | (b[off + 2]! << 16) | (b[off + 3]! << 24);
}

function writeU32LE(b: Uint8Array, off: number, v: number): void {
  b[off] = v & 0xff;
  b[off + 1] = (v >>> 8) & 0xff;
  b[off + 2] = (v >>> 16) & 0xff;
  b[off + 3] = (v >>> 24) & 0xff;
}

/** Byte-swaps a 32-bit word (little- to big-endian reading of the same 4 bytes). */
function bswap32(v: number): number {
  return ((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24);
}

/** A fresh random DRBG seed (obfs4proxy drbg.NewSeed, from the CSPRNG). */
export function newDrbgSeed(random: (n: number) => Uint8Array = randomBytes): Uint8Array {
  const seed = random(DRBG_SEED_LENGTH);
  if (seed.length !== DRBG_SEED_LENGTH) throw new RangeError("random source returned the wrong number of bytes");
  return seed;
}

/**
 * SipHash-2-4 OFB DRBG, bit-compatible with obfs4proxy's `drbg.HashDrbg`.
 * Not thread-shared state: one instance per direction per connection.
 */
export class HashDrbg {
  /** Absorbed state after all blocks written so far: [v0h, v0l, v1h, v1l, v2h, v2l, v3h, v3l]. */
  readonly #v = new Int32Array(8);
  /** Current OFB block as little-endian 32-bit halves. */
  #ofbLo: number;
  #ofbHi: number;
  /** Bytes absorbed so far, mod 256 (dchest's `t` counter is a uint8). */
  #t = 0;

  /** `seed` must be exactly {@link DRBG_SEED_LENGTH} bytes: key (16) || initial block (8). */
  constructor(seed: Uint8Array) {
    if (!(seed instanceof Uint8Array)) throw new TypeError("DRBG seed must be a Uint8Array");
    if (seed.length !== DRBG_SEED_LENGTH) {
      throw new RangeError(`DRBG seed must be ${DRBG_SEED_LENGTH} bytes, got ${seed.length}`);
    }
    const k0l = readU32LE(seed, 0);
    const k0h = readU32LE(seed, 4);
    const k1l = readU32LE(seed, 8);
    const k1h = readU32LE(seed, 12);
    const v = this.#v;
    v[0] = k0h ^ IV0_H;
    v[1] = k0l ^ IV0_L;
    v[2] = k1h ^ IV1_H;
    v[3] = k1l ^ IV1_L;
    v[4] = k0h ^ IV2_H;
    v[5] = k0l ^ IV2_L;
    v[6] = k1h ^ IV3_H;
    v[7] = k1l ^ IV3_L;
    this.#ofbLo = readU32LE(seed, 16);
    this.#ofbHi = readU32LE(seed, 20);
  }

  /**
   * Advances one block: absorb the current block (2 SipRounds), then
   * finalize a copy of the state (2 + 4 SipRounds), as dchest's Sum64 does
   * without disturbing the running digest. One straight pass over locals:
   * it runs once per frame in each direction, so it is kept free of calls,
   * allocations and array traffic (about 3x faster than a round function
   * over the state array).
   */
  #step(): void {
    const v = this.#v;
    const mLo = this.#ofbLo;
    const mHi = this.#ofbHi;
    let v0h = v[0]!;
    let v0l = v[1]!;
    let v1h = v[2]!;
    let v1l = v[3]!;
    let v2h = v[4]!;
    let v2l = v[5]!;
    let v3h = v[6]! ^ mHi; // v3 ^= m
    let v3l = v[7]! ^ mLo;
    const t = (this.#t = (this.#t + DRBG_BLOCK_LENGTH) & 0xff);
    // The finalization block is all zero but its top byte, the length mod 256.
    const bHi = t << 24;
    let s: number;
    let x: number;
    for (let round = 0; round < 8; round++) {
      if (round === 2) {
        v0h ^= mHi; // v0 ^= m: the block is absorbed; keep that state, finalize a copy
        v0l ^= mLo;
        v[0] = v0h;
        v[1] = v0l;
        v[2] = v1h;
        v[3] = v1l;
        v[4] = v2h;
        v[5] = v2l;
        v[6] = v3h;
        v[7] = v3l;
        v3h ^= bHi;
      } else if (round === 4) {
        v0h ^= bHi;
        v2l ^= 0xff; // v2 ^= 0xff
      }
      // One SipRound on (hi, lo) int32 pairs; a 64-bit add carries when the low sum passes 2^32.
      s = (v0l >>> 0) + (v1l >>> 0); // v0 += v1
      v0h = (v0h + v1h + ((s / 0x100000000) | 0)) | 0;
      v0l = s | 0;
      x = (v1h << 13) | (v1l >>> 19); // v1 = rotl(v1, 13) ^ v0
      v1l = ((v1l << 13) | (v1h >>> 19)) ^ v0l;
      v1h = x ^ v0h;
      x = v0h; // v0 = rotl(v0, 32)
      v0h = v0l;
      v0l = x;
      s = (v2l >>> 0) + (v3l >>> 0); // v2 += v3
      v2h = (v2h + v3h + ((s / 0x100000000) | 0)) | 0;
      v2l = s | 0;
      x = (v3h << 16) | (v3l >>> 16); // v3 = rotl(v3, 16) ^ v2
      v3l = ((v3l << 16) | (v3h >>> 16)) ^ v2l;
      v3h = x ^ v2h;
      s = (v0l >>> 0) + (v3l >>> 0); // v0 += v3
      v0h = (v0h + v3h + ((s / 0x100000000) | 0)) | 0;
      v0l = s | 0;
      x = (v3h << 21) | (v3l >>> 11); // v3 = rotl(v3, 21) ^ v0
      v3l = ((v3l << 21) | (v3h >>> 11)) ^ v0l;
      v3h = x ^ v0h;
      s = (v2l >>> 0) + (v1l >>> 0); // v2 += v1
      v2h = (v2h + v1h + ((s / 0x100000000) | 0)) | 0;
      v2l = s | 0;
      x = (v1h << 17) | (v1l >>> 15); // v1 = rotl(v1, 17) ^ v2
      v1l = ((v1l << 17) | (v1h >>> 15)) ^ v2l;
      v1h = x ^ v2h;
      x = v2h; // v2 = rotl(v2, 32)
      v2h = v2l;
      v2l = x;
    }
    this.#ofbHi = v0h ^ v1h ^ v2h ^ v3h;
    this.#ofbLo = v0l ^ v1l ^ v2l ^ v3l;
  }

  /** The next 8-byte block (obfs4proxy `NextBlock`), as a new array. */
  nextBlock(): Uint8Array {
    const out = new Uint8Array(DRBG_BLOCK_LENGTH);
    this.nextBlockInto(out, 0);
    return out;
  }

  /** Writes the next block into `out[offset..offset+8]` (no allocation). */
  nextBlockInto(out: Uint8Array, offset: number): void {
    this.#step();
    writeU32LE(out, offset, this.#ofbLo);
    writeU32LE(out, offset + 4, this.#ofbHi);
  }

  /**
   * The next frame-length mask: the first two bytes of the next block read
   * big-endian (framing.go: `binary.BigEndian.Uint16(drbg.NextBlock())`).
   */
  nextLengthMask(): number {
    this.#step();
    const lo = this.#ofbLo;
    return ((lo & 0xff) << 8) | ((lo >>> 8) & 0xff);
  }

  /**
   * Go `Source.Int63()` as obfs4proxy defines it for the DRBG: the next
   * block read big-endian with the top bit cleared. Returned split, because
   * 63 bits do not fit a double: `hi` is the top 31 bits, `lo` the low 32.
   */
  nextInt63(out: Int63): void {
    this.#step();
    out.hi = bswap32(this.#ofbLo) & 0x7fffffff;
    out.lo = bswap32(this.#ofbHi) >>> 0;
  }
}

/** A 63-bit value split into its top 31 bits and low 32 bits (both non-negative). */
export interface Int63 {
  hi: number;
  lo: number;
}
