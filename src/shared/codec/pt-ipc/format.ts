/**
 * Writing IPC lines (pt-spec 1.0 §3.3, 2.0 §3.3.2, tor ipc.md LOG/STATUS).
 *
 * `formatIpcMessage` returns the line WITHOUT its trailing newline (goptlib's
 * `formatline`); `encodeIpcMessage` returns the bytes to write, newline
 * included. Every field is checked against the grammar and anything unsafe
 * throws {@link IpcFormatError}: a keyword is `[A-Za-z0-9_-]+`, an argument
 * never holds NUL, CR, LF or a byte >= 0x80 (goptlib `argIsSafe`, plus CR,
 * which would end a line for tor on Windows), and tokens that the parent
 * splits on whitespace hold no whitespace at all. Only LOG/STATUS values may
 * carry arbitrary text, and they go through CString escaping. A final check
 * over the whole line backs this up, so unsafe bytes never reach stdout.
 */
import { type HostPort, formatHostPort } from "../../net/host-port.js";
import { isIPv4, isIPv6 } from "../../net/ip.js";
import { IpcFormatError } from "./errors.js";
import type { PtVersion } from "./errors.js";
import { argsEntries, encodeSmethodArgs } from "./escaping.js";
import { encodeCString, encodeKvValue, isKvKey } from "./kvline.js";
import { TRANSPORT_NAME_RE } from "./transport-name.js";
import { CMETHOD_PROXY_TYPES, CMETHOD_PROXY_TYPES_V1, LOG_SEVERITIES } from "./types.js";
import type { IpcMessage, StatusMessage } from "./types.js";
import { utf8Encode } from "../../bytes/index.js";

/**
 * The longest line (in bytes, without the newline) we write or accept. tor
 * has no limit of its own; 64 KiB is far above any real line (an obfs4
 * SMETHOD is ~150 bytes) and bounds what a parent buffers for a PT's stdout.
 */
export const MAX_IPC_LINE_BYTES = 65536;

/** Keywords with a typed message; UNKNOWN must not reuse them. */
export const KNOWN_KEYWORDS: readonly string[] = [
  "VERSION",
  "VERSION-ERROR",
  "ENV-ERROR",
  "PROXY",
  "PROXY-ERROR",
  "CMETHOD",
  "CMETHOD-ERROR",
  "CMETHODS",
  "SMETHOD",
  "SMETHOD-ERROR",
  "SMETHODS",
  "LOG",
  "STATUS",
];

export interface FormatOptions {
  /**
   * The negotiated version. When "1", a CMETHOD may only name socks4/socks5:
   * tor marks a PT broken on any other proxy type (CONFORMANCE "CMETHOD types").
   */
  readonly version?: PtVersion;
}

const KEYWORD_RE = /^[A-Za-z0-9_-]+$/;
/** 2.0 §3.3.1.1: a version is non-whitespace, non-comma printable ASCII. */
export const VERSION_TOKEN_RE = /^[\x21-\x2b\x2d-\x7e]+$/;
/** A token the parent splits on whitespace: printable ASCII, no space. */
const TOKEN_RE = /^[\x21-\x7e]+$/;
// eslint-disable-next-line no-control-regex
const UNSAFE_ARG_RE = /[\u0000\r\n\u0080-\uffff]/;

/** Formats one message as a line without the trailing newline. Throws {@link IpcFormatError}. */
export function formatIpcMessage(msg: IpcMessage, options: FormatOptions = {}): string {
  const line = formatUnchecked(msg, options);
  // Belt and braces: whatever the branch above did, no forbidden byte leaves.
  if (UNSAFE_ARG_RE.test(line)) {
    throw new IpcFormatError(`line would contain a forbidden byte: ${JSON.stringify(line)}`);
  }
  const bytes = utf8Encode(line).length;
  if (bytes > MAX_IPC_LINE_BYTES) {
    throw new IpcFormatError(`line of ${bytes} bytes is over MAX_IPC_LINE_BYTES (${MAX_IPC_LINE_BYTES})`);
  }
  return line;
}

/** Formats one message as the bytes to write to stdout, newline included. */
export function encodeIpcMessage(msg: IpcMessage, options: FormatOptions = {}): Uint8Array {
  return utf8Encode(`${formatIpcMessage(msg, options)}\n`);
}

