/**
 * obfs4 packets inside frames (obfs4-spec.txt §5; obfs4proxy
 * transports/obfs4/packet.go):
 *
 *   uint8  type      0 = payload, 1 = PRNG seed, others ignored
 *   uint16 length    payload length, big-endian
 *   payload, then zero padding up to the end of the frame
 *
 * `createFramers` splits the 144 bytes of session key material the ntor KDF
 * yields: obfs4proxy's client encodes with bytes 0..71 and decodes with
 * 72..143 (`NewEncoder(okm[:KeyLength])`, `NewDecoder(okm[KeyLength:])`);
 * the server the other way round. (The spec's table labels bytes 0..71
 * "Server to Client"; the code, which is what interoperates, uses them for
 * client-to-server.)
 */
import type { StreamDecoder } from "../decoder.js";
import { UnexpectedEOFError } from "../../errors.js";
import { DRBG_SEED_LENGTH } from "./drbg.js";
import {
  ERR_OBFS4_BAD_PACKET_LENGTH,
  ERR_OBFS4_BAD_PAYLOAD_LENGTH,
  Obfs4FramingError,
  FRAME_OVERHEAD,
  FRAMING_KEY_LENGTH,
  FrameDecoder,
  FrameEncoder,
  MAX_FRAME_PAYLOAD,
  plainView,
  type FrameSink,
  type FramingOptions,
} from "./framing.js";

/** Packet header: type (1) + payload length (2) (packet.go `packetOverhead`). */
export const PACKET_OVERHEAD = 3;
/** Most payload one packet carries, 1427 (packet.go `maxPacketPayloadLength`). */
export const MAX_PACKET_PAYLOAD = MAX_FRAME_PAYLOAD - PACKET_OVERHEAD;
/** Most padding one packet carries (packet.go `maxPacketPaddingLength`). */
export const MAX_PACKET_PADDING = MAX_PACKET_PAYLOAD;
/** Wire bytes of a packet with nothing in it: frame overhead + header, 21 (obfs4.go `headerLength`). */
export const PACKET_FRAME_OVERHEAD = FRAME_OVERHEAD + PACKET_OVERHEAD;
/** packet.go `packetTypePayload`. */
export const PACKET_TYPE_PAYLOAD = 0;
/** packet.go `packetTypePrngSeed`. */
export const PACKET_TYPE_PRNG_SEED = 1;
/** A PRNG-seed packet's payload: one DRBG seed (packet.go `seedPacketPayloadLength`). */
export const PRNG_SEED_LENGTH = DRBG_SEED_LENGTH;
/** An unpadded PRNG-seed frame, 45 bytes (spec §4 `InlineSeedFrameLength`). */
export const INLINE_SEED_FRAME_LENGTH = PACKET_FRAME_OVERHEAD + PRNG_SEED_LENGTH;
/** The ntor KDF output both framers are cut from (obfs4.go `framing.KeyLength * 2`). */
export const SESSION_KEY_MATERIAL_LENGTH = 2 * FRAMING_KEY_LENGTH;

/** What the decoder yields, in stream order. Consecutive payload packets of one push are merged. */
export type Obfs4Packet =
  { readonly type: "payload"; readonly data: Uint8Array } | { readonly type: "prng-seed"; readonly seed: Uint8Array };

export type Obfs4Role = "client" | "server";

function checkPadLen(padLen: number): void {
  if (!Number.isInteger(padLen) || padLen < 0 || padLen > MAX_PACKET_PADDING) {
    throw new RangeError(`padding must be 0..${MAX_PACKET_PADDING} bytes, got ${padLen}`);
  }
}

/** Wire bytes `encode(payload, padLen)` produces for a payload of `payloadLength` bytes. */
export function encodedLength(payloadLength: number, padLen = 0): number {
  checkPadLen(padLen);
  const full = Math.floor(payloadLength / MAX_PACKET_PAYLOAD);
  const rest = payloadLength - full * MAX_PACKET_PAYLOAD;
  let n = full * (PACKET_FRAME_OVERHEAD + MAX_PACKET_PAYLOAD);
  if (rest > 0) {
    n += PACKET_FRAME_OVERHEAD + rest;
    if (padLen > 0) n += rest + padLen <= MAX_PACKET_PAYLOAD ? padLen : PACKET_FRAME_OVERHEAD + padLen;
  } else if (padLen > 0) {
    n += PACKET_FRAME_OVERHEAD + padLen;
  }
  return n;
}

