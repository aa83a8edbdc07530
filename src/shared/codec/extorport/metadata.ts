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
import { type HostPortOptions, formatHostPort, tryParseHostPort } from "../../net/host-port.js";
import { type IpFamily, parseIp } from "../../net/ip.js";
import { isPtTransportName } from "../pt-ipc/transport-name.js";

/**
 * The metadata commands of tor-ext-orport-spec.txt §3.2: USERADDR and
 * TRANSPORT bodies, formatted by the PT and parsed by the bridge, and the
 * fixed DONE / OKAY / DENY frames.
 */

export interface UserAddr {
  /** Canonical address text without brackets: `1.2.3.4` or `1:2::3:4` (RFC 5952). */
  readonly host: string;
  readonly port: number;
  readonly family: IpFamily;
}

/**
 * The two recognised USERADDR formats (§3.2.1) on the shared strict parser:
 * an IP literal, IPv6 only in brackets, canonical text; a port 0–65535 of at
 * most five digits (leading zeros allowed). No names, zones or `[1.2.3.4]`.
 */
const USERADDR_SYNTAX: HostPortOptions = { allowZeroPort: true, portSyntax: "padded" };

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
  const ip = parseIp(host, { brackets: true, allowBracketedIPv4: true, dropZone: true, unmapIPv4: true });
  return ip === undefined ? undefined : formatHostPort({ ...ip, port });
}

/**
 * Parses a USERADDR string in one of the two recognised formats (§3.2.1):
 * `1.2.3.4:5678` or `[1:2::3:4]:5678`. Anything else, including a bare IPv6
 * address without brackets, a host name, a zone or a NUL, is an ExtOrError
 * (ERR_EXTOR_BAD_USERADDR): "a recognized command that does not parse" makes
 * the bridge close the connection (§3.1).
 */
export function parseUserAddr(text: string): UserAddr {
  const addr = tryParseHostPort(text, USERADDR_SYNTAX);
  if ("problem" in addr) {
    throw new ExtOrError(
      ExtOrErrorCode.BAD_USERADDR,
      `bad USERADDR ${JSON.stringify(text.slice(0, 64))}: ${addr.reason} (want 1.2.3.4:5678 or [1:2::3:4]:5678)`,
    );
  }
  return { host: addr.host, port: addr.port, family: addr.type === "ipv4" ? 4 : 6 };
}

/** Parses a USERADDR command body (ASCII, not NUL-terminated, §3.2.1). */
export function parseUserAddrBody(body: Uint8Array): UserAddr {
  return parseUserAddr(bytesToBinaryString(body));
}

/**
 * Parses a TRANSPORT command body; a name that is not a C identifier
 * (isPtTransportName) is ERR_EXTOR_BAD_TRANSPORT (§3.2.2: tor closes the
 * connection).
 */
export function parseTransportBody(body: Uint8Array): string {
  const name = bytesToBinaryString(body);
  if (!isPtTransportName(name)) {
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
  if (typeof name !== "string" || !isPtTransportName(name)) {
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
