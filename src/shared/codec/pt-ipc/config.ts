/**
 * The PT's configuration for each role, from the environment and the 2.x
 * flags (pt-spec 1.0 §3.2, 2.0 §3.3.1, 2.1 §1.1), and what to print at
 * startup. Pure: the process adapter passes `process.env` and the arguments
 * after the subcommand, then prints what these functions say to print.
 *
 * Checks run in goptlib's order — flags, version, common settings, role
 * settings, then (client) the upstream proxy — and the first failure is
 * thrown as an {@link IpcError} whose `line`, `stream` and `exitCode` the
 * adapter uses verbatim (see {@link ipcErrorOutput}).
 */
import type { HostPort } from "../../net/host-port.js";
import { parseBindAddr, parsePtAddress } from "./address.js";
import { IpcError, IpcErrorCode, PtArgsError } from "./errors.js";
import type { OutputStream } from "./errors.js";
import { decodeServerTransportOptions } from "./escaping.js";
import { formatIpcMessage } from "./format.js";
import { ProxyUriError, parseProxyUri } from "./proxy-uri.js";
import type { UpstreamProxy } from "./proxy-uri.js";
import type { Args, IpcMessage } from "./types.js";
import { addressEnvError, readCommon, splitTransports } from "./version.js";
import type { PtCommonConfig, PtConfigOptions, PtConfigResult, PtEnv, PtSettings } from "./version.js";

export interface PtClientConfig extends PtCommonConfig {
  readonly role: "client";
  /** TOR_PT_CLIENT_TRANSPORTS / -transports, in order. `*` is an ordinary (unknown) name, as in goptlib. */
  readonly transports: readonly string[];
  /** TOR_PT_PROXY / -proxy, validated. */
  readonly proxy: UpstreamProxy | undefined;
  /**
   * -target (2.1 §1.1.3, for transparent-TCP mode): an IP or a host name. 2.1
   * lists it with TOR_PT_ORPORT ("TOR_PT_ORPORT or -orport on the server or
   * -target on the client"), so a client also takes TOR_PT_ORPORT when no flag is given.
   */
  readonly target: HostPort | undefined;
  /**
   * -options (2.0 §3.3.1.2's `t:k=v;…` syntax), per transport: a transparent-TCP
   * client has no SOCKS handshake to carry per-connection args (seed 000 §3.3:
   * that mode "does not allow for per-connection configuration arguments"), so
   * the bridge's args come from here. Empty when not given.
   */
  readonly options: ReadonlyMap<string, Args>;
}

export interface PtServerTransport {
  readonly name: string;
  /** From TOR_PT_SERVER_BINDADDR; undefined when none was given (the PT picks; port 0 also means "pick one"). */
  readonly bindaddr: HostPort | undefined;
  /** This transport's TOR_PT_SERVER_TRANSPORT_OPTIONS (empty when none). */
  readonly options: Args;
}

export interface PtServerConfig extends PtCommonConfig {
  readonly role: "server";
  /** One entry per name in TOR_PT_SERVER_TRANSPORTS / -transports, in that order. */
  readonly transports: readonly PtServerTransport[];
  /** TOR_PT_ORPORT / -orport. An IP literal in version 1; version 2 also allows a host name (2.1 §1.1.3). */
  readonly orport: HostPort | undefined;
  /** TOR_PT_EXTENDED_SERVER_PORT / -extorport; undefined when unset or empty ("not used"). */
  readonly extendedServerPort: HostPort | undefined;
  /** TOR_PT_AUTH_COOKIE_FILE / -authcookie; re-read on every dial (CONFORMANCE "ExtORPort"). */
  readonly authCookieFile: string | undefined;
}

