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

export const WEBPT_VERSION = "0.1.0";

function read<C>(parse: () => ReturnType<typeof parseServerConfig> | ReturnType<typeof parseClientConfig>): C | number {
  try {
    const r = parse();
    if (r.action === "help") {
      process.stdout.write(r.text);
      return r.exitCode;
    }
    if (r.action === "version") {
      process.stdout.write(`webpt ${process.env.npm_package_version ?? WEBPT_VERSION}\n`);
      return r.exitCode;
    }
    return r.config as C;
  } catch (err) {
    if (!(err instanceof IpcError)) throw err;
    const lines = ipcErrorOutput(err);
    for (const l of lines.stdout) process.stdout.write(l + "\n");
    for (const l of lines.stderr) process.stderr.write(l + "\n");
    return err.exitCode;
  }
}

/** The server's configuration, or the exit code when there is nothing to run. */
export function readServerConfig(env: PtEnv, argv: readonly string[]): PtServerConfig | number {
  return read<PtServerConfig>(() => parseServerConfig(env, argv));
}

/** The client's configuration, or the exit code when there is nothing to run. */
export function readClientConfig(env: PtEnv, argv: readonly string[]): PtClientConfig | number {
  return read<PtClientConfig>(() => parseClientConfig(env, argv));
}
