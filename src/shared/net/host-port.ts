/**
 * `<host>:<port>` text, split and classified without a resolver: the codec
 * must run in browsers, and the specs want literals anyway (pt-spec 1.0
 * §3.2.3: "MUST be an IP address supported by bind(), and MUST NOT be a host
 * name"; tor-ext-orport-spec §3.2.1: `1.2.3.4:5678` or `[1:2::3:4]:5678`).
 *
 * Splitting follows Go's net.SplitHostPort, which goptlib's resolveAddr uses
 * (its test table is our conformance table): IPv6 in brackets, no bracket
 * anywhere else. The defaults are the strictest reading — IP literals only,
 * port 1–65535 without leading zeros, canonical host text; callers that
 * must accept more say so with {@link HostPortOptions}.
 */
import { WebptError, type ErrorData } from "../errors.js";
import { type DomainNameOptions, type PortSyntax, isDomainName, parsePort } from "./host-name.js";
import { type IpAddress, parseIp } from "./ip.js";

export type HostType = "ipv4" | "ipv6" | "domain";

/** A host and a port. `host` never has brackets; `type` says what it is. IP-only fields never carry `domain`. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
  readonly type: HostType;
}

/** Why an address did not parse, for callers that map it to their own error codes. */
export type AddressProblem =
  | "missing-bracket"
  | "junk-after-bracket"
  | "unexpected-bracket"
  | "too-many-colons"
  | "missing-host"
  | "bad-host"
  | "missing-port"
  | "bad-port"
  | "zero-port";

/** A parse failure as data: which part is at fault (host or port), why, and a short human reason. */
export interface AddressFault {
  readonly problem: AddressProblem;
  readonly field: "host" | "port";
  readonly reason: string;
}

/** An address that does not parse; callers wrap it in their own error, with this as the cause. */
export class AddressError extends WebptError {
  override name = "AddressError";
  readonly problem: AddressProblem;
  readonly field: "host" | "port";

  constructor(text: string, fault: AddressFault) {
    super("ERR_NET_BAD_ADDRESS", `${quote(text)}: ${fault.reason}`);
    this.problem = fault.problem;
    this.field = fault.field;
  }

  override toJSON(): ErrorData {
    return { ...super.toJSON(), problem: this.problem, field: this.field };
  }
}

/** How a host may be written; all off by default. */
export interface HostOptions {
  /** Accept a host name as well as IP literals (PT 2.1 §1.1.3 `-target`, URLs). */
  readonly allowDomain?: boolean;
  /** The host-name rules, when `allowDomain` (see isDomainName). */
  readonly domain?: DomainNameOptions;
  /** Accept `[1.2.3.4]`, as Go's SplitHostPort does (tor's parsers and URLs do not). */
  readonly allowBracketedIPv4?: boolean;
  /** Return the host as written rather than canonical (RFC 5952 IPv6, lower-case names). */
  readonly keepHostText?: boolean;
}

export interface HostPortOptions extends HostOptions {
  /** Accept port 0, "pick one" (bind addresses only). */
  readonly allowZeroPort?: boolean;
  /** How the port may be written; default `canonical`. */
  readonly portSyntax?: PortSyntax;
  /** Accept `1:2::3:4:9999`: IPv6 without brackets, split at the last colon (tor before bug #7011). */
  readonly allowUnbracketedIPv6?: boolean;
}

/** The pieces of `host:port`; `port` is undefined when there is no `:port` at all. */
export interface HostPortParts {
  readonly host: string;
  readonly port: string | undefined;
  readonly bracketed: boolean;
}

function fault(problem: AddressProblem, field: "host" | "port", reason: string): AddressFault {
  return { problem, field, reason };
}

function isFault(x: object): x is AddressFault {
  return "problem" in x;
}

/**
 * Splits `host[:port]` by Go's net.SplitHostPort rules: brackets only around
 * the whole host, one `:` outside them; a missing port is found before a
 * stray bracket, as Go does. The pieces are not judged further: an empty
 * host, or a port that is not digits, is left for the caller.
 */
