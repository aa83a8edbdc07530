/**
 * `webpt client` driven as tor drives it (issue 5): spawned with the TOR_PT_*
 * environment, a SOCKS connection per bridge with the bridge line's args
 * (PT 1.0 username/password, or the PT 2.1 0x09 block), through each
 * transport to a `webpt server` and on to an echoing Extended ORPort; every
 * byte checked by sha256. Also upstream proxies (socks5 with auth, HTTP
 * CONNECT), fail-closed refusals, STATUS lines and bad args.
 */
import net from "node:net";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, PtLaunchError, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { socksDial } from "../../src/server/net/socks-dial.js";
import type { SmethodMessage, StatusMessage } from "../../src/shared/codec/pt-ipc/index.js";
import { Socks5Reply } from "../../src/shared/codec/socks/index.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { startExtOrPortPeer, type ExtOrPortPeer } from "../helpers/extorport-peer.js";
import { startHttpConnectProxy, startSocks5Proxy, type TestProxy } from "../helpers/proxies.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = (role: "client" | "server") => [process.execPath, path.join(root, "bin/webpt.js"), role] as const;
const MiB = 1 << 20;

let extor: ExtOrPortPeer;
let server: PtProcess;

beforeAll(async () => {
  extor = await startExtOrPortPeer({ echo: true });
  server = await launchPt({
    command: WEBPT("server"),
    role: "server",
    transports: ["obfs4", "websocket", "webrtc"],
    env: {
      TOR_PT_SERVER_BINDADDR: "obfs4-127.0.0.1:0,websocket-127.0.0.1:0,webrtc-127.0.0.1:0",
      TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${extor.port}`,
      TOR_PT_AUTH_COOKIE_FILE: extor.cookieFile,
    },
  });
});
afterAll(async () => {
  await server?.close();
  await extor?.close();
});

function bridge(transport: string): SmethodMessage {
  const m = server.smethods.find((s) => s.transport === transport);
  if (m === undefined) throw new Error(`the server runs no ${transport}`);
  return m;
}

/** The bridge line's args as tor passes them: every SMETHOD ARG. */
function bridgeArgs(m: SmethodMessage): Record<string, string> {
  return Object.fromEntries([...(m.args ?? new Map())].map(([k, v]) => [k, v[0]!]));
}

async function throughClient(client: PtProcess, transport: string, ptVersion: "1" | "2", bytes: number) {
  const front = client.cmethods.find((c) => c.transport === transport)!;
  const m = bridge(transport);
  const sock = await socksDial({
    proxy: front.address,
    target: m.address,
    ptVersion,
    args: bridgeArgs(m),
  });
  const data = patternBytes(`${transport}-${ptVersion}-${bytes}`, bytes);
  const r = await exchange(sock, data, bytes, 60_000);
  expect(r).toEqual({ received: bytes, sha256: sha256(data) });
}

describe("webpt client, managed, direct", () => {
  let client: PtProcess;
  const statuses: StatusMessage[] = [];
  beforeAll(async () => {
    client = await launchPt({
      command: WEBPT("client"),
      role: "client",
      transports: ["bogus", "obfs4", "websocket", "webrtc"],
    });
    client.on("status", (s) => statuses.push(s));
  });
  afterAll(async () => {
    await client?.close();
  });

  it("announces a SOCKS5 listener on loopback per transport it implements, ignoring the unknown one", () => {
    expect(client.cmethods.map((c) => [c.transport, c.proxyType, c.address.host])).toEqual([
      ["obfs4", "socks5", "127.0.0.1"],
      ["websocket", "socks5", "127.0.0.1"],
      ["webrtc", "socks5", "127.0.0.1"],
    ]);
    expect(client.methodErrors).toEqual([]);
  });

  it.each(["obfs4", "websocket", "webrtc"])(
    "carries 8 MiB each way over %s with PT 1.0 args, and reports STATUS",
    async (t) => {
      const before = statuses.length;
      await throughClient(client, t, "1", 8 * MiB);
      const s = statuses.slice(before).find((x) => x.transport === t);
      expect(s?.fields).toEqual([
        ["ADDRESS", `127.0.0.1:${bridge(t).address.port}`],
        ["CONNECT", "Success"],
      ]);
    },
  );

  it.each([
    ["no args at all", {}],
    ["a cert that is not 52 bytes", { cert: "AAAA", "iat-mode": "0" }],
    ["iat-mode 7", { "iat-mode": "7" }],
  ])("answers X'13' to %s and never dials the bridge", async (_name, override) => {
    const m = bridge("obfs4");
    const args = Object.keys(override).length === 0 ? {} : { ...bridgeArgs(m), ...override };
    const before = extor.requests.length;
    const err = await socksDial({
      proxy: client.cmethods[0]!.address,
      target: m.address,
      args,
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { reply?: number }).reply).toBe(Socks5Reply.SETTINGS_INVALID);
    expect(extor.requests.length).toBe(before);
  });

  it("answers a dial to a dead bridge with a failure reply and a Failed STATUS", async () => {
    const m = bridge("obfs4");
    const before = statuses.length;
    const err = await socksDial({
      proxy: client.cmethods[0]!.address,
      target: { host: "127.0.0.1", port: 9 },
      args: bridgeArgs(m),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { reply?: number }).reply).toBe(Socks5Reply.CONNECTION_REFUSED);
    await new Promise((r) => setTimeout(r, 50));
    const s = statuses.slice(before).find((x) => x.transport === "obfs4");
    expect(s?.fields.slice(0, 2)).toEqual([
      ["ADDRESS", "127.0.0.1:9"],
      ["CONNECT", "Failed"],
    ]);
  });
});

describe("webpt client, managed, PT 2.1 with the 0x09 JSON block", () => {
  let client: PtProcess;
  beforeAll(async () => {
    client = await launchPt({
      command: WEBPT("client"),
      role: "client",
      versions: "2",
      transports: ["obfs4", "websocket"],
    });
  });
  afterAll(async () => {
    await client?.close();
  });
  it.each(["obfs4", "websocket"])("carries 1 MiB each way over %s", async (t) => {
    expect(client.version).toBe("2");
    await throughClient(client, t, "2", MiB);
  });
});

describe.each([
  { scheme: "socks5", start: startSocks5Proxy },
  { scheme: "http", start: startHttpConnectProxy },
])("webpt client behind a $scheme upstream proxy with credentials", ({ scheme, start }) => {
  let proxy: TestProxy;
  let client: PtProcess;
  let refusing: PtProcess;
  beforeAll(async () => {
    proxy = await start("alice", "s3cret:pw");
    const uri = (pw: string) => `${scheme}://alice:${encodeURIComponent(pw)}@127.0.0.1:${proxy.port}`;
    client = await launchPt({
      command: WEBPT("client"),
      role: "client",
      transports: ["obfs4", "websocket", "webrtc"],
      env: { TOR_PT_PROXY: uri("s3cret:pw") },
    });
    refusing = await launchPt({
      command: WEBPT("client"),
      role: "client",
      transports: ["obfs4"],
      env: { TOR_PT_PROXY: uri("wrong") },
    });
  });
  afterAll(async () => {
    await client?.close();
    await refusing?.close();
    await proxy?.close();
  });

  it("says PROXY DONE, and refuses webrtc (UDP cannot use the proxy) with CMETHOD-ERROR", () => {
    expect(client.proxyDone).toBe(true);
    expect(client.cmethods.map((c) => c.transport)).toEqual(["obfs4", "websocket"]);
    expect(client.methodErrors.map((e) => e.transport)).toEqual(["webrtc"]);
  });

  it.each(["obfs4", "websocket"])("carries 1 MiB each way over %s through the proxy", async (t) => {
    const before = proxy.connects.length;
    await throughClient(client, t, "1", MiB);
    expect(proxy.connects.slice(before)).toEqual([`127.0.0.1:${bridge(t).address.port}`]);
  });

  it("fails closed when the proxy refuses: no direct connection to the bridge", async () => {
    const before = extor.requests.length;
    const refusedBefore = proxy.refused;
    const m = bridge("obfs4");
    const err = await socksDial({ proxy: refusing.cmethods[0]!.address, target: m.address, args: bridgeArgs(m) }).then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as { reply?: number }).reply).toBe(Socks5Reply.GENERAL_FAILURE);
    expect(proxy.refused).toBe(refusedBefore + 1);
    expect(extor.requests.length).toBe(before);
  });
});

