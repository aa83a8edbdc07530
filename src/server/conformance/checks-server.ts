/**
 * Server role (pt-spec §3.2.3, §3.3.3): the bind address is honoured, the
 * optional variables may be omitted or empty, escaped options parse, and
 * bad server configurations are reported.
 */
import { ProbeSocket } from "./probe-socket.js";
import { BOGUS_TRANSPORT, freePort, type ConformanceContext } from "./context.js";
import { badConfig } from "./checks-errors.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { evidence } from "./run-records.js";

/** Starts a server run with `overrides` and judges whether it reached DONE. */
async function comesUp(
  ctx: ConformanceContext,
  check: CheckSpec,
  overrides: Record<string, string | undefined>,
): Promise<Finding> {
  return ctx.slot(async (start) => {
    const run = start({ env: ctx.env(overrides), label: check.id });
    const outcome = await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs);
    if (outcome.kind === "done") return pass(check, ctx.doneKind);
    return fail(
      check,
      outcome.kind === "exit" ? "exited before DONE" : `no DONE within ${ctx.options.startTimeoutMs} ms`,
      evidence(run),
    );
  });
}

export async function serverChecks(ctx: ConformanceContext): Promise<Finding[]> {
  const t = ctx.transports[0];
  const bind: CheckSpec = {
    id: "server.bindaddr",
    title: "listens on the TOR_PT_SERVER_BINDADDR address and reports it in SMETHOD",
    level: "MUST",
    spec: cite("pt1", "§3.3.3"),
  };
  const omitted: CheckSpec = {
    id: "server.bindaddr-omitted",
    title: 'starts without TOR_PT_SERVER_BINDADDR (it "MAY be omitted")',
    level: "SHOULD",
    spec: cite("pt1", "§3.2.3"),
  };
  const emptyExt: CheckSpec = {
    id: "server.extorport-empty",
    title:
      "starts with TOR_PT_EXTENDED_SERVER_PORT set to the empty string (a parent without ExtORPort MUST set it so)",
    level: "MUST",
    spec: cite("pt1", "§3.2.3"),
  };
  const escaped: CheckSpec = {
    id: "server.options-escaped",
    title: "accepts TOR_PT_SERVER_TRANSPORT_OPTIONS with escaped ':', ';' and '\\'",
    level: "SHOULD",
    spec: cite("pt1", "§3.2.3"),
  };
  if (t === undefined) return [bind, omitted, emptyExt, escaped].map((x) => skip(x, "no transport of the PT is known"));
  const port = await freePort();
  const bindFinding = ctx.slot(async (start): Promise<Finding> => {
    const want = `127.0.0.1:${port}`;
    const run = start({ env: ctx.env({ TOR_PT_SERVER_BINDADDR: `${t}-${want}` }, [t]), label: bind.id });
    if ((await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs)).kind !== "done") {
      return fail(bind, "no SMETHODS DONE", evidence(run));
    }
    const m = run.messages.find((x) => x.kind === "SMETHOD" && x.transport === t);
    if (m?.kind !== "SMETHOD") return fail(bind, `no SMETHOD for ${t}`, evidence(run));
    const got = `${m.address.host}:${m.address.port}`;
    if (got !== want) return fail(bind, `asked for ${want}, SMETHOD says ${got}`, evidence(run));
    try {
      (await ProbeSocket.connect("127.0.0.1", port, ctx.options.exitTimeoutMs)).close();
    } catch (err) {
      return fail(bind, `SMETHOD says ${got} but connecting there failed: ${(err as Error).message}`);
    }
    return pass(bind, `SMETHOD ${t} ${got}, and it accepts connections`);
  });
  return Promise.all([
    bindFinding,
    comesUp(ctx, omitted, { TOR_PT_SERVER_BINDADDR: undefined }),
    comesUp(ctx, emptyExt, { TOR_PT_EXTENDED_SERVER_PORT: "" }),
    comesUp(ctx, escaped, { TOR_PT_SERVER_TRANSPORT_OPTIONS: `${BOGUS_TRANSPORT}:key=a\\:b\\;c\\\\d` }),
  ]);
}

/** Server configurations the PT should refuse with ENV-ERROR (pt-spec §3.3.1 "MAY respond ... and terminate"). */
export async function serverBadConfigs(ctx: ConformanceContext): Promise<Finding[]> {
  const t = ctx.transports[0] ?? BOGUS_TRANSPORT;
  const port = await freePort();
  const spec = (id: string, title: string, section: string): CheckSpec => ({
    id,
    title,
    level: "SHOULD",
    spec: cite("pt1", section),
  });
  const runs = await Promise.all([
    badConfig(ctx, {
      check: spec(
        "server.bindaddr-hostname",
        "reports a host name in TOR_PT_SERVER_BINDADDR with ENV-ERROR",
        "§3.2.3, §3.3.1",
      ),
      overrides: { TOR_PT_SERVER_BINDADDR: `${t}-localhost:${port}` },
      expect: "ENV-ERROR",
    }),
    badConfig(ctx, {
      check: spec(
        "server.options-malformed",
        "reports malformed TOR_PT_SERVER_TRANSPORT_OPTIONS with ENV-ERROR",
        "§3.2.3, §3.3.1",
      ),
      overrides: { TOR_PT_SERVER_TRANSPORT_OPTIONS: `${t}:key\\` },
      expect: "ENV-ERROR",
    }),
    badConfig(ctx, {
      check: spec(
        "server.extorport-no-cookie",
        "reports TOR_PT_EXTENDED_SERVER_PORT without TOR_PT_AUTH_COOKIE_FILE with ENV-ERROR",
        "§3.2.3, §3.3.1",
      ),
      overrides: { TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${port}`, TOR_PT_AUTH_COOKIE_FILE: undefined },
      expect: "ENV-ERROR",
    }),
  ]);
  return runs.flat();
}
