/**
 * obfs4 frames (obfs4-spec.txt §5; obfs4proxy transports/obfs4/framing):
 *
 *   uint16 length, big-endian, XORed with the first 2 bytes of the next DRBG block
 *   NaCl secretbox = tag (16) || XSalsa20(plaintext)        (length bytes)
 *
 * nonce = 16-byte prefix || 64-bit big-endian counter, starting at 1 and
 * never sent; a counter that would wrap to 0 ends the session. The 72 bytes
 * of framing key per direction are secretbox key (32) || nonce prefix (16)
 * || DRBG seed (24) (framing.go `KeyLength`).
 *
 * This layer only seals and opens frames; packets (type, length, payload,
 * padding) are in packet.ts. It is copy-light: the encoder seals plaintext
 * in place inside the caller's output buffer, and the decoder opens boxes
 * straight out of the input chunk whenever a frame lies inside one chunk,
 * buffering at most one partial frame otherwise, and (decodeInto) straight
 * into the caller's output buffer. Nothing on the per-frame path allocates
 * beyond the typed-array views the crypto calls take.
 */
import {
  SECRETBOX_KEY_LENGTH,
  SECRETBOX_NONCE_LENGTH,
  SECRETBOX_OVERHEAD,
  completeBackend,
  type CompleteObfs4CryptoBackend,
  type Obfs4CryptoBackend,
} from "./crypto-backend.js";
import { jsCryptoBackend } from "./crypto-backend-js.js";
import { ProtocolError, WebptError } from "../../errors.js";
import { DRBG_SEED_LENGTH, HashDrbg } from "./drbg.js";
import { createCsRand, csIntRange, type GoRand, type RandomBytesFn } from "./probdist-go-rand.js";

/** Bytes of the obfuscated length field (framing.go `lengthLength`). */
export const FRAME_LENGTH_FIELD = 2;
/**
 * Largest frame on the wire, length field included: 1500 - (40 + 12), a TCP
 * segment's payload over IPv6 with timestamps (framing.go
 * `MaximumSegmentLength`; the spec's "maximum allowed frame length is 1448").
 */
export const MAX_FRAME_LENGTH = 1448;
/** Length field + Poly1305 tag (framing.go `FrameOverhead`). */
export const FRAME_OVERHEAD = FRAME_LENGTH_FIELD + SECRETBOX_OVERHEAD;
/** Largest secretbox plaintext per frame: 1430 (framing.go `MaximumFramePayloadLength`). */
export const MAX_FRAME_PAYLOAD = MAX_FRAME_LENGTH - FRAME_OVERHEAD;
/** Largest value of the de-obfuscated length field, 1446 (framing.go `maxFrameLength`). */
export const MAX_BOX_LENGTH = MAX_FRAME_LENGTH - FRAME_LENGTH_FIELD;
/** Smallest value of the de-obfuscated length field, a bare tag (framing.go `minFrameLength`). */
export const MIN_BOX_LENGTH = SECRETBOX_OVERHEAD;
/** Nonce prefix bytes (framing.go `noncePrefixLength`). */
export const NONCE_PREFIX_LENGTH = 16;
/** Key material per direction: key || nonce prefix || DRBG seed = 72 (framing.go `KeyLength`). */
export const FRAMING_KEY_LENGTH = SECRETBOX_KEY_LENGTH + NONCE_PREFIX_LENGTH + DRBG_SEED_LENGTH;
/**
 * Most bytes a frame decoder holds between pushes: one partial frame. Input
 * beyond a frame is consumed in place, never queued.
 */
export const MAX_FRAME_DECODER_BUFFER = MAX_FRAME_LENGTH;

// Errors of the data phase. Every one is fatal for the connection: obfs4proxy
// returns them from Read/Write and the connection is torn down. Match on
// `code`, never on the message.

/** A frame's Poly1305 tag did not verify (spec §5: "MUST drop the connection"). */
export const ERR_OBFS4_TAG_MISMATCH = "ERR_OBFS4_TAG_MISMATCH";
/**
 * A de-obfuscated frame length was outside [MIN_BOX_LENGTH, MAX_BOX_LENGTH].
 * Raised only after as many bytes as a random valid length have arrived, as
 * obfs4proxy does, so a prober cannot tell it from a tag mismatch by timing.
 */
export const ERR_OBFS4_BAD_FRAME_LENGTH = "ERR_OBFS4_BAD_FRAME_LENGTH";
/** An authenticated frame was too short to hold a packet header (obfs4proxy InvalidPacketLengthError). */
export const ERR_OBFS4_BAD_PACKET_LENGTH = "ERR_OBFS4_BAD_PACKET_LENGTH";
/** A packet's payload length ran past the end of its frame (obfs4proxy InvalidPayloadLengthError). */
export const ERR_OBFS4_BAD_PAYLOAD_LENGTH = "ERR_OBFS4_BAD_PAYLOAD_LENGTH";
/** The 64-bit nonce counter is used up (spec §5: sessions MUST end before 2^64 frames). */
export const ERR_OBFS4_NONCE_EXHAUSTED = "ERR_OBFS4_NONCE_EXHAUSTED";

