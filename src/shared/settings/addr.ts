/**
 * IP literals, ports and host names for bridge lines and URLs. Parsers return
 * null on bad input (callers raise their own coded error) and produce one
 * canonical text per address, so equal addresses compare equal as strings.
 */

/**
 * Dotted-quad IPv4 (RFC 3986 §3.2.2 `IPv4address`): four decimal octets with
 * no leading zeros, because inet_aton reads `010` as octal and tools disagree.
 */
export function parseIPv4(text: string): Uint8Array | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

export function formatIPv4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

/**
 * An IPv6 address without brackets (RFC 4291 §2.2): eight groups of 1–4 hex
 * digits, at most one `::`, optionally ending in a dotted quad. Zone IDs
 * (`%eth0`) are refused: they mean nothing off the local host.
 */
export function parseIPv6(text: string): Uint8Array | null {
  if (text.length < 2 || text.length > 45) return null;
  const halves = text.split("::");
  if (halves.length > 2) return null;
  const head = halves[0] === "" ? [] : halves[0]!.split(":");
  const tail = halves.length === 2 ? (halves[1] === "" ? [] : halves[1]!.split(":")) : [];
  const groups: number[] = [];
  const all = [...head, ...tail];
  // A dotted quad may only be the very last part ("1.2.3.4::" is not an address).
  let v4: Uint8Array | null = null;
  const lastPart = halves.length === 2 ? tail[tail.length - 1] : head[head.length - 1];
  if (lastPart?.includes(".")) {
    v4 = parseIPv4(lastPart);
    if (v4 === null) return null;
    all.pop();
    if (halves.length === 2) tail.pop();
    else head.pop();
  }
  for (const g of all) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return null;
    groups.push(parseInt(g, 16));
  }
  const width = groups.length + (v4 ? 2 : 0);
  if (halves.length === 2 ? width > 7 : width !== 8) return null;
  const out = new Uint8Array(16);
  const headWords = head.length;
  let w = 0;
  for (let i = 0; i < headWords; i++, w++) {
    out[2 * w] = groups[i]! >> 8;
    out[2 * w + 1] = groups[i]! & 0xff;
  }
  const tailWords = groups.length - headWords;
  w = 8 - tailWords - (v4 ? 2 : 0);
  for (let i = headWords; i < groups.length; i++, w++) {
    out[2 * w] = groups[i]! >> 8;
    out[2 * w + 1] = groups[i]! & 0xff;
  }
  if (v4) out.set(v4, 12);
  return out;
}

/**
 * RFC 5952 §4 text: lowercase, no leading zeros, the longest run (of two or
 * more) of zero groups shortened to `::`, leftmost on a tie; §5: an
 * IPv4-mapped address keeps its dotted quad.
 */
export function formatIPv6(b: Uint8Array): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  const mapped = words.slice(0, 5).every((x) => x === 0) && words[5] === 0xffff;
  if (mapped) return `::ffff:${formatIPv4(b.subarray(12))}`;
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = words.map((x) => x.toString(16));
  if (bestStart < 0) return hex.join(":");
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLen).join(":")}`;
}

export interface IpAddress {
  /** Canonical text (IPv6 without brackets). */
  readonly host: string;
  readonly family: 4 | 6;
}

/** An IPv4 dotted quad or a bare IPv6 address, canonicalized. */
export function parseIp(text: string): IpAddress | null {
  const v4 = parseIPv4(text);
  if (v4) return { host: formatIPv4(v4), family: 4 };
  const v6 = parseIPv6(text);
  if (v6) return { host: formatIPv6(v6), family: 6 };
  return null;
}

/** A TCP/UDP port 1–65535 in plain decimal (no sign, no leading zeros), or null. */
export function parsePort(text: string): number | null {
  if (!/^[1-9][0-9]{0,4}$/.test(text)) return null;
  const n = Number(text);
  return n <= 65535 ? n : null;
}

/**
 * A DNS host name as URLs carry it (RFC 3986 `reg-name`, restricted to what
 * resolves): ASCII letters, digits, `-` and `_` in dot-separated labels of
 * 1–63 characters, 253 in all. Internationalized names must already be in
 * punycode. A name whose last label is numeric (or hex `0x…`) is refused,
 * because WHATWG URL parsers read `1.2.3` or `a.0x1` as an IPv4 address (the
 * "ends in a number" rule) and we must not disagree with the browser; callers
 * try parseIPv4 first, so a full dotted quad never reaches this function.
 * Returns the lowercase name, or null.
 */
export function parseHostName(text: string): string | null {
  if (text.length === 0 || text.length > 253) return null;
  const labels = text.split(".");
  for (const l of labels) if (!/^[A-Za-z0-9_-]{1,63}$/.test(l)) return null;
  const lastLabel = labels[labels.length - 1]!;
  if (/^(0x[0-9A-Fa-f]*|[0-9]+)$/i.test(lastLabel)) return null;
  return text.toLowerCase();
}

/** `host` or `[v6]`, as written in an authority or addr:port. */
export function formatHost(ip: IpAddress): string {
  return ip.family === 6 ? `[${ip.host}]` : ip.host;
}
