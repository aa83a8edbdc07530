/**
 * PT 2.x command-line flags (PT 2.1 §1.1.1-§1.1.4): every configuration
 * parameter can be given as a flag, and "When a command line flag is
 * provided, it overrides corresponding environment variables". Only a PT
 * that speaks 2.x promised this; for others the checks are skipped.
 */
import { BOGUS_TRANSPORT, type ConformanceContext } from "./context.js";
import { badConfig } from "./checks-errors.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { evidence, versionOf } from "./run-records.js";

export async function flagChecks(ctx: ConformanceContext): Promise<Finding[]> {
  const only: CheckSpec = {
    id: "flags.config",
    title: "starts from flags alone (-ptversion, -state, -transports, role flags; no TOR_PT_* variables)",
    level: "MUST",
    spec: cite("pt21", "§1.1.4"),
  };
  const override: CheckSpec = {
    id: "flags.override",
    title: "a flag overrides its variable (-ptversion 2 over an unsupported TOR_PT_MANAGED_TRANSPORT_VER)",
    level: "MUST",
    spec: cite("pt21", "§1.1.4"),
  };
  const flagError: CheckSpec = {
    id: "flags.error",
    title:
      ctx.role === "client"
        ? "reports a malformed -proxy with PROXY-ERROR"
        : "reports a host name in -bindaddr with ENV-ERROR",
    level: "SHOULD",
    spec: cite("pt21", ctx.role === "client" ? "§1.1.2, §1.2.2" : "§1.1.3, §1.2.1"),
  };
  const envError2: CheckSpec = {
    id: "errors.v2-config",
    title:
      ctx.role === "client"
        ? "in version 2, reports a TOR_PT_PROXY without a port with PROXY-ERROR"
        : "in version 2, reports TOR_PT_EXTENDED_SERVER_PORT without TOR_PT_AUTH_COOKIE_FILE with ENV-ERROR",
    level: "SHOULD",
    spec: cite("pt21", ctx.role === "client" ? "§1.2.2" : "§1.1.3, §1.2.1"),
  };
  if (!ctx.speaks2) {
    return [only, override, flagError, envError2].map((c) => skip(c, "the PT does not speak PT 2.x"));
  }
  const transports = ctx.transports.length > 0 ? ctx.transports : [BOGUS_TRANSPORT];
  const roleFlags =
    ctx.role === "client"
      ? []
      : ["-bindaddr", transports.map((t) => `${t}-127.0.0.1:0`).join(","), "-orport", "127.0.0.1:9"];
  const flags = (version: string): string[] => [
    "-ptversion",
    version,
    "-state",
    ctx.freshPath("state"),
    "-transports",
    transports.join(","),
    ...roleFlags,
  ];
  const bare = (): NodeJS.ProcessEnv =>
    Object.fromEntries(Object.entries(ctx.env()).filter(([k]) => !k.startsWith("TOR_PT_")));
  const onlyFinding = ctx.slot(async (start): Promise<Finding> => {
    const run = start({ env: bare(), args: flags("2"), label: only.id });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    if (outcome.kind === "done" && versionOf(run) === "2") return pass(only, `VERSION 2, then ${ctx.doneKind}`);
    return fail(only, `VERSION ${versionOf(run) ?? "(none)"}; ${outcome.kind}`, evidence(run));
  });
  const overrideFinding = ctx.slot(async (start): Promise<Finding> => {
    const run = start({
      env: ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: `0,${BOGUS_TRANSPORT}` }),
      args: ["-ptversion", "2"],
      label: override.id,
    });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    if (outcome.kind === "done" && versionOf(run) === "2") return pass(override, `VERSION 2, then ${ctx.doneKind}`);
    return fail(override, `VERSION ${versionOf(run) ?? "(none)"}; ${outcome.kind}`, evidence(run));
  });
  const errorFinding = badConfig(ctx, {
    check: flagError,
    overrides: { TOR_PT_MANAGED_TRANSPORT_VER: "2" },
    args:
      ctx.role === "client"
        ? ["-proxy", "socks5://198.51.100.1"]
        : ["-bindaddr", transports.map((t) => `${t}-localhost:1`).join(",")],
    expect: ctx.role === "client" ? "PROXY-ERROR" : "ENV-ERROR",
  });
  const env2Finding = badConfig(ctx, {
    check: envError2,
    overrides:
      ctx.role === "client"
        ? { TOR_PT_MANAGED_TRANSPORT_VER: "2", TOR_PT_PROXY: "socks5://198.51.100.1" }
        : {
            TOR_PT_MANAGED_TRANSPORT_VER: "2",
            TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:9",
            TOR_PT_AUTH_COOKIE_FILE: undefined,
          },
    expect: ctx.role === "client" ? "PROXY-ERROR" : "ENV-ERROR",
  });
  const [a, b, c, d] = await Promise.all([onlyFinding, overrideFinding, errorFinding, env2Finding]);
  return [a, b, ...c, ...d];
}
