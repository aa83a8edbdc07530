/**
 * Write shaping for obfs4's three iat-modes (obfs4-spec.txt §6; obfs4proxy
 * transports/obfs4/obfs4.go `Write` and `padBurst`). Pure: it decides which
 * bytes to send, in which pieces, and how long to wait after each piece;
 * the adapter does the writing and the waiting.
 *
 * - iat-mode 0: the write's payload frames, then padding so the burst's
 *   last segment ends at a length drawn from the length distribution; one
 *   write, no delay.
 * - iat-mode 1: the same bytes, written in MAX_FRAME_LENGTH pieces (cut
 *   across frame boundaries), each followed by a delay drawn from the IAT
 *   distribution.
 * - iat-mode 2 ("paranoid"): no burst padding; each piece's length is drawn
 *   from the length distribution, padding frames are appended when fewer
 *   bytes remain than drawn, and each piece is followed by an IAT delay.
 *
 * Delays are IAT samples in [0, MAX_IAT_DELAY] times 100 µs (0..10 ms).
 */
import { DRBG_SEED_LENGTH, newDrbgSeed } from "./drbg.js";
import { MAX_FRAME_LENGTH } from "./framing.js";
import {
  MAX_PACKET_PAYLOAD,
  PACKET_FRAME_OVERHEAD,
  encodedLength,
  type Obfs4Encoder,
  type Obfs4Role,
} from "./packet.js";
import { WeightedDist, deriveIatSeed, type SamplingRand } from "./probdist.js";
import { createCsRand, type GoRand, type RandomBytesFn } from "./probdist-go-rand.js";

export const IAT_MODE_NONE = 0;
export const IAT_MODE_ENABLED = 1;
export const IAT_MODE_PARANOID = 2;
export type IatMode = typeof IAT_MODE_NONE | typeof IAT_MODE_ENABLED | typeof IAT_MODE_PARANOID;

/** Largest IAT sample (obfs4.go `maxIATDelay`), in units of IAT_DELAY_UNIT_MICROS. */
export const MAX_IAT_DELAY = 100;
/** One IAT unit: "The delay resolution is 100 usec, leading to a maximum delay of 10 msec." */
export const IAT_DELAY_UNIT_MICROS = 100;
/** Largest value of the length distribution: [0, MaximumSegmentLength] (obfs4.go). */
export const MAX_LENGTH_SAMPLE = MAX_FRAME_LENGTH;
/**
 * Paranoid mode: consecutive zero-length draws tolerated before writing a
 * full segment instead. obfs4proxy would panic on a zero draw ("iat length
 * was 0"); webpt draws again, and this bound keeps a distribution whose only
 * value is 0 from looping forever.
 */
export const MAX_PARANOID_ZERO_DRAWS = 8;

/** obfs4proxy's length distribution: `probdist.New(seed, 0, 1448, biased)`. */
export function createLengthDist(seed: Uint8Array, biased = false): WeightedDist {
  return new WeightedDist(seed, 0, MAX_LENGTH_SAMPLE, biased);
}

/** obfs4proxy's IAT distribution, from the *length* seed: `probdist.New(sha256(seed)[:24], 0, 100, biased)`. */
export function createIatDist(lengthSeed: Uint8Array, biased = false): WeightedDist {
  return new WeightedDist(deriveIatSeed(lengthSeed), 0, MAX_IAT_DELAY, biased);
}

/**
 * obfs4proxy `padBurst`: the padding lengths of the payload-less packets to
 * append to a burst of `burstLength` bytes so that its last segment
 * (length mod MAX_FRAME_LENGTH) becomes `toPadTo`.
 *
 * When the gap is too small for a frame (at most PACKET_FRAME_OVERHEAD
 * bytes) obfs4proxy sends a full-size padding frame and then a frame with
 * `gap` bytes of padding, so the tail ends at toPadTo + 21, not toPadTo.
 * That quirk is reproduced: it is what obfs4proxy traffic looks like.
 */
export function padBurstPlan(burstLength: number, toPadTo: number): number[] {
  if (!Number.isInteger(burstLength) || burstLength < 0) throw new RangeError(`bad burst length ${burstLength}`);
  if (!Number.isInteger(toPadTo) || toPadTo < 0 || toPadTo > MAX_LENGTH_SAMPLE) {
    throw new RangeError(`padding target must be 0..${MAX_LENGTH_SAMPLE}, got ${toPadTo}`);
  }
  const tail = burstLength % MAX_FRAME_LENGTH;
  const gap = toPadTo >= tail ? toPadTo - tail : MAX_FRAME_LENGTH - tail + toPadTo;
  if (gap > PACKET_FRAME_OVERHEAD) return [gap - PACKET_FRAME_OVERHEAD];
  if (gap > 0) return [MAX_PACKET_PAYLOAD, gap];
  return [];
}

/** Wire bytes of the padding packets in a plan. */
export function paddingPlanLength(plan: readonly number[]): number {
  let n = 0;
  for (const p of plan) n += PACKET_FRAME_OVERHEAD + p;
  return n;
}

/** One write: `length` bytes of the output, then `delayMicros` of waiting before the next. */
export interface WriteChunk {
  readonly length: number;
  readonly delayMicros: number;
}

/** What the shaper needs of a distribution: WeightedDist, or a substitute in tests. */
export interface ShapingDist {
  sample(rand: SamplingRand): number;
  reset(seed: Uint8Array): void;
}

/** The result of shaping one application write. */
export interface ShapedWrite {
  /** Everything to send, in order (frames are already sealed: send all of it or close). */
  readonly data: Uint8Array;
  /** How to cut `data` into writes; the lengths add up to `data.length`. */
  readonly chunks: readonly WriteChunk[];
}

