/**
 * Shutdown (pt-spec §3.2.1 TOR_PT_EXIT_ON_STDIN_CLOSE, §3.4; PT 2.1 §1.3):
 * exit when stdin closes only if told to, exit on SIGTERM, and exit code 0
 * after a graceful shutdown.
 */
import type { ExitInfo } from "../adapters/process-group.js";
import type { ConformanceContext } from "./context.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import type { PtRun } from "./pt-run.js";
import { describeExit } from "./run-records.js";

const STDIN_CLOSE: CheckSpec = {
  id: "shutdown.stdin-close",
  title: "with TOR_PT_EXIT_ON_STDIN_CLOSE=1, exits when stdin is closed",
  level: "SHOULD",
  spec: cite("pt1", "§3.2.1, §3.4"),
};
const STDIN_OPEN: CheckSpec = {
  id: "shutdown.stdin-ignored",
  title: "without TOR_PT_EXIT_ON_STDIN_CLOSE, does not terminate when stdin is closed",
  level: "MUST",
  spec: cite("pt1", "§3.2.1"),
};
const SIGTERM: CheckSpec = {
  id: "shutdown.sigterm",
  title: "exits on SIGTERM",
  level: "SHOULD",
  spec: cite("pt1", "§3.4"),
};
const EXIT_OK: CheckSpec = {
  id: "shutdown.exit-code",
  title: "exits with code 0 after a graceful shutdown (stdin closed, SIGTERM)",
  level: "SHOULD",
  spec: cite("pt21", "§1.3"),
};

/**
 * After DONE, how long to wait before closing stdin or signalling. A parent
 * stops a PT long after startup; a PT that installs its handlers just after
 * printing DONE should not fail on a race no parent would run.
 */
export const SHUTDOWN_SETTLE_MS = 250;

/** Starts a run and waits for DONE (then SHUTDOWN_SETTLE_MS); undefined (after a skip finding) when the PT did not come up. */
async function started(
  ctx: ConformanceContext,
  start: (spec: { env: NodeJS.ProcessEnv; label: string }) => PtRun,
  label: string,
  overrides: Readonly<Record<string, string | undefined>>,
): Promise<PtRun | undefined> {
  const run = start({ env: ctx.env(overrides), label });
  const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
  if (outcome.kind !== "done") return undefined;
  await new Promise((r) => setTimeout(r, SHUTDOWN_SETTLE_MS));
  return run;
}

export async function shutdownChecks(ctx: ConformanceContext): Promise<Finding[]> {
  const graceful: { how: string; exit: ExitInfo }[] = [];
  const [a, b, c] = await Promise.all([
    ctx.slot(async (start): Promise<Finding> => {
      const run = await started(ctx, start, STDIN_CLOSE.id, { TOR_PT_EXIT_ON_STDIN_CLOSE: "1" });
      if (run === undefined) return skip(STDIN_CLOSE, `no ${ctx.doneKind}`);
      run.closeStdin();
      const exit = await run.untilExit(ctx.options.exitTimeoutMs);
      if (exit === undefined)
        return fail(STDIN_CLOSE, `still running ${ctx.options.exitTimeoutMs} ms after stdin closed`);
      graceful.push({ how: "stdin closed", exit });
      return pass(STDIN_CLOSE, describeExit(exit));
    }),
    ctx.slot(async (start): Promise<Finding> => {
      const run = await started(ctx, start, STDIN_OPEN.id, { TOR_PT_EXIT_ON_STDIN_CLOSE: undefined });
      if (run === undefined) return skip(STDIN_OPEN, `no ${ctx.doneKind}`);
      run.closeStdin();
      const exit = await run.untilExit(ctx.options.observeMs);
      if (exit !== undefined) return fail(STDIN_OPEN, `exited (${describeExit(exit)}) after stdin closed`);
      return pass(STDIN_OPEN, `still running ${ctx.options.observeMs} ms after stdin closed`);
    }),
    ctx.slot(async (start): Promise<Finding> => {
      // The variable unset, so only the signal can be the reason it exits.
      const run = await started(ctx, start, SIGTERM.id, { TOR_PT_EXIT_ON_STDIN_CLOSE: undefined });
      if (run === undefined) return skip(SIGTERM, `no ${ctx.doneKind}`);
      run.signal("SIGTERM");
      const exit = await run.untilExit(ctx.options.exitTimeoutMs);
      if (exit === undefined) return fail(SIGTERM, `still running ${ctx.options.exitTimeoutMs} ms after SIGTERM`);
      graceful.push({ how: "SIGTERM", exit });
      return pass(SIGTERM, describeExit(exit));
    }),
  ]);
  const bad = graceful.filter((g) => g.exit.code !== 0);
  const code =
    graceful.length === 0
      ? skip(EXIT_OK, "no graceful exit to judge")
      : bad.length === 0
        ? pass(EXIT_OK, `exit code 0 after ${graceful.map((g) => g.how).join(" and ")}`)
        : fail(EXIT_OK, bad.map((g) => `${g.how}: ${describeExit(g.exit)}`).join("; "));
  return [a, b, c, code];
}
