import type { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes, readU16BE, utf8Encode, writeU16BE } from "../../bytes/bytes.js";
import { formatIPv4, parseIPv4 } from "../../net/ip.js";
import { type SocksAddress, UNSPECIFIED_ADDRESS, decodeHostName, hex2 } from "./address.js";
import {
  MAX_SOCKS4_USERID_BYTES,
  MAX_SOCKS_FIELD_BYTES,
  SOCKS4_REPLY_VERSION,
  SOCKS4_VERSION,
  Socks4Reply,
} from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";
import { badReply, byte, checkVersion } from "./messages.js";

/**
 * SOCKS4 and its 4a extension ("SOCKS 4A: A Simple Extension to SOCKS 4"):
 *
 *   request  VN=4 CD DSTPORT(2) DSTIP(4) USERID NUL [HOST NUL when DSTIP is 0.0.0.x, x ≠ 0]
 *   reply    VN=0 CD DSTPORT(2) DSTIP(4)
 *
 * tor-pt-spec.txt §3.5 puts the PT 1.0 `k=v;…` string in USERID. Neither
 * NUL-terminated field has a length byte, so both are capped
 * (MAX_SOCKS4_USERID_BYTES, 255 for the host) and errors carry CD 0x5B.
 */

export interface Socks4Request {
  readonly command: number;
  /** IPv4 for SOCKS4, a domain name for SOCKS4a. */
  readonly address: SocksAddress;
  readonly userId: Uint8Array;
}

export interface Socks4ReplyMessage {
  readonly reply: number;
  readonly bound: SocksAddress;
}

/** The fixed part: VN CD DSTPORT DSTIP. */
const HEADER = 8;
/** The 4a marker address 0.0.0.1: "an invalid IP address" whose last byte is non-zero. */
const SOCKS4A_MARKER = Uint8Array.of(0, 0, 0, 1);

/** Encodes a request; a domain target makes it SOCKS4a. IPv6 cannot be expressed (TypeError). */
export function encodeSocks4Request(
  command: number,
  address: SocksAddress,
  userId: Uint8Array = new Uint8Array(0),
): Uint8Array {
  if (userId.includes(0)) throw new TypeError("a SOCKS4 USERID cannot contain NUL");
  if (userId.length > MAX_SOCKS4_USERID_BYTES) {
    throw new RangeError(`a SOCKS4 USERID of ${userId.length} bytes is over ${MAX_SOCKS4_USERID_BYTES}`);
  }
  const head = new Uint8Array(HEADER);
  head[0] = SOCKS4_VERSION;
  head[1] = byte(command);
  writeU16BE(head, 2, address.port);
  if (address.type === "ipv4") {
    head.set(parseIPv4(address.host) ?? fail(address), 4);
    return concatBytes(head, userId, Uint8Array.of(0));
  }
  if (address.type === "ipv6") throw new TypeError("SOCKS4 cannot carry an IPv6 address");
  const name = utf8Encode(address.host);
  if (name.length === 0 || name.length > MAX_SOCKS_FIELD_BYTES || name.includes(0)) {
    throw new RangeError("a SOCKS4a host name is 1–255 bytes without NUL");
  }
  head.set(SOCKS4A_MARKER, 4);
  return concatBytes(head, userId, Uint8Array.of(0), name, Uint8Array.of(0));
}

function fail(address: SocksAddress): never {
  throw new TypeError(`not an IPv4 literal: ${JSON.stringify(address.host)}`);
}

/** Encodes a reply. The bound address goes in only if it is IPv4; otherwise zeros, as goptlib does. */
export function encodeSocks4Reply(reply: number, bound: SocksAddress = UNSPECIFIED_ADDRESS): Uint8Array {
  const out = new Uint8Array(HEADER);
  out[0] = SOCKS4_REPLY_VERSION;
  out[1] = byte(reply);
  writeU16BE(out, 2, bound.port);
  if (bound.type === "ipv4") out.set(parseIPv4(bound.host) ?? fail(bound), 4);
  return out;
}

function rejected(code: SocksErrorCode, message: string, extra: { limit?: number; cause?: unknown } = {}): SocksError {
  return new SocksError(code, message, { ...extra, reply: Socks4Reply.REJECTED, socksVersion: 4 });
}

/**
 * Reads a NUL-terminated field starting at `from`: its length, or undefined
 * while the NUL has not arrived, failing as soon as more than `max` bytes
 * have come without one.
 */
function fieldLength(q: ByteQueue, from: number, max: number, what: string): number | undefined {
  const nul = q.indexOf(0, from);
  const n = nul === -1 ? q.length - from : nul - from;
  if (n > max)
    throw rejected(SocksErrorCode.REQUEST_TOO_LARGE, `the SOCKS4 ${what} is over ${max} bytes`, { limit: max });
  return nul === -1 ? undefined : n;
}

/** Removes one SOCKS4/4a request from `q` (see the header comment). The command is returned as sent. */
export function takeSocks4Request(q: ByteQueue): Socks4Request | undefined {
  checkVersion(q, SOCKS4_VERSION, "the SOCKS4 request", 4);
  if (q.length < HEADER) return undefined;
  const userLen = fieldLength(q, HEADER, MAX_SOCKS4_USERID_BYTES, "USERID");
  if (userLen === undefined) return undefined;
  const head = q.peek(HEADER);
  const port = readU16BE(head, 2);
  const is4a = head[4] === 0 && head[5] === 0 && head[6] === 0 && head[7] !== 0;
  if (!is4a) {
    const msg = q.read(HEADER + userLen + 1);
    const address: SocksAddress = { type: "ipv4", host: formatIPv4(msg.subarray(4, 8)), port };
    return { command: msg[1]!, address, userId: msg.slice(HEADER, HEADER + userLen) };
  }
  const hostStart = HEADER + userLen + 1;
  const hostLen = fieldLength(q, hostStart, MAX_SOCKS_FIELD_BYTES, "host name");
  if (hostLen === undefined) return undefined;
  const msg = q.read(hostStart + hostLen + 1);
  let host: string;
  try {
    host = decodeHostName(msg.subarray(hostStart, hostStart + hostLen));
  } catch (cause) {
    throw rejected(SocksErrorCode.BAD_ADDRESS, "the SOCKS4a request has an empty or non-UTF-8 host name", { cause });
  }
  return { command: msg[1]!, address: { type: "domain", host, port }, userId: msg.slice(HEADER, HEADER + userLen) };
}

/** Removes one 8-byte SOCKS4 reply: VN must be 0 and CD one of 0x5A–0x5D. */
export function takeSocks4Reply(q: ByteQueue): Socks4ReplyMessage | undefined {
  const vn = q.at(0);
  if (vn !== undefined && vn !== SOCKS4_REPLY_VERSION) throw badReply(`VN 0x${hex2(vn)}`, undefined, 4);
  if (q.length < HEADER) return undefined;
  const msg = q.read(HEADER);
  const reply = msg[1]!;
  if (reply < Socks4Reply.GRANTED || reply > Socks4Reply.IDENTD_MISMATCH) {
    throw badReply(`CD 0x${hex2(reply)}`, undefined, 4);
  }
  return { reply, bound: { type: "ipv4", host: formatIPv4(msg.subarray(4, 8)), port: readU16BE(msg, 2) } };
}
