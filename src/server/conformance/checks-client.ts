/**
 * Client role: the upstream proxy (pt-spec §3.2.2, §3.3.2) and the SOCKS
 * server behind each CMETHOD (pt-spec §3.5, RFC 1928, RFC 1929; PT 2.1 §1.4
 * for the 0x09 JSON parameter block of a 2.x PT).
 */
import type { CmethodMessage } from "../../shared/codec/pt-ipc/index.js";
import { freePort, type ConformanceContext } from "./context.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { ProbeSocket, hex } from "./probe-socket.js";
import { describeErrorRun, errorRun, evidence } from "./run-records.js";

/**
 * pt-spec §3.3.2: "Assuming that an upstream proxy is provided, PT client
 * proxies MUST respond with a message indicating that the proxy is valid,
 * supported, and will be used OR a failure message", and "MUST first
 * validate TOR_PT_PROXY ... before initializing any transports". Three
 * runs (a usable URI, one without a port, one with an unknown scheme); the
 * MUST is judged over all three, the choice of PROXY-ERROR per bad URI.
 */
export async function proxyChecks(ctx: ConformanceContext): Promise<Finding[]> {
  const respond: CheckSpec = {
    id: "proxy.respond",
    title: "answers every TOR_PT_PROXY with PROXY DONE or PROXY-ERROR, before any CMETHOD",
    level: "MUST",
    spec: cite("pt1", "§3.3.2"),
  };
  const port = await freePort();
  const uris: { id: string; uri: string; what: string }[] = [
    { id: "proxy.valid", uri: `socks5://127.0.0.1:${port}`, what: "usable" },
    { id: "proxy.no-port", uri: "socks5://198.51.100.1", what: "without a port" },
    { id: "proxy.unknown-scheme", uri: "webpt-bogus://198.51.100.1:8000", what: "with an unknown scheme" },
  ];
  const results = await Promise.all(
    uris.map(({ id, uri }) =>
      ctx.slot(async (start) => {
        const { run, record } = await errorRun(ctx, start, id, ctx.env({ TOR_PT_PROXY: uri }));
        const msgs = run.messages;
        const proxyLine = msgs.findIndex((m) => m.kind === "PROXY DONE" || m.kind === "PROXY-ERROR");
        const firstMethod = msgs.findIndex((m) => m.kind === "CMETHOD" || m.kind === "CMETHOD-ERROR");
        const answered = proxyLine >= 0 || record.error?.keyword === "PROXY-ERROR";
        const problem = !answered
          ? `no PROXY line (${describeErrorRun(record)})`
          : firstMethod >= 0 && proxyLine > firstMethod
            ? "PROXY line after a CMETHOD line"
            : undefined;
        return { id, uri, record, problem, evidence: evidence(run) };
      }),
    ),
  );
  const bad = results.filter((r) => r.problem !== undefined);
  const out: Finding[] = [
    bad.length === 0
      ? pass(respond, results.map((r) => `${r.id}: ${describeErrorRun(r.record)}`).join("; "))
      : fail(
          respond,
          bad.map((r) => `TOR_PT_PROXY=${r.uri}: ${r.problem}`).join("; "),
          bad.flatMap((r) => r.evidence),
        ),
  ];
  for (const r of results.slice(1)) {
    const what = uris.find((u) => u.id === r.id)!.what;
    const check: CheckSpec = {
      id: r.id,
      title: `answers a TOR_PT_PROXY ${what} with PROXY-ERROR`,
      level: "SHOULD",
      spec: cite("pt1", "§3.3.2"),
    };
    out.push(
      r.record.error?.keyword === "PROXY-ERROR"
        ? pass(check, `${describeErrorRun(r.record)}: ${r.record.error.message}`)
        : fail(check, describeErrorRun(r.record), r.evidence),
    );
  }
  return out;
}

const CONNECT_TO = (port: number): Buffer =>
  Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1, port >> 8, port & 0xff]);

/** A SOCKS5 reply header: VER 5, REP, RSV 0, ATYP 1/3/4. */
function replyProblem(b: Buffer): string | undefined {
  if (b[0] !== 0x05) return `VER 0x${b[0]?.toString(16)}`;
  if (b[2] !== 0x00) return `RSV 0x${b[2]?.toString(16)}`;
  if (b[3] !== 0x01 && b[3] !== 0x03 && b[3] !== 0x04) return `ATYP 0x${b[3]?.toString(16)}`;
  return undefined;
}

