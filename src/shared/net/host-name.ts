/**
 * DNS host names and ports as text: the syntax checks behind every
 * `host:port` the codecs read. Strict by default; each relaxation is an
 * option named after the caller's reason for it, so one rule serves PT IPC
 * (`-target`, 2.x ORPort), settings URLs and bridge lines alike.
 */

/** RFC 1035 §2.3.4: at most 63 octets a label. */
export const MAX_DOMAIN_LABEL_LENGTH = 63;
/** RFC 1035 §2.3.4 (255 octets on the wire) as text: 253 characters without the root dot. */
export const MAX_DOMAIN_NAME_LENGTH = 253;
/** The largest TCP/UDP port (RFC 793 §3.1: 16 bits). */
export const MAX_PORT = 65535;

/** Relaxations for {@link isDomainName}; all off by default. */
export interface DomainNameOptions {
  /** Accept one final `.`, the DNS root (`example.com.`), as tor and Go accept in a target. */
  readonly trailingDot?: boolean;
  /**
   * Accept `-` at the start or end of a label. RFC 1123 §2.1 forbids it, but
   * browsers resolve such names, so URL checks must not be stricter than them.
   */
  readonly edgeHyphens?: boolean;
  /**
   * Accept a last label that is a number (`a.123`, `a.0x1f`), refusing only
   * names made of digits and dots alone (a broken IPv4 literal). Off, the
   * WHATWG URL "ends in a number" rule applies: browsers read such a host as
   * an IPv4 address, and we must not read it as a name.
   */
  readonly numericLastLabel?: boolean;
}

const STRICT_LABEL = /^[A-Za-z0-9_](?:[A-Za-z0-9_-]*[A-Za-z0-9_])?$/;
const LOOSE_LABEL = /^[A-Za-z0-9_-]+$/;
const NUMERIC_LABEL = /^(?:0x[0-9a-f]*|[0-9]+)$/i;
const DIGITS_AND_DOTS = /^[0-9.]+$/;

/**
 * True for a syntactically valid DNS host name: dot-separated labels of
 * 1–63 ASCII letters, digits, `_` and `-` (RFC 1123 §2.1; `_` because
 * service names use it), 253 characters in all. Internationalized names
 * must already be punycode (`xn--…`).
 */
export function isDomainName(text: string, options: DomainNameOptions = {}): boolean {
  const name = options.trailingDot === true && text.endsWith(".") ? text.slice(0, -1) : text;
  if (name.length === 0 || name.length > MAX_DOMAIN_NAME_LENGTH) return false;
  if (DIGITS_AND_DOTS.test(name)) return false;
  const labels = name.split(".");
  const label = options.edgeHyphens === true ? LOOSE_LABEL : STRICT_LABEL;
  for (const l of labels) {
    if (l.length > MAX_DOMAIN_LABEL_LENGTH || !label.test(l)) return false;
  }
  return options.numericLastLabel === true || !NUMERIC_LABEL.test(labels[labels.length - 1]!);
}

/**
 * How a port may be written, per caller:
 * - `canonical`: plain decimal without leading zeros (`80`), as URLs and bridge lines write it;
 * - `padded`: 1–5 digits, leading zeros allowed (`00080`), what tor's USERADDR parser takes;
 * - `decimal`: any run of digits (`0000080`), goptlib's strconv.ParseUint for PT IPC addresses.
 * Never a sign, space, hex or an empty string.
 */
export type PortSyntax = "canonical" | "padded" | "decimal";

export interface PortOptions {
  /** Default `canonical`. */
  readonly syntax?: PortSyntax;
  /** Accept port 0 ("pick one", for bind addresses). Default false. */
  readonly allowZero?: boolean;
}

const PORT_SYNTAX: Readonly<Record<PortSyntax, RegExp>> = {
  canonical: /^(?:0|[1-9][0-9]{0,4})$/,
  padded: /^[0-9]{1,5}$/,
  decimal: /^[0-9]+$/,
};

/** A port 0/1–65535 written as `options` allow, or undefined. */
export function parsePort(text: string, options: PortOptions = {}): number | undefined {
  if (!PORT_SYNTAX[options.syntax ?? "canonical"].test(text)) return undefined;
  const n = Number(text);
  if (n > MAX_PORT || (n === 0 && options.allowZero !== true)) return undefined;
  return n;
}
