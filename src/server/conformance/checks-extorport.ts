/**
 * The Extended ORPort seen from tor's side, live: the PT server is given
 * our ExtORPort and cookie file, a client connects through the transport,
 * and we judge the PT's SAFE_COOKIE proof (ext-orport §2.1.3), its USERADDR
 * (§3.2.1) and TRANSPORT (§3.2.2), that it waits for OKAY, that data flows
 * after OKAY, and that DENY closes the client (§3.1). The checker must speak
 * the transport to be a client; it speaks obfs4, so other transports skip.
 */
import { createHash, randomBytes } from "node:crypto";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { ConformanceContext } from "./context.js";
import { startExtOrPeer, type ExtOrObservation } from "./extor-peer.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { evidence } from "./run-records.js";

/** Bytes echoed through the transport and the ExtORPort. */
export const EXTOR_ECHO_BYTES = 64 * 1024;

const C = (id: string, title: string, level: CheckSpec["level"], section: string): CheckSpec => ({
  id,
  title,
  level,
  spec: cite("extor", section),
});
const AUTH = C("extorport.auth", "authenticates to the ExtORPort with SAFE_COOKIE", "MUST", "§2.1.3");
const USERADDR = C(
  "extorport.useraddr",
  "sends USERADDR with the client's address, as 1.2.3.4:5678 or [1:2::3:4]:5678",
  "SHOULD",
  "§3.2.1",
);
const TRANSPORT = C("extorport.transport", "sends TRANSPORT with the transport's name", "SHOULD", "§3.2.2");
const OKAY = C(
  "extorport.waits-for-okay",
  "sends no client data before the bridge's OKAY (tor closes such connections)",
  "SHOULD",
  "§3.1",
);
const DATA = C("extorport.data", "relays the client's bytes both ways after OKAY", "MUST", "§3.1");
const DENY = C("extorport.deny", "closes the client's connection after DENY", "SHOULD", "§3.1");
const ALL = [AUTH, USERADDR, TRANSPORT, OKAY, DATA, DENY];

interface Client {
  readonly stream: Duplex;
  readonly localPort: number;
}

async function obfs4Client(host: string, port: number, args: Map<string, string[]>, ms: number): Promise<Client> {
  const { startObfs4Client } = await import("../obfs4/tcp.js");
  const { decodeCert } = await import("../../shared/codec/obfs4/index.js");
  const cert = args.get("cert")?.[0];
  const iat = Number(args.get("iat-mode")?.[0] ?? "0");
  if (cert === undefined) throw new Error("the obfs4 SMETHOD has no cert in its ARGS");
  const { nodeId, identityPublicKey } = decodeCert(cert);
  const sock = net.connect({ host, port });
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  const stream = await startObfs4Client(
    sock,
    { nodeId, publicKey: identityPublicKey, iatMode: iat === 1 || iat === 2 ? iat : 0 },
    { timeoutMs: ms },
  );
  return { stream, localPort: sock.localPort ?? 0 };
}

/** Sends `data` and resolves with the sha256 of the first `data.length` bytes back (or what came before a close or the deadline). */
function echo(stream: Duplex, data: Buffer, ms: number): Promise<{ received: number; sha256: string }> {
  return new Promise((resolve) => {
    const hash = createHash("sha256");
    let received = 0;
    let finished = false;
    const done = (): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      stream.off("data", onData);
      resolve({ received, sha256: received >= data.length ? hash.digest("hex") : "" });
    };
    const onData = (d: Buffer): void => {
      const take = d.subarray(0, Math.max(0, data.length - received));
      hash.update(take);
      received += take.length;
      if (received >= data.length) done();
    };
    const timer = setTimeout(done, ms);
    stream.on("data", onData);
    stream.once("close", done);
    stream.on("error", () => undefined);
    stream.write(data);
  });
}

function closesWithin(stream: Duplex, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    if (stream.destroyed) return resolve(true);
    const timer = setTimeout(() => resolve(false), ms);
    const yes = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    stream.once("close", yes);
    stream.once("end", yes);
    stream.on("error", () => undefined);
    stream.resume();
  });
}

