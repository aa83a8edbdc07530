/**
 * The destination policy of free mode (seed 002 §"Bound vs. Free": "Some PT
 * servers may employ a whitelist or blacklist of allowed destinations").
 * A free server is a proxy for anyone holding its bridge line, so by default
 * it refuses every address that is not globally reachable (IANA's IPv4 and
 * IPv6 Special-Purpose Address Registries, RFC 6890): its own loopback, the
 * operator's private networks, link-local (cloud metadata at
 * 169.254.169.254), shared CGNAT space, documentation, benchmarking and
 * reserved ranges. The operator may lift or add refusals with CIDR rules and
 * may restrict ports.
 *
 * This file is pure decision logic over IP literals: no resolver, no
 * sockets. destination.ts resolves host names and asks here about each
 * *resolved* address; the sink then connects to exactly the address that was
 * checked, so DNS cannot answer differently between the check and the dial.
 *
 * How an address is decided:
 * 1. IPv4-mapped IPv6 (`::ffff:a.b.c.d`) is the IPv4 address, checked and
 *    dialled as such. NAT64 (64:ff9b::/96, RFC 6052) and 6to4 (2002::/16,
 *    RFC 3056) addresses are checked twice, as themselves and as the IPv4
 *    address inside; both must pass.
 * 2. A few ranges are always refused, whatever the rules: "this network"
 *    0.0.0.0/8 and `::` (connect() to them reaches the local host), multicast
 *    and the limited broadcast address. Allow 127.0.0.1 to reach loopback.
 * 3. Among the operator's allow and deny rules that match, the most specific
 *    (longest prefix) decides; on a tie deny wins. So `deny 0.0.0.0/0` with
 *    `allow 192.0.2.0/24` is an allow-list, and `allow 10.0.0.0/8` with
 *    `deny 10.1.0.0/16` carves a hole.
 * 4. With no matching rule, this host's own addresses (its interfaces and
 *    public address: a service bound to 0.0.0.0 must not become reachable
 *    through us; tor's ExitPolicyRejectMyAddresses) and the special-purpose
 *    ranges are refused, and every other address is allowed.
 *
 * Ports: with `ports` set, only those are allowed; without, every port but
 * DEFAULT_DENIED_PORTS. Port 0 is never a destination.
 */
import { WebptError, type ErrorData } from "../../shared/errors.js";
import { formatIPv4, formatIPv6, isIPv4Mapped, parseIPv4, parseIPv6 } from "../../shared/net/index.js";

/** Rules in one list (allow or deny). A policy is read once at start, but a config file is still bounded. */
export const MAX_POLICY_CIDRS = 1024;
/** Entries in the `ports` list. */
export const MAX_POLICY_PORT_RANGES = 256;
/**
 * Refused unless `ports` says otherwise: SMTP, because an open proxy that
 * reaches port 25 is soon used for spam and gets its host blocklisted (tor's
 * default exit policy and most hosting providers block it too).
 */
export const DEFAULT_DENIED_PORTS: readonly number[] = [25];

export type PolicyErrorCode = "ERR_POLICY_BAD_CIDR" | "ERR_POLICY_BAD_PORTS" | "ERR_POLICY_TOO_MANY";

/** A rule that does not parse; `pointer` is its place in the policy object (`/allow/3`). */
export class PolicyError extends WebptError {
  override name = "PolicyError";
  readonly pointer: string;
  constructor(code: PolicyErrorCode, message: string, pointer = "") {
    super(code, message);
    this.pointer = pointer;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), pointer: this.pointer };
  }
}

export interface Cidr {
  readonly family: 4 | 6;
  /** The network address: 4 or 16 bytes, host bits zero. */
  readonly bytes: Uint8Array;
  readonly prefix: number;
  /** Canonical text, e.g. `10.0.0.0/8`, `fc00::/7`. */
  readonly text: string;
}

export interface PortRange {
  readonly from: number;
  readonly to: number;
}

/** The policy as written in a config file (strings and numbers). */
export interface PolicySpec {
  readonly allow?: readonly string[];
  readonly deny?: readonly string[];
  readonly ports?: readonly (number | string)[];
}

export interface DestinationPolicy {
  readonly allow: readonly Cidr[];
  readonly deny: readonly Cidr[];
  /** undefined: every port but DEFAULT_DENIED_PORTS. */
  readonly ports: readonly PortRange[] | undefined;
}

