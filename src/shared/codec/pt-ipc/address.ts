/**
 * `<address>:<port>` parsing for the PT environment and IPC lines, without
 * the platform's resolver: the codec must run in browsers, and the spec wants
 * literals anyway ("MUST be an IP address supported by bind(), and MUST NOT
 * be a host name", pt-spec 1.0 §3.2.3 TOR_PT_SERVER_BINDADDR).
 *
 * The accepted forms follow goptlib's `resolveAddr` (its test table is our
 * conformance table): `1.2.3.4:9999`, `[1:2::3:4]:9999`, and — for values tor
 * itself writes into the environment — the unbracketed `1:2::3:4:9999` that
 * tor produced before bug #7011 was fixed. Ports are decimal only.
 */
import { WebptError } from "../../errors.js";
import type { HostPort } from "./types.js";

/** An `<address>:<port>` that does not parse; callers wrap it in their own error with this as cause. */
export class AddressError extends WebptError {
  override name = "AddressError";
  constructor(message: string) {
    super("ERR_PT_BAD_ADDRESS", message);
  }
}

/** DNS limits (RFC 1035 §2.3.4): 63 bytes a label, 253 for the whole name in text form. */
export const MAX_DOMAIN_LABEL_LENGTH = 63;
export const MAX_DOMAIN_NAME_LENGTH = 253;

export interface HostPortOptions {
  /** Accept a host name as well as IP literals (PT 2.1 §1.1.3 `-target`, 2.x ORPort). Default false. */
  readonly allowDomain?: boolean;
  /** Accept port 0, "pick one" (bind addresses only). Default false. */
  readonly allowZeroPort?: boolean;
  /** Accept `1:2::3:4:9999` (IPv6 without brackets; tor before #7011). Default false. */
  readonly allowUnbracketedIPv6?: boolean;
}

/** True for a dotted-quad IPv4 literal; leading zeros are rejected (they would mean octal to some parsers). */
export function isIPv4(s: string): boolean {
  const parts = s.split(".");
  if (parts.length !== 4) return false;
  for (const p of parts) {
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return false;
  }
  return true;
}

/** True for an RFC 4291 §2.2 IPv6 text literal (with optional embedded IPv4; no zone identifier). */
export function isIPv6(s: string): boolean {
  if (s.length === 0 || s.length > 45) return false;
  const halves = s.split("::");
  if (halves.length > 2) return false;
  const groups = (half: string): string[] => (half === "" ? [] : half.split(":"));
  const head = groups(halves[0]!);
  const tail = halves.length === 2 ? groups(halves[1]!) : [];
  const all = [...head, ...tail];
  // The last written group ends the literal unless a "::" follows it.
  const lastEnds = halves.length === 1 || tail.length > 0;
  let count = 0;
  for (let i = 0; i < all.length; i++) {
    const g = all[i]!;
    if (lastEnds && i === all.length - 1 && g.includes(".")) {
      // An embedded IPv4 address may only end the literal; it fills two groups.
      if (!isIPv4(g)) return false;
      count += 2;
    } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) {
      count += 1;
    } else {
      return false;
    }
  }
  // "::" stands for at least one zero group, so with it fewer than 8 are written.
  return halves.length === 2 ? count <= 7 : count === 8;
}

/** True for a syntactically valid DNS host name (letters, digits, `-`, `_`; optional trailing dot). */
export function isDomainName(s: string): boolean {
  const name = s.endsWith(".") ? s.slice(0, -1) : s;
  if (name.length === 0 || name.length > MAX_DOMAIN_NAME_LENGTH) return false;
  // All digits and dots is an (invalid) IPv4 literal, never a name.
  if (/^[0-9.]+$/.test(name)) return false;
  return name
    .split(".")
    .every(
      (label) =>
        label.length > 0 &&
        label.length <= MAX_DOMAIN_LABEL_LENGTH &&
        /^[A-Za-z0-9_]([A-Za-z0-9_-]*[A-Za-z0-9_])?$/.test(label),
    );
}

/** Parses a decimal port; undefined when it is not one (no sign, no hex, no spaces). */
export function parsePort(s: string): number | undefined {
  if (!/^[0-9]+$/.test(s)) return undefined;
  const n = Number(s);
  return n <= 65535 ? n : undefined;
}

/** Parses `<address>:<port>` (see the file comment for the accepted forms). Throws {@link AddressError}. */
export function parseHostPort(s: string, options: HostPortOptions = {}): HostPort {
  let split = splitHostPort(s);
  if (typeof split === "string" && options.allowUnbracketedIPv6 === true) {
    // goptlib resolveAddr: split after the last colon and retry with brackets.
    const i = s.lastIndexOf(":");
    if (i > 0 && s.indexOf(":") !== i) split = splitHostPort(`[${s.slice(0, i)}]${s.slice(i)}`);
  }
  if (typeof split === "string") throw new AddressError(`${quote(s)}: ${split}`);
  const { host, portText, bracketed } = split;
  const port = parsePort(portText);
  if (port === undefined) throw new AddressError(`${quote(s)}: bad port ${quote(portText)}`);
  if (port === 0 && options.allowZeroPort !== true) throw new AddressError(`${quote(s)}: port 0`);
  if (isIPv4(host)) return { host, port, type: "ipv4" };
  if (isIPv6(host)) return { host, port, type: "ipv6" };
  if (!bracketed && options.allowDomain === true && isDomainName(host)) return { host, port, type: "domain" };
  throw new AddressError(
    `${quote(s)}: ${quote(host)} is not ${options.allowDomain === true ? "an IP address or host name" : "an IP address"}`,
  );
}

/** Parses a TOR_PT_SERVER_BINDADDR value: an IP literal, port 0 allowed ("pick one"). */
export function parseBindAddr(s: string): HostPort {
  return parseHostPort(s, { allowZeroPort: true, allowUnbracketedIPv6: true });
}

/** Formats a {@link HostPort} the way tor writes it: IPv6 in brackets. */
export function formatHostPort(hp: HostPort): string {
  return hp.type === "ipv6" ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

interface Split {
  readonly host: string;
  readonly portText: string;
  readonly bracketed: boolean;
}

/** Go's net.SplitHostPort rules; returns the reason as a string on failure. */
function splitHostPort(s: string): Split | string {
  if (s.startsWith("[")) {
    const end = s.indexOf("]");
    if (end < 0) return "missing ']'";
    if (end + 1 >= s.length) return "missing port";
    if (s[end + 1] !== ":") return "junk after ']'";
    const host = s.slice(1, end);
    const portText = s.slice(end + 2);
    if (host.includes("[") || portText.includes("[") || portText.includes("]")) return "unexpected bracket";
    if (portText === "") return "missing port";
    return { host, portText, bracketed: true };
  }
  const i = s.lastIndexOf(":");
  if (i < 0) return "missing port";
  const host = s.slice(0, i);
  const portText = s.slice(i + 1);
  if (host.includes(":")) return "too many colons";
  if (/[[\]]/.test(s)) return "unexpected bracket";
  if (host === "") return "missing host";
  if (portText === "") return "missing port";
  return { host, portText, bracketed: false };
}

/** JSON-quotes hostile text for an error message, shortened so one bad value cannot flood a log. */
export function quote(s: string, max = 64): string {
  return JSON.stringify(s.length > max ? `${s.slice(0, max)}…` : s);
}
