/**
 * `webpt server` under tor for each carrier (issue 4): spawned with the
 * TOR_PT_* environment exactly as tor does, clients dial through the carrier
 * with the ARGS from SMETHOD, and each connection reaches an Extended ORPort
 * that checks SAFE_COOKIE, USERADDR and TRANSPORT; 16 MiB each way with
 * sha256 checks. Also the operations surface: getStats() through the metrics
 * endpoint, and probes answered as a web site. obfs4 over TCP has its own
 * file (server-managed.test.ts). Needs `npm run build` (the test command does it).
 */
import { mkdtemp, readFile } from "node:fs/promises";
import net from "node:net";
import { networkInterfaces, tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { startExtOrPortPeer, type ExtOrPortPeer } from "../helpers/extorport-peer.js";
import { arg, dialTransport } from "../helpers/transport-dial.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;
const MiB = 1 << 20;

async function freePort(): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}

async function httpGet(url: string): Promise<{ status: number; body: string }> {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

const CARRIERS = [
  { name: "websocket", urlArg: "url" },
  { name: "webrtc", urlArg: "signal" },
] as const;

describe.each(CARRIERS)("webpt server, managed, $name → Extended ORPort", ({ name, urlArg }) => {
  const up = patternBytes(`${name}-up`, 16 * MiB);
  const down = patternBytes(`${name}-down`, 16 * MiB);
  let extor: ExtOrPortPeer;
  let pt: PtProcess;
  let metricsPort: number;
  let logFile: string;

  beforeAll(async () => {
    extor = await startExtOrPortPeer({
      reply: (i) => (i === 0 ? down : patternBytes(`small-down-${i}`, 1024)),
      expect: (i) => (i === 0 ? up.length : 1024),
    });
    metricsPort = await freePort();
    logFile = path.join(await mkdtemp(path.join(tmpdir(), "webpt-log-")), "webpt.log");
    pt = await launchPt({
      command: WEBPT,
      role: "server",
      transports: ["bogus", name],
      env: {
        TOR_PT_SERVER_BINDADDR: `${name}-127.0.0.1:0`,
        TOR_PT_ORPORT: "127.0.0.1:9",
        TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${extor.port}`,
        TOR_PT_AUTH_COOKIE_FILE: extor.cookieFile,
        WEBPT_METRICS: `127.0.0.1:${metricsPort}`,
        WEBPT_LOG_FILE: logFile,
      },
    });
  });
  afterAll(async () => {
    await pt?.close();
    await extor?.close();
  });

  it("announces the transport with cert, iat-mode and its URL on the bound port", () => {
    expect(pt.smethods.map((m) => m.transport)).toEqual([name]);
    expect(pt.methodErrors).toEqual([]);
    const m = pt.smethods[0]!;
    expect(arg(m.args, "cert")).toMatch(/^[A-Za-z0-9+/]{70}$/);
    expect(arg(m.args, "iat-mode")).toBe("0");
    const url = new URL(arg(m.args, urlArg));
    expect(url.port).toBe(String(m.address.port));
    expect(url.pathname).toMatch(/^\/[0-9a-f]{32}$/);
  });

  it("carries 16 MiB each way to the ExtORPort with USERADDR and TRANSPORT", async () => {
    const m = pt.smethods[0]!;
    const stream = await dialTransport(name, m.address, m.args);
    const got = await exchange(stream, up, down.length, 110_000);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    const req = await extor.requests[0]!;
    expect(req.transport).toBe(name);
    // The client runs on this machine: its address is one of ours (over WebRTC, whichever interface ICE chose).
    const own = Object.values(networkInterfaces()).flatMap((l) => (l ?? []).map((i) => i.address));
    expect(own).toContain(req.userAddr?.host);
    expect(req.userAddr?.port).toBeGreaterThan(0);
    expect(await extor.results[0]!).toEqual({ received: up.length, sha256: sha256(up) });
  }, 120_000);

  it("answers a probe on / and on a wrong path as a web site, and counts it", async () => {
    const base = new URL(arg(pt.smethods[0]!.args, urlArg));
    const http = `http://${base.host}`;
    const cover = await httpGet(`${http}/`);
    expect(cover.status).toBe(200);
    expect(cover.body).not.toMatch(/websocket|webrtc|tor|obfs/i);
    expect((await httpGet(`${http}/not-the-secret`)).status).toBe(404);
    // A plain GET on the secret path is not an upgrade: it looks like any other unknown path.
    expect((await httpGet(`${http}${base.pathname}`)).status).toBe(404);
  });

  it("reports connections, bytes and probes on the metrics endpoint", async () => {
    const stats = (await (await fetch(`http://127.0.0.1:${metricsPort}/stats.json`)).json()) as {
      transports: {
        transport: string;
        connectionsTotal: number;
        bytesUp: number;
        bytesDown: number;
        declined: number;
      }[];
    };
    const t = stats.transports.find((x) => x.transport === name)!;
    expect(t.connectionsTotal).toBe(1);
    expect(t.bytesUp).toBe(up.length);
    expect(t.bytesDown).toBe(down.length);
    const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
    expect(text).toContain(`webpt_bytes_up_total{transport="${name}"} ${up.length}`);
    expect(text).toMatch(new RegExp(`webpt_connections_total\\{transport="${name}"\\} 1\\n`));
    expect(text).not.toMatch(/127\.0\.0\.1/);
  });

  it("appends its log to WEBPT_LOG_FILE with addresses scrubbed", async () => {
    const log = await readFile(logFile, "utf8");
    expect(log).toMatch(/\[notice\] metrics on http:\/\/\[scrubbed\]:\d+\/metrics/);
    expect(log).not.toContain("127.0.0.1");
  });

  it("gives a client with the wrong cert nothing, and the ExtORPort never sees it", async () => {
    const m = pt.smethods[0]!;
    const before = extor.requests.length;
    const wrongCert = "A".repeat(70);
    await expect(
      dialTransport(name, m.address, m.args, { certOverride: wrongCert, timeoutMs: 3000 }),
    ).rejects.toThrow();
    expect(extor.requests.length).toBe(before);
  });

  it("exits 0 when tor closes its stdin", async () => {
    expect(await pt.close()).toEqual({ code: 0, signal: null });
  });
});
