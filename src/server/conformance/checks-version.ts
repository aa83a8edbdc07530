/**
 * Version negotiation (pt-spec §3.2.1, §3.3.1; PT 2.1 §1.1.1, §1.2.1): the
 * baseline run that also finds the PT's transports, the probe for 2.x,
 * the "any well-formed list" rule, and VERSION-ERROR for a list without a
 * supported version.
 */
import { BOGUS_TRANSPORT, WELL_KNOWN_TRANSPORTS, type ConformanceContext } from "./context.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { describeErrorRun, describeExit, errorLineOf, errorRun, evidence, versionOf } from "./run-records.js";

const BASELINE: CheckSpec = {
  id: "version.v1",
  title: "offered version 1, answers VERSION 1 and completes startup",
  level: "MUST",
  spec: cite("pt1", "§3.3.1"),
};

/**
 * The first run, as tor launches a PT: version 1, the transports asked for
 * (or every well-known name, to find the PT's own). Sets ctx.transports.
 * Returns false when the PT did not come up, so later checks are skipped.
 */
export async function baseline(ctx: ConformanceContext): Promise<{ findings: Finding[]; ok: boolean }> {
  const asked = ctx.options.transports ?? WELL_KNOWN_TRANSPORTS;
  return ctx.slot(async (start) => {
    const run = start({ env: ctx.env({}, [...asked]), label: "baseline" });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    const version = versionOf(run);
    if (run.spawnError !== undefined) {
      return { ok: false, findings: [fail(BASELINE, `cannot start the command: ${run.spawnError.message}`)] };
    }
    if (outcome.kind !== "done") {
      const why = errorLineOf(run);
      const detail =
        outcome.kind === "timeout"
          ? `no ${ctx.doneKind} within ${ctx.options.startTimeoutMs} ms`
          : `exited (${describeExit(outcome.exit)}) before ${ctx.doneKind}` +
            (why ? ` after ${why.keyword} ${why.message}` : "");
      return { ok: false, findings: [fail(BASELINE, detail, evidence(run))] };
    }
    const methods = run.messages.flatMap((m) => (m.kind === "CMETHOD" || m.kind === "SMETHOD" ? [m.transport] : []));
    ctx.transports = asked.filter((t) => methods.includes(t));
    ctx.baselineVersion = version ?? "";
    const findings: Finding[] = [];
    if (version !== "1") {
      findings.push(
        fail(BASELINE, `answered VERSION ${version ?? "(none)"} to TOR_PT_MANAGED_TRANSPORT_VER=1`, evidence(run)),
      );
    } else {
      findings.push(pass(BASELINE, `VERSION 1, then ${ctx.doneKind}; launched: ${methods.join(", ") || "nothing"}`));
    }
    const discovered: CheckSpec = {
      id: "transports.discovered",
      title: ctx.options.transports
        ? "launches the transports named with --transports"
        : "launches a well-known transport",
      level: "MUST",
      spec: cite("pt1", ctx.role === "client" ? "§3.3.2" : "§3.3.3"),
    };
    if (ctx.transports.length === 0) {
      findings.push(
        skip(
          discovered,
          `launched none of ${asked.join(", ")}: checks that need a transport are skipped (use --transports)`,
        ),
      );
    } else if (ctx.options.transports && ctx.transports.length < asked.length) {
      const missing = asked.filter((t) => !ctx.transports.includes(t));
      findings.push(fail(discovered, `did not launch ${missing.join(", ")}`, evidence(run)));
    }
    return { ok: version === "1", findings };
  });
}

