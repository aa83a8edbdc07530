import { readU16BE, readU32BE } from "../../bytes/bytes.js";
import { LimitError, ProtocolError } from "../../errors.js";
import { MAX_UDP_DATAGRAM } from "../framing/udp-frame.js";

/**
 * STUN message recognition for the STUN-aware UDP mode (PT 2.0, seed 000
 * §3.3.5.4-5: "STUN packets can simply be concatenated without additional
 * external framing"; "The STUN length data is retrieved from the STUN packet
 * headers").
 *
 * RFC 5389 §6 header, 20 bytes:
 *
 *     0b00 | message type (14 bits) | message length (16 bits, excludes the
 *     header, a multiple of 4) | magic cookie 0x2112A442 | transaction ID (96 bits)
 *
 * TURN ChannelData (RFC 5766 §11.4): channel number (16 bits, 0x4000-0x7FFF,
 * so the first two bits are 0b01) | length (16 bits, application data only)
 * | data | padding to a multiple of 4 over TCP (§11.5; optional over UDP).
 *
 * Decision: STUN-aware mode passes ChannelData by default. The seed says
 * "STUN packets", but its stated goal is relaying to existing public TURN
 * servers, and TURN clients (libwebrtc among them) move their media as
 * ChannelData once a channel is bound (RFC 5766 §11), so a STUN-only mode
 * would break TURN after ChannelBind. ChannelData is self-delimiting in a
 * stream (RFC 5766 §11.5 defines its TCP padding), and the first two bits
 * tell it from STUN (RFC 7983 §7). It crosses the stream padded and leaves
 * the far end unpadded (both valid over UDP). `channelData: false` restores
 * a strict STUN-only mode.
 */

export const STUN_HEADER_LENGTH = 20;
export const STUN_MAGIC_COOKIE = 0x2112a442;
export const STUN_TRANSACTION_ID_LENGTH = 12;
export const CHANNEL_DATA_HEADER_LENGTH = 4;
/** RFC 5766 §11: channel numbers 0x4000 through 0x7FFF (top bits 0b01). */
export const MIN_CHANNEL_NUMBER = 0x4000;
export const MAX_CHANNEL_NUMBER = 0x7fff;
/**
 * Largest STUN or ChannelData message (header included, ChannelData padding
 * excluded): what one UDP datagram can carry, so every message the stream
 * decoder emits can be sent as one datagram. Longer is a LimitError.
 */
export const MAX_STUN_MESSAGE = MAX_UDP_DATAGRAM;

export const StunErrorCode = {
  /** First two bits neither 0b00 (STUN) nor, when allowed, 0b01 (ChannelData). */
  BAD_PREFIX: "ERR_STUN_BAD_PREFIX",
  BAD_MAGIC_COOKIE: "ERR_STUN_BAD_MAGIC_COOKIE",
  /** Message length not a multiple of 4 (RFC 5389 §6). */
  BAD_LENGTH: "ERR_STUN_BAD_LENGTH",
  /** A datagram shorter than its header says. */
  TRUNCATED: "ERR_STUN_TRUNCATED",
  /** A datagram longer than its header (plus ChannelData padding) says. */
  TRAILING_BYTES: "ERR_STUN_TRAILING_BYTES",
  TOO_LARGE: "ERR_STUN_TOO_LARGE",
} as const;

/** Bytes that are not the STUN (or ChannelData) message they claim to be. */
export class StunError extends ProtocolError {
  override name = "StunError";
}

export type StunClass = "request" | "indication" | "success-response" | "error-response";
const CLASSES: readonly StunClass[] = ["request", "indication", "success-response", "error-response"];

export interface StunHeader {
  /** The 14-bit message type as sent. */
  readonly type: number;
  /** The 12-bit method (RFC 5389 §6: M0-M11 interleaved with the class bits); 0x001 is Binding. */
  readonly method: number;
  readonly class: StunClass;
  /** Message length: the bytes after the 20-byte header. */
  readonly length: number;
  readonly transactionId: Uint8Array;
}

export interface ChannelDataHeader {
  readonly channel: number;
  /** Application data length, padding excluded. */
  readonly length: number;
}