export interface ShaperOptions {
  readonly encoder: Obfs4Encoder;
  readonly role: Obfs4Role;
  readonly iatMode: IatMode;
  /**
   * The length-distribution seed. Server: its persistent `drbg-seed` (also
   * sent to the client in the PRNG-seed packet). Client: a fresh random seed
   * unless given, replaced when the server's seed arrives.
   */
  readonly lengthSeed?: Uint8Array;
  /** ScrambleSuit-style weights (obfs4proxy `-obfs4-distBias`); default false as obfs4proxy. */
  readonly biased?: boolean;
  /** CSPRNG for sampling (and the client's initial seed); default noble's randomBytes. */
  readonly random?: RandomBytesFn;
  /** Replaces the length distribution built from lengthSeed (tests). */
  readonly lengthDist?: ShapingDist;
  /** Replaces the IAT distribution built from lengthSeed (tests; ignored in iat-mode 0). */
  readonly iatDist?: ShapingDist;
}

/** Per-connection write shaping state: the distributions and the sampler. */
export class Obfs4Shaper {
  readonly role: Obfs4Role;
  readonly iatMode: IatMode;
  readonly #encoder: Obfs4Encoder;
  readonly #rand: GoRand;
  readonly #lenDist: ShapingDist;
  readonly #iatDist: ShapingDist | null;

  constructor(options: ShaperOptions) {
    const { encoder, role, iatMode, biased = false } = options;
    if (iatMode !== IAT_MODE_NONE && iatMode !== IAT_MODE_ENABLED && iatMode !== IAT_MODE_PARANOID) {
      throw new RangeError(`iat-mode must be 0, 1 or 2, got ${String(iatMode)}`);
    }
    if (role === "server" && options.lengthSeed === undefined) {
      throw new TypeError("a server shaper needs its drbg-seed as lengthSeed");
    }
    const seed = options.lengthSeed ?? newDrbgSeed(options.random);
    if (seed.length !== DRBG_SEED_LENGTH) throw new RangeError(`lengthSeed must be ${DRBG_SEED_LENGTH} bytes`);
    this.role = role;
    this.iatMode = iatMode;
    this.#encoder = encoder;
    this.#rand = createCsRand(options.random);
    this.#lenDist = options.lengthDist ?? createLengthDist(seed, biased);
    this.#iatDist = iatMode === IAT_MODE_NONE ? null : (options.iatDist ?? createIatDist(seed, biased));
  }

  get lengthDist(): ShapingDist {
    return this.#lenDist;
  }

  get iatDist(): ShapingDist | null {
    return this.#iatDist;
  }

  /**
   * A PRNG-seed packet arrived. Only a client reseeds (packet.go: "Only
   * regenerate the distribution if we are the client"); returns whether it did.
   */
  onPrngSeed(seed: Uint8Array): boolean {
    if (this.role !== "client") return false;
    this.#lenDist.reset(seed);
    this.#iatDist?.reset(deriveIatSeed(seed));
    return true;
  }

  /** Shapes one application write (obfs4proxy `obfs4Conn.Write`). */
  shape(payload: Uint8Array): ShapedWrite {
    return this.iatMode === IAT_MODE_PARANOID ? this.#shapeParanoid(payload) : this.#shapeBurst(payload);
  }

  #delay(): number {
    return this.#iatDist === null ? 0 : this.#iatDist.sample(this.#rand) * IAT_DELAY_UNIT_MICROS;
  }

  #shapeBurst(payload: Uint8Array): ShapedWrite {
    const framed = encodedLength(payload.length);
    const plan = padBurstPlan(framed, this.#lenDist.sample(this.#rand));
    const data = this.#encoder.allocate(framed + paddingPlanLength(plan)); // every byte is written below
    let off = this.#encoder.encodeInto(data, 0, payload);
    for (const p of plan) off = this.#encoder.writePacket(data, off, 0, EMPTY, p);
    if (this.iatMode === IAT_MODE_NONE)
      return { data, chunks: data.length > 0 ? [{ length: data.length, delayMicros: 0 }] : [] };
    const chunks: WriteChunk[] = [];
    for (let pos = 0; pos < data.length; pos += MAX_FRAME_LENGTH) {
      chunks.push({ length: Math.min(MAX_FRAME_LENGTH, data.length - pos), delayMicros: this.#delay() });
    }
    return { data, chunks };
  }

  #shapeParanoid(payload: Uint8Array): ShapedWrite {
    const parts = [this.#encoder.encode(payload)];
    let remaining = parts[0]!.length;
    let total = remaining;
    const chunks: WriteChunk[] = [];
    let zeroDraws = 0;
    while (remaining > 0) {
      let target = this.#lenDist.sample(this.#rand);
      if (target === 0) {
        if (++zeroDraws < MAX_PARANOID_ZERO_DRAWS) continue;
        target = MAX_LENGTH_SAMPLE;
      }
      zeroDraws = 0;
      if (remaining < target) {
        const pad = this.#encoder.encodePadding(padBurstPlan(remaining, target));
        parts.push(pad);
        remaining += pad.length;
        total += pad.length;
        if (remaining !== target) continue; // the padding overshot (gap <= 21): draw again, as obfs4proxy
      }
      chunks.push({ length: target, delayMicros: this.#delay() });
      remaining -= target;
    }
    return { data: parts.length === 1 ? parts[0]! : concatParts(parts, total), chunks };
  }
}

const EMPTY = new Uint8Array(0);

function concatParts(parts: readonly Uint8Array[], total: number): Uint8Array {
  const out = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}