/** Builds packets and seals them (obfs4proxy `makePacket` and `Write`'s chopping loop). */
export class Obfs4Encoder {
  readonly #frames: FrameEncoder;

  constructor(keyMaterial: Uint8Array, options: FramingOptions = {}) {
    this.#frames = new FrameEncoder(keyMaterial, options);
  }

  get framesEncoded(): bigint {
    return this.#frames.framesEncoded;
  }

  /**
   * Writes one packet's frame at `out[off..]`; returns the offset past it.
   * `data` is copied in; the padding bytes are zeroed (as obfs4proxy's).
   */
  writePacket(out: Uint8Array, off: number, type: number, data: Uint8Array, padLen = 0): number {
    if (!Number.isInteger(type) || type < 0 || type > 0xff) throw new RangeError(`packet type must be a byte: ${type}`);
    checkPadLen(padLen);
    const n = data.length;
    if (n + padLen > MAX_PACKET_PAYLOAD) {
      throw new RangeError(`packet data + padding must be <= ${MAX_PACKET_PAYLOAD} bytes, got ${n} + ${padLen}`);
    }
    const p = off + FRAME_OVERHEAD;
    if (off < 0 || p + PACKET_OVERHEAD + n + padLen > out.length) throw new RangeError("packet does not fit");
    out[p] = type;
    out[p + 1] = n >>> 8;
    out[p + 2] = n & 0xff;
    out.set(data, p + PACKET_OVERHEAD);
    if (padLen > 0) out.fill(0, p + PACKET_OVERHEAD + n, p + PACKET_OVERHEAD + n + padLen);
    return this.#frames.sealInPlace(out, off, PACKET_OVERHEAD + n + padLen);
  }

  /** An output buffer from the backend's allocator (contents unspecified: write all of it). */
  allocate(length: number): Uint8Array {
    return this.#frames.allocate(length);
  }

  /** One packet as its own frame. */
  encodePacket(type: number, data: Uint8Array, padLen = 0): Uint8Array {
    const out = this.allocate(PACKET_FRAME_OVERHEAD + data.length + padLen);
    this.writePacket(out, 0, type, data, padLen);
    return out;
  }

  /**
   * The server's first frame after its handshake response: its length
   * distribution seed, unpadded (obfs4.go `serverHandshake`; the spec's
   * 45-byte `InlineSeedFrameLength` counts on it being unpadded).
   */
  encodePrngSeedPacket(seed: Uint8Array): Uint8Array {
    if (seed.length !== PRNG_SEED_LENGTH) throw new RangeError(`PRNG seed must be ${PRNG_SEED_LENGTH} bytes`);
    return this.encodePacket(PACKET_TYPE_PRNG_SEED, seed, 0);
  }

  /**
   * Payload packets for `payload`, chopped into MAX_PACKET_PAYLOAD pieces as
   * obfs4proxy's Write does, with `padLen` bytes of padding in the last
   * packet when they fit there, else in one more payload-less packet.
   * An empty payload with padLen 0 encodes to nothing.
   */
  encode(payload: Uint8Array, padLen = 0): Uint8Array {
    const out = this.allocate(encodedLength(payload.length, padLen));
    this.encodeInto(out, 0, payload, padLen);
    return out;
  }