function formatUnchecked(msg: IpcMessage, options: FormatOptions): string {
  switch (msg.kind) {
    case "VERSION":
      return `VERSION ${check(msg.version, VERSION_TOKEN_RE, "version")}`;
    case "VERSION-ERROR":
    case "ENV-ERROR":
    case "PROXY-ERROR":
      return withText(msg.kind, msg.message);
    case "PROXY DONE":
    case "CMETHODS DONE":
    case "SMETHODS DONE":
      return msg.kind;
    case "CMETHOD": {
      const types = options.version === "1" ? CMETHOD_PROXY_TYPES_V1 : CMETHOD_PROXY_TYPES;
      if (!types.includes(msg.proxyType)) {
        throw new IpcFormatError(
          `proxy type ${JSON.stringify(msg.proxyType)} is not allowed in version ${options.version}`,
        );
      }
      return `CMETHOD ${transportName(msg.transport)} ${msg.proxyType} ${methodAddress(msg.address)}`;
    }
    case "CMETHOD-ERROR":
    case "SMETHOD-ERROR":
      return withText(`${msg.kind} ${transportName(msg.transport)}`, msg.message);
    case "SMETHOD":
      return formatSmethod(msg.transport, msg.address, msg.args, msg.options);
    case "LOG":
      if (!LOG_SEVERITIES.includes(msg.severity)) {
        throw new IpcFormatError(`unknown log severity ${JSON.stringify(msg.severity)}`);
      }
      // goptlib `Log`: MESSAGE is always a CString, whatever it holds.
      return `LOG SEVERITY=${msg.severity} MESSAGE=${encodeCString(msg.message)}`;
    case "STATUS":
      return formatStatus(msg);
    case "UNKNOWN":
      check(msg.keyword, KEYWORD_RE, "keyword");
      if (KNOWN_KEYWORDS.includes(msg.keyword)) {
        throw new IpcFormatError(`keyword ${msg.keyword} has a typed message; use it instead of UNKNOWN`);
      }
      return withText(msg.keyword, msg.rest);
    default:
      // Unreachable for typed callers; plain-JS callers get a loud error, not "undefined".
      throw new IpcFormatError(`unknown message kind ${JSON.stringify((msg as { kind?: unknown }).kind)}`);
  }
}

function formatSmethod(
  transport: string,
  address: HostPort,
  args: SmethodArgsField,
  extra: readonly string[] | undefined,
): string {
  const parts = ["SMETHOD", transportName(transport), methodAddress(address)];
  // ARGS goes first: tor only looks at the first option token.
  if (args !== undefined && argsEntries(args).some(([, values]) => values.length > 0)) {
    // An empty key cannot be written unambiguously (`ARGS:=v`); a formatting error like any other unsafe field.
    if (argsEntries(args).some(([key]) => key === "")) throw new IpcFormatError("SMETHOD ARGS key must not be empty");
    parts.push(check(`ARGS:${encodeSmethodArgs(args)}`, TOKEN_RE, "SMETHOD ARGS (no whitespace or non-ASCII)"));
  }
  for (const option of extra ?? []) {
    check(option, TOKEN_RE, "SMETHOD option");
    if (!option.includes(":") || option.startsWith("ARGS:")) {
      throw new IpcFormatError(`SMETHOD option ${JSON.stringify(option)} must be KEY:value and not ARGS`);
    }
    parts.push(option);
  }
  return parts.join(" ");
}

type SmethodArgsField = Parameters<typeof argsEntries>[0] | undefined;

function formatStatus(msg: StatusMessage): string {
  if (msg.fields.length === 0) throw new IpcFormatError("STATUS needs at least one K=V besides TRANSPORT");
  const parts = ["STATUS"];
  if (msg.transport !== undefined) parts.push(`TRANSPORT=${encodeKvValue(msg.transport)}`);
  for (const [key, value] of msg.fields) {
    if (!isKvKey(key)) throw new IpcFormatError(`bad STATUS key ${JSON.stringify(key)}`);
    if (key === "TRANSPORT") throw new IpcFormatError("put TRANSPORT in the transport field, not in fields");
    parts.push(`${key}=${encodeKvValue(value)}`);
  }
  return parts.join(" ");
}

/** `<head> <text>`, or just `<head>` when the text is empty. */
function withText(head: string, text: string): string {
  check(head, /^[A-Za-z0-9_-]+( [A-Za-z0-9_]+)?$/, "keyword");
  if (UNSAFE_ARG_RE.test(text)) {
    throw new IpcFormatError(`argument contains NUL, CR, LF or non-ASCII: ${JSON.stringify(text)}`);
  }
  return text === "" ? head : `${head} ${text}`;
}

function transportName(name: string): string {
  return check(name, TRANSPORT_NAME_RE, "transport name (a C identifier, pt-spec 1.0 §3.1)");
}

/** CMETHOD/SMETHOD addresses: an IP literal and a real port (tor rejects port 0 and host names). */
function methodAddress(address: HostPort): string {
  const ipOk = address.type === "ipv4" ? isIPv4(address.host) : address.type === "ipv6" && isIPv6(address.host);
  if (!ipOk) throw new IpcFormatError(`method address must be an IP literal, got ${JSON.stringify(address.host)}`);
  if (!Number.isInteger(address.port) || address.port < 1 || address.port > 65535) {
    throw new IpcFormatError(`method port must be 1..65535, got ${address.port}`);
  }
  return formatHostPort(address);
}

function check(value: string, re: RegExp, what: string): string {
  if (typeof value !== "string" || !re.test(value)) throw new IpcFormatError(`bad ${what}: ${JSON.stringify(value)}`);
  return value;
}