export function splitHostPort(text: string): HostPortParts | AddressFault {
  if (text.startsWith("[")) {
    const end = text.indexOf("]");
    if (end < 0) return fault("missing-bracket", "host", "missing ']'");
    const host = text.slice(1, end);
    const rest = text.slice(end + 1);
    if (rest === "") return { host, port: undefined, bracketed: true };
    if (!rest.startsWith(":")) return fault("junk-after-bracket", "port", "junk after ']'");
    if (host.includes("[")) return fault("unexpected-bracket", "host", "unexpected bracket");
    return { host, port: rest.slice(1), bracketed: true };
  }
  const i = text.lastIndexOf(":");
  if (i < 0) return { host: text, port: undefined, bracketed: false };
  const host = text.slice(0, i);
  if (host.includes(":")) return fault("too-many-colons", "host", "too many colons");
  if (/[[\]]/.test(host)) return fault("unexpected-bracket", "host", "unexpected bracket");
  return { host, port: text.slice(i + 1), bracketed: false };
}

/**
 * Classifies a split host: an IP literal (IPv4 in brackets only with
 * `allowBracketedIPv4`), or, unbracketed, a host name when `allowDomain`.
 * Returns undefined for anything else, including an empty host.
 */
export function parseHost(
  host: string,
  bracketed: boolean,
  options: HostOptions = {},
): { readonly host: string; readonly type: HostType } | undefined {
  const keep = options.keepHostText === true;
  const ip = parseIp(host);
  if (ip !== undefined && (ip.family === 6 || !bracketed || options.allowBracketedIPv4 === true)) {
    return { host: keep ? host : ip.host, type: ip.family === 4 ? "ipv4" : "ipv6" };
  }
  if (!bracketed && options.allowDomain === true && isDomainName(host, options.domain)) {
    return { host: keep ? host : host.toLowerCase(), type: "domain" };
  }
  return undefined;
}

/**
 * Parses `<host>:<port>` (see the file comment and {@link HostPortOptions}).
 * The host is judged before the port, left to right. Throws {@link AddressError}.
 */
export function parseHostPort(text: string, options: HostPortOptions = {}): HostPort {
  const result = tryParseHostPort(text, options);
  if (isFault(result)) throw new AddressError(text, result);
  return result;
}

/** {@link parseHostPort} returning the fault instead of throwing it. */
export function tryParseHostPort(text: string, options: HostPortOptions = {}): HostPort | AddressFault {
  let parts = splitHostPort(text);
  if (isFault(parts) && options.allowUnbracketedIPv6 === true) {
    // goptlib resolveAddr: split after the last colon and retry with brackets.
    const i = text.lastIndexOf(":");
    if (i > 0 && text.indexOf(":") !== i) parts = splitHostPort(`[${text.slice(0, i)}]${text.slice(i)}`);
  }
  if (isFault(parts)) return parts;
  // No `:port` at all is a shape error, reported before the host is judged (Go's "missing port").
  if (parts.port === undefined) return fault("missing-port", "port", "missing port");
  if (parts.host === "") return fault("missing-host", "host", "missing host");
  const host = parseHost(parts.host, parts.bracketed, options);
  if (host === undefined) {
    const want = options.allowDomain === true ? "an IP address or host name" : "an IP address";
    return fault("bad-host", "host", `${quote(parts.host)} is not ${want}`);
  }
  if (parts.port === "") return fault("missing-port", "port", "missing port");
  const port = parsePort(parts.port, { syntax: options.portSyntax ?? "canonical", allowZero: true });
  if (port === undefined) return fault("bad-port", "port", `bad port ${quote(parts.port)}`);
  if (port === 0 && options.allowZeroPort !== true) return fault("zero-port", "port", "port 0");
  return { host: host.host, port, type: host.type };
}

/** `host`, or `[host]` for IPv6: the authority form of RFC 3986 §3.2.2. */
export function formatHost(addr: { readonly host: string; readonly type: HostType } | IpAddress): string {
  const v6 = "family" in addr ? addr.family === 6 : addr.type === "ipv6";
  return v6 ? `[${addr.host}]` : addr.host;
}

/** `host:port` with IPv6 in brackets: the form tor writes and goptlib's Target uses. */
export function formatHostPort(
  addr: ({ readonly host: string; readonly type: HostType } | IpAddress) & { readonly port: number },
): string {
  return `${formatHost(addr)}:${addr.port}`;
}

/** JSON-quotes hostile text for an error message, shortened so one bad value cannot flood a log. */
export function quote(s: string, max = 64): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}