export type Obfs4FramingErrorCode =
  | typeof ERR_OBFS4_TAG_MISMATCH
  | typeof ERR_OBFS4_BAD_FRAME_LENGTH
  | typeof ERR_OBFS4_BAD_PACKET_LENGTH
  | typeof ERR_OBFS4_BAD_PAYLOAD_LENGTH;

/** The peer's frames do not authenticate or do not parse. */
export class Obfs4FramingError extends ProtocolError {
  override name = "Obfs4FramingError";
  /** Index (0-based) of the offending frame in its direction of the session. */
  readonly frameIndex: bigint;

  constructor(code: Obfs4FramingErrorCode, message: string, frameIndex: bigint) {
    super(code, message);
    this.frameIndex = frameIndex;
  }

  override toJSON(): { name: string; code: string; message: string; frameIndex: string } {
    return { ...super.toJSON(), frameIndex: this.frameIndex.toString() };
  }
}

/** This side may not send or receive another frame with the session's keys. */
export class Obfs4NonceExhaustedError extends WebptError {
  override name = "Obfs4NonceExhaustedError";
  constructor(direction: "encode" | "decode") {
    super(ERR_OBFS4_NONCE_EXHAUSTED, `obfs4 ${direction} nonce counter wrapped after 2^64 - 1 frames`);
  }
}

const MAX_U32 = 0xffffffff;
const MAX_COUNTER = (1n << 64n) - 1n;

export interface FramingOptions {
  /** Crypto primitives; default the pure-JS backend. */
  readonly backend?: Obfs4CryptoBackend;
  /** CSPRNG for the decoder's fake frame lengths; default noble's randomBytes. */
  readonly random?: RandomBytesFn;
  /** First nonce counter, 1 per the spec; only tests set it (to reach the wrap). */
  readonly initialNonceCounter?: bigint;
}

/**
 * The secretbox key, the nonce with its counter, and the length-mask DRBG of
 * one direction. The 64-bit counter is kept as two uint32 numbers so the
 * per-frame path allocates nothing (a bigint increment would allocate).
 */
class FrameKeys {
  readonly key: Uint8Array;
  readonly nonce = new Uint8Array(SECRETBOX_NONCE_LENGTH);
  readonly drbg: HashDrbg;
  readonly backend: CompleteObfs4CryptoBackend;
  readonly #start: bigint;
  #ctrHi: number;
  #ctrLo: number;

  constructor(keyMaterial: Uint8Array, options: FramingOptions) {
    if (!(keyMaterial instanceof Uint8Array)) throw new TypeError("obfs4 framing key must be a Uint8Array");
    if (keyMaterial.length !== FRAMING_KEY_LENGTH) {
      throw new RangeError(`obfs4 framing key must be ${FRAMING_KEY_LENGTH} bytes, got ${keyMaterial.length}`);
    }
    this.key = keyMaterial.slice(0, SECRETBOX_KEY_LENGTH);
    this.nonce.set(keyMaterial.subarray(SECRETBOX_KEY_LENGTH, SECRETBOX_KEY_LENGTH + NONCE_PREFIX_LENGTH));
    this.drbg = new HashDrbg(keyMaterial.slice(SECRETBOX_KEY_LENGTH + NONCE_PREFIX_LENGTH));
    this.backend = completeBackend(options.backend ?? jsCryptoBackend);
    const start = options.initialNonceCounter ?? 1n;
    if (start < 1n || start > MAX_COUNTER) throw new RangeError("initialNonceCounter must be in [1, 2^64 - 1]");
    this.#start = start;
    this.#ctrHi = Number(start >> 32n);
    this.#ctrLo = Number(start & 0xffffffffn);
  }

  /** Frames completed so far in this direction: the counter's distance from its start (2^64 once wrapped). */
  get frames(): bigint {
    const hi = this.#ctrHi;
    const lo = this.#ctrLo;
    const ctr = hi === 0 && lo === 0 ? 1n << 64n : (BigInt(hi) << 32n) | BigInt(lo);
    return ctr - this.#start;
  }