export interface PolicyDecision {
  readonly allowed: boolean;
  /** What decided. */
  readonly basis:
    "operator-allow" | "operator-deny" | "this-host" | "special-purpose" | "always-denied" | "port" | "default";
  /** For logs and tests: the rule or range, e.g. `127.0.0.0/8 (loopback)`, `deny 10.0.0.0/8`, `port 25`. */
  readonly detail: string;
}

const PREFIX_TEXT = /^(?:0|[1-9][0-9]{0,2})$/;

function formatBytes(b: Uint8Array): string {
  return b.length === 4 ? formatIPv4(b) : formatIPv6(b);
}

function hostBitsSet(bytes: Uint8Array, prefix: number): boolean {
  for (let bit = prefix; bit < bytes.length * 8; bit++) {
    if ((bytes[bit >> 3]! >> (7 - (bit & 7))) & 1) return true;
  }
  return false;
}

function masked(bytes: Uint8Array, prefix: number): Uint8Array {
  const out = Uint8Array.from(bytes);
  for (let bit = prefix; bit < out.length * 8; bit++) out[bit >> 3]! &= ~(1 << (7 - (bit & 7)));
  return out;
}

/**
 * `a.b.c.d/n`, `x:y::/n`, or a bare address (/32, /128). An IPv4-mapped
 * IPv6 network of /96 or longer becomes the IPv4 network it means, since
 * mapped addresses are checked as IPv4. Host bits must be zero: `10.1.2.3/8`
 * is more likely a typo than a wish for 10.0.0.0/8.
 */
export function parseCidr(text: string, pointer = ""): Cidr {
  const bad = (why: string): PolicyError =>
    new PolicyError("ERR_POLICY_BAD_CIDR", `${JSON.stringify(text.slice(0, 64))} ${why}`, pointer);
  const slash = text.indexOf("/");
  const addrText = slash === -1 ? text : text.slice(0, slash);
  const v4 = parseIPv4(addrText);
  let bytes = v4 ?? parseIPv6(addrText);
  if (bytes === undefined) throw bad("is not an IPv4 or IPv6 address or CIDR network");
  const max = bytes.length * 8;
  let prefix = max;
  if (slash !== -1) {
    const p = text.slice(slash + 1);
    if (!PREFIX_TEXT.test(p) || Number(p) > max) throw bad(`has a prefix length that is not 0-${max}`);
    prefix = Number(p);
  }
  if (bytes.length === 16 && prefix >= 96 && isIPv4Mapped(bytes)) {
    bytes = bytes.slice(12);
    prefix -= 96;
  }
  if (hostBitsSet(bytes, prefix)) {
    throw bad(`has host bits set (did you mean ${formatBytes(masked(bytes, prefix))}/${prefix}?)`);
  }
  return { family: bytes.length === 4 ? 4 : 6, bytes, prefix, text: `${formatBytes(bytes)}/${prefix}` };
}

/** `80`, `"80"` or `"8000-8999"`; ports 1-65535, from ≤ to. */
export function parsePortRange(item: number | string, pointer = ""): PortRange {
  const bad = (): PolicyError =>
    new PolicyError(
      "ERR_POLICY_BAD_PORTS",
      `${JSON.stringify(item)} is not a port (1-65535) or a range like "8000-8999"`,
      pointer,
    );
  const num = (s: string): number => (/^[1-9][0-9]{0,4}$/.test(s) ? Number(s) : NaN);
  let from: number;
  let to: number;
  if (typeof item === "number") {
    from = to = Number.isInteger(item) ? item : NaN;
  } else {
    const dash = item.indexOf("-");
    from = num(dash === -1 ? item : item.slice(0, dash));
    to = dash === -1 ? from : num(item.slice(dash + 1));
  }
  if (!(from >= 1 && to <= 65535 && from <= to)) throw bad();
  return { from, to };
}

/** Builds a policy from its written form; throws PolicyError with the pointer of the first bad entry. */
export function makePolicy(spec: PolicySpec = {}): DestinationPolicy {
  const cidrs = (list: readonly string[] | undefined, key: string): Cidr[] => {
    if (list === undefined) return [];
    if (list.length > MAX_POLICY_CIDRS) {
      throw new PolicyError("ERR_POLICY_TOO_MANY", `more than ${MAX_POLICY_CIDRS} rules`, `/${key}`);
    }
    return list.map((c, i) => parseCidr(c, `/${key}/${i}`));
  };
  let ports: PortRange[] | undefined;
  if (spec.ports !== undefined) {
    if (spec.ports.length > MAX_POLICY_PORT_RANGES) {
      throw new PolicyError("ERR_POLICY_TOO_MANY", `more than ${MAX_POLICY_PORT_RANGES} port entries`, "/ports");
    }
    ports = spec.ports.map((p, i) => parsePortRange(p, `/ports/${i}`));
  }
  return { allow: cidrs(spec.allow, "allow"), deny: cidrs(spec.deny, "deny"), ports };
}

