/**
 * `webpt conformance [options] -- <command…>`: runs the battery against any
 * PT executable and prints the report. Exit code 0 iff the PT conforms (no
 * MUST-level finding failed), 1 if it does not, 64 for a usage error.
 */
import { WebptError } from "../../shared/errors.js";
import { writeFile } from "node:fs/promises";
import { proxyChecks, socksChecks } from "./checks-client.js";
import { badConfig, errorRules, missingTransports, unknownTransports } from "./checks-errors.js";
import { extorportChecks } from "./checks-extorport.js";
import { flagChecks } from "./checks-flags.js";
import { shutdownChecks } from "./checks-lifecycle.js";
import { serverBadConfigs, serverChecks } from "./checks-server.js";
import { stdoutRules } from "./checks-stdout.js";
import { baseline, probeVersion2, versionList, versionMissing, versionUnsupported } from "./checks-version.js";
import { ConformanceContext, type ConformanceOptions } from "./context.js";
import { conforms, type Finding } from "./findings.js";
import { jsonReport, textReport, type ConformanceResult } from "./report.js";

export const DEFAULT_START_TIMEOUT_MS = 10_000;
export const DEFAULT_EXIT_TIMEOUT_MS = 3_000;
export const DEFAULT_OBSERVE_MS = 1_500;
export const DEFAULT_CONCURRENCY = 6;

export const CONFORMANCE_USAGE = `usage: webpt conformance [options] -- <command> [args…]

Runs a battery of pluggable-transport IPC checks against <command> (any PT
executable) and reports each finding with the spec section it comes from.

  --role client|server   the role to check (default client)
  --transports a,b       the PT's transports (default: found by asking for well-known names)
  --json <file>          also write the report as JSON (- for stdout, instead of the text)
  --timeout <ms>         how long the PT may take to start (default ${DEFAULT_START_TIMEOUT_MS})
  --exit-timeout <ms>    how long a graceful exit may take (default ${DEFAULT_EXIT_TIMEOUT_MS})
  --concurrency <n>      PT processes at once (default ${DEFAULT_CONCURRENCY})

Exit status: 0 if the PT conforms (no MUST failed), 1 if it does not, 64 for a usage error.
`;

export class UsageError extends WebptError {
  override name = "UsageError";
  constructor(message: string) {
    super("ERR_CONFORMANCE_USAGE", message);
  }
}

export interface ParsedArgs {
  readonly options: ConformanceOptions;
  readonly json: string | undefined;
}

/** Parses the arguments after `conformance`. Throws UsageError; returns "help" for --help. */
export function parseConformanceArgs(argv: readonly string[]): ParsedArgs | "help" {
  let role: "client" | "server" = "client";
  let transports: string[] | undefined;
  let json: string | undefined;
  let startTimeoutMs = DEFAULT_START_TIMEOUT_MS;
  let exitTimeoutMs = DEFAULT_EXIT_TIMEOUT_MS;
  let concurrency = DEFAULT_CONCURRENCY;
  let i = 0;
  const value = (flag: string): string => {
    const v = argv[++i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  const int = (flag: string, min: number): number => {
    const v = value(flag);
    const n = Number(v);
    if (!/^\d+$/.test(v) || n < min) throw new UsageError(`${flag} needs an integer ≥ ${min}`);
    return n;
  };
  for (; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      i++;
      break;
    }
    if (!a.startsWith("-")) break;
    switch (a) {
      case "-h":
      case "--help":
        return "help";
      case "--role": {
        const r = value(a);
        if (r !== "client" && r !== "server") throw new UsageError("--role is client or server");
        role = r;
        break;
      }
      case "--transports":
        transports = value(a)
          .split(",")
          .filter((t) => t !== "");
        if (transports.length === 0) throw new UsageError("--transports names no transport");
        break;
      case "--json":
        json = value(a);
        break;
      case "--timeout":
        startTimeoutMs = int(a, 100);
        break;
      case "--exit-timeout":
        exitTimeoutMs = int(a, 100);
        break;
      case "--concurrency":
        concurrency = int(a, 1);
        break;
      default:
        throw new UsageError(`unknown option ${a}`);
    }
  }
  const command = argv.slice(i);
  if (command.length === 0 || command[0] === "") throw new UsageError("no command given (… -- <command> [args…])");
  return {
    options: {
      command: command as [string, ...string[]],
      role,
      ...(transports === undefined ? {} : { transports }),
      startTimeoutMs,
      exitTimeoutMs,
      observeMs: DEFAULT_OBSERVE_MS,
      concurrency,
    },
    json,
  };
}

/** Runs every check; never leaves a PT process behind. */
export async function checkConformance(options: ConformanceOptions): Promise<ConformanceResult> {
  const t0 = Date.now();
  const ctx = new ConformanceContext(options);
  await ctx.init();
  const killAll = (): void => ctx.runs.forEach((r) => r.killNow());
  process.once("exit", killAll);
  const findings: Finding[] = [];
  try {
    const base = await baseline(ctx);
    findings.push(...base.findings);
    if (base.ok) findings.push(...(await probeVersion2(ctx)));
    const client = options.role === "client";
    const batch = await Promise.all([
      base.ok ? versionList(ctx) : [],
      versionUnsupported(ctx),
      versionMissing(ctx),
      badConfig(ctx, missingTransports(ctx)),
      base.ok ? unknownTransports(ctx, false) : [],
      base.ok ? unknownTransports(ctx, true) : [],
      base.ok ? shutdownChecks(ctx) : [],
      base.ok ? flagChecks(ctx) : [],
      client ? proxyChecks(ctx) : serverBadConfigs(ctx),
      base.ok ? (client ? socksChecks(ctx, "1") : serverChecks(ctx)) : [],
      base.ok ? (client ? socksChecks(ctx, "2") : extorportChecks(ctx)) : [],
    ]);
    findings.push(...batch.flat(), ...errorRules(ctx), ...stdoutRules(ctx));
  } finally {
    await ctx.dispose();
    process.off("exit", killAll);
  }
  return {
    command: options.command,
    role: options.role,
    transports: ctx.transports,
    version: ctx.baselineVersion,
    speaks2: ctx.speaks2,
    findings,
    elapsedMs: Date.now() - t0,
  };
}

/** The `webpt conformance` command; resolves with its exit code. */
export async function runConformance(argv: readonly string[]): Promise<number> {
  let parsed: ParsedArgs | "help";
  try {
    parsed = parseConformanceArgs(argv);
  } catch (err) {
    if (!(err instanceof UsageError)) throw err;
    process.stderr.write(`webpt conformance: ${err.message}\n\n${CONFORMANCE_USAGE}`);
    return 64;
  }
  if (parsed === "help") {
    process.stdout.write(CONFORMANCE_USAGE);
    return 0;
  }
  // A Ctrl-C still kills every PT (the 'exit' handler in checkConformance) before we go.
  const onSignal = (): void => process.exit(130);
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const result = await checkConformance(parsed.options);
    const json = JSON.stringify(jsonReport(result), null, 2) + "\n";
    if (parsed.json === "-") process.stdout.write(json);
    else {
      process.stdout.write(textReport(result));
      if (parsed.json !== undefined) await writeFile(parsed.json, json);
    }
    return conforms(result.findings) ? 0 : 1;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