export type StunMessageKind = "stun" | "channel-data";

/** Demultiplexes on the first two bits (RFC 7983 §7): 0b00 STUN, 0b01 ChannelData, else neither. */
export function stunMessageKind(firstByte: number): StunMessageKind | undefined {
  const top = firstByte >> 6;
  if (top === 0) return "stun";
  if (top === 1) return "channel-data";
  return undefined;
}

/**
 * Parses and checks the 20-byte STUN header at the start of `bytes` (RFC 5389
 * §6): zero top bits, magic cookie, length a multiple of 4. Checks run in
 * field order, so a stream decoder fails the same way however input is split.
 * Does not check that the body is present.
 */
export function parseStunHeader(bytes: Uint8Array): StunHeader {
  if (bytes.length < STUN_HEADER_LENGTH) {
    throw new StunError(StunErrorCode.TRUNCATED, `a STUN header is 20 bytes, got ${bytes.length}`);
  }
  checkStunPrefix(bytes[0]!);
  const length = readU16BE(bytes, 2);
  checkStunLength(length);
  checkMagicCookie(readU32BE(bytes, 4));
  const type = readU16BE(bytes, 0);
  const method = (type & 0x000f) | ((type & 0x00e0) >> 1) | ((type & 0x3e00) >> 2);
  const cls = ((type >> 4) & 1) | ((type >> 7) & 2);
  return { type, method, class: CLASSES[cls]!, length, transactionId: bytes.slice(8, STUN_HEADER_LENGTH) };
}

/** Parses the 4-byte ChannelData header at the start of `bytes` (RFC 5766 §11.4). */
export function parseChannelDataHeader(bytes: Uint8Array): ChannelDataHeader {
  if (bytes.length < CHANNEL_DATA_HEADER_LENGTH) {
    throw new StunError(StunErrorCode.TRUNCATED, `a ChannelData header is 4 bytes, got ${bytes.length}`);
  }
  const channel = readU16BE(bytes, 0);
  if (channel < MIN_CHANNEL_NUMBER || channel > MAX_CHANNEL_NUMBER) {
    throw new StunError(StunErrorCode.BAD_PREFIX, `0x${channel.toString(16)} is not a TURN channel number`);
  }
  return { channel, length: readU16BE(bytes, 2) };
}

/** Size of a ChannelData message in a stream: header + data rounded up to 4 (RFC 5766 §11.5). */
export function paddedChannelDataLength(dataLength: number): number {
  return CHANNEL_DATA_HEADER_LENGTH + ((dataLength + 3) & ~3);
}

export function checkStunPrefix(firstByte: number): void {
  if (firstByte >> 6 !== 0) {
    throw new StunError(
      StunErrorCode.BAD_PREFIX,
      `first two bits of a STUN message must be 0 (byte 0x${hex2(firstByte)})`,
    );
  }
}

export function checkStunLength(length: number): void {
  if (length % 4 !== 0) {
    throw new StunError(StunErrorCode.BAD_LENGTH, `STUN message length ${length} is not a multiple of 4`);
  }
}

export function checkMagicCookie(cookie: number): void {
  if (cookie !== STUN_MAGIC_COOKIE) {
    throw new StunError(
      StunErrorCode.BAD_MAGIC_COOKIE,
      `STUN magic cookie is 0x${cookie.toString(16).padStart(8, "0")}, expected 0x2112a442`,
    );
  }
}

export function tooLarge(size: number, max: number): LimitError {
  return new LimitError(StunErrorCode.TOO_LARGE, `a ${size}-byte STUN/ChannelData message exceeds ${max}`, max);
}

function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}

export interface StunFramingOptions {
  /** Pass TURN ChannelData as well as STUN (default true; see the module comment). */
  readonly channelData?: boolean;
  /** Largest message, header included (default and maximum MAX_STUN_MESSAGE). */
  readonly maxMessage?: number;
}

