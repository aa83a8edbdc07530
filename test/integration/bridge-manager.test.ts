/**
 * The bridge manager in-process: one identity across transports and
 * restarts, the websocket transport's options (TLS, a persisted secret path,
 * trusted reverse proxies for the client address, a cover file), a bad
 * transport that fails alone, and the books getStats() keeps.
 */
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { dialWebSocket } from "../../src/server/carriers/websocket/index.js";
import { startBridgeServer, type BridgeServer } from "../../src/server/service/manager.js";
import type { ClientInfo, StreamSink } from "../../src/server/service/types.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { selfSignedCert } from "../helpers/tls.js";
import { identityFromArgs } from "../helpers/transport-dial.js";

const quiet = { log: () => undefined };
const loopback = { host: "127.0.0.1", port: 0 };

/** A sink that echoes and records who connected. */
function echoSink(seen: ClientInfo[]): StreamSink {
  return async (stream, client) => {
    seen.push(client);
    stream.pipe(stream);
    await new Promise((r) => stream.once("close", r));
    return {};
  };
}

const servers: BridgeServer[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    await s.stopAccepting();
    s.closeAll();
  }
});

async function start(
  stateDir: string,
  transports: { name: string; options?: Record<string, string> }[],
  seen: ClientInfo[] = [],
) {
  const s = await startBridgeServer({
    stateDir,
    transports: transports.map((t) => ({
      name: t.name,
      bind: loopback,
      options: new Map(Object.entries(t.options ?? {})),
    })),
    sink: echoSink(seen),
    log: quiet,
    engineOptions: { closeDelayMs: 0, handshakeTimeoutMs: 2000 },
  });
  servers.push(s);
  return s;
}

const argsMap = (pairs: [string, string][]): Map<string, string[]> => new Map(pairs.map(([k, v]) => [k, [v]]));

describe("bridge manager", () => {
  it("keeps one identity for every transport and across restarts, and the websocket path with it", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-mgr-"));
    const a = await start(dir, [{ name: "obfs4" }, { name: "websocket" }]);
    const [o, w] = a.running;
    const certOf = (s: BridgeServer, t: (typeof a.running)[number]) => s.clientArgs(t).find(([k]) => k === "cert")![1];
    expect(certOf(a, o!)).toBe(certOf(a, w!));
    const url1 = new URL(w!.args.find(([k]) => k === "url")![1]);
    await a.stopAccepting();
    const b = await start(dir, [{ name: "websocket" }]);
    const url2 = new URL(b.running[0]!.args.find(([k]) => k === "url")![1]);
    expect(url2.pathname).toBe(url1.pathname);
    expect(certOf(b, b.running[0]!)).toBe(certOf(a, o!));
    expect(JSON.parse(await readFile(path.join(dir, "webpt_websocket.json"), "utf8"))).toEqual({ path: url1.pathname });
  });

  it("serves wss from tls-cert/tls-key, trusts X-Forwarded-For only from trusted-proxies, and serves the cover file", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-mgr-"));
    const tls = selfSignedCert();
    const cover = path.join(dir, "index.html");
    await writeFile(cover, "<html><body>my garden blog</body></html>");
    const seen: ClientInfo[] = [];
    const s = await start(
      dir,
      [
        {
          name: "websocket",
          options: {
            "tls-cert": tls.certFile,
            "tls-key": tls.keyFile,
            "trusted-proxies": "127.0.0.0/8",
            "cover-file": cover,
            path: "/garden-secret",
          },
        },
      ],
      seen,
    );
    const t = s.running[0]!;
    const url = t.args.find(([k]) => k === "url")![1];
    expect(url).toBe(`wss://127.0.0.1:${t.address.port}/garden-secret`);
    const carrier = await dialWebSocket(url, { ca: tls.cert, headers: { "x-forwarded-for": "203.0.113.7" } });
    const stream = await startObfs4Client(carrier, identityFromArgs(argsMap(s.clientArgs(t))));
    const data = patternBytes("wss", 256 * 1024);
    expect(await exchange(stream, data, data.length, 20_000)).toEqual({ received: data.length, sha256: sha256(data) });
    expect(seen[0]?.remoteAddress).toBe("203.0.113.7");

    const page = await new Promise<string>((resolve, reject) => {
      https
        .get(`https://127.0.0.1:${t.address.port}/`, { ca: tls.cert }, (res) => {
          let body = "";
          res.setEncoding("utf8");
          res.on("data", (c: string) => (body += c));
          res.on("end", () => resolve(body));
        })
        .on("error", reject);
    });
    expect(page).toBe("<html><body>my garden blog</body></html>");
  });

  it("reports a transport whose options are bad, and runs the others", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-mgr-"));
    const s = await start(dir, [
      { name: "websocket", options: { "tls-cert": "/nonexistent.pem" } },
      { name: "obfs4" },
      { name: "nope" },
    ]);
    expect(s.running.map((t) => t.name)).toEqual(["obfs4"]);
    expect(s.failed.map((f) => [f.name, f.error.message])).toEqual([
      ["websocket", "tls-cert and tls-key must be given together"],
      ["nope", 'unknown transport "nope"'],
    ]);
  });

  it("counts connections, payload bytes and failed handshakes per transport", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-mgr-"));
    const s = await start(dir, [{ name: "obfs4" }]);
    const t = s.running[0]!;
    const id = identityFromArgs(argsMap(s.clientArgs(t)));
    const sock = net.connect(t.address.port, "127.0.0.1");
    await new Promise((r) => sock.once("connect", r));
    const stream = await startObfs4Client(sock, id);
    const data = patternBytes("stats", 100_000);
    await exchange(stream, data, data.length, 10_000);
    // A probe: random bytes, never answered, counted as a failed handshake once the deadline passes.
    const probe = net.connect(t.address.port, "127.0.0.1");
    probe.write(patternBytes("probe", 3000));
    const answered: Buffer[] = [];
    probe.on("data", (d: Buffer) => answered.push(d));
    await new Promise((r) => probe.once("close", r));
    expect(Buffer.concat(answered).length).toBe(0);
    await new Promise((r) => setTimeout(r, 50));
    const st = s.getStats().transports[0]!;
    expect(st).toMatchObject({
      transport: "obfs4",
      connectionsOpen: 0,
      connectionsTotal: 1,
      bytesUp: data.length,
      bytesDown: data.length,
      handshakes: { accepted: 2, established: 1, failed: 1, dropped: 0 },
    });
    expect(st.address).toBe(`127.0.0.1:${t.address.port}`);
  });
});
