/**
 * The first thing a managed PT does, client or server: read the TOR_PT_*
 * environment and 2.x flags. Help and version are printed here; a bad
 * configuration prints its *-ERROR line to the stream its version calls for
 * (CONFORMANCE) and yields the exit code.
 */
import {
  IpcError,
  ipcErrorOutput,
  parseClientConfig,
  parseServerConfig,
  type PtClientConfig,
  type PtEnv,
  type PtServerConfig,
} from "../../shared/codec/pt-ipc/index.js";
import { UDP_CLIENT_FLAGS, UDP_SERVER_FLAGS } from "../udp/flags.js";

export const WEBPT_VERSION = "0.1.0";

type Parsed<C> = { action: "run"; config: C } | { action: "help" | "version"; text?: string; exitCode: number };

function read<C>(parse: () => Parsed<C>): C | number {
  try {
    const r = parse();
    if (r.action === "run") return r.config;
    process.stdout.write(
      r.action === "help" ? (r.text ?? "") : `webpt ${process.env.npm_package_version ?? WEBPT_VERSION}\n`,
    );
    return r.exitCode;
  } catch (err) {
    if (!(err instanceof IpcError)) throw err;
    const lines = ipcErrorOutput(err);
    for (const l of lines.stdout) process.stdout.write(l + "\n");
    for (const l of lines.stderr) process.stderr.write(l + "\n");
    return err.exitCode;
  }
}

/**
 * The server's configuration, or the exit code when there is nothing to run.
 * `check` validates our own flags (-udp…) once the version is known, so
 * their errors print like any ENV-ERROR.
 */
export function readServerConfig<T>(
  env: PtEnv,
  argv: readonly string[],
  check: (c: PtServerConfig) => T,
): { config: PtServerConfig; extra: T } | number {
  return read(() => {
    const r = parseServerConfig(env, argv, { extraFlags: UDP_SERVER_FLAGS });
    return r.action === "run" ? { ...r, config: { config: r.config, extra: check(r.config) } } : r;
  });
}

/** The client's configuration (see readServerConfig), or the exit code when there is nothing to run. */
export function readClientConfig<T>(
  env: PtEnv,
  argv: readonly string[],
  check: (c: PtClientConfig) => T,
): { config: PtClientConfig; extra: T } | number {
  return read(() => {
    const r = parseClientConfig(env, argv, { extraFlags: UDP_CLIENT_FLAGS });
    return r.action === "run" ? { ...r, config: { config: r.config, extra: check(r.config) } } : r;
  });
}