  /** encode() into `out[off..]` (which must hold encodedLength bytes); returns the end offset. */
  encodeInto(out: Uint8Array, off: number, payload: Uint8Array, padLen = 0): number {
    checkPadLen(padLen);
    // Plain views: the per-frame subarray() calls below are cheaper on them than on Buffers.
    out = plainView(out);
    payload = plainView(payload);
    const total = payload.length;
    let pos = 0;
    while (pos < total) {
      const n = Math.min(MAX_PACKET_PAYLOAD, total - pos);
      const last = pos + n === total;
      const pad = last && n + padLen <= MAX_PACKET_PAYLOAD ? padLen : 0;
      off = this.writePacket(out, off, PACKET_TYPE_PAYLOAD, payload.subarray(pos, pos + n), pad);
      if (last && pad === padLen) return off;
      pos += n;
    }
    return padLen > 0 ? this.writePacket(out, off, PACKET_TYPE_PAYLOAD, EMPTY, padLen) : off;
  }

  /** Payload-less packets with these padding lengths (e.g. a padding plan from iat.ts). */
  encodePadding(padLens: readonly number[]): Uint8Array {
    let total = 0;
    for (const p of padLens) {
      checkPadLen(p);
      total += PACKET_FRAME_OVERHEAD + p;
    }
    const out = this.allocate(total);
    let off = 0;
    for (const p of padLens) off = this.writePacket(out, off, PACKET_TYPE_PAYLOAD, EMPTY, p);
    return out;
  }
}

const EMPTY = new Uint8Array(0);

/**
 * Authenticates frames and parses their packets (obfs4proxy
 * `readPackets`). A StreamDecoder: any split of the stream decodes the same;
 * the first error (tag mismatch, bad lengths) poisons it and the connection
 * must be closed. Unknown packet types and PRNG-seed packets whose payload is
 * not 24 bytes are ignored, as obfs4proxy does.
 *
 * Copying: each push opens its frames straight into one new output buffer,
 * so consecutive payloads end up back to back without a copy. Frame k's
 * plaintext (header, payload, padding) is opened PACKET_OVERHEAD bytes
 * before the end of the payload so far; the three payload bytes its header
 * lands on are saved first and put back once the header is read. The
 * buffer starts with PACKET_OVERHEAD bytes of headroom so the first frame
 * has somewhere to put its header, and it needs at most the push's input
 * size beyond that: every frame's plaintext is shorter than its wire form.
 */
export class Obfs4Decoder implements StreamDecoder<Obfs4Packet> {
  readonly #frames: FrameDecoder;
  #out: Obfs4Packet[] = [];
  /** End of the payload so far in the push's output buffer (starts at the headroom). */
  #accEnd = PACKET_OVERHEAD;
  /** Start of the payload not yet handed out. */
  #segStart = PACKET_OVERHEAD;
  #eof: UnexpectedEOFError | undefined = undefined;
  /** The payload bytes the next frame's header is opened over, restored once it is read. */
  #saved0 = 0;
  #saved1 = 0;
  #saved2 = 0;
  readonly #onFrame: FrameSink = (out, offset, length) => this.#packet(out, offset, length);

  constructor(keyMaterial: Uint8Array, options: FramingOptions = {}) {
    this.#frames = new FrameDecoder(keyMaterial, options);
  }

  get framesDecoded(): bigint {
    return this.#frames.framesDecoded;
  }

  /** Bytes of a partial frame held (bounded by MAX_FRAME_DECODER_BUFFER). */
  get bufferedBytes(): number {
    return this.#frames.bufferedBytes;
  }