/** The default policy: special-purpose ranges and DEFAULT_DENIED_PORTS refused, everything else allowed. */
export const DEFAULT_POLICY: DestinationPolicy = makePolicy();

function inCidr(c: Cidr, bytes: Uint8Array): boolean {
  if (c.bytes.length !== bytes.length) return false;
  const whole = c.prefix >> 3;
  for (let i = 0; i < whole; i++) if (c.bytes[i] !== bytes[i]) return false;
  const rest = c.prefix & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (c.bytes[whole]! & mask) === (bytes[whole]! & mask);
}

interface SpecialRange {
  readonly cidr: Cidr;
  readonly name: string;
  /** "always": refused even if an operator rule allows it. */
  readonly always: boolean;
}

const special = (text: string, name: string, always = false): SpecialRange => ({
  cidr: parseCidr(text),
  name,
  always,
});

/**
 * IANA special-purpose registries (RFC 6890 and later updates), every entry
 * that is not globally reachable, plus the deprecated ranges nothing should
 * route to. First match names the range in a refusal.
 */
export const SPECIAL_PURPOSE_RANGES: readonly SpecialRange[] = [
  special("0.0.0.0/8", "this network", true),
  special("10.0.0.0/8", "private"),
  special("100.64.0.0/10", "shared address space"),
  special("127.0.0.0/8", "loopback"),
  special("169.254.0.0/16", "link-local"),
  special("172.16.0.0/12", "private"),
  special("192.0.0.0/24", "IETF protocol assignments"),
  special("192.0.2.0/24", "documentation"),
  special("192.88.99.0/24", "6to4 relay anycast"),
  special("192.168.0.0/16", "private"),
  special("198.18.0.0/15", "benchmarking"),
  special("198.51.100.0/24", "documentation"),
  special("203.0.113.0/24", "documentation"),
  special("224.0.0.0/4", "multicast", true),
  special("255.255.255.255/32", "limited broadcast", true),
  special("240.0.0.0/4", "reserved"),
  special("::/128", "unspecified", true),
  special("::1/128", "loopback"),
  special("::/96", "IPv4-compatible (deprecated)"),
  special("::ffff:0:0:0/96", "IPv4-translated"),
  special("64:ff9b:1::/48", "local-use NAT64"),
  special("100::/64", "discard-only"),
  special("2001::/23", "IETF protocol assignments"),
  special("2001:db8::/32", "documentation"),
  special("3fff::/20", "documentation"),
  special("5f00::/16", "segment routing"),
  special("fc00::/7", "unique local"),
  special("fe80::/10", "link-local"),
  special("fec0::/10", "site-local (deprecated)"),
  special("ff00::/8", "multicast", true),
];

const NAT64 = parseCidr("64:ff9b::/96");
const SIX_TO_FOUR = parseCidr("2002::/16");

/** The forms an address is judged as: itself, and the IPv4 address a NAT64 or 6to4 address carries. */
function formsOf(bytes: Uint8Array): { bytes: Uint8Array; note: string }[] {
  const forms = [{ bytes, note: "" }];
  if (inCidr(NAT64, bytes)) forms.push({ bytes: bytes.slice(12), note: " inside NAT64" });
  else if (inCidr(SIX_TO_FOUR, bytes)) forms.push({ bytes: bytes.slice(2, 6), note: " inside 6to4" });
  return forms;
}