/** Reads a client's configuration. Throws {@link IpcError} (ENV-ERROR, VERSION-ERROR or PROXY-ERROR). */
export function parseClientConfig(
  env: PtEnv,
  argv: readonly string[] = [],
  options: PtConfigOptions = {},
): PtConfigResult<PtClientConfig> {
  const start = readCommon(env, argv, "client", options);
  if ("action" in start) return start;
  const { settings, common } = start;
  const transports = splitTransports(settings.require("transports", "TOR_PT_CLIENT_TRANSPORTS"));
  if (transports.length === 0) {
    throw settings.envError(IpcErrorCode.MISSING, "TOR_PT_CLIENT_TRANSPORTS names no transport");
  }

  const targetText = settings.get("target", "TOR_PT_ORPORT");
  let target: HostPort | undefined;
  if (targetText !== undefined) {
    try {
      target = parsePtAddress(targetText, { allowDomain: true, allowUnbracketedIPv6: true });
    } catch (e) {
      throw addressEnvError(settings, "-target", e);
    }
  }

  // pt-spec 1.0 §3 step 4: the proxy is validated after the environment, before any transport.
  const proxyText = settings.get("proxy", "TOR_PT_PROXY");
  let proxy: UpstreamProxy | undefined;
  if (proxyText !== undefined) {
    try {
      proxy = parseProxyUri(proxyText);
    } catch (e) {
      if (!(e instanceof ProxyUriError)) throw e;
      throw new IpcError(IpcErrorCode.PROXY, "PROXY-ERROR", e.message, common.version, { cause: e });
    }
  }
  let transportOptions: Map<string, Args>;
  try {
    transportOptions = decodeServerTransportOptions(settings.get("options", undefined) ?? "");
  } catch (e) {
    if (!(e instanceof PtArgsError)) throw e;
    throw settings.envError(IpcErrorCode.INVALID, `-options: ${e.message}`, e);
  }
  return {
    action: "run",
    config: { ...common, role: "client", transports, proxy, target, options: transportOptions },
  };
}

/** Reads a server's configuration. Throws {@link IpcError} (ENV-ERROR or VERSION-ERROR). */
export function parseServerConfig(
  env: PtEnv,
  argv: readonly string[] = [],
  options: PtConfigOptions = {},
): PtConfigResult<PtServerConfig> {
  const start = readCommon(env, argv, "server", options);
  if ("action" in start) return start;
  const { settings, common } = start;
  const names = splitTransports(settings.require("transports", "TOR_PT_SERVER_TRANSPORTS"));
  if (names.length === 0) throw settings.envError(IpcErrorCode.MISSING, "TOR_PT_SERVER_TRANSPORTS names no transport");

  const optionsText = settings.get("options", "TOR_PT_SERVER_TRANSPORT_OPTIONS") ?? "";
  let allOptions: Map<string, Args>;
  try {
    allOptions = decodeServerTransportOptions(optionsText);
  } catch (e) {
    if (!(e instanceof PtArgsError)) throw e;
    throw settings.envError(IpcErrorCode.INVALID, `TOR_PT_SERVER_TRANSPORT_OPTIONS: ${e.message}`, e);
  }
  const bindaddrs = readBindaddrs(settings);
  const transports = names.map((name) => ({
    name,
    bindaddr: bindaddrs.get(name),
    options: allOptions.get(name) ?? new Map<string, string[]>(),
  }));

  const orport = readAddress(settings, "orport", "TOR_PT_ORPORT", common.version === "2");
  // 2.0 §3.3.1.3: a parent without ExtORPort support sets the variable to the empty string.
  const extendedServerPort = readAddress(settings, "extorport", "TOR_PT_EXTENDED_SERVER_PORT", false);
  const authCookieFile = settings.get("authcookie", "TOR_PT_AUTH_COOKIE_FILE");
  if (extendedServerPort !== undefined && authCookieFile === undefined) {
    throw settings.envError(
      IpcErrorCode.MISSING,
      "need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT",
    );
  }
  if (orport === undefined && extendedServerPort === undefined) {
    throw settings.envError(
      IpcErrorCode.MISSING,
      "need TOR_PT_ORPORT or TOR_PT_EXTENDED_SERVER_PORT environment variable",
    );
  }
  return {
    action: "run",
    config: { ...common, role: "server", transports, orport, extendedServerPort, authCookieFile },
  };
}