export async function extorportChecks(ctx: ConformanceContext): Promise<Finding[]> {
  if (!ctx.transports.includes("obfs4")) {
    return ALL.map((c) => skip(c, "needs a transport the checker can speak as a client (obfs4)"));
  }
  const ms = ctx.options.exitTimeoutMs;
  return ctx.slot(async (start) => {
    const peer = await startExtOrPeer(ctx.freshPath("extended_orport_auth_cookie"), (i) => i === 1);
    const clients: Client[] = [];
    try {
      const env = ctx.env(
        { TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${peer.port}`, TOR_PT_AUTH_COOKIE_FILE: peer.cookieFile },
        ["obfs4"],
      );
      const run = start({ env, label: "extorport" });
      if ((await run.untilStarted(ctx.doneKind, ctx.options.startTimeoutMs)).kind !== "done") {
        return ALL.map((c) => skip(c, "no SMETHODS DONE with an ExtORPort configured"));
      }
      const m = run.messages.find((x) => x.kind === "SMETHOD" && x.transport === "obfs4");
      if (m?.kind !== "SMETHOD") return ALL.map((c) => skip(c, "no obfs4 SMETHOD"));
      const dial = (): Promise<Client> => obfs4Client(m.address.host, m.address.port, m.args ?? new Map(), ms * 2);
      let first: Client;
      try {
        first = await dial();
        clients.push(first);
      } catch (err) {
        return ALL.map((c) => skip(c, `the checker's obfs4 client failed: ${(err as Error).message}`));
      }
      const payload = randomBytes(EXTOR_ECHO_BYTES);
      const echoed = echo(first.stream, payload, ms * 2);
      const obs = await peer.nth(0, ms * 2);
      const out = judgeFirst(obs, first.localPort, evidence(run));
      const got = await echoed;
      const want = createHash("sha256").update(payload).digest("hex");
      out.push(
        got.sha256 === want
          ? pass(DATA, `${EXTOR_ECHO_BYTES} bytes echoed through the transport and the ExtORPort, sha256 equal`)
          : fail(
              DATA,
              `${got.received} of ${EXTOR_ECHO_BYTES} bytes came back${got.received === EXTOR_ECHO_BYTES ? " (different)" : ""}`,
            ),
      );
      // The second connection is denied: the PT must drop its client.
      const second = await dial().catch(() => undefined);
      if (second === undefined) {
        out.push(skip(DENY, "the second obfs4 connection failed before the ExtORPort"));
      } else {
        clients.push(second);
        const obs2 = await peer.nth(1, ms * 2);
        if (obs2?.request === undefined) out.push(skip(DENY, "no second ExtORPort connection"));
        else {
          const closed = await closesWithin(second.stream, ms);
          out.push(
            closed
              ? pass(DENY, "the client's connection closed after DENY")
              : fail(DENY, `client still connected ${ms} ms after DENY`),
          );
        }
      }
      return out;
    } finally {
      for (const c of clients) c.stream.destroy();
      await peer.close();
    }
  });
}

function judgeFirst(obs: ExtOrObservation | undefined, clientPort: number, ev: string[]): Finding[] {
  if (obs === undefined) {
    return [
      fail(AUTH, "the PT never connected to the ExtORPort (did it use TOR_PT_ORPORT instead?)", ev),
      skip(USERADDR, "no ExtORPort connection"),
      skip(TRANSPORT, "no ExtORPort connection"),
      skip(OKAY, "no ExtORPort connection"),
    ];
  }
  const code = (obs.error as { code?: string } | undefined)?.code;
  if (obs.error !== undefined && code !== "ERR_EXTOR_EARLY_DATA") {
    const authFailed = code === "ERR_EXTOR_BAD_CLIENT_HASH" || code === "ERR_EXTOR_BAD_AUTH_TYPE";
    return [
      authFailed ? fail(AUTH, obs.error.message) : pass(AUTH, "SAFE_COOKIE accepted"),
      code === "ERR_EXTOR_BAD_USERADDR"
        ? fail({ ...USERADDR, level: "MUST" }, obs.error.message)
        : skip(USERADDR, obs.error.message),
      code === "ERR_EXTOR_BAD_TRANSPORT" ? fail(TRANSPORT, obs.error.message) : skip(TRANSPORT, obs.error.message),
      skip(OKAY, obs.error.message),
    ];
  }
  const out = [pass(AUTH, "SAFE_COOKIE: ClientHash correct")];
  const ua = obs.request?.userAddr;
  const want = `127.0.0.1:${clientPort}`;
  out.push(
    ua === undefined
      ? fail(USERADDR, "no USERADDR")
      : `${ua.host}:${ua.port}` === want
        ? pass(USERADDR, `USERADDR ${want}`)
        : fail(USERADDR, `USERADDR ${ua.host}:${ua.port}, the client was ${want}`),
  );
  const t = obs.request?.transport;
  out.push(
    t === "obfs4"
      ? pass(TRANSPORT, "TRANSPORT obfs4")
      : fail(TRANSPORT, t === undefined ? "no TRANSPORT" : `TRANSPORT ${t}`),
  );
  out.push(
    code === "ERR_EXTOR_EARLY_DATA" || obs.earlyBytes > 0
      ? fail(OKAY, `client data arrived before OKAY${obs.earlyBytes ? ` (${obs.earlyBytes} bytes)` : ""}`)
      : pass(OKAY, "nothing arrived before OKAY"),
  );
  return out;
}