/** Offered only "2": VERSION 2 (the PT speaks 2.x) or VERSION-ERROR (it does not); VERSION 1 is wrong. */
export async function probeVersion2(ctx: ConformanceContext): Promise<Finding[]> {
  const check: CheckSpec = {
    id: "version.v2",
    title: "offered only version 2, answers VERSION 2 or VERSION-ERROR",
    level: "MUST",
    spec: cite("pt1", "§3.3.1"),
  };
  return ctx.slot(async (start) => {
    const { run, record } = await errorRun(
      ctx,
      start,
      "version 2 only",
      ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: "2" }),
    );
    // A PT that speaks 2 is not in an error path here; keep the record only when it refused.
    if (record.version === "2") ctx.errorRuns.pop();
    if (record.version === "2" && record.reachedDone) {
      ctx.speaks2 = true;
      return [pass(check, `VERSION 2 and ${ctx.doneKind}: the PT speaks PT 2.x, so 2.x rules apply as MUST`)];
    }
    if (record.error?.keyword === "VERSION-ERROR") {
      return [
        pass(check, `VERSION-ERROR (${describeErrorRun(record)}): a PT 1.0 implementation; 2.x-only rules are SHOULD`),
      ];
    }
    return [
      fail(
        check,
        `answered ${record.version ? `VERSION ${record.version}` : "no VERSION"} (${describeErrorRun(record)})`,
        evidence(run),
      ),
    ];
  });
}

/** pt-spec §3.2.1: "All PTs MUST accept any well-formed list, as long as a compatible version is present." */
export async function versionList(ctx: ConformanceContext): Promise<Finding[]> {
  const list = "1,1a,2,this_is_a_valid_version";
  const check: CheckSpec = {
    id: "version.list",
    title: `accepts the well-formed list ${list}`,
    level: "MUST",
    spec: cite("pt1", "§3.2.1"),
  };
  return ctx.slot(async (start) => {
    const run = start({ env: ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: list }), label: "version list" });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    const v = versionOf(run);
    if (outcome.kind === "done" && v !== undefined && list.split(",").includes(v)) {
      return [pass(check, `VERSION ${v}, then ${ctx.doneKind}`)];
    }
    return [fail(check, `VERSION ${v ?? "(none)"}; ${outcome.kind === "done" ? "DONE" : outcome.kind}`, evidence(run))];
  });
}

/** pt-spec §3.3.1 VERSION-ERROR: "PT proxies MUST terminate after outputting a VERSION-ERROR message." */
export async function versionUnsupported(ctx: ConformanceContext): Promise<Finding[]> {
  const check: CheckSpec = {
    id: "version.unsupported",
    title: "answers a list without a supported version with VERSION-ERROR and terminates",
    level: "MUST",
    spec: cite("pt1", "§3.3.1"),
  };
  return ctx.slot(async (start) => {
    const env = ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: `0,${BOGUS_TRANSPORT}` });
    const { run, record } = await errorRun(ctx, start, "unsupported version", env);
    if (record.version !== undefined) {
      return [fail(check, `answered VERSION ${record.version}, which was not offered`, evidence(run))];
    }
    if (record.error?.keyword !== "VERSION-ERROR") {
      return [fail(check, `no VERSION-ERROR (${describeErrorRun(record)})`, evidence(run))];
    }
    if (record.exit === undefined) {
      return [fail(check, `printed VERSION-ERROR but was still running after ${ctx.options.exitTimeoutMs} ms`)];
    }
    return [pass(check, describeErrorRun(record), evidence(run))];
  });
}

/** pt-spec §3.2.1: the variable "MUST be set"; a PT without it has nothing to negotiate. */
export async function versionMissing(ctx: ConformanceContext): Promise<Finding[]> {
  const check: CheckSpec = {
    id: "version.missing",
    title: "reports a missing TOR_PT_MANAGED_TRANSPORT_VER (VERSION-ERROR or ENV-ERROR) and terminates",
    level: "SHOULD",
    spec: cite("pt1", "§3.2.1, §3.3.1"),
  };
  return ctx.slot(async (start) => {
    const env = ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: undefined });
    const { run, record } = await errorRun(ctx, start, "no version variable", env);
    if (record.error !== undefined && record.error.keyword !== "PROXY-ERROR" && record.exit !== undefined) {
      return [pass(check, describeErrorRun(record))];
    }
    return [fail(check, describeErrorRun(record), evidence(run))];
  });
}