/**
 * TOR_PT_SERVER_BINDADDR: `name-addr:port,…`. Every entry must parse, and a
 * name may appear once (goptlib, tor bug #21261); entries for transports not
 * requested are dropped later. Unlike goptlib the variable is optional, as
 * the spec says ("MAY be omitted").
 */
function readBindaddrs(settings: PtSettings): Map<string, HostPort> {
  const out = new Map<string, HostPort>();
  const text = settings.get("bindaddr", "TOR_PT_SERVER_BINDADDR");
  if (text === undefined) return out;
  for (const spec of text.split(",")) {
    const dash = spec.indexOf("-");
    if (dash < 0) {
      throw settings.envError(IpcErrorCode.INVALID, `TOR_PT_SERVER_BINDADDR: ${JSON.stringify(spec)} has no "-"`);
    }
    const name = spec.slice(0, dash);
    if (out.has(name)) {
      throw settings.envError(
        IpcErrorCode.INVALID,
        `TOR_PT_SERVER_BINDADDR: duplicate transport ${JSON.stringify(name)}`,
      );
    }
    try {
      out.set(name, parseBindAddr(spec.slice(dash + 1)));
    } catch (e) {
      throw addressEnvError(settings, "TOR_PT_SERVER_BINDADDR", e);
    }
  }
  return out;
}

/** An address to dial: IP literal (old unbracketed IPv6 accepted), host names only when `allowDomain`. */
function readAddress(settings: PtSettings, flag: string, envName: string, allowDomain: boolean): HostPort | undefined {
  const text = settings.get(flag, envName);
  if (text === undefined) return undefined;
  try {
    return parsePtAddress(text, { allowDomain, allowUnbracketedIPv6: true });
  } catch (e) {
    throw addressEnvError(settings, envName, e);
  }
}

/** The first lines to print once configured: `VERSION`, then (client, with a proxy) `PROXY DONE` before any CMETHOD. */
export function startupMessages(config: PtClientConfig | PtServerConfig): IpcMessage[] {
  const out: IpcMessage[] = [{ kind: "VERSION", version: config.version }];
  if (config.role === "client" && config.proxy !== undefined) out.push({ kind: "PROXY DONE" });
  return out;
}

/**
 * What to print for a fatal {@link IpcError}, by stream: `VERSION` first when
 * negotiation had succeeded (goptlib prints it before reading the rest), then
 * the error line on stdout (version 1) or stderr (version 2). Exit with `err.exitCode`.
 */
export function ipcErrorOutput(err: IpcError): Readonly<Record<OutputStream, string[]>> {
  const out: Record<OutputStream, string[]> = { stdout: [], stderr: [] };
  if (err.version !== undefined) out.stdout.push(formatIpcMessage({ kind: "VERSION", version: err.version }));
  out[err.stream].push(err.line);
  return out;
}

/** Which role the environment asks for (client when TOR_PT_CLIENT_TRANSPORTS is set), as goptlib suggests. */
export function ptRoleFromEnv(env: PtEnv): "client" | "server" | undefined {
  if ((env["TOR_PT_CLIENT_TRANSPORTS"] ?? "") !== "") return "client";
  if ((env["TOR_PT_SERVER_TRANSPORTS"] ?? "") !== "") return "server";
  return undefined;
}

/**
 * CONFORMANCE "Unknown transports" (pt-spec 1.0 §3.3.2 notes): keeps the
 * requested transports we implement, in the parent's order. The others are
 * ignored silently — no CMETHOD-ERROR/SMETHOD-ERROR — and `… DONE` is still sent.
 */
export function selectTransports<T extends string | { readonly name: string }>(
  requested: readonly T[],
  implemented: Iterable<string>,
): T[] {
  const known = new Set(implemented);
  return requested.filter((t) => known.has(typeof t === "string" ? t : t.name));
}
