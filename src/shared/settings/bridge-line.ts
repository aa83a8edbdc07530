/**
 * Tor bridge lines: `[Bridge] <transport> <addr:port> [fingerprint] [k=v …]`
 * (tor's torrc `Bridge` option; tor's parse_bridge_line; pt-spec §3.5 for how
 * the k=v arguments reach the PT). Pure string functions: parse, format, and
 * the conversions the settings parser needs.
 *
 * Decisions where tor is looser or silent (tor is the tie-breaker for what a
 * line means, not for what we must accept):
 * - A transport name is required: a "vanilla" line (`1.2.3.4:443 FP`) is no
 *   use to a browser, which cannot speak tor's TLS over raw TCP. Names are C
 *   identifiers as tor requires; `bridge` (any case) is reserved because it
 *   would be ambiguous with the optional `Bridge` keyword.
 * - The port is required (tor would quietly default to 443).
 * - The address is an IP literal, as in tor: IPv4 dotted quad or `[IPv6]`,
 *   canonicalized (RFC 5952), so equal bridges format equally.
 * - The fingerprint is 40 hex digits, printed in uppercase like tor does.
 * - A token with `=` right after the address is an argument, not a
 *   fingerprint (tor's string_is_key_value rule); every later token must be
 *   `k=v` with a non-empty key; `=` inside the value is kept.
 * - Lines are printable ASCII separated by spaces or tabs (as torrc lines are
 *   in practice); surrounding whitespace, including a pasted newline, is
 *   trimmed. Unknown transports parse, with `known: false`.
 */
import { formatHost, tryParseHostPort } from "../net/host-port.js";
import { type IpFamily, parseIp } from "../net/ip.js";
import { isPtTransportName } from "../codec/pt-ipc/transport-name.js";
import { BridgeLineError } from "./errors.js";
import { MAX_BRIDGE_ARGS, MAX_BRIDGE_LINE_LENGTH } from "./limits.js";
import { isTransportName } from "./schemas.js";

/** One `k=v` argument, in line order; keys may repeat. */
export type BridgeArg = readonly [key: string, value: string];

export interface BridgeLine {
  readonly transport: string;
  /** Whether webpt implements `transport` (obfs4, websocket, webrtc). */
  readonly known: boolean;
  /** Canonical IP text; IPv6 without brackets. */
  readonly host: string;
  readonly family: IpFamily;
  readonly port: number;
  /** The bridge's RSA identity fingerprint, 40 uppercase hex digits, or null. */
  readonly fingerprint: string | null;
  readonly args: readonly BridgeArg[];
}

/** What formatBridgeLine needs; `known` and `family` are derived. */
export interface BridgeLineInit {
  readonly transport: string;
  readonly host: string;
  readonly port: number;
  readonly fingerprint?: string | null;
  readonly args?: readonly BridgeArg[];
}

const FINGERPRINT = /^[0-9A-Fa-f]{40}$/;
/** A key: printable ASCII without `=`; a value: printable ASCII (may contain `=`). No spaces in either. */
const ARG_KEY = /^[\x21-\x3c\x3e-\x7e]+$/;
const ARG_VALUE = /^[\x21-\x7e]*$/;

function checkTransport(name: string): void {
  if (!isPtTransportName(name)) {
    throw new BridgeLineError(
      "ERR_BRIDGE_BAD_TRANSPORT",
      `transport name ${JSON.stringify(name.slice(0, 64))} is not a C identifier (letters, digits, _)`,
    );
  }
  if (name.toLowerCase() === "bridge") {
    throw new BridgeLineError("ERR_BRIDGE_BAD_TRANSPORT", `"${name}" is reserved and cannot name a transport`);
  }
}

/**
 * `addr:port` with the shared strict rules (src/shared/net): an IPv4 dotted
 * quad or `[IPv6]`, canonical text, a port 1–65535 without leading zeros.
 * The fault's field picks the code, host before port, left to right.
 */
function parseAddrPort(token: string): { host: string; family: IpFamily; port: number } {
  const addr = tryParseHostPort(token);
  if ("problem" in addr) {
    const where = `address ${JSON.stringify(token.slice(0, 64))}`;
    if (addr.field === "port")
      throw new BridgeLineError("ERR_BRIDGE_BAD_PORT", `${where}: ${addr.reason} (want 1-65535)`);
    throw new BridgeLineError(
      "ERR_BRIDGE_BAD_ADDRESS",
      `${where}: ${addr.reason} (bridge lines take IPv4 or [IPv6], not names)`,
    );
  }
  return { host: addr.host, family: addr.type === "ipv4" ? 4 : 6, port: addr.port };
}

function parseArg(token: string): BridgeArg {
  const eq = token.indexOf("=");
  if (eq < 0) {
    throw new BridgeLineError(
      "ERR_BRIDGE_BAD_ARG",
      `${JSON.stringify(token.slice(0, 64))} is not a key=value argument (a fingerprint goes right after the address)`,
    );
  }
  if (eq === 0)
    throw new BridgeLineError("ERR_BRIDGE_BAD_ARG", `argument ${JSON.stringify(token.slice(0, 64))} has no key`);
  return [token.slice(0, eq), token.slice(eq + 1)];
}

function isAsciiSpace(c: number): boolean {
  return c === 0x20 || (c >= 0x09 && c <= 0x0d); // space, \t \n \v \f \r
}

/**
 * Strips ASCII whitespace from both ends, as a paste brings it (a trailing
 * newline). A loop, not a regex: `/\s+$/` backtracks quadratically on
 * input with long inner runs of spaces.
 */
export function trimAsciiSpace(text: string): string {
  let start = 0;
  let end = text.length;
  while (start < end && isAsciiSpace(text.charCodeAt(start))) start++;
  while (end > start && isAsciiSpace(text.charCodeAt(end - 1))) end--;
  return text.slice(start, end);
}

