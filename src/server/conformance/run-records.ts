/**
 * What one run of the PT showed, reduced to what the checks judge: the
 * error line it printed (and on which stream), whether it reached DONE, how
 * it ended. Error-path runs are recorded so that the rules every error
 * must follow (terminate; exit code; stream) are judged once, over all of
 * them, in checks-errors.ts.
 */
import type { IpcMessage } from "../../shared/codec/pt-ipc/index.js";
import type { ExitInfo } from "../adapters/process-group.js";
import type { ConformanceContext } from "./context.js";
import type { PtRun } from "./pt-run.js";
import { showLine } from "./stdout-lines.js";

export type ErrorKeyword = "VERSION-ERROR" | "ENV-ERROR" | "PROXY-ERROR";

export interface ErrorLine {
  readonly keyword: ErrorKeyword;
  readonly message: string;
  readonly stream: "stdout" | "stderr";
}

export interface ErrorRunRecord {
  readonly label: string;
  /** The version list or flag the run offered (decides which spec's stream rule applies). */
  readonly offered: string;
  /** The version the PT answered, if any. */
  readonly version: string | undefined;
  readonly error: ErrorLine | undefined;
  readonly reachedDone: boolean;
  /** undefined: still running when we stopped watching. */
  readonly exit: ExitInfo | undefined;
}

const ERROR_KEYWORDS: readonly string[] = ["VERSION-ERROR", "ENV-ERROR", "PROXY-ERROR"];

function isErrorLine(m: IpcMessage): m is IpcMessage & { kind: ErrorKeyword; message: string } {
  return ERROR_KEYWORDS.includes(m.kind);
}

/** The first VERSION-/ENV-/PROXY-ERROR the run printed, stdout first. */
export function errorLineOf(run: PtRun): ErrorLine | undefined {
  const out = run.messages.find(isErrorLine);
  if (out !== undefined) return { keyword: out.kind, message: out.message, stream: "stdout" };
  const err = run.stderrMessages.find(isErrorLine);
  if (err !== undefined) return { keyword: err.kind, message: err.message, stream: "stderr" };
  return undefined;
}

export function versionOf(run: PtRun): string | undefined {
  const v = run.messages.find((m) => m.kind === "VERSION");
  return v?.kind === "VERSION" ? v.version : undefined;
}

export function reachedDone(run: PtRun, doneKind: string): boolean {
  return run.messages.some((m) => m.kind === doneKind);
}

/** The versions a run offered: the -ptversion flag if given (it overrides), else the variable. */
export function offeredVersions(run: PtRun): string {
  const i = run.args.indexOf("-ptversion");
  if (i >= 0 && run.args[i + 1] !== undefined) return run.args[i + 1]!;
  return run.env.TOR_PT_MANAGED_TRANSPORT_VER ?? "";
}

/**
 * Starts a run with a configuration the PT should refuse, waits for it to
 * print an error and exit (or to reach DONE, or for the time to run out),
 * and records the result for the shared error rules.
 */
export async function errorRun(
  ctx: ConformanceContext,
  start: (spec: { env: NodeJS.ProcessEnv; args?: readonly string[]; label: string }) => PtRun,
  label: string,
  env: NodeJS.ProcessEnv,
  args: readonly string[] = [],
): Promise<{ run: PtRun; record: ErrorRunRecord }> {
  const run = start({ env, args, label });
  const { startTimeoutMs, exitTimeoutMs } = ctx.options;
  await run.waitUntil(() => errorLineOf(run) !== undefined || reachedDone(run, ctx.doneKind), startTimeoutMs);
  // After an error line the PT "MUST terminate"; give it the exit allowance.
  if (!reachedDone(run, ctx.doneKind)) await run.untilExit(exitTimeoutMs);
  const record: ErrorRunRecord = {
    label,
    offered: offeredVersions(run),
    version: versionOf(run),
    error: errorLineOf(run),
    reachedDone: reachedDone(run, ctx.doneKind),
    exit: run.exit,
  };
  ctx.errorRuns.push(record);
  return { run, record };
}

/** Up to `n` stdout lines of a run, for evidence. */
export function stdoutEvidence(run: PtRun, n = 6): string[] {
  return run.lines.slice(0, n).map((l) => `stdout: ${showLine(l.text)}`);
}

/** Evidence: the stdout lines and the IPC lines found on stderr. */
export function evidence(run: PtRun): string[] {
  const ipc = run.stderrMessages.slice(0, 3).map((m) => `stderr: ${m.kind}${"message" in m ? ` ${m.message}` : ""}`);
  const text = run.stderrLines.flatMap((l) => (l.kind === "text" && l.text.trim() !== "" ? [`stderr: ${l.text}`] : []));
  // For text, the first lines usually say what went wrong and the last how it ended.
  const err = ipc.length > 0 ? ipc : text.length <= 4 ? text : [...text.slice(0, 2), "stderr: …", ...text.slice(-2)];
  return [...stdoutEvidence(run), ...err];
}

export function describeExit(exit: ExitInfo | undefined): string {
  if (exit === undefined) return "still running";
  if (exit.signal !== null) return `killed by ${exit.signal}`;
  return exit.code === null ? "never started" : `exit code ${exit.code}`;
}

/** A short description of how an error-path run went. */
export function describeErrorRun(r: ErrorRunRecord): string {
  const what = r.error ? `${r.error.keyword} on ${r.error.stream}` : r.reachedDone ? "reached DONE" : "no error line";
  return `${what}, ${describeExit(r.exit)}`;
}
