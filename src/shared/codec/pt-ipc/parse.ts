/**
 * Reading IPC lines, for a parent process (pt-spec 1.0 §3.3, 2.0 §3.3.2).
 * We read what tor reads, the way tor reads it (transports.c):
 *
 * - Unknown keywords, and lines that are not `<Keyword> <Args>` at all, are
 *   returned as UNKNOWN: "The parent process MUST ignore lines received from
 *   PT proxies with unknown keywords."
 * - Method lines split on whitespace runs; the transport must be a C
 *   identifier, the address an IP literal with a non-zero port; extra tokens
 *   after a CMETHOD address are ignored, as tor does.
 * - Free-text messages (`ENV-ERROR <msg>` …) are everything after the first
 *   space, kept exactly, so that formatting and parsing round-trip.
 * - A malformed configuration line (VERSION, CMETHOD, SMETHOD, …) throws
 *   {@link IpcParseError}: tor marks such a PT broken. A malformed LOG or
 *   STATUS line is only logged by tor, so by default it comes back as UNKNOWN
 *   (pass `strict: true` to get the error instead).
 */
import { AddressError, type HostPort, quote } from "../../net/host-port.js";
import { parsePtAddress } from "./address.js";
import { IpcParseError, IpcParseErrorCode } from "./errors.js";
import { decodeSmethodArgs } from "./escaping.js";
import { VERSION_TOKEN_RE } from "./format.js";
import { parseKvLine } from "./kvline.js";
import { CMETHOD_PROXY_TYPES, LOG_SEVERITIES } from "./types.js";
import { isPtTransportName } from "./transport-name.js";
import type { CmethodProxyType, IpcMessage, LogSeverity, SmethodMessage } from "./types.js";

export interface ParseOptions {
  /** Throw on a malformed LOG/STATUS line instead of returning it as UNKNOWN. Default false. */
  readonly strict?: boolean;
}

/**
 * Parses one line (without its newline; a trailing CR should already be
 * stripped, as tor does). Never throws for unknown keywords; throws
 * {@link IpcParseError} for a NUL or LF in the line and for malformed known lines.
 */
export function parseIpcLine(line: string, options: ParseOptions = {}): IpcMessage {
  if (line.includes("\0") || line.includes("\n")) {
    throw new IpcParseError(IpcParseErrorCode.FORBIDDEN_BYTE, `NUL or LF inside IPC line ${quote(line)}`);
  }
  const space = line.indexOf(" ");
  const keyword = space < 0 ? line : line.slice(0, space);
  const rest = space < 0 ? "" : line.slice(space + 1);
  const unknown: IpcMessage = { kind: "UNKNOWN", keyword, rest };
  switch (keyword) {
    case "VERSION": {
      const tokens = splitTokens(rest);
      if (tokens.length !== 1 || !VERSION_TOKEN_RE.test(tokens[0]!)) throw malformed(line, "VERSION takes one version");
      return { kind: "VERSION", version: tokens[0]! };
    }
    case "VERSION-ERROR":
    case "ENV-ERROR":
    case "PROXY-ERROR":
      return { kind: keyword, message: rest };
    case "PROXY":
    case "CMETHODS":
    case "SMETHODS": {
      // Only "<KEYWORD> DONE" is defined; anything else is an unknown line.
      const tokens = splitTokens(rest);
      if (tokens.length !== 1 || tokens[0] !== "DONE") return unknown;
      return { kind: `${keyword} DONE` };
    }
    case "CMETHOD":
      return parseCmethod(line, splitTokens(rest));
    case "SMETHOD":
      return parseSmethod(line, splitTokens(rest));
    case "CMETHOD-ERROR":
    case "SMETHOD-ERROR": {
      const cut = rest.indexOf(" ");
      const transport = cut < 0 ? rest : rest.slice(0, cut);
      if (transport === "") throw malformed(line, `${keyword} needs a transport name`);
      return { kind: keyword, transport, message: cut < 0 ? "" : rest.slice(cut + 1) };
    }
    case "LOG":
    case "STATUS":
      try {
        return keyword === "LOG" ? parseLog(rest) : parseStatus(rest);
      } catch (e) {
        if (options.strict === true || !(e instanceof IpcParseError)) throw e;
        return unknown;
      }
    default:
      return unknown;
  }
}

