/**
 * Version negotiation and the settings both roles share (pt-spec 1.0 §3.2.1,
 * 2.0 §3.3.1.1, 2.1 §1.1.1), read from the environment with 2.x flags on top.
 */
import { AddressError, quote } from "../../net/host-port.js";
import { isIPv4, isIPv6 } from "../../net/ip.js";
import { EXIT_OK, IpcError, IpcErrorCode } from "./errors.js";
import type { OutputStream, PtVersion } from "./errors.js";
import { FlagSyntaxError, formatPtUsage, parseFlags } from "./flags.js";
import type { ExtraFlags, ParsedFlags } from "./flags.js";

/** What we speak, best first. CONFORMANCE "Version": pick the highest listed that we support. */
export const SUPPORTED_PT_VERSIONS: readonly PtVersion[] = ["2", "1"];

/** The process environment as the adapter hands it over (`process.env`). */
export type PtEnv = Readonly<Record<string, string | undefined>>;

export interface VersionNegotiation {
  /** The list the parent offered, split on commas, as given. */
  readonly versions: readonly string[];
  readonly version: PtVersion;
}

/**
 * Picks the version to answer with. Every entry of a well-formed list is
 * accepted (`1,1a,2,this_is_a_valid_version`); entries we do not speak are
 * skipped, never rejected. tor offers only `1` and rejects a PT that answers
 * `VERSION 2`, so we never answer a version that was not offered. A missing or
 * empty list, or one without a version we support, is `VERSION-ERROR
 * no-version` (exit 78; "no-version" is the spec's historical message).
 */
export function negotiateVersion(
  list: string | undefined,
  supported: readonly PtVersion[] = SUPPORTED_PT_VERSIONS,
): VersionNegotiation {
  const versions = list === undefined || list === "" ? [] : list.split(",");
  const best = [...supported].sort((a, b) => Number(b) - Number(a)).find((v) => versions.includes(v));
  if (best === undefined) throw new IpcError(IpcErrorCode.NO_VERSION, "VERSION-ERROR", "no-version", undefined);
  return { versions, version: best };
}

export interface PtCommonConfig {
  readonly versions: readonly string[];
  readonly version: PtVersion;
  /** Where `*-ERROR` lines go from now on (CONFORMANCE "Where errors go"). */
  readonly errorStream: OutputStream;
  /**
   * TOR_PT_STATE_LOCATION / -state. Required in version 1 (pt-spec 1.0 §3.2.1
   * "MUST be set"); optional in version 2, where undefined means "use the
   * current working directory" (2.0 §3.3.1.1).
   */
  readonly stateLocation: string | undefined;
  /** TOR_PT_EXIT_ON_STDIN_CLOSE is exactly "1", or -exit-on-stdin-close is set. */
  readonly exitOnStdinClose: boolean;
  /** TOR_PT_OUTBOUND_BIND_ADDRESS_V4 (pt-spec 1.0 §3.2.1): source address for outgoing IPv4. */
  readonly outboundBindAddressV4: string | undefined;
  /** TOR_PT_OUTBOUND_BIND_ADDRESS_V6, without the brackets tor puts around it. */
  readonly outboundBindAddressV6: string | undefined;
  /** Values of the embedding program's own flags (see `extraFlags`). */
  readonly extraFlags: ReadonlyMap<string, string | boolean>;
}

export interface PtConfigOptions {
  /** The embedding program's own flags, accepted next to the PT flags. */
  readonly extraFlags?: ExtraFlags;
  /** Versions to offer in negotiation (default {@link SUPPORTED_PT_VERSIONS}). */
  readonly supportedVersions?: readonly PtVersion[];
  /** Program name for the help text. */
  readonly program?: string;
}

/** `-help`/`--help`/`-h` and `-version` print human text and exit 0 (CONFORMANCE "Flags"). */
export type PtConfigResult<C> =
  | { readonly action: "run"; readonly config: C }
  | { readonly action: "help"; readonly text: string; readonly exitCode: typeof EXIT_OK }
  | { readonly action: "version"; readonly exitCode: typeof EXIT_OK };

/** A flag-over-environment view of the settings, with the negotiated version for errors. */
export class PtSettings {
  readonly #env: PtEnv;
  readonly #flags: ParsedFlags;
  version: PtVersion | undefined = undefined;

  constructor(env: PtEnv, flags: ParsedFlags) {
    this.#env = env;
    this.#flags = flags;
  }

  /** The flag's value when given (even empty), else the variable's; undefined when neither is set. */
  raw(flag: string, envName: string | undefined): string | undefined {
    const f = this.#flags.values.get(flag);
    if (typeof f === "string") return f;
    return envName === undefined ? undefined : this.#env[envName];
  }