  /** Writes the current counter into the nonce; false once it has wrapped to 0 (framing.go `boxNonce.bytes`). */
  prepareNonce(): boolean {
    const hi = this.#ctrHi;
    const lo = this.#ctrLo;
    if (hi === 0 && lo === 0) return false;
    const n = this.nonce;
    n[16] = hi >>> 24;
    n[17] = (hi >>> 16) & 0xff;
    n[18] = (hi >>> 8) & 0xff;
    n[19] = hi & 0xff;
    n[20] = lo >>> 24;
    n[21] = (lo >>> 16) & 0xff;
    n[22] = (lo >>> 8) & 0xff;
    n[23] = lo & 0xff;
    return true;
  }

  advance(): void {
    if (this.#ctrLo === MAX_U32) {
      this.#ctrLo = 0;
      this.#ctrHi = this.#ctrHi === MAX_U32 ? 0 : this.#ctrHi + 1;
    } else {
      this.#ctrLo++;
    }
  }
}

/** Seals frames for one direction (obfs4proxy `framing.Encoder`). */
export class FrameEncoder {
  readonly #k: FrameKeys;

  constructor(keyMaterial: Uint8Array, options: FramingOptions = {}) {
    this.#k = new FrameKeys(keyMaterial, options);
  }

  /** Frames sealed so far. */
  get framesEncoded(): bigint {
    return this.#k.frames;
  }

  /** An output buffer from the backend's allocator (contents unspecified: write all of it). */
  allocate(length: number): Uint8Array {
    return this.#k.backend.allocate(length);
  }

  /**
   * Seals the `plaintextLength` bytes already at `out[off + 18 ..]` into a
   * frame occupying `out[off .. off + 18 + plaintextLength]` and returns the
   * offset just past it. The order of effects is obfs4proxy's: nonce check,
   * counter increment, seal, then one DRBG block for the length mask.
   */
  sealInPlace(out: Uint8Array, off: number, plaintextLength: number): number {
    if (!Number.isInteger(plaintextLength) || plaintextLength < 0 || plaintextLength > MAX_FRAME_PAYLOAD) {
      throw new RangeError(`frame plaintext must be 0..${MAX_FRAME_PAYLOAD} bytes, got ${plaintextLength}`);
    }
    const end = off + FRAME_OVERHEAD + plaintextLength;
    if (off < 0 || end > out.length) throw new RangeError("frame does not fit the output buffer");
    const k = this.#k;
    if (!k.prepareNonce()) throw new Obfs4NonceExhaustedError("encode");
    k.advance();
    const box = out.subarray(off + FRAME_LENGTH_FIELD, end);
    k.backend.secretboxSealInto(box, out.subarray(off + FRAME_OVERHEAD, end), k.nonce, k.key);
    const masked = (SECRETBOX_OVERHEAD + plaintextLength) ^ k.drbg.nextLengthMask();
    out[off] = masked >>> 8;
    out[off + 1] = masked & 0xff;
    return end;
  }

  /** Allocating convenience: one frame carrying `plaintext`. */
  encodeFrame(plaintext: Uint8Array): Uint8Array {
    const out = new Uint8Array(FRAME_OVERHEAD + plaintext.length);
    out.set(plaintext, FRAME_OVERHEAD);
    this.sealInPlace(out, 0, plaintext.length);
    return out;
  }
}

/**
 * Opens frames for one direction (obfs4proxy `framing.Decoder`). Poisoned by
 * its first error: every later call rethrows it.
 */
export class FrameDecoder {
  readonly #k: FrameKeys;
  readonly #rand: GoRand;
  readonly #plain = new Uint8Array(MAX_FRAME_PAYLOAD);
  readonly #partial = new Uint8Array(MAX_BOX_LENGTH);
  readonly #lenBuf = new Uint8Array(FRAME_LENGTH_FIELD);
  #lenFill = 0;
  #partialFill = 0;
  /** Box length of the frame in progress, or -1 while reading a length field. */
  #boxLen = -1;
  #lengthInvalid = false;
  #error: unknown = undefined;

  constructor(keyMaterial: Uint8Array, options: FramingOptions = {}) {
    this.#k = new FrameKeys(keyMaterial, options);
    this.#rand = createCsRand(options.random);
  }

  /** Frames opened so far. */
  get framesDecoded(): bigint {
    return this.#k.frames;
  }

  /** An output buffer from the backend's allocator (contents unspecified). */
  allocate(length: number): Uint8Array {
    return this.#k.backend.allocate(length);
  }

  /** Bytes of a partial frame held between calls (never more than MAX_FRAME_DECODER_BUFFER). */
  get bufferedBytes(): number {
    return this.#lenFill + (this.#boxLen >= 0 ? FRAME_LENGTH_FIELD + this.#partialFill : 0);
  }

  /** The error that poisoned this decoder, if any. */
  get error(): unknown {
    return this.#error;
  }

