/**
 * Strict textual IP address parsing and canonical formatting, for USERADDR
 * (tor-ext-orport-spec.txt §3.2.1). Only literal addresses: the spec's two
 * recognised formats carry an IP, never a host name.
 */

const IPV4_PART = /^(?:0|[1-9][0-9]{0,2})$/;
const IPV6_GROUP = /^[0-9a-fA-F]{1,4}$/;
/** Longest textual IPv6 address (RFC 4291 with an embedded IPv4 tail); longer input is rejected before splitting. */
const MAX_IPV6_TEXT = 45;

/**
 * Dotted-quad IPv4 (`1.2.3.4`) to 4 bytes, or undefined. Leading zeros are
 * refused (`01.2.3.4` reads as octal to some parsers, decimal to others).
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
 * 16 bytes, or undefined. No zone index, no brackets.
 */
export function parseIPv6(text: string): Uint8Array | undefined {
  if (text.length < 2 || text.length > MAX_IPV6_TEXT) return undefined;
  let s = text;
  let tail: Uint8Array | undefined;
  const lastColon = s.lastIndexOf(":");
  if (lastColon === -1) return undefined;
  if (s.includes(".", lastColon)) {
    // An embedded IPv4 address is only allowed as the last 32 bits.
    tail = parseIPv4(s.slice(lastColon + 1));
    if (tail === undefined) return undefined;
    s = `${s.slice(0, lastColon + 1)}0:0`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups: number[] = [];
  if (halves.length === 1) {
    const all = parseGroups(halves[0]!);
    if (all === undefined || all.length !== 8) return undefined;
    groups.push(...all);
  } else {
    const left = parseGroups(halves[0]!);
    const right = parseGroups(halves[1]!);
    // "::" stands for at least one zero group.
    if (left === undefined || right === undefined || left.length + right.length > 7) return undefined;
    groups.push(...left, ...new Array<number>(8 - left.length - right.length).fill(0), ...right);
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
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

/** True for ::ffff:a.b.c.d (RFC 4291 §2.5.5.2), what a dual-stack socket reports for an IPv4 peer. */
export function isIPv4Mapped(b: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
  return b[10] === 0xff && b[11] === 0xff;
}

/**
 * RFC 5952 canonical text: lowercase, no leading zeros, the longest run of
 * two or more zero groups (the first of equals) as `::`, and IPv4-mapped
 * addresses in mixed notation (§5).
 */
export function formatIPv6(b: Uint8Array): string {
  if (isIPv4Mapped(b)) return `::ffff:${formatIPv4(b.subarray(12))}`;
  const groups: number[] = [];
  for (let i = 0; i < 8; i++) groups.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  let bestStart = -1;
  let bestLen = 1; // a single zero group is never compressed (RFC 5952 §4.2.2)
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = groups.map((g) => g.toString(16));
  if (bestStart === -1) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}
