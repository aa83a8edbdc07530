import type { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes, readU16BE, utf8Decode, utf8Encode, writeU16BE } from "../../bytes/bytes.js";
import { AddressType, MAX_SOCKS_FIELD_BYTES, Socks5Reply } from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";

/**
 * SOCKS addresses: RFC 1928 §5 (ATYP + DST.ADDR + DST.PORT) and the text
 * forms the rest of the project passes around. IPv4 is dotted-quad, IPv6 is
 * RFC 5952 canonical text without brackets, a domain is the UTF-8 name as sent.
 */

export type SocksAddressType = "ipv4" | "ipv6" | "domain";

export interface SocksAddress {
  readonly type: SocksAddressType;
  readonly host: string;
  readonly port: number;
}

/** A host (IP literal, bracketed IPv6 literal or domain name) and a port, as callers write them. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/** The all-zero IPv4 BND.ADDR/BND.PORT goptlib sends: tor does not use the bound address. */
export const UNSPECIFIED_ADDRESS: SocksAddress = { type: "ipv4", host: "0.0.0.0", port: 0 };

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** The longest IPv6 text: eight 4-digit groups, or six groups and a dotted quad (45 chars). */
const MAX_IPV6_TEXT = 45;

/** Dotted-quad to 4 bytes, or undefined. Leading zeros are refused: some parsers read them as octal. */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_PART.test(part) || Number(part) > 255) return undefined;
    out[i] = Number(part);
  }
  return out;
}

