import type { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes, readU32BE, utf8Encode, writeU32BE } from "../../bytes/bytes.js";
import { type SocksAddress, UNSPECIFIED_ADDRESS, encodeAddress, hex2, peekAddress } from "./address.js";
import {
  JSON_PARAM_LENGTH_BYTES,
  MAX_SOCKS_FIELD_BYTES,
  RFC1929_VERSION,
  SOCKS5_VERSION,
  Socks4Reply,
  Socks5Reply,
} from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";

/**
 * The SOCKS5 (RFC 1928), RFC 1929 and 0x09 block messages: an encoder for
 * each, and a `take…` reader that removes one complete message from a
 * ByteQueue, returns undefined (consuming nothing) while it is incomplete,
 * and throws a SocksError carrying the REP byte the message earns. SOCKS4 is
 * in socks4.ts.
 */

export interface Socks5Greeting {
  readonly methods: readonly number[];
}
export interface MethodSelection {
  readonly method: number;
}
export interface UserPassRequest {
  readonly username: Uint8Array;
  readonly password: Uint8Array;
}
export interface UserPassReply {
  readonly status: number;
}
export interface Socks5Request {
  readonly command: number;
  readonly address: SocksAddress;
}
export interface Socks5ReplyMessage {
  readonly reply: number;
  readonly bound: SocksAddress;
}

/** RFC 1928 §3: VER NMETHODS METHODS (1–255 of them). */
export function encodeGreeting(methods: readonly number[]): Uint8Array {
  if (methods.length < 1 || methods.length > MAX_SOCKS_FIELD_BYTES) {
    throw new RangeError(`a greeting offers 1–255 methods, not ${methods.length}`);
  }
  return Uint8Array.of(SOCKS5_VERSION, methods.length, ...methods.map(byte));
}

/** RFC 1928 §3: VER METHOD. */
export function encodeMethodSelection(method: number): Uint8Array {
  return Uint8Array.of(SOCKS5_VERSION, byte(method));
}

/**
 * RFC 1929 §2: VER ULEN UNAME PLEN PASSWD. UNAME is 1–255 bytes. PASSWD is
 * 0–255: the RFC says 1–255, but an upstream proxy URL may carry a user name
 * alone and PLEN 0 is how clients such as curl send that. PT args never
 * need it (an empty PASSWD travels as a lone NUL).
 */
export function encodeUserPassRequest(username: Uint8Array | string, password: Uint8Array | string): Uint8Array {
  const u = typeof username === "string" ? utf8Encode(username) : username;
  const p = typeof password === "string" ? utf8Encode(password) : password;
  if (u.length < 1 || u.length > MAX_SOCKS_FIELD_BYTES) throw new RangeError("an RFC 1929 username is 1–255 bytes");
  if (p.length > MAX_SOCKS_FIELD_BYTES) throw new RangeError("an RFC 1929 password is at most 255 bytes");
  return concatBytes(Uint8Array.of(RFC1929_VERSION, u.length), u, Uint8Array.of(p.length), p);
}

/** RFC 1929 §2: VER STATUS. */
export function encodeUserPassReply(status: number): Uint8Array {
  return Uint8Array.of(RFC1929_VERSION, byte(status));
}

/** RFC 1928 §4: VER CMD RSV ATYP DST.ADDR DST.PORT. */
export function encodeSocks5Request(command: number, address: SocksAddress): Uint8Array {
  return concatBytes(Uint8Array.of(SOCKS5_VERSION, byte(command), 0), encodeAddress(address));
}

/**
 * RFC 1928 §6: VER REP RSV ATYP BND.ADDR BND.PORT. The bound address
 * defaults to 0.0.0.0:0 as goptlib sends it (tor ignores it).
 */
export function encodeSocks5Reply(reply: number, bound: SocksAddress = UNSPECIFIED_ADDRESS): Uint8Array {
  return concatBytes(Uint8Array.of(SOCKS5_VERSION, byte(reply), 0), encodeAddress(bound));
}

/** Seed 001 §1.4 without the JSON step: the 4-byte big-endian length, then the body. */
export function encodeParamBlock(body: Uint8Array): Uint8Array {
  const out = new Uint8Array(JSON_PARAM_LENGTH_BYTES + body.length);
  writeU32BE(out, 0, body.length);
  out.set(body, JSON_PARAM_LENGTH_BYTES);
  return out;
}

/** A caller's byte-valued argument, checked (a Uint8Array store would silently wrap it). */
export function byte(v: number): number {
  if (!Number.isInteger(v) || v < 0 || v > 0xff) throw new RangeError(`${v} is not a byte`);
  return v;
}

/** Fails on the first byte, before the rest of a message from the wrong protocol is awaited. */
export function checkVersion(q: ByteQueue, expected: number, what: string, socksVersion: 4 | 5 = 5): void {
  const v = q.at(0);
  if (v !== undefined && v !== expected) {
    const reply = socksVersion === 4 ? Socks4Reply.REJECTED : Socks5Reply.GENERAL_FAILURE;
    throw new SocksError(SocksErrorCode.BAD_VERSION, `${what} has version 0x${hex2(v)}, not 0x${hex2(expected)}`, {
      reply,
      socksVersion,
    });
  }
}

