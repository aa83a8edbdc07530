import { bytesToBinaryString, utf8Encode } from "../../bytes/bytes.js";
import {
  EXTOR_CMD_DENY,
  EXTOR_CMD_DONE,
  EXTOR_CMD_OKAY,
  EXTOR_CMD_TRANSPORT,
  EXTOR_CMD_USERADDR,
  encodeExtOrCommand,
} from "./command.js";
import { ExtOrError, ExtOrErrorCode } from "./errors.js";
import { formatIPv4, formatIPv6, isIPv4Mapped, parseIPv4, parseIPv6 } from "./ip-address.js";

/**
 * The metadata commands of tor-ext-orport-spec.txt §3.2: USERADDR and
 * TRANSPORT bodies, formatted by the PT and parsed by the bridge, and the
 * fixed DONE / OKAY / DENY frames.
 */

export interface UserAddr {
  /** Canonical address text without brackets: `1.2.3.4` or `1:2::3:4` (RFC 5952). */
  readonly host: string;
  readonly port: number;
  readonly family: 4 | 6;
}

const PORT = /^[0-9]{1,5}$/;
const C_IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * The USERADDR body for a client at `host`:`port`, or undefined when the
 * address is unusable, in which case the PT sends no USERADDR at all
 * (CONFORMANCE; "transports MUST NOT send" other formats, §3.2.1).
 *
 * Accepts what sockets report: an IPv4 or IPv6 literal, optionally in
 * brackets, optionally with an IPv6 zone (`fe80::1%eth0`, dropped: tor
 * cannot parse zones and closes the connection on a USERADDR it cannot
 * parse). An IPv4-mapped IPv6 address (`::ffff:1.2.3.4`, what a dual-stack
 * listener reports for an IPv4 peer) is sent as plain IPv4, as goptlib does
 * through Go's net.TCPAddr.String(), so the bridge's per-country statistics
 * see an IPv4 client. Host names, empty hosts and ports outside 0..65535
 * (or undefined, as on a destroyed Node socket) are unusable.
 */
export function formatUserAddr(host: string | undefined, port: number | undefined): string | undefined {
  if (typeof host !== "string" || typeof port !== "number") return undefined;
  if (!Number.isInteger(port) || port < 0 || port > 65535) return undefined;
  let h = host;
  if (h.startsWith("[") && h.endsWith("]")) h = h.slice(1, -1);
  const v4 = parseIPv4(h);
  if (v4 !== undefined) return `${formatIPv4(v4)}:${port}`;
  const zone = h.indexOf("%");
  if (zone !== -1) h = h.slice(0, zone);
  const v6 = parseIPv6(h);
  if (v6 === undefined) return undefined;
  if (isIPv4Mapped(v6)) return `${formatIPv4(v6.subarray(12))}:${port}`;
  return `[${formatIPv6(v6)}]:${port}`;
}

/**
 * Parses a USERADDR string in one of the two recognised formats (§3.2.1):
 * `1.2.3.4:5678` or `[1:2::3:4]:5678`. Anything else, including a bare IPv6
 * address without brackets, a host name, a zone or a NUL, is an ExtOrError
 * (ERR_EXTOR_BAD_USERADDR): "a recognized command that does not parse" makes
 * the bridge close the connection (§3.1).
 */
export function parseUserAddr(text: string): UserAddr {
  const bad = (why: string): ExtOrError =>
    new ExtOrError(ExtOrErrorCode.BAD_USERADDR, `bad USERADDR ${JSON.stringify(text.slice(0, 64))}: ${why}`);
  let hostText: string;
  let portText: string;
  if (text.startsWith("[")) {
    const close = text.indexOf("]:");
    if (close === -1) throw bad("expected [IPv6]:port");
    hostText = text.slice(1, close);
    portText = text.slice(close + 2);
  } else {
    const colon = text.lastIndexOf(":");
    if (colon === -1) throw bad("missing :port");
    hostText = text.slice(0, colon);
    portText = text.slice(colon + 1);
  }
  if (!PORT.test(portText) || Number(portText) > 65535) throw bad("port must be a decimal number in 0..65535");
  const port = Number(portText);
  if (text.startsWith("[")) {
    const v6 = parseIPv6(hostText);
    if (v6 === undefined) throw bad("not an IPv6 literal");
    return { host: formatIPv6(v6), port, family: 6 };
  }
  const v4 = parseIPv4(hostText);
  if (v4 === undefined) throw bad("not an IPv4 dotted quad (IPv6 needs brackets)");
  return { host: formatIPv4(v4), port, family: 4 };
}

/** Parses a USERADDR command body (ASCII, not NUL-terminated, §3.2.1). */
export function parseUserAddrBody(body: Uint8Array): UserAddr {
  return parseUserAddr(bytesToBinaryString(body));
}

/**
 * True when `name` is a valid pluggable transport name: a C identifier
 * (§3.2.2; tor checks it with string_is_C_identifier and closes the
 * connection otherwise).
 */
export function isTransportName(name: string): boolean {
  return C_IDENTIFIER.test(name);
}

/** Parses a TRANSPORT command body; a non-identifier is ERR_EXTOR_BAD_TRANSPORT (§3.2.2). */
export function parseTransportBody(body: Uint8Array): string {
  const name = bytesToBinaryString(body);
  if (!isTransportName(name)) {
    throw new ExtOrError(
      ExtOrErrorCode.BAD_TRANSPORT,
      `bad TRANSPORT ${JSON.stringify(name.slice(0, 64))}: transport names are C identifiers`,
    );
  }
  return name;
}

/**
 * USERADDR command frame. The address must already be in a recognised
 * format (use formatUserAddr): sending anything else is a programmer error
 * and throws TypeError, the way goptlib panics on forbidden bytes.
 */
export function encodeUserAddr(addr: string): Uint8Array {
  if (typeof addr !== "string") throw new TypeError("USERADDR must be a string");
  try {
    parseUserAddr(addr);
  } catch (e) {
    throw new TypeError(`refusing to send USERADDR ${JSON.stringify(addr)}: not 1.2.3.4:5678 or [1:2::3:4]:5678`, {
      cause: e,
    });
  }
  return encodeExtOrCommand(EXTOR_CMD_USERADDR, utf8Encode(addr));
}

/** TRANSPORT command frame; TypeError unless `name` is a C identifier (§3.2.2). */
export function encodeTransport(name: string): Uint8Array {
  if (typeof name !== "string" || !isTransportName(name)) {
    throw new TypeError(`refusing to send TRANSPORT ${JSON.stringify(name)}: not a C identifier`);
  }
  return encodeExtOrCommand(EXTOR_CMD_TRANSPORT, utf8Encode(name));
}

/** DONE: `00 00 00 00`. */
export function encodeDone(): Uint8Array {
  return encodeExtOrCommand(EXTOR_CMD_DONE);
}

/** OKAY: `10 00 00 00`. */
export function encodeOkay(): Uint8Array {
  return encodeExtOrCommand(EXTOR_CMD_OKAY);
}

/** DENY: `10 01 00 00`. */
export function encodeDeny(): Uint8Array {
  return encodeExtOrCommand(EXTOR_CMD_DENY);
}