interface Exchange {
  readonly sent: Buffer;
  readonly want: number;
}

/** Connects, sends each message in turn and reads its answer; returns every answer (the last may be short). */
async function talk(
  m: CmethodMessage,
  steps: readonly Exchange[],
  ms: number,
): Promise<{ answers: Awaited<ReturnType<ProbeSocket["read"]>>[]; error?: string }> {
  let probe: ProbeSocket;
  try {
    probe = await ProbeSocket.connect(m.address.host, m.address.port, ms);
  } catch (err) {
    return { answers: [], error: (err as Error).message };
  }
  const answers = [];
  try {
    for (const s of steps) {
      probe.write(s.sent);
      const r = await probe.read(s.want, ms);
      answers.push(r);
      if (r.kind !== "bytes") break;
    }
  } finally {
    probe.close();
  }
  return { answers };
}

const c = (id: string, title: string, level: CheckSpec["level"], spec: string): CheckSpec => ({
  id,
  title,
  level,
  spec,
});

export async function socksChecks(ctx: ConformanceContext, version: "1" | "2"): Promise<Finding[]> {
  const ms = ctx.options.exitTimeoutMs;
  const L = ctx.level2x;
  const checks = {
    listener: c("socks.listener", "accepts TCP connections on every CMETHOD address", "MUST", cite("pt1", "§3.3.2")),
    userpass: c("socks.method-userpass", "selects username/password (0x02) when offered", "MUST", cite("pt1", "§3.5")),
    userpassReply: c(
      "socks.userpass-reply",
      "answers the RFC 1929 request with VER 1 and a status",
      "MUST",
      cite("rfc1929", "§2"),
    ),
    none: c(
      "socks.method-none",
      "selects no-authentication (0x00) when offered alone",
      "SHOULD",
      cite("rfc1928", "§3"),
    ),
    noAcceptable: c("socks.no-acceptable", "answers an unsupported method with 0xFF", "MUST", cite("rfc1928", "§3")),
    connect: c("socks.connect-reply", "answers a CONNECT with a well-formed reply", "SHOULD", cite("rfc1928", "§6")),
    json: c("socks.json-method", "selects the JSON parameter block (0x09) when offered", L, cite("pt21", "§1.4")),
    jsonBad: c("socks.json-bad", "answers a block that is not JSON with REP 0x12", L, cite("pt21", "§1.4")),
  };
  const wanted =
    version === "1"
      ? ["listener", "userpass", "userpassReply", "none", "noAcceptable", "connect"]
      : ["json", "jsonBad"];
  const all = wanted.map((k) => checks[k as keyof typeof checks]);
  if (ctx.transports.length === 0) return all.map((x) => skip(x, "no transport of the PT is known"));
  if (version === "2" && !ctx.speaks2) return all.map((x) => skip(x, "the PT does not speak PT 2.x"));
  return ctx.slot(async (start) => {
    const env = ctx.env({ TOR_PT_MANAGED_TRANSPORT_VER: version });
    const run = start({ env, label: `socks v${version}` });
    if ((await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs)).kind !== "done") {
      return all.map((x) => skip(x, `no ${ctx.doneKind}`));
    }
    const methods = run.messages.filter((m): m is CmethodMessage => m.kind === "CMETHOD");
    const socks5 = methods.find((m) => m.proxyType === "socks5");
    const closed = await freePort();
    const out: Finding[] = [];
    if (version === "1") {
      const unreachable: string[] = [];
      for (const m of methods) {
        const r = await talk(m, [], ms);
        if (r.error !== undefined) unreachable.push(`${m.transport} ${m.address.host}:${m.address.port}: ${r.error}`);
      }
      out.push(
        unreachable.length === 0
          ? pass(checks.listener, `${methods.length} listener(s)`)
          : fail(checks.listener, unreachable.join("; ")),
      );
    }
    if (socks5 === undefined) return [...out, ...all.slice(out.length).map((x) => skip(x, "no socks5 CMETHOD"))];
    const where = `${socks5.transport} at ${socks5.address.host}:${socks5.address.port}`;
    const show = (r: { kind: string; bytes: Buffer } | undefined): string =>
      r === undefined ? "no answer" : r.kind === "bytes" ? hex(r.bytes) : `${r.kind} after ${r.bytes.length} bytes`;
    if (version === "2") {
      const block = Buffer.from(JSON.stringify({ webpt: "conformance" }));
      const len = Buffer.alloc(4);
      len.writeUInt32BE(block.length);
      const sel = await talk(socks5, [{ sent: Buffer.from([5, 1, 9]), want: 2 }], ms);
      const got = sel.answers[0];
      out.push(
        got?.kind === "bytes" && got.bytes.equals(Buffer.from([5, 9]))
          ? pass(checks.json, `05 01 09 → 05 09 (${where})`)
          : fail(checks.json, `05 01 09 → ${show(got)} (${where})`),
      );
      const bad = await talk(
        socks5,
        [
          { sent: Buffer.from([5, 1, 9]), want: 2 },
          { sent: Buffer.concat([Buffer.from([0, 0, 0, 3]), Buffer.from("{x}"), CONNECT_TO(closed)]), want: 4 },
        ],
        ms,
      );
      const rep = bad.answers[1];
      out.push(
        rep?.kind === "bytes" && rep.bytes[0] === 5 && rep.bytes[1] === 0x12
          ? pass(checks.jsonBad, `REP 0x12 (${where})`)
          : fail(checks.jsonBad, `reply ${show(rep)} (${where})`),
      );
      return out;
    }
    const up = await talk(
      socks5,
      [
        { sent: Buffer.from([5, 1, 2]), want: 2 },
        { sent: Buffer.concat([Buffer.from([1, 9]), Buffer.from("key=value"), Buffer.from([1, 0])]), want: 2 },
      ],
      ms,
    );
    const [sel, auth] = up.answers;
    const selOk = sel?.kind === "bytes" && sel.bytes.equals(Buffer.from([5, 2]));
    out.push(
      selOk ? pass(checks.userpass, `05 01 02 → 05 02 (${where})`) : fail(checks.userpass, `05 01 02 → ${show(sel)}`),
    );
    out.push(
      !selOk
        ? skip(checks.userpassReply, "0x02 not selected")
        : auth?.kind === "bytes" && auth.bytes[0] === 1
          ? pass(checks.userpassReply, `01 09 "key=value" 01 00 → ${hex(auth.bytes)}`)
          : fail(checks.userpassReply, `01 09 "key=value" 01 00 → ${show(auth)}`),
    );
    const none = await talk(socks5, [{ sent: Buffer.from([5, 1, 0]), want: 2 }], ms);
    const noneOk = none.answers[0]?.kind === "bytes" && none.answers[0].bytes.equals(Buffer.from([5, 0]));
    out.push(noneOk ? pass(checks.none, "05 01 00 → 05 00") : fail(checks.none, `05 01 00 → ${show(none.answers[0])}`));
    const na = await talk(socks5, [{ sent: Buffer.from([5, 1, 3]), want: 2 }], ms);
    const naOk = na.answers[0]?.kind === "bytes" && na.answers[0].bytes.equals(Buffer.from([5, 0xff]));
    out.push(
      naOk
        ? pass(checks.noAcceptable, "05 01 03 → 05 ff")
        : fail(checks.noAcceptable, `05 01 03 → ${show(na.answers[0])}`),
    );
    // CONNECT to a closed local port, the way tor would, with the least the PT accepts.
    const steps: Exchange[] = noneOk
      ? [{ sent: Buffer.from([5, 1, 0]), want: 2 }]
      : [
          { sent: Buffer.from([5, 1, 2]), want: 2 },
          { sent: Buffer.concat([Buffer.from([1, 9]), Buffer.from("key=value"), Buffer.from([1, 0])]), want: 2 },
        ];
    const conn = await talk(socks5, [...steps, { sent: CONNECT_TO(closed), want: 4 }], ms);
    const r = conn.answers[steps.length];
    if (r === undefined) out.push(skip(checks.connect, "the method negotiation failed"));
    else if (r.kind === "timeout" && r.bytes.length === 0)
      out.push(skip(checks.connect, `no reply within ${ms} ms (the transport may still be dialing)`));
    else if (r.kind !== "bytes")
      out.push(fail(checks.connect, `connection ${r.kind} with no complete reply (${r.bytes.length} bytes)`));
    else {
      const problem = replyProblem(r.bytes);
      out.push(
        problem
          ? fail(checks.connect, `bad reply ${hex(r.bytes)}: ${problem}`)
          : pass(checks.connect, `reply ${hex(r.bytes)} (REP 0x${r.bytes[1]!.toString(16)})`),
      );
    }
    return out;
  });
}