describe("webpt client refuses a bad proxy before any CMETHOD", () => {
  it.each(["ftp://127.0.0.1:21", "socks5://127.0.0.1", "http://u:p@[::1"])("%s → PROXY-ERROR", async (uri) => {
    const err = await launchPt({
      command: WEBPT("client"),
      role: "client",
      transports: ["obfs4"],
      env: { TOR_PT_PROXY: uri },
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PtLaunchError);
    expect((err as PtLaunchError).code).toBe("ERR_PT_PROXY_ERROR");
  });
});

describe("webpt client in 2.1 transparent-TCP mode (-target, args from -options)", () => {
  let client: PtProcess;
  let missing: PtProcess;
  beforeAll(async () => {
    const m = bridge("obfs4");
    const opts = [...(m.args ?? new Map())].map(([k, v]) => `obfs4:${k}=${v[0]!}`).join(";");
    const target = `${m.address.host}:${m.address.port}`;
    client = await launchPt({
      command: [...WEBPT("client"), "-ptversion", "2", "-transports", "obfs4", "-target", target, "-options", opts],
      role: "client",
      versions: "2",
      transports: ["obfs4"],
    });
    missing = await launchPt({
      command: [...WEBPT("client"), "-ptversion", "2", "-transports", "obfs4", "-target", target],
      role: "client",
      versions: "2",
      transports: ["obfs4"],
    });
  });
  afterAll(async () => {
    await client?.close();
    await missing?.close();
  });

  it("announces transparent-TCP and carries 1 MiB each way with no SOCKS at all", async () => {
    const front = client.cmethods[0]!;
    expect(front.proxyType).toBe("transparent-TCP");
    const sock = net.connect(front.address.port, front.address.host);
    const data = patternBytes("transparent", MiB);
    expect(await exchange(sock, data, data.length, 30_000)).toEqual({ received: data.length, sha256: sha256(data) });
  });

  it("refuses the transport with CMETHOD-ERROR when -options lack its args", () => {
    expect(missing.cmethods).toEqual([]);
    expect(missing.methodErrors[0]?.transport).toBe("obfs4");
    expect(missing.methodErrors[0]?.message).toMatch(/cert/);
  });
});
