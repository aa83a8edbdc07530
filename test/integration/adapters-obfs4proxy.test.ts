/**
 * The adapters driving Debian's obfs4proxy on both ends (seed 003's use
 * cases): ClientAdapter → obfs4 → ServerAdapter → a TCP peer, and
 * ClientAdapter → obfs4 → ExtServerAdapter, whose ExtORPort receives
 * obfs4proxy's connection with the client's USERADDR and TRANSPORT. Data is
 * sha256-checked both ways.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientAdapter,
  ExtServerAdapter,
  ServerAdapter,
  type ExtOrClientInfo,
} from "../../src/server/adapters/index.js";
import { decodeCert } from "../../src/shared/codec/obfs4/index.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { exchange, patternBytes, sha256, startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import { requireObfs4proxy } from "../helpers/obfs4proxy.js";

const MiB = 1 << 20;
const OBFS4PROXY = requireObfs4proxy();

function bridgeArgs(args: ReadonlyMap<string, readonly string[]>): { cert: string; "iat-mode": string } {
  return { cert: args.get("cert")![0]!, "iat-mode": args.get("iat-mode")![0]! };
}

describe("ClientAdapter → obfs4proxy → ServerAdapter(obfs4proxy) → TCP", () => {
  const up = patternBytes("adapters-up", 4 * MiB);
  const down = patternBytes("adapters-down", 4 * MiB);
  let peer: ExchangePeer;
  let server: ServerAdapter;
  let client: ClientAdapter;

  beforeAll(async () => {
    peer = await startExchangePeer(
      () => down,
      () => up.length,
    );
    server = await ServerAdapter.start({
      command: [OBFS4PROXY],
      transports: [{ name: "obfs4", options: { "iat-mode": ["0"] } }],
      forward: { host: "127.0.0.1", port: peer.port },
    });
    client = await ClientAdapter.start({ command: [OBFS4PROXY], transports: ["obfs4"] });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await peer?.close();
  });

  it("both PTs answered version 1 and announced obfs4", () => {
    expect(server.version).toBe("1");
    expect(client.version).toBe("1");
    const t = server.transports.get("obfs4")!;
    expect(t.host).toBe("127.0.0.1");
    expect(t.args.get("cert")?.[0]).toMatch(/^[A-Za-z0-9+/]{70}$/);
    expect(t.args.get("iat-mode")).toEqual(["0"]);
    expect(client.transports.get("obfs4")?.proxyType).toBe("socks5");
  });

  it("carries 4 MiB each way, sha256-checked", async () => {
    const t = server.transports.get("obfs4")!;
    const sock = await client.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
    const got = await exchange(sock, up, down.length, 60_000);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    expect(await peer.results[0]!).toEqual({ received: up.length, sha256: sha256(up) });
  }, 60_000);

  it("args the transport cannot use (a malformed cert) fail the SOCKS request with a reply", async () => {
    const t = server.transports.get("obfs4")!;
    const bad = { ...bridgeArgs(t.args), cert: "not-a-cert" };
    await expect(
      client.openTransportConnection("obfs4", t.host, t.port, bad, { timeoutMs: 5_000 }),
    ).rejects.toMatchObject({ code: "ERR_SOCKS_REQUEST_REJECTED" });
  });

  it("close() ends both PTs with exit code 0 (stdin closed)", async () => {
    expect(await client.close()).toEqual({ code: 0, signal: null });
    expect(await server.close()).toEqual({ code: 0, signal: null });
  });
});

describe("ExtServerAdapter(obfs4proxy): tor's side of the Extended ORPort", () => {
  const up = patternBytes("ext-up", 4 * MiB);
  const down = patternBytes("ext-down", 4 * MiB);
  const seen: ExtOrClientInfo[] = [];
  const results: Promise<{ received: number; sha256: string }>[] = [];
  const denied: ExtOrClientInfo[] = [];
  let denyNext = false;
  let server: ExtServerAdapter;
  let client: ClientAdapter;

  beforeAll(async () => {
    server = await ExtServerAdapter.start({
      command: [OBFS4PROXY],
      transports: [{ name: "obfs4" }],
      preConnect: (info) => {
        seen.push(info);
        return !denyNext;
      },
      onConnection: (sock) => {
        results.push(exchange(sock, down, up.length, 60_000));
      },
    });
    server.on("deny", (info) => denied.push(info));
    client = await ClientAdapter.start({ command: [OBFS4PROXY], transports: ["obfs4"] });
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
  });

  it("hands obfs4proxy's client stream over after SAFE_COOKIE, with TRANSPORT obfs4: 4 MiB each way", async () => {
    const t = server.transports.get("obfs4")!;
    const sock = await client.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
    const got = await exchange(sock, up, down.length, 60_000);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    expect(await results[0]!).toEqual({ received: up.length, sha256: sha256(up) });
    expect(seen[0]).toMatchObject({ transport: "obfs4", host: "127.0.0.1", family: 4 });
    expect(seen[0]!.port).toBeGreaterThan(0);
    expect(server.cookieFile).toMatch(/extended_orport_auth_cookie$/);
  }, 60_000);

  it("USERADDR is exactly the client's address:port (dialled with a client whose port we know)", async () => {
    const t = server.transports.get("obfs4")!;
    const { nodeId, identityPublicKey } = decodeCert(t.args.get("cert")![0]!);
    const sock = net.connect({ host: t.host, port: t.port });
    await new Promise((r) => sock.once("connect", r));
    const stream = await startObfs4Client(sock, { nodeId, publicKey: identityPublicKey, iatMode: 0 });
    const small = patternBytes("ext-small", 1024);
    stream.write(small);
    await expect.poll(() => seen.length).toBe(2);
    expect(seen[1]).toEqual({ transport: "obfs4", host: "127.0.0.1", port: sock.localPort, family: 4 });
    stream.destroy();
  });

  it("a pre-connect callback that says no → DENY: the callback is not called and obfs4proxy drops the client", async () => {
    denyNext = true;
    const before = results.length;
    const t = server.transports.get("obfs4")!;
    const sock = await client.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
    const closed = new Promise<void>((r) => sock.once("close", () => r()));
    sock.on("error", () => undefined);
    sock.resume();
    await closed;
    expect(denied).toHaveLength(1);
    expect(results.length).toBe(before);
  }, 30_000);
});