  /**
   * Consumes `chunk` and calls `onPlaintext` with each authenticated frame's
   * plaintext, in order. The view is only valid during the call (it is a
   * reused buffer). Errors thrown by `onPlaintext` poison the decoder too.
   */
  decode(chunk: Uint8Array, onPlaintext: (plaintext: Uint8Array) => void): void {
    this.decodeInto(chunk, this.#plain, 0, (out, offset, length) => {
      onPlaintext(out.subarray(offset, offset + length));
      return 0;
    });
  }

  /**
   * The copy-free form of decode(): opens each frame straight into
   * `out[offset..]` and calls `onFrame(out, offset, length)`, which returns
   * where in `out` the next frame's plaintext goes. The caller sizes `out`:
   * a frame whose plaintext would not fit is a RangeError (a programmer
   * error, which poisons the decoder like any other). `out` must not
   * overlap `chunk`; onFrame sees it as a plain Uint8Array view of the same
   * memory. A frame whose tag fails may leave garbage where its plaintext
   * would have gone.
   */
  decodeInto(chunk: Uint8Array, out: Uint8Array, offset: number, onFrame: FrameSink): void {
    if (this.#error !== undefined) throw this.#error;
    try {
      this.#decode(plainView(chunk), plainView(out), offset, onFrame);
    } catch (e) {
      this.#error = e;
      throw e;
    }
  }

  #decode(chunk: Uint8Array, out: Uint8Array, outOff: number, onFrame: FrameSink): void {
    const k = this.#k;
    const n = chunk.length;
    let off = 0;
    for (;;) {
      if (this.#boxLen < 0) {
        let raw: number;
        if (this.#lenFill === 0 && n - off >= FRAME_LENGTH_FIELD) {
          raw = (chunk[off]! << 8) | chunk[off + 1]!;
          off += FRAME_LENGTH_FIELD;
        } else {
          while (this.#lenFill < FRAME_LENGTH_FIELD && off < n) this.#lenBuf[this.#lenFill++] = chunk[off++]!;
          if (this.#lenFill < FRAME_LENGTH_FIELD) return;
          raw = (this.#lenBuf[0]! << 8) | this.#lenBuf[1]!;
          this.#lenFill = 0;
        }
        if (!k.prepareNonce()) throw new Obfs4NonceExhaustedError("decode");
        let len = raw ^ k.drbg.nextLengthMask();
        if (len > MAX_BOX_LENGTH || len < MIN_BOX_LENGTH) {
          // framing.go: against length-oracle attacks (Albrecht, Paterson and
          // Watson on SSH), pretend the length was a random valid one and fail
          // only once that many bytes have arrived.
          this.#lengthInvalid = true;
          len = csIntRange(this.#rand, MIN_BOX_LENGTH, MAX_BOX_LENGTH);
        }
        this.#boxLen = len;
      }

      const boxLen = this.#boxLen;
      let box: Uint8Array;
      if (this.#partialFill === 0 && n - off >= boxLen) {
        box = chunk.subarray(off, off + boxLen);
        off += boxLen;
      } else {
        const take = Math.min(boxLen - this.#partialFill, n - off);
        this.#partial.set(chunk.subarray(off, off + take), this.#partialFill);
        this.#partialFill += take;
        off += take;
        if (this.#partialFill < boxLen) return;
        box = this.#partial.subarray(0, boxLen);
        this.#partialFill = 0;
      }

      if (this.#lengthInvalid) {
        throw new Obfs4FramingError(ERR_OBFS4_BAD_FRAME_LENGTH, "obfs4 frame length out of range", k.frames);
      }
      const plainLen = boxLen - SECRETBOX_OVERHEAD;
      if (!(outOff >= 0 && outOff + plainLen <= out.length)) {
        throw new RangeError(`frame plaintext of ${plainLen} bytes does not fit the output at ${outOff}`);
      }
      if (!k.backend.secretboxOpenInto(out.subarray(outOff, outOff + plainLen), box, k.nonce, k.key)) {
        throw new Obfs4FramingError(ERR_OBFS4_TAG_MISMATCH, "obfs4 frame failed authentication", k.frames);
      }
      this.#boxLen = -1;
      k.advance();
      outOff = onFrame(out, outOff, plainLen);
    }
  }
}

/**
 * Receives one opened frame: `length` plaintext bytes at `out[offset..]`.
 * Returns the offset in `out` where the next frame's plaintext goes.
 */
export type FrameSink = (out: Uint8Array, offset: number, length: number) => number;

/**
 * `bytes` as a plain Uint8Array view of the same memory. On a subclass (Node
 * hands in Buffers) every per-frame subarray() goes through the subclass's
 * species constructor, about 1.5x the cost of the built-in one; converting
 * once per chunk avoids that. Views passed to callbacks are of this kind.
 */
export function plainView(bytes: Uint8Array): Uint8Array {
  return Object.getPrototypeOf(bytes) === Uint8Array.prototype
    ? bytes
    : new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}