function decideOne(
  policy: DestinationPolicy,
  own: ReadonlySet<string>,
  bytes: Uint8Array,
  note: string,
): PolicyDecision {
  const text = formatBytes(bytes);
  const always = SPECIAL_PURPOSE_RANGES.find((r) => r.always && inCidr(r.cidr, bytes));
  if (always !== undefined) {
    return { allowed: false, basis: "always-denied", detail: `${text}${note}: ${always.cidr.text} (${always.name})` };
  }
  let best: { cidr: Cidr; allow: boolean } | undefined;
  for (const [list, allow] of [
    [policy.deny, false],
    [policy.allow, true],
  ] as const) {
    for (const c of list) {
      // Deny is scanned first, so on an equal prefix it stays the best.
      if (inCidr(c, bytes) && (best === undefined || c.prefix > best.cidr.prefix)) best = { cidr: c, allow };
    }
  }
  if (best !== undefined) {
    return best.allow
      ? { allowed: true, basis: "operator-allow", detail: `${text}${note}: allow ${best.cidr.text}` }
      : { allowed: false, basis: "operator-deny", detail: `${text}${note}: deny ${best.cidr.text}` };
  }
  const hit = SPECIAL_PURPOSE_RANGES.find((r) => inCidr(r.cidr, bytes));
  if (hit !== undefined) {
    return { allowed: false, basis: "special-purpose", detail: `${text}${note}: ${hit.cidr.text} (${hit.name})` };
  }
  if (own.has(text)) return { allowed: false, basis: "this-host", detail: `${text}${note}: an address of this host` };
  return { allowed: true, basis: "default", detail: `${text}${note}: globally reachable` };
}

/** An address as judged: the decision, and the canonical address to dial (IPv4 for an IPv4-mapped one). */
export interface AddressDecision extends PolicyDecision {
  readonly address: string;
}

const NO_ADDRESSES: ReadonlySet<string> = new Set();

/**
 * This host's addresses as checkAddress wants them: canonical text, an
 * IPv4-mapped address as IPv4, zones dropped, anything unparsable skipped.
 */
export function ownAddressSet(ips: Iterable<string>): Set<string> {
  const out = new Set<string>();
  for (const ip of ips) {
    const zone = ip.indexOf("%");
    let bytes = parseIPv4(ip) ?? parseIPv6(zone === -1 ? ip : ip.slice(0, zone));
    if (bytes === undefined) continue;
    if (bytes.length === 16 && isIPv4Mapped(bytes)) bytes = bytes.slice(12);
    out.add(formatBytes(bytes));
  }
  return out;
}

/**
 * Judges one IP literal (IPv4 dotted quad or IPv6 text without brackets or
 * zone); `own` is this host's addresses (ownAddressSet). Throws TypeError for
 * anything else: callers hand us addresses they parsed or resolved, never names.
 */
export function checkAddress(
  policy: DestinationPolicy,
  ip: string,
  own: ReadonlySet<string> = NO_ADDRESSES,
): AddressDecision {
  let bytes = parseIPv4(ip) ?? parseIPv6(ip);
  if (bytes === undefined) throw new TypeError(`not an IP address: ${JSON.stringify(ip.slice(0, 64))}`);
  if (bytes.length === 16 && isIPv4Mapped(bytes)) bytes = bytes.slice(12);
  const address = formatBytes(bytes);
  let first: PolicyDecision | undefined;
  for (const form of formsOf(bytes)) {
    const d = decideOne(policy, own, form.bytes, form.note);
    if (!d.allowed) return { ...d, address };
    first ??= d;
  }
  return { ...first!, address };
}

/** Judges a destination port. */
export function checkPort(policy: DestinationPolicy, port: number): PolicyDecision {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return { allowed: false, basis: "always-denied", detail: `port ${port}` };
  }
  if (policy.ports !== undefined) {
    const ok = policy.ports.some((r) => port >= r.from && port <= r.to);
    return ok
      ? { allowed: true, basis: "operator-allow", detail: `port ${port}` }
      : { allowed: false, basis: "port", detail: `port ${port} is not in the allowed ports` };
  }
  return DEFAULT_DENIED_PORTS.includes(port)
    ? { allowed: false, basis: "port", detail: `port ${port} is refused by default` }
    : { allowed: true, basis: "default", detail: `port ${port}` };
}

/** A few lines describing the policy, for the start-up summary. */
export function describePolicy(policy: DestinationPolicy): string[] {
  const list = (cs: readonly Cidr[]): string => (cs.length === 0 ? "none" : cs.map((c) => c.text).join(", "));
  const ports =
    policy.ports === undefined
      ? `any but ${DEFAULT_DENIED_PORTS.join(", ")}`
      : policy.ports.map((r) => (r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`)).join(", ");
  return [
    "refused unless allowed: this host's own addresses, loopback, private, link-local, shared (CGNAT), " +
      "documentation and other special-purpose ranges; always refused: 0.0.0.0/8, ::, multicast, broadcast",
    `allow: ${list(policy.allow)}`,
    `deny: ${list(policy.deny)}`,
    `ports: ${ports}`,
  ];
}
