/**
 * Configuration errors and unknown transports. Each bad configuration is
 * one run and one finding (did the PT report it?); the rules every error
 * line must follow are then judged once over all error runs:
 * terminate (pt-spec §3.3.1-§3.3.2 "MUST terminate"), the exit code
 * (PT 2.1 §1.2.1-§1.2.2: 78, 64, 69) and the stream (version 1: stdout,
 * pt-spec §3.3 "communicate ... via writing NL-terminated lines to stdout";
 * version 2: stderr, PT 2.1 §1.2.1 "As this is an error, this message is
 * written to STDERR").
 */
import { BOGUS_TRANSPORT, type ConformanceContext } from "./context.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import {
  describeErrorRun,
  describeExit,
  errorRun,
  evidence,
  type ErrorKeyword,
  type ErrorRunRecord,
} from "./run-records.js";
import { showLine } from "./stdout-lines.js";

/** One bad configuration, and the error line that should answer it. */
export interface BadConfig {
  readonly check: CheckSpec;
  readonly overrides: Readonly<Record<string, string | undefined>>;
  readonly args?: readonly string[];
  readonly expect: ErrorKeyword;
}

/**
 * Runs a bad configuration: passes when the expected error line came and
 * the PT terminated; another error line is a failure of this check's level
 * only (the shared rules judge termination and codes).
 */
export async function badConfig(ctx: ConformanceContext, bad: BadConfig): Promise<Finding[]> {
  return ctx.slot(async (start) => {
    const { run, record } = await errorRun(ctx, start, bad.check.id, ctx.env(bad.overrides), bad.args);
    if (record.error?.keyword === bad.expect && record.exit !== undefined) {
      return [pass(bad.check, `${describeErrorRun(record)}: ${record.error.message}`)];
    }
    return [fail(bad.check, describeErrorRun(record), evidence(run))];
  });
}

export function missingTransports(ctx: ConformanceContext): BadConfig {
  return {
    check: {
      id: "env.transports-missing",
      title: `reports a missing ${ctx.transportsVar} with ENV-ERROR`,
      level: "SHOULD",
      spec: cite("pt1", ctx.role === "client" ? "§3.2.2, §3.3.1" : "§3.2.3, §3.3.1"),
    },
    overrides: { [ctx.transportsVar]: undefined },
    expect: "ENV-ERROR",
  };
}

/**
 * Unknown names among the requested transports: pt-spec §3.3.2 Notes
 * (client): "ignored entirely, and MUST NOT result in a CMETHOD-ERROR
 * message"; §3.2.3 (server): "PTs SHOULD ignore PT names that it does not
 * recognize". The known transports must still launch and DONE must come.
 */
export async function unknownTransports(ctx: ConformanceContext, only: boolean): Promise<Finding[]> {
  const check: CheckSpec = {
    id: only ? "transports.only-unknown" : "transports.unknown",
    title: only
      ? "asked only for an unknown transport, sends no *METHOD-ERROR and still sends DONE"
      : "ignores an unknown transport (no *METHOD-ERROR) and launches the others",
    level: ctx.role === "client" ? "MUST" : "SHOULD",
    spec: ctx.role === "client" ? cite("pt1", "§3.3.2 (Notes)") : cite("pt1", "§3.2.3"),
  };
  if (!only && ctx.transports.length === 0) return [skip(check, "no transport of the PT is known")];
  const stays: CheckSpec = {
    id: "transports.only-unknown-running",
    title: "asked only for unknown transports, keeps running after CMETHODS DONE",
    level: ctx.level2x,
    spec: cite("pt21", "§1.2.2.1"),
  };
  return ctx.slot(async (start) => {
    const names = only ? [BOGUS_TRANSPORT] : [BOGUS_TRANSPORT, ...ctx.transports];
    const run = start({ env: ctx.env({}, names), label: check.id });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    const errors = [...run.messages, ...run.stderrMessages].filter(
      (m) => (m.kind === "CMETHOD-ERROR" || m.kind === "SMETHOD-ERROR") && m.transport === BOGUS_TRANSPORT,
    );
    const launched = run.messages.flatMap((m) => (m.kind === "CMETHOD" || m.kind === "SMETHOD" ? [m.transport] : []));
    const missing = only ? [] : ctx.transports.filter((t) => !launched.includes(t));
    // PT 2.1 §1.2.2.1 (client notes): an immediate DONE "does not result in termination of the PT process".
    const extra: Finding[] = [];
    if (only && ctx.role === "client") {
      if (outcome.kind !== "done") extra.push(skip(stays, `no ${ctx.doneKind}`));
      else {
        const exit = await run.untilExit(ctx.options.observeMs);
        extra.push(
          exit === undefined
            ? pass(stays, `still running ${ctx.options.observeMs} ms after ${ctx.doneKind}`)
            : fail(stays, `exited (${describeExit(exit)}) right after ${ctx.doneKind}`),
        );
      }
    }
    if (errors.length > 0) {
      const line = run.lines.find((l) => l.text.includes(BOGUS_TRANSPORT));
      return [
        fail(
          check,
          `sent ${errors[0]!.kind} for ${BOGUS_TRANSPORT}`,
          line ? [`stdout: ${showLine(line.text)}`] : evidence(run),
        ),
        ...extra,
      ];
    }
    if (outcome.kind !== "done") return [fail(check, `no ${ctx.doneKind} (${outcome.kind})`, evidence(run)), ...extra];
    if (missing.length > 0) return [fail(check, `did not launch ${missing.join(", ")}`, evidence(run)), ...extra];
    return [
      pass(check, only ? `${ctx.doneKind} with no method line` : `launched ${launched.join(", ")}; no error line`),
      ...extra,
    ];
  });
}

