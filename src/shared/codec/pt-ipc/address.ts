/**
 * `<address>:<port>` as the PT environment and IPC lines write it. The
 * parsing itself is shared (src/shared/net); this file fixes the leniencies
 * PT IPC needs to read what tor and goptlib write, following goptlib's
 * `resolveAddr` (its test table is our conformance table):
 *
 * - the port is any run of decimal digits (`00080`), as strconv.ParseUint reads it;
 * - `[1.2.3.4]:80` is an IPv4 address, as Go's SplitHostPort splits it;
 * - the host keeps the text it was written with (a parsed line formats back unchanged);
 * - host names, where a caller allows them (2.1 `-target`, 2.x ORPort), may end
 *   in the root dot and in a numeric label; only digits-and-dots is refused.
 *
 * Every value is an IP literal unless the caller allows names (pt-spec 1.0
 * §3.2.3 TOR_PT_SERVER_BINDADDR: "MUST NOT be a host name").
 */
import { type HostPort, type HostPortOptions, parseHostPort } from "../../net/host-port.js";

/** What a PT IPC caller may relax further: names, port 0, and unbracketed IPv6 (tor before #7011). */
export type PtAddressOptions = Pick<HostPortOptions, "allowDomain" | "allowZeroPort" | "allowUnbracketedIPv6">;

const PT_ADDRESS_SYNTAX: HostPortOptions = {
  portSyntax: "decimal",
  allowBracketedIPv4: true,
  keepHostText: true,
  domain: { trailingDot: true, numericLastLabel: true },
};

/** Parses a PT IPC `<address>:<port>` (see the file comment). Throws the shared AddressError. */
export function parsePtAddress(text: string, options: PtAddressOptions = {}): HostPort {
  return parseHostPort(text, { ...PT_ADDRESS_SYNTAX, ...options });
}

/** Parses a TOR_PT_SERVER_BINDADDR value: an IP literal, port 0 allowed ("pick one"). */
export function parseBindAddr(text: string): HostPort {
  return parsePtAddress(text, { allowZeroPort: true, allowUnbracketedIPv6: true });
}
