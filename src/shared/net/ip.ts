/**
 * IP literals as text, the one implementation every codec uses: SOCKS
 * (RFC 1928 §5 addresses), PT IPC (bind and method addresses), ExtORPort
 * (USERADDR, tor-ext-orport-spec §3.2.1) and settings (bridge lines, URLs).
 *
 * Parsing is strict and resolver-free (the core runs in browsers): IPv4 is a
 * dotted quad without leading zeros, IPv6 is RFC 4291 §2.2 text without
 * brackets or zone. Formatting is canonical (RFC 5952), so equal addresses
 * compare equal as strings. Parsers return undefined: callers raise their own
 * coded errors.
 */
import { readU16BE, writeU16BE } from "../bytes/bytes.js";

/**
 * The longest IPv6 text: six 4-digit groups and a dotted quad
 * (`ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255`, 45 characters). Longer
 * input is refused before it is split, so hostile text costs nothing.
 */
export const MAX_IPV6_TEXT_LENGTH = 45;

export type IpFamily = 4 | 6;

/** An IP address in canonical text (IPv6 without brackets). */
export interface IpAddress {
  readonly host: string;
  readonly family: IpFamily;
}

/** Relaxations for {@link parseIp}, each off by default; they match what sockets and callers hand us. */
export interface IpLiteralOptions {
  /** Accept `[::1]`: an IPv6 literal in brackets, as a URL authority writes it. */
  readonly brackets?: boolean;
  /** With `brackets`: accept `[1.2.3.4]` too (Go's SplitHostPort does; tor and URLs do not). */
  readonly allowBracketedIPv4?: boolean;
  /** Drop an IPv6 zone (`fe80::1%eth0` → `fe80::1`, RFC 4007 §11); without it a zone is refused. */
  readonly dropZone?: boolean;
  /** Report `::ffff:a.b.c.d` (RFC 4291 §2.5.5.2, a dual-stack socket's IPv4 peer) as IPv4 `a.b.c.d`. */
  readonly unmapIPv4?: boolean;
}

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;

/**
 * Dotted-quad IPv4 (RFC 3986 §3.2.2 `IPv4address`) to 4 bytes, or undefined.
 * Leading zeros are refused: inet_aton reads `010` as octal, other parsers
 * as decimal, and two readings of one address is how filters get bypassed.
 */
export function parseIPv4(text: string): Uint8Array | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const part = parts[i]!;
    if (!IPV4_PART.test(part)) return undefined;
    const v = Number(part);
    if (v > 255) return undefined;
    out[i] = v;
  }
  return out;
}

/**
 * RFC 4291 §2.2 text (all three forms: full, `::`-compressed, IPv4 tail) to
 * 16 bytes, or undefined. No brackets, no zone.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > MAX_IPV6_TEXT_LENGTH) return undefined;
  let body = text;
  let tail: Uint8Array | undefined;
  const lastColon = body.lastIndexOf(":");
  if (lastColon === -1) return undefined;
  if (body.includes(".", lastColon)) {
    // §2.2 form 3: an embedded IPv4 address may only fill the last 32 bits.
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
    // "::" stands for one or more zero groups, so at most 7 are written.
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

/** True for a dotted-quad IPv4 literal (see {@link parseIPv4}). */
export function isIPv4(text: string): boolean {
  return parseIPv4(text) !== undefined;
}

/** True for an RFC 4291 §2.2 IPv6 literal without brackets or zone (see {@link parseIPv6}). */
export function isIPv6(text: string): boolean {
  return parseIPv6(text) !== undefined;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/** True for ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), what a dual-stack socket reports for an IPv4 peer. */
export function isIPv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * RFC 5952 §4 canonical text: lower-case hex without leading zeros, the
 * longest run (the first on a tie) of two or more zero groups as `::`; §5
 * mixed notation for IPv4-mapped addresses (`::ffff:192.0.2.1`).
 */
export function formatIPv6(b: Uint8Array): string {
  if (isIPv4Mapped(b)) return `::ffff:${formatIPv4(b.subarray(12, 16))}`;
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(readU16BE(b, i));
  let bestStart = -1;
  let bestLen = 1; // §4.2.2: a single zero group is never compressed
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

/**
 * An IPv4 or IPv6 literal in canonical text, or undefined. Strict by
 * default; `options` relax it for text that sockets and callers produce.
 * A zone only ever follows IPv6 (RFC 4007), so `1.2.3.4%x` stays refused.
 */
export function parseIp(text: string, options: IpLiteralOptions = {}): IpAddress | undefined {
  let s = text;
  const bracketed = options.brackets === true && s.startsWith("[") && s.endsWith("]");
  if (bracketed) s = s.slice(1, -1);
  if (!bracketed || options.allowBracketedIPv4 === true) {
    const v4 = parseIPv4(s);
    if (v4 !== undefined) return { host: formatIPv4(v4), family: 4 };
  }
  if (options.dropZone === true) {
    const zone = s.indexOf("%");
    if (zone !== -1) s = s.slice(0, zone);
  }
  const v6 = parseIPv6(s);
  if (v6 === undefined) return undefined;
  if (options.unmapIPv4 === true && isIPv4Mapped(v6)) return { host: formatIPv4(v6.subarray(12, 16)), family: 4 };
  return { host: formatIPv6(v6), family: 6 };
}
