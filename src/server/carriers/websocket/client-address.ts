/**
 * Who is the client? The TCP peer, unless the peer is a reverse proxy the
 * operator trusts, in which case X-Forwarded-For says. The answer feeds
 * ExtORPort USERADDR (tor-ext-orport-spec §3.1.1), so a forged header from
 * an untrusted peer must never be believed.
 *
 * X-Forwarded-For is a de-facto header: each proxy appends the address it
 * saw, so the list reads client, proxy1, proxy2 and only the entries added by
 * proxies we trust are honest. We walk it from the right, skipping trusted
 * hops, and the first untrusted address is the client (the algorithm of
 * nginx's `real_ip_recursive on`).
 */
import { parseIPv4, parseIPv6, parseIp } from "../../../shared/net/index.js";
import { WebSocketConfigError } from "./errors.js";

/**
 * X-Forwarded-For entries examined, from the right. A legitimate chain is a
 * few proxies long; a longer header is cut here so its cost stays bounded.
 */
export const MAX_FORWARDED_FOR_ENTRIES = 32;
/** Trusted-proxy entries accepted in one configuration (each is checked per connection). */
export const MAX_TRUSTED_PROXIES = 256;

interface IpPrefix {
  readonly bytes: Uint8Array;
  readonly bits: number;
}

/** A set of IP addresses and CIDR prefixes (`127.0.0.1`, `10.0.0.0/8`, `::1`, `fd00::/8`). */
export class TrustedProxies {
  readonly #prefixes: readonly IpPrefix[];

  private constructor(prefixes: readonly IpPrefix[]) {
    this.#prefixes = prefixes;
  }

  static readonly none = new TrustedProxies([]);

  /** Parses operator configuration; a bad entry is an error, never silently ignored (it would trust nothing or all). */
  static parse(entries: readonly string[]): TrustedProxies {
    if (entries.length > MAX_TRUSTED_PROXIES) {
      throw new WebSocketConfigError("ERR_WS_TRUSTED_PROXIES", `more than ${MAX_TRUSTED_PROXIES} trusted proxies`);
    }
    return new TrustedProxies(entries.map(parsePrefix));
  }

  get size(): number {
    return this.#prefixes.length;
  }

  /** Whether an address (a socket's text form: may be IPv4-mapped or zoned) is trusted. */
  has(address: string): boolean {
    if (this.#prefixes.length === 0) return false;
    const ip = addressBytes(address);
    if (ip === undefined) return false;
    return this.#prefixes.some((p) => prefixContains(p, ip));
  }
}

function parsePrefix(entry: string): IpPrefix {
  const bad = (): WebSocketConfigError =>
    new WebSocketConfigError("ERR_WS_TRUSTED_PROXIES", `not an IP address or CIDR prefix: ${JSON.stringify(entry)}`);
  const slash = entry.indexOf("/");
  const addr = slash === -1 ? entry : entry.slice(0, slash);
  const bytes = parseIPv4(addr) ?? parseIPv6(addr);
  if (bytes === undefined) throw bad();
  const max = bytes.length * 8;
  let bits = max;
  if (slash !== -1) {
    const text = entry.slice(slash + 1);
    if (!/^(?:0|[1-9][0-9]{0,2})$/.test(text)) throw bad();
    bits = Number(text);
    if (bits > max) throw bad();
  }
  return { bytes, bits };
}

function prefixContains(p: IpPrefix, ip: Uint8Array): boolean {
  if (p.bytes.length !== ip.length) return false;
  const whole = p.bits >> 3;
  for (let i = 0; i < whole; i++) if (p.bytes[i] !== ip[i]) return false;
  const rest = p.bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return ((p.bytes[whole]! ^ ip[whole]!) & mask) === 0;
}

/** Canonical bytes of an address as sockets report it: `::ffff:a.b.c.d` is IPv4, a zone is dropped. */
function addressBytes(address: string): Uint8Array | undefined {
  const ip = parseIp(address, { unmapIPv4: true, dropZone: true, brackets: true });
  if (ip === undefined) return undefined;
  return ip.family === 4 ? parseIPv4(ip.host) : parseIPv6(ip.host);
}

/** The client as the carrier reports it to `onConnection` (a superset of Obfs4AcceptInfo). */
export interface ClientAddressInfo {
  /** The client's IP (canonical text, IPv4-mapped addresses unmapped), or undefined when it is not known. */
  readonly remoteAddress: string | undefined;
  /** The client's port: the TCP peer's, or undefined when the address came from X-Forwarded-For (it has none). */
  readonly remotePort: number | undefined;
  /** The TCP peer (the proxy, when there is one). */
  readonly peerAddress: string | undefined;
  readonly peerPort: number | undefined;
  /** True when remoteAddress came from X-Forwarded-For. */
  readonly forwarded: boolean;
}

function canonical(address: string | undefined): string | undefined {
  if (address === undefined) return undefined;
  return parseIp(address, { unmapIPv4: true, dropZone: true })?.host ?? address;
}

/**
 * Decides the client address. Only a trusted peer's X-Forwarded-For counts.
 * An entry that is not a bare IP (or `[IPv6]`) stops the walk and the client
 * is reported unknown: the chain is damaged, and guessing would hand tor a
 * wrong USERADDR (an unusable address sends no USERADDR; CONFORMANCE.md).
 */
export function resolveClientAddress(
  peerAddress: string | undefined,
  peerPort: number | undefined,
  forwardedFor: string | readonly string[] | undefined,
  trusted: TrustedProxies,
): ClientAddressInfo {
  const peer = canonical(peerAddress);
  const direct: ClientAddressInfo = {
    remoteAddress: peer,
    remotePort: peerPort,
    peerAddress: peer,
    peerPort,
    forwarded: false,
  };
  if (peer === undefined || forwardedFor === undefined || !trusted.has(peer)) return direct;
  const header = typeof forwardedFor === "string" ? forwardedFor : forwardedFor.join(",");
  if (header.trim() === "") return direct;
  const entries = header.split(",");
  const stop = Math.max(0, entries.length - MAX_FORWARDED_FOR_ENTRIES);
  let client: string | undefined;
  for (let i = entries.length - 1; i >= stop; i--) {
    const ip = parseIp(entries[i]!.trim(), { brackets: true, unmapIPv4: true });
    if (ip === undefined) {
      client = undefined;
      break;
    }
    client = ip.host;
    if (!trusted.has(ip.host)) break;
  }
  return { remoteAddress: client, remotePort: undefined, peerAddress: peer, peerPort, forwarded: true };
}