/** tor splits method lines with SPLIT_SKIP_SPACE|SPLIT_IGNORE_BLANK: on whitespace runs. */
function splitTokens(s: string): string[] {
  return s.split(/[ \t\r\v\f]+/).filter((t) => t !== "");
}

function parseCmethod(line: string, tokens: string[]): IpcMessage {
  if (tokens.length < 3) throw malformed(line, "CMETHOD needs <transport> <proxy type> <address:port>");
  const [transport, proxyType, address] = tokens as [string, string, string];
  checkTransport(line, transport);
  if (!(CMETHOD_PROXY_TYPES as readonly string[]).includes(proxyType)) {
    throw malformed(line, `unknown proxy type ${quote(proxyType)}`);
  }
  return {
    kind: "CMETHOD",
    transport,
    proxyType: proxyType as CmethodProxyType,
    address: methodAddress(line, address),
  };
}

function parseSmethod(line: string, tokens: string[]): SmethodMessage {
  if (tokens.length < 2) throw malformed(line, "SMETHOD needs <transport> <address:port>");
  const [transport, address, ...optionTokens] = tokens as [string, string, ...string[]];
  checkTransport(line, transport);
  const base = { kind: "SMETHOD", transport, address: methodAddress(line, address) } as const;
  let args: SmethodMessage["args"];
  const options: string[] = [];
  for (const token of optionTokens) {
    if (token.startsWith("ARGS:") && args === undefined) {
      try {
        args = decodeSmethodArgs(token.slice("ARGS:".length));
      } catch (e) {
        throw malformed(line, `bad ARGS: ${(e as Error).message}`, e);
      }
    } else {
      options.push(token);
    }
  }
  return {
    ...base,
    ...(args !== undefined && args.size > 0 ? { args } : {}),
    ...(options.length > 0 ? { options } : {}),
  };
}

function parseLog(rest: string): IpcMessage {
  const pairs = parseKvLine(rest);
  // tor config_line_find: the first occurrence of each key counts.
  const severity = pairs.find(([k]) => k === "SEVERITY")?.[1];
  const message = pairs.find(([k]) => k === "MESSAGE")?.[1];
  if (message === undefined) throw badKv(rest, "LOG without MESSAGE");
  if (severity === undefined) throw badKv(rest, "LOG without SEVERITY");
  if (!(LOG_SEVERITIES as readonly string[]).includes(severity)) {
    throw badKv(rest, `unknown severity ${quote(severity)}`);
  }
  return { kind: "LOG", severity: severity as LogSeverity, message };
}

function parseStatus(rest: string): IpcMessage {
  const pairs = parseKvLine(rest);
  const t = pairs.findIndex(([k]) => k === "TRANSPORT");
  const fields = t < 0 ? pairs : pairs.filter((_, i) => i !== t);
  if (fields.length === 0) throw badKv(rest, "STATUS needs at least one K=V besides TRANSPORT");
  return t < 0 ? { kind: "STATUS", fields } : { kind: "STATUS", transport: pairs[t]![1], fields };
}

function checkTransport(line: string, transport: string): void {
  if (!isPtTransportName(transport)) {
    throw malformed(line, `transport name ${quote(transport)} is not a C identifier`);
  }
}

function methodAddress(line: string, text: string): HostPort {
  try {
    return parsePtAddress(text);
  } catch (e) {
    if (e instanceof AddressError) throw malformed(line, e.message, e);
    throw e;
  }
}

function malformed(line: string, why: string, cause?: unknown): IpcParseError {
  return new IpcParseError(IpcParseErrorCode.MALFORMED, `malformed IPC line ${quote(line)}: ${why}`, { cause });
}

function badKv(rest: string, why: string): IpcParseError {
  return new IpcParseError(IpcParseErrorCode.BAD_KVLINE, `bad LOG/STATUS arguments ${quote(rest)}: ${why}`);
}