  push(chunk: Uint8Array): Obfs4Packet[] {
    if (this.#eof !== undefined) throw this.#eof;
    const out: Obfs4Packet[] = (this.#out = []);
    // No frame completes unless the held bytes and the chunk hold a whole one.
    const bound = this.#frames.bufferedBytes + chunk.length;
    if (bound < FRAME_OVERHEAD) {
      this.#frames.decodeInto(chunk, EMPTY, 0, this.#onFrame);
      return out;
    }
    // Every byte of it handed out is written by a frame's open first, so it need not be zeroed.
    const acc = plainView(this.#frames.allocate(PACKET_OVERHEAD + bound));
    this.#accEnd = this.#segStart = PACKET_OVERHEAD;
    try {
      this.#frames.decodeInto(chunk, acc, this.#next(acc), this.#onFrame);
    } finally {
      this.#out = [];
    }
    this.#flushPayload(acc, out);
    return out;
  }

  /** Ends the stream: throws UnexpectedEOFError inside a frame (and stays failed), or the poisoning error. */
  finish(): void {
    if (this.#eof !== undefined) throw this.#eof;
    const err = this.#frames.error;
    if (err !== undefined) throw err;
    const remaining = this.#frames.bufferedBytes;
    if (remaining > 0) throw (this.#eof = new UnexpectedEOFError("obfs4 frame", remaining));
  }

  /**
   * One frame's plaintext, opened at `acc[at..at + length]` (`at` is what
   * #next returned); returns where the next frame goes.
   */
  #packet(acc: Uint8Array, at: number, length: number): number {
    if (length < PACKET_OVERHEAD) {
      throw new Obfs4FramingError(
        ERR_OBFS4_BAD_PACKET_LENGTH,
        `obfs4 packet of ${length} bytes`,
        this.framesDecoded - 1n,
      );
    }
    const type = acc[at]!;
    const len = (acc[at + 1]! << 8) | acc[at + 2]!;
    // Put back the payload bytes the header was opened over.
    acc[at] = this.#saved0;
    acc[at + 1] = this.#saved1;
    acc[at + 2] = this.#saved2;
    if (len > length - PACKET_OVERHEAD) {
      throw new Obfs4FramingError(
        ERR_OBFS4_BAD_PAYLOAD_LENGTH,
        `obfs4 packet payload length ${len} exceeds its frame`,
        this.framesDecoded - 1n,
      );
    }
    if (type === PACKET_TYPE_PAYLOAD) {
      this.#accEnd += len;
    } else if (type === PACKET_TYPE_PRNG_SEED && len === PRNG_SEED_LENGTH) {
      const seed = acc.slice(at + PACKET_OVERHEAD, at + PACKET_OVERHEAD + len);
      this.#flushPayload(acc, this.#out);
      this.#out.push({ type: "prng-seed", seed });
    }
    return this.#next(acc);
  }

  /** Where the next frame opens, saving the three bytes its header will cover. */
  #next(acc: Uint8Array): number {
    const at = this.#accEnd - PACKET_OVERHEAD;
    this.#saved0 = acc[at]!;
    this.#saved1 = acc[at + 1]!;
    this.#saved2 = acc[at + 2]!;
    return at;
  }

  #flushPayload(acc: Uint8Array, out: Obfs4Packet[]): void {
    if (this.#accEnd > this.#segStart) {
      out.push({ type: "payload", data: acc.subarray(this.#segStart, this.#accEnd) });
      this.#segStart = this.#accEnd;
    }
  }
}

/** The two framers of one side of a session. */
export interface Obfs4Framers {
  readonly encoder: Obfs4Encoder;
  readonly decoder: Obfs4Decoder;
}

/**
 * Cuts the 144-byte ntor KDF output (the handshake's `deriveSessionKeys`)
 * into this side's encoder and decoder keys.
 */
export function createFramers(keyMaterial: Uint8Array, role: Obfs4Role, options: FramingOptions = {}): Obfs4Framers {
  if (!(keyMaterial instanceof Uint8Array)) throw new TypeError("session key material must be a Uint8Array");
  if (keyMaterial.length !== SESSION_KEY_MATERIAL_LENGTH) {
    throw new RangeError(
      `session key material must be ${SESSION_KEY_MATERIAL_LENGTH} bytes, got ${keyMaterial.length}`,
    );
  }
  if (role !== "client" && role !== "server") throw new TypeError(`role must be "client" or "server": ${String(role)}`);
  const first = keyMaterial.subarray(0, FRAMING_KEY_LENGTH); // client -> server
  const second = keyMaterial.subarray(FRAMING_KEY_LENGTH); // server -> client
  return role === "client"
    ? { encoder: new Obfs4Encoder(first, options), decoder: new Obfs4Decoder(second, options) }
    : { encoder: new Obfs4Encoder(second, options), decoder: new Obfs4Decoder(first, options) };
}
