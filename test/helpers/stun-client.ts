/**
 * The minimal STUN/TURN client the UDP tests need (RFC 5389 §6, §15; RFC 5766
 * §6, §11, §14): build requests with long-term credentials and
 * MESSAGE-INTEGRITY, parse responses, decode XOR addresses, and frame
 * ChannelData. Test code only; the relay under test never parses attributes.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { md5, sha1 } from "@noble/hashes/legacy.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { concatBytes, readU16BE, readU32BE, utf8Encode, writeU16BE } from "../../src/shared/bytes/bytes.js";
import { STUN_MAGIC_COOKIE } from "../../src/shared/codec/stun/index.js";

export const StunMethod = { BINDING: 0x001, ALLOCATE: 0x003, CREATE_PERMISSION: 0x008, CHANNEL_BIND: 0x009 } as const;
export const StunClassBits = { request: 0x0000, indication: 0x0010, success: 0x0100, error: 0x0110 } as const;
export const Attr = {
  MAPPED_ADDRESS: 0x0001,
  USERNAME: 0x0006,
  MESSAGE_INTEGRITY: 0x0008,
  ERROR_CODE: 0x0009,
  CHANNEL_NUMBER: 0x000c,
  LIFETIME: 0x000d,
  XOR_PEER_ADDRESS: 0x0012,
  REALM: 0x0014,
  NONCE: 0x0015,
  XOR_RELAYED_ADDRESS: 0x0016,
  REQUESTED_TRANSPORT: 0x0019,
  XOR_MAPPED_ADDRESS: 0x0020,
} as const;

/** Message type from method and class (RFC 5389 §6: the class bits sit at positions 4 and 8). */
export function messageType(method: number, cls: keyof typeof StunClassBits): number {
  const m = ((method & 0xf80) << 2) | ((method & 0x070) << 1) | (method & 0x00f);
  return m | StunClassBits[cls];
}

export interface StunAttr {
  readonly type: number;
  readonly value: Uint8Array;
}

export interface ParsedStun {
  readonly type: number;
  readonly transactionId: Uint8Array;
  readonly attrs: readonly StunAttr[];
}

export function newTransactionId(): Uint8Array {
  return randomBytes(12);
}

function attrBytes(a: StunAttr): Uint8Array {
  const out = new Uint8Array(4 + ((a.value.length + 3) & ~3));
  writeU16BE(out, 0, a.type);
  writeU16BE(out, 2, a.value.length);
  out.set(a.value, 4);
  return out;
}

/** RFC 5389 §15.4 long-term key: MD5(username ":" realm ":" password). */
export function longTermKey(username: string, realm: string, password: string): Uint8Array {
  return md5(utf8Encode(`${username}:${realm}:${password}`));
}

/** Encodes a message; with `integrityKey`, appends MESSAGE-INTEGRITY (HMAC-SHA1 over the message so far, §15.4). */
export function encodeStun(
  type: number,
  transactionId: Uint8Array,
  attrs: readonly StunAttr[],
  integrityKey?: Uint8Array,
): Uint8Array {
  const body = concatBytes(...attrs.map(attrBytes));
  const header = new Uint8Array(20);
  writeU16BE(header, 0, type);
  new DataView(header.buffer).setUint32(4, STUN_MAGIC_COOKIE);
  header.set(transactionId, 8);
  if (integrityKey === undefined) {
    writeU16BE(header, 2, body.length);
    return concatBytes(header, body);
  }
  // The length covers the MESSAGE-INTEGRITY attribute (24 bytes) while the HMAC is computed.
  writeU16BE(header, 2, body.length + 24);
  const mac = hmac(sha1, integrityKey, concatBytes(header, body));
  return concatBytes(header, body, attrBytes({ type: Attr.MESSAGE_INTEGRITY, value: mac }));
}

export function parseStun(bytes: Uint8Array): ParsedStun {
  if (bytes.length < 20) throw new Error(`short STUN message (${bytes.length} bytes)`);
  const length = readU16BE(bytes, 2);
  if (readU32BE(bytes, 4) !== STUN_MAGIC_COOKIE) throw new Error("bad magic cookie");
  if (bytes.length !== 20 + length) throw new Error(`STUN length ${length} but ${bytes.length - 20} body bytes`);
  const attrs: StunAttr[] = [];
  for (let off = 20; off < bytes.length;) {
    const type = readU16BE(bytes, off);
    const len = readU16BE(bytes, off + 2);
    attrs.push({ type, value: bytes.slice(off + 4, off + 4 + len) });
    off += 4 + ((len + 3) & ~3);
  }
  return { type: readU16BE(bytes, 0), transactionId: bytes.slice(8, 20), attrs };
}

export function attr(msg: ParsedStun, type: number): Uint8Array | undefined {
  return msg.attrs.find((a) => a.type === type)?.value;
}

export function textAttr(msg: ParsedStun, type: number): string | undefined {
  const v = attr(msg, type);
  return v === undefined ? undefined : new TextDecoder().decode(v);
}

/** ERROR-CODE (RFC 5389 §15.6): class * 100 + number. */
export function errorCode(msg: ParsedStun): number | undefined {
  const v = attr(msg, Attr.ERROR_CODE);
  return v === undefined ? undefined : (v[2]! & 0x7) * 100 + v[3]!;
}

/** XOR-MAPPED-ADDRESS style attribute, IPv4 only (RFC 5389 §15.2). */
export function xorAddress(value: Uint8Array): { address: string; port: number } {
  if (value[1] !== 0x01) throw new Error("only IPv4 XOR addresses are decoded here");
  const port = readU16BE(value, 2) ^ (STUN_MAGIC_COOKIE >>> 16);
  const a = readU32BE(value, 4) ^ STUN_MAGIC_COOKIE;
  return { address: [a >>> 24, (a >>> 16) & 0xff, (a >>> 8) & 0xff, a & 0xff].join("."), port };
}

export function encodeXorAddress(address: string, port: number): Uint8Array {
  const out = new Uint8Array(8);
  const dv = new DataView(out.buffer);
  out[1] = 0x01;
  dv.setUint16(2, port ^ (STUN_MAGIC_COOKIE >>> 16));
  const parts = address.split(".").map(Number);
  const a = ((parts[0]! << 24) | (parts[1]! << 16) | (parts[2]! << 8) | parts[3]!) >>> 0;
  dv.setUint32(4, (a ^ STUN_MAGIC_COOKIE) >>> 0);
  return out;
}

export const u32 = (n: number): Uint8Array => {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n);
  return out;
};

export const text = (s: string): Uint8Array => utf8Encode(s);

/** RFC 5766 §11.4 ChannelData over UDP (no padding). */
export function channelData(channel: number, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + data.length);
  writeU16BE(out, 0, channel);
  writeU16BE(out, 2, data.length);
  out.set(data, 4);
  return out;
}