  /** Like {@link raw} but an empty value counts as unset (goptlib `getenvRequired`). */
  get(flag: string, envName: string | undefined): string | undefined {
    const v = this.raw(flag, envName);
    return v === "" ? undefined : v;
  }

  require(flag: string, envName: string): string {
    const v = this.get(flag, envName);
    if (v === undefined) {
      throw this.envError(IpcErrorCode.MISSING, `no ${envName} environment variable (or -${flag} flag)`);
    }
    return v;
  }

  envError(code: string, detail: string, cause?: unknown): IpcError {
    return new IpcError(code, "ENV-ERROR", detail, this.version, cause === undefined ? undefined : { cause });
  }

  get flags(): ParsedFlags {
    return this.#flags;
  }
}

/**
 * Parses the flags, handles help/version, negotiates the version and reads
 * the common settings. Returns either the early exit or the settings to go on with.
 */
export function readCommon(
  env: PtEnv,
  argv: readonly string[],
  role: "client" | "server",
  options: PtConfigOptions,
): PtConfigResult<never> | { readonly settings: PtSettings; readonly common: PtCommonConfig } {
  let flags: ParsedFlags;
  try {
    flags = parseFlags(argv, options.extraFlags);
  } catch (e) {
    if (!(e instanceof FlagSyntaxError)) throw e;
    throw new IpcError(IpcErrorCode.USAGE, "ENV-ERROR", e.message, undefined, { cause: e });
  }
  if (flags.values.get("help") === true || flags.values.get("h") === true) {
    return { action: "help", text: formatPtUsage(role, options.program), exitCode: EXIT_OK };
  }
  if (flags.values.get("version") === true) return { action: "version", exitCode: EXIT_OK };
  if (flags.positional.length > 0) {
    throw new IpcError(
      IpcErrorCode.USAGE,
      "ENV-ERROR",
      `unexpected argument ${quote(flags.positional[0]!)}`,
      undefined,
    );
  }

  const settings = new PtSettings(env, flags);
  const { versions, version } = negotiateVersion(
    settings.raw("ptversion", "TOR_PT_MANAGED_TRANSPORT_VER"),
    options.supportedVersions,
  );
  settings.version = version;

  const stateLocation =
    version === "1"
      ? settings.require("state", "TOR_PT_STATE_LOCATION")
      : settings.get("state", "TOR_PT_STATE_LOCATION");
  const exitFlag = flags.values.get("exit-on-stdin-close");
  // 2.0 §3.3.1.1: "MUST NOT treat a closed stdin as a signal to terminate unless … set to 1".
  const exitOnStdinClose = typeof exitFlag === "boolean" ? exitFlag : env["TOR_PT_EXIT_ON_STDIN_CLOSE"] === "1";

  const v4 = env["TOR_PT_OUTBOUND_BIND_ADDRESS_V4"];
  const outboundBindAddressV4 = v4 === undefined || v4 === "" ? undefined : v4;
  if (outboundBindAddressV4 !== undefined && !isIPv4(outboundBindAddressV4)) {
    throw settings.envError(
      IpcErrorCode.INVALID,
      `TOR_PT_OUTBOUND_BIND_ADDRESS_V4 ${quote(v4!)} is not an IPv4 address`,
    );
  }
  const v6 = env["TOR_PT_OUTBOUND_BIND_ADDRESS_V6"];
  // pt-spec 1.0 §3.2.1: "IPv6 addresses MUST always be wrapped in square brackets"; accept bare ones too.
  const outboundBindAddressV6 =
    v6 === undefined || v6 === "" ? undefined : v6.startsWith("[") && v6.endsWith("]") ? v6.slice(1, -1) : v6;
  if (outboundBindAddressV6 !== undefined && !isIPv6(outboundBindAddressV6)) {
    throw settings.envError(
      IpcErrorCode.INVALID,
      `TOR_PT_OUTBOUND_BIND_ADDRESS_V6 ${quote(v6!)} is not an IPv6 address`,
    );
  }

  const extraFlags = new Map([...flags.values].filter(([name]) => options.extraFlags?.[name] !== undefined));
  const common: PtCommonConfig = {
    versions,
    version,
    errorStream: version === "2" ? "stderr" : "stdout",
    stateLocation,
    exitOnStdinClose,
    outboundBindAddressV4,
    outboundBindAddressV6,
    extraFlags,
  };
  return { settings, common };
}

/** Splits a transports list (no escaping is defined, goptlib); drops empty names and repeats. */
export function splitTransports(list: string): string[] {
  return [...new Set(list.split(",").filter((t) => t !== ""))];
}

/** Wraps an address error for `what` (a variable name) into an ENV-ERROR. */
export function addressEnvError(settings: PtSettings, what: string, e: unknown): IpcError {
  if (!(e instanceof AddressError)) throw e;
  return settings.envError(IpcErrorCode.INVALID, `${what}: ${e.message}`, e);
}
