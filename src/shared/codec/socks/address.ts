import type { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes, readU16BE, utf8Decode, utf8Encode, writeU16BE } from "../../bytes/bytes.js";
import type { HostPort } from "../../net/host-port.js";
import { formatIPv4, formatIPv6, parseIPv4, parseIPv6, parseIp } from "../../net/ip.js";
import { AddressType, MAX_SOCKS_FIELD_BYTES, Socks5Reply } from "./constants.js";
import { SocksError, SocksErrorCode } from "./errors.js";

/**
 * SOCKS addresses: RFC 1928 §5 (ATYP + DST.ADDR + DST.PORT) to and from the
 * shared text forms (src/shared/net). A SOCKS domain is not a DNS name check:
 * the field carries any 1–255 bytes, so any NUL-free UTF-8 name goes.
 */

/**
 * RFC 1928 §5 DST.ADDR/BND.ADDR with its port: the shared {@link HostPort}
 * (IPv4 dotted quad, RFC 5952 IPv6 without brackets, or the UTF-8 name as sent).
 */
export type SocksAddress = HostPort;

/** Where a caller asks a SOCKS server to connect: an IP literal (IPv6 may be bracketed) or a host name. */
export interface SocksTarget {
  readonly host: string;
  readonly port: number;
}

/** The all-zero IPv4 BND.ADDR/BND.PORT goptlib sends: tor does not use the bound address. */
export const UNSPECIFIED_ADDRESS: SocksAddress = { type: "ipv4", host: "0.0.0.0", port: 0 };

/**
 * Classifies a caller's host: an IPv4 literal, an IPv6 literal (brackets
 * allowed) or a domain name of 1–255 UTF-8 bytes. Throws TypeError/RangeError
 * for what no SOCKS request can carry: these are caller errors, not peer errors.
 */
export function toSocksAddress(target: SocksTarget): SocksAddress {
  const { port } = target;
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) throw new RangeError(`port ${port} is not 0–65535`);
  let host = target.host;
  // Brackets are stripped from a name too: a caller may bracket whatever it was given.
  if (host.startsWith("[") && host.endsWith("]")) host = host.slice(1, -1);
  const ip = parseIp(host);
  if (ip !== undefined) return { type: ip.family === 4 ? "ipv4" : "ipv6", host: ip.host, port };
  if (host.includes(":")) throw new TypeError(`not an IPv6 literal: ${JSON.stringify(host)}`);
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