export function resolveStunOptions(options: StunFramingOptions): { channelData: boolean; maxMessage: number } {
  const maxMessage = options.maxMessage ?? MAX_STUN_MESSAGE;
  if (!Number.isInteger(maxMessage) || maxMessage < STUN_HEADER_LENGTH || maxMessage > MAX_STUN_MESSAGE) {
    throw new RangeError(
      `maxMessage must be an integer in ${STUN_HEADER_LENGTH}..${MAX_STUN_MESSAGE}, got ${maxMessage}`,
    );
  }
  return { channelData: options.channelData ?? true, maxMessage };
}

/**
 * Checks that a datagram is exactly one STUN message (or, when allowed, one
 * ChannelData message with at most its padding) and returns its kind; throws
 * StunError / LimitError otherwise. The UDP client calls this (through
 * encodeStunFrame) on every packet and drops the ones that fail: once an
 * invalid message is in the stream, the far end cannot find the next one.
 */
export function checkStunDatagram(datagram: Uint8Array, options: StunFramingOptions = {}): StunMessageKind {
  if (!(datagram instanceof Uint8Array)) throw new TypeError("a STUN datagram must be a Uint8Array");
  const { channelData, maxMessage } = resolveStunOptions(options);
  const kind = datagram.length === 0 ? undefined : stunMessageKind(datagram[0]!);
  if (kind === "stun") {
    const header = parseStunHeader(datagram);
    const size = STUN_HEADER_LENGTH + header.length;
    if (size > maxMessage) throw tooLarge(size, maxMessage);
    if (datagram.length < size) {
      throw new StunError(StunErrorCode.TRUNCATED, `STUN datagram has ${datagram.length} of ${size} bytes`);
    }
    if (datagram.length > size) {
      throw new StunError(
        StunErrorCode.TRAILING_BYTES,
        `STUN datagram has ${datagram.length - size} bytes after its message`,
      );
    }
    return kind;
  }
  if (kind === "channel-data" && channelData) {
    const header = parseChannelDataHeader(datagram);
    const size = CHANNEL_DATA_HEADER_LENGTH + header.length;
    if (size > maxMessage) throw tooLarge(size, maxMessage);
    if (datagram.length < size) {
      throw new StunError(StunErrorCode.TRUNCATED, `ChannelData datagram has ${datagram.length} of ${size} bytes`);
    }
    if (datagram.length > paddedChannelDataLength(header.length)) {
      throw new StunError(StunErrorCode.TRAILING_BYTES, "ChannelData datagram is longer than its data and padding");
    }
    return kind;
  }
  const what = datagram.length === 0 ? "an empty datagram" : `first byte 0x${hex2(datagram[0]!)}`;
  throw new StunError(StunErrorCode.BAD_PREFIX, `not a STUN${channelData ? " or ChannelData" : ""} message: ${what}`);
}

/** True when `datagram` is exactly one well-formed STUN message (RFC 5389 §6 header checks). */
export function isStunMessage(datagram: Uint8Array): boolean {
  return recognise(datagram, { channelData: false }) === "stun";
}

/** True when `datagram` is exactly one TURN ChannelData message, optionally padded (RFC 5766 §11.4-5). */
export function isChannelData(datagram: Uint8Array): boolean {
  return recognise(datagram, {}) === "channel-data";
}

function recognise(datagram: Uint8Array, options: StunFramingOptions): StunMessageKind | undefined {
  try {
    return checkStunDatagram(datagram, options);
  } catch (e) {
    if (e instanceof StunError || e instanceof LimitError) return undefined;
    throw e;
  }
}

/**
 * The bytes to append to a STUN-aware stream for one datagram: a STUN
 * message as is, a ChannelData message padded to a multiple of 4 (RFC 5766
 * §11.5). Throws like checkStunDatagram for anything else (drop the packet).
 */
export function encodeStunFrame(datagram: Uint8Array, options: StunFramingOptions = {}): Uint8Array {
  const kind = checkStunDatagram(datagram, options);
  if (kind === "stun") return datagram;
  const padded = paddedChannelDataLength(readU16BE(datagram, 2));
  if (datagram.length === padded) return datagram;
  const out = new Uint8Array(padded); // zero padding
  out.set(datagram);
  return out;
}