/** Parses one bridge line; throws BridgeLineError with a code naming the bad part. */
export function parseBridgeLine(text: string): BridgeLine {
  if (typeof text !== "string") throw new BridgeLineError("ERR_BRIDGE_EMPTY", "a bridge line must be a string");
  if (text.length > MAX_BRIDGE_LINE_LENGTH) {
    throw new BridgeLineError("ERR_BRIDGE_TOO_LONG", `bridge line is longer than ${MAX_BRIDGE_LINE_LENGTH} characters`);
  }
  const line = trimAsciiSpace(text);
  const bad = /[^\x20-\x7e\t]/.exec(line);
  if (bad) {
    const code = bad[0].charCodeAt(0);
    throw new BridgeLineError(
      "ERR_BRIDGE_BAD_CHAR",
      code === 0x0a || code === 0x0d
        ? "a bridge line is a single line (found a line break inside it)"
        : `character U+${code.toString(16).padStart(4, "0").toUpperCase()} at offset ${bad.index} is not allowed ` +
            "(bridge lines are printable ASCII)",
    );
  }
  const tokens = line === "" ? [] : line.split(/[ \t]+/);
  if (tokens[0]?.toLowerCase() === "bridge") tokens.shift();
  const transport = tokens.shift();
  if (transport === undefined) throw new BridgeLineError("ERR_BRIDGE_EMPTY", "the bridge line is empty");
  if (/^[[0-9]/.test(transport)) {
    throw new BridgeLineError(
      "ERR_BRIDGE_NO_TRANSPORT",
      "the line has no transport name; it must start with one (e.g. obfs4 1.2.3.4:443 ...)",
    );
  }
  checkTransport(transport);
  const addr = tokens.shift();
  if (addr === undefined) throw new BridgeLineError("ERR_BRIDGE_BAD_ADDRESS", "the bridge line has no address:port");
  const { host, family, port } = parseAddrPort(addr);

  let fingerprint: string | null = null;
  if (tokens[0] !== undefined && !tokens[0].includes("=")) {
    const fp = tokens.shift()!;
    if (!FINGERPRINT.test(fp)) {
      throw new BridgeLineError(
        "ERR_BRIDGE_BAD_FINGERPRINT",
        `${JSON.stringify(fp.slice(0, 64))} is neither a 40-hex-digit fingerprint nor a key=value argument`,
      );
    }
    fingerprint = fp.toUpperCase();
  }
  if (tokens.length > MAX_BRIDGE_ARGS) {
    throw new BridgeLineError("ERR_BRIDGE_TOO_MANY_ARGS", `more than ${MAX_BRIDGE_ARGS} key=value arguments`);
  }
  const args = tokens.map(parseArg);
  return { transport, known: isTransportName(transport), host, family, port, fingerprint, args };
}

/**
 * Formats a bridge line (without the `Bridge` keyword unless `prefix`). Bad
 * fields are a programmer error and fail loudly with the parser's codes,
 * never producing a line that would parse differently (goptlib's rule for
 * outgoing lines).
 */
export function formatBridgeLine(line: BridgeLineInit, options: { readonly prefix?: boolean } = {}): string {
  checkTransport(line.transport);
  const ip = parseIp(line.host, { brackets: true });
  if (ip === undefined) {
    throw new BridgeLineError("ERR_BRIDGE_BAD_ADDRESS", `${JSON.stringify(line.host)} is not an IP address`);
  }
  if (!Number.isInteger(line.port) || line.port < 1 || line.port > 65535) {
    throw new BridgeLineError("ERR_BRIDGE_BAD_PORT", `port ${line.port} is not 1-65535`);
  }
  const parts = [line.transport, `${formatHost(ip)}:${line.port}`];
  if (line.fingerprint !== undefined && line.fingerprint !== null) {
    if (!FINGERPRINT.test(line.fingerprint)) {
      throw new BridgeLineError("ERR_BRIDGE_BAD_FINGERPRINT", "a fingerprint is 40 hex digits");
    }
    parts.push(line.fingerprint.toUpperCase());
  }
  const args = line.args ?? [];
  if (args.length > MAX_BRIDGE_ARGS) {
    throw new BridgeLineError("ERR_BRIDGE_TOO_MANY_ARGS", `more than ${MAX_BRIDGE_ARGS} key=value arguments`);
  }
  for (const [k, v] of args) {
    if (!ARG_KEY.test(k)) {
      throw new BridgeLineError(
        "ERR_BRIDGE_BAD_ARG",
        `argument key ${JSON.stringify(k)} is empty or has =, space or non-ASCII`,
      );
    }
    if (!ARG_VALUE.test(v)) {
      throw new BridgeLineError(
        "ERR_BRIDGE_BAD_ARG",
        `the value of ${k} has a space or a non-printable/non-ASCII character`,
      );
    }
    parts.push(`${k}=${v}`);
  }
  const out = (options.prefix === true ? "Bridge " : "") + parts.join(" ");
  if (out.length > MAX_BRIDGE_LINE_LENGTH) {
    throw new BridgeLineError(
      "ERR_BRIDGE_TOO_LONG",
      `bridge line would be longer than ${MAX_BRIDGE_LINE_LENGTH} characters`,
    );
  }
  return out;
}

/**
 * The arguments as goptlib's `Args` (`Record<string, string[]>`, values in
 * line order). The record has no prototype, so a key such as `__proto__` is
 * an ordinary key.
 */
export function bridgeArgsToRecord(args: readonly BridgeArg[]): Record<string, string[]> {
  const out = Object.create(null) as Record<string, string[]>;
  for (const [k, v] of args) (out[k] ??= []).push(v);
  return out;
}