const EXIT_CODES: Readonly<Record<ErrorKeyword, number>> = { "VERSION-ERROR": 78, "ENV-ERROR": 64, "PROXY-ERROR": 69 };

/** The rules every error line follows, judged over all error runs. */
export function errorRules(ctx: ConformanceContext): Finding[] {
  const withError = ctx.errorRuns.filter(
    (r): r is ErrorRunRecord & { error: NonNullable<ErrorRunRecord["error"]> } => r.error !== undefined,
  );
  const terminate: CheckSpec = {
    id: "errors.terminate",
    title: "terminates after every VERSION-ERROR, ENV-ERROR and PROXY-ERROR",
    level: "MUST",
    spec: cite("pt1", "§3.3.1, §3.3.2"),
  };
  const codes: CheckSpec = {
    id: "errors.exit-code",
    title: "exits 78 after VERSION-ERROR, 64 after ENV-ERROR, 69 after PROXY-ERROR",
    level: ctx.level2x,
    spec: cite("pt21", "§1.2.1, §1.2.2"),
  };
  const stream1: CheckSpec = {
    id: "errors.stream-v1",
    title: "in version 1, writes error lines to stdout (the only stream tor reads)",
    level: "MUST",
    spec: cite("pt1", "§3.3"),
  };
  const stream2: CheckSpec = {
    id: "errors.stream-v2",
    title: "in version 2, writes error lines to stderr",
    level: ctx.level2x,
    spec: cite("pt21", "§1.2.1, §1.2.2"),
  };
  if (withError.length === 0) {
    return [terminate, codes, stream1, stream2].map((c) => skip(c, "the PT printed no error line in any error run"));
  }
  const out: Finding[] = [];
  const lingering = withError.filter((r) => r.exit === undefined);
  out.push(
    lingering.length === 0
      ? pass(terminate, `terminated after each of ${withError.length} error lines`)
      : fail(
          terminate,
          `still running ${ctx.options.exitTimeoutMs} ms after the error line in ${lingering.length} run(s)`,
          lingering.map((r) => `${r.label}: ${r.error.keyword} ${r.error.message}`),
        ),
  );
  const exited = withError.filter((r) => r.exit !== undefined);
  const wrong = exited.filter((r) => r.exit!.code !== EXIT_CODES[r.error.keyword]);
  out.push(
    exited.length === 0
      ? skip(codes, "no error run exited")
      : wrong.length === 0
        ? pass(codes, `right exit code in all ${exited.length} error runs`)
        : fail(
            codes,
            `${wrong.length} of ${exited.length} error runs exited with another code`,
            wrong.map(
              (r) => `${r.label}: ${r.error.keyword} → ${describeErrorRun(r)} (want ${EXIT_CODES[r.error.keyword]})`,
            ),
          ),
  );
  // VERSION-ERROR is left out: no version was agreed, so neither stream rule applies to it.
  const agreed = withError.filter((r) => r.error.keyword !== "VERSION-ERROR" && r.version !== undefined);
  for (const [check, version, stream] of [
    [stream1, "1", "stdout"],
    [stream2, "2", "stderr"],
  ] as const) {
    const runs = agreed.filter((r) => r.version === version);
    const bad = runs.filter((r) => r.error.stream !== stream);
    out.push(
      runs.length === 0
        ? skip(check, `no error line after VERSION ${version}`)
        : bad.length === 0
          ? pass(check, `all ${runs.length} error lines on ${stream}`)
          : fail(
              check,
              `${bad.length} of ${runs.length} error lines on ${bad[0]!.error.stream}`,
              bad.map((r) => `${r.label}: ${r.error.keyword} ${r.error.message} (on ${r.error.stream})`),
            ),
    );
  }
  return out;
}