/** RFC 1928 §3. NMETHODS = 0 is accepted here; the server answers it with `05 FF`. */
export function takeGreeting(q: ByteQueue): Socks5Greeting | undefined {
  checkVersion(q, SOCKS5_VERSION, "the SOCKS5 greeting");
  const n = q.at(1);
  if (n === undefined || q.length < 2 + n) return undefined;
  return { methods: Array.from(q.read(2 + n).subarray(2)) };
}

export function takeMethodSelection(q: ByteQueue): MethodSelection | undefined {
  checkVersion(q, SOCKS5_VERSION, "the method selection");
  if (q.length < 2) return undefined;
  return { method: q.read(2)[1]! };
}

/** RFC 1929 §2: ULEN and PLEN of 0 are refused at once, as goptlib does. */
export function takeUserPassRequest(q: ByteQueue): UserPassRequest | undefined {
  checkVersion(q, RFC1929_VERSION, "the username/password request");
  const ulen = q.at(1);
  if (ulen === undefined) return undefined;
  if (ulen === 0) throw authFailed("an empty UNAME");
  const plen = q.at(2 + ulen);
  if (plen === undefined) return undefined;
  if (plen === 0) throw authFailed("an empty PASSWD");
  const total = 3 + ulen + plen;
  if (q.length < total) return undefined;
  const msg = q.read(total);
  return { username: msg.slice(2, 2 + ulen), password: msg.slice(3 + ulen) };
}

function authFailed(what: string): SocksError {
  return new SocksError(SocksErrorCode.AUTH_FAILED, `RFC 1929 request with ${what}`);
}

export function takeUserPassReply(q: ByteQueue): UserPassReply | undefined {
  checkVersion(q, RFC1929_VERSION, "the username/password reply");
  if (q.length < 2) return undefined;
  return { status: q.read(2)[1]! };
}

/**
 * RFC 1928 §4. The command is returned as sent (the server decides what to
 * refuse); a wrong VER or RSV earns X'01' as in goptlib, an unknown ATYP X'08'.
 */
export function takeSocks5Request(q: ByteQueue): Socks5Request | undefined {
  checkVersion(q, SOCKS5_VERSION, "the SOCKS5 request");
  const rsv = q.at(2);
  if (rsv === undefined) return undefined;
  if (rsv !== 0) {
    throw new SocksError(SocksErrorCode.BAD_RESERVED, `the SOCKS5 request has RSV 0x${hex2(rsv)}`, {
      reply: Socks5Reply.GENERAL_FAILURE,
    });
  }
  const addr = peekAddress(q, 3);
  if (addr === undefined) return undefined;
  const command = q.read(3 + addr.length)[1]!;
  return { command, address: addr.address };
}

/** RFC 1928 §6, seen from the client: anything malformed is a BAD_REPLY. */
export function takeSocks5Reply(q: ByteQueue): Socks5ReplyMessage | undefined {
  checkVersion(q, SOCKS5_VERSION, "the SOCKS5 reply");
  const rsv = q.at(2);
  if (rsv === undefined) return undefined;
  if (rsv !== 0) throw badReply(`RSV 0x${hex2(rsv)}`);
  let addr: ReturnType<typeof peekAddress>;
  try {
    addr = peekAddress(q, 3);
  } catch (cause) {
    throw badReply("an unusable bound address", cause);
  }
  if (addr === undefined) return undefined;
  const reply = q.read(3 + addr.length)[1]!;
  return { reply, bound: addr.address };
}

export function badReply(what: string, cause?: unknown, socksVersion: 4 | 5 = 5): SocksError {
  return new SocksError(SocksErrorCode.BAD_REPLY, `the SOCKS server's reply has ${what}`, { cause, socksVersion });
}

/**
 * Seed 001 §1.4: reads the length prefix and, once all of it has arrived,
 * the body. A length over `maxBytes` is an X'10' error as soon as the prefix
 * is in: the block will not be buffered.
 */
export function takeParamBlock(q: ByteQueue, maxBytes: number): Uint8Array | undefined {
  if (q.length < JSON_PARAM_LENGTH_BYTES) return undefined;
  const n = readU32BE(q.peek(JSON_PARAM_LENGTH_BYTES), 0);
  if (n > maxBytes) {
    throw new SocksError(
      SocksErrorCode.SETTINGS_TOO_LARGE,
      `a JSON parameter block of ${n} bytes is over the ${maxBytes}-byte limit`,
      { reply: Socks5Reply.SETTINGS_TOO_LARGE, limit: maxBytes },
    );
  }
  if (q.length < JSON_PARAM_LENGTH_BYTES + n) return undefined;
  q.skip(JSON_PARAM_LENGTH_BYTES);
  return q.read(n).slice();
}