/** RFC 4291 §2.2 text (full, `::`-compressed, or with a dotted-quad tail) to 16 bytes, or undefined. No zone. */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > MAX_IPV6_TEXT) return undefined;
  let body = text;
  let tail: Uint8Array | undefined;
  const lastColon = body.lastIndexOf(":");
  if (lastColon === -1) return undefined;
  if (body.includes(".", lastColon)) {
    // An embedded IPv4 address may only fill the last 32 bits (§2.2 form 3).
    tail = parseIPv4(body.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    body = `${body.slice(0, lastColon + 1)}0:0`;
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  let groups: number[];
  if (halves.length === 1) {
    const all = parseGroups(halves[0]!);
    if (all === undefined || all.length !== 8) return undefined;
    groups = all;
  } else {
    const left = parseGroups(halves[0]!);
    const right = parseGroups(halves[1]!);
    // "::" stands for one or more zero groups, so at most 7 explicit ones.
    if (left === undefined || right === undefined || left.length + right.length > 7) return undefined;
    groups = [...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right];
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => writeU16BE(out, 2 * i, g));
  if (tail !== undefined) out.set(tail, 12);
  return out;
}

function parseGroups(part: string): number[] | undefined {
  if (part === "") return [];
  const out: number[] = [];
  for (const g of part.split(":")) {
    if (!IPV6_GROUP.test(g)) return undefined;
    out.push(parseInt(g, 16));
  }
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * RFC 5952 §4 canonical text: lower-case hex without leading zeros, the
 * longest run (first on a tie) of two or more zero groups as `::`; §5 mixed
 * notation for IPv4-mapped addresses (`::ffff:192.0.2.1`).
 */
export function formatIPv6(b: Uint8Array): string {
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(readU16BE(b, i));
  if (groups.slice(0, 5).every((g) => g === 0) && groups[5] === 0xffff) {
    return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  }
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (§4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) [bestStart, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (gs: number[]): string => gs.map((g) => g.toString(16)).join(":");
  if (bestStart === -1) return hex(groups);
  return `${hex(groups.slice(0, bestStart))}::${hex(groups.slice(bestStart + bestLen))}`;
}

/** `host:port`, with brackets around an IPv6 literal (the form goptlib's Target uses). */
export function formatHostPort(addr: SocksAddress): string {
  return addr.type === "ipv6" ? `[${addr.host}]:${addr.port}` : `${addr.host}:${addr.port}`;
}

/**
 * Classifies a caller's host: an IPv4 literal, an IPv6 literal (brackets
 * allowed) or a domain name of 1–255 UTF-8 bytes. Throws TypeError/RangeError
 * for what no SOCKS request can carry: these are caller errors, not peer errors.
 */
export function toSocksAddress(target: HostPort): SocksAddress {
  const { port } = target;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`port ${port} is not 0–65535`);
  let host = target.host;
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const v4 = parseIPv4(host);
  if (v4 !== undefined) return { type: "ipv4", host: formatIPv4(v4), port };
  if (host.includes(":")) {
    const v6 = parseIPv6(host);
    if (v6 === undefined) throw new TypeError(`not an IPv6 literal: ${JSON.stringify(host)}`);
    return { type: "ipv6", host: formatIPv6(v6), port };
  }
  if (/^[0-9.]+$/.test(host)) throw new TypeError(`malformed IPv4 literal: ${JSON.stringify(host)}`);
  if (host.includes("\0")) throw new TypeError("a host name cannot contain NUL");
  const n = utf8Encode(host).length;
  if (n === 0 || n > MAX_SOCKS_FIELD_BYTES) throw new RangeError(`host name of ${n} bytes is not 1–255`);
  return { type: "domain", host, port };
}

/** RFC 1928 §5: ATYP, DST.ADDR (4 bytes, 16 bytes, or a length byte and the name) and DST.PORT. */
export function encodeAddress(addr: SocksAddress): Uint8Array {
  let head: Uint8Array;
  if (addr.type === "ipv4") {
    head = concatBytes(Uint8Array.of(AddressType.IPV4), checked(parseIPv4(addr.host), addr));
  } else if (addr.type === "ipv6") {
    head = concatBytes(Uint8Array.of(AddressType.IPV6), checked(parseIPv6(addr.host), addr));
  } else {
    const name = utf8Encode(addr.host);
    if (name.length === 0 || name.length > MAX_SOCKS_FIELD_BYTES) {
      throw new RangeError(`host name of ${name.length} bytes is not 1–255`);
    }
    head = concatBytes(Uint8Array.of(AddressType.DOMAIN, name.length), name);
  }
  const out = new Uint8Array(head.length + 2);
  out.set(head);
  writeU16BE(out, head.length, addr.port);
  return out;
}

function checked(bytes: Uint8Array | undefined, addr: SocksAddress): Uint8Array {
  if (bytes === undefined) throw new TypeError(`not an ${addr.type} literal: ${JSON.stringify(addr.host)}`);
  return bytes;
}

/**
 * Reads ATYP + ADDR + PORT starting `offset` bytes into `q` without consuming
 * anything. Returns undefined until the whole field is buffered. Throws a
 * SocksError for an unknown ATYP (REP X'08') or a bad domain name (X'01').
 */
export function peekAddress(q: ByteQueue, offset: number): { address: SocksAddress; length: number } | undefined {
  const atyp = q.at(offset);
  if (atyp === undefined) return undefined;
  let addrLen: number;
  let addrStart = offset + 1;
  if (atyp === AddressType.IPV4) addrLen = 4;
  else if (atyp === AddressType.IPV6) addrLen = 16;
  else if (atyp === AddressType.DOMAIN) {
    const n = q.at(offset + 1);
    if (n === undefined) return undefined;
    if (n === 0) throw badAddress("a domain name of length 0");
    addrLen = n;
    addrStart++;
  } else {
    throw new SocksError(SocksErrorCode.ADDRESS_TYPE_NOT_SUPPORTED, `address type 0x${hex2(atyp)} is not supported`, {
      reply: Socks5Reply.ADDRESS_TYPE_NOT_SUPPORTED,
    });
  }
  const length = addrStart - offset + addrLen + 2;
  if (q.length < offset + length) return undefined;
  const field = q.peek(offset + length).subarray(offset);
  const raw = field.subarray(addrStart - offset, addrStart - offset + addrLen);
  const port = readU16BE(field, length - 2);
  if (atyp === AddressType.IPV4) return { address: { type: "ipv4", host: formatIPv4(raw), port }, length };
  if (atyp === AddressType.IPV6) return { address: { type: "ipv6", host: formatIPv6(raw), port }, length };
  return { address: { type: "domain", host: decodeHostName(raw), port }, length };
}

/** A wire host name must be UTF-8 and NUL-free: it will reach DNS APIs that stop at NUL. */
export function decodeHostName(raw: Uint8Array): string {
  if (raw.length === 0) throw badAddress("an empty host name");
  if (raw.includes(0)) throw badAddress("a host name containing NUL");
  try {
    return utf8Decode(raw);
  } catch (cause) {
    throw badAddress("a host name that is not UTF-8", cause);
  }
}

function badAddress(what: string, cause?: unknown): SocksError {
  return new SocksError(SocksErrorCode.BAD_ADDRESS, `the request carries ${what}`, {
    reply: Socks5Reply.GENERAL_FAILURE,
    cause,
  });
}

export function hex2(b: number): string {
  return b.toString(16).padStart(2, "0");
}
