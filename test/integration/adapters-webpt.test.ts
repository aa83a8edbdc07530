/**
 * The adapters driving `webpt server` (which speaks PT 2.x, so the adapters'
 * default offer "1,2" negotiates version 2), with Debian's obfs4proxy as the
 * client: ServerAdapter forwarding to a TCP peer, and ExtServerAdapter with a
 * static cookie in a file we name. Data is sha256-checked both ways. Needs
 * `npm run build` (the test command does it).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  ClientAdapter,
  ExtServerAdapter,
  ServerAdapter,
  type ExtOrClientInfo,
} from "../../src/server/adapters/index.js";
import { encodeAuthCookieFile } from "../../src/shared/codec/extorport/index.js";
import { exchange, patternBytes, sha256, startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import { requireObfs4proxy } from "../helpers/obfs4proxy.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;
const WEBPT_CLIENT = [process.execPath, path.join(root, "bin/webpt.js"), "client"] as const;
const MiB = 1 << 20;

function bridgeArgs(args: ReadonlyMap<string, readonly string[]>): { cert: string; "iat-mode": string } {
  return { cert: args.get("cert")![0]!, "iat-mode": args.get("iat-mode")![0]! };
}

describe("adapters × webpt server × obfs4proxy", () => {
  let client: ClientAdapter;
  let peer: ExchangePeer;
  const up = patternBytes("webpt-adapter-up", 4 * MiB);
  const down = patternBytes("webpt-adapter-down", 4 * MiB);

  beforeAll(async () => {
    client = await ClientAdapter.start({ command: [requireObfs4proxy()], transports: ["obfs4"] });
    peer = await startExchangePeer(
      () => down,
      () => up.length,
    );
  });
  afterAll(async () => {
    await client?.close();
    await peer?.close();
  });

  it("ServerAdapter: webpt server negotiates version 2 and forwards 4 MiB each way to TOR_PT_ORPORT", async () => {
    await using server = await ServerAdapter.start({
      command: WEBPT,
      transports: [{ name: "obfs4" }],
      forward: { host: "127.0.0.1", port: peer.port },
    });
    expect(server.version).toBe("2");
    const t = server.transports.get("obfs4")!;
    const sock = await client.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
    const got = await exchange(sock, up, down.length, 60_000);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    expect(await peer.results[0]!).toEqual({ received: up.length, sha256: sha256(up) });
  }, 60_000);

  it("ExtServerAdapter with a static cookie: SAFE_COOKIE, USERADDR and TRANSPORT, 4 MiB each way", async () => {
    const cookie = new Uint8Array(32).fill(7);
    const cookieFile = path.join(await mkdtemp(path.join(tmpdir(), "webpt-static-cookie-")), "cookie");
    const seen: ExtOrClientInfo[] = [];
    let result: Promise<{ received: number; sha256: string }> | undefined;
    {
      await using server = await ExtServerAdapter.start({
        command: WEBPT,
        transports: [{ name: "obfs4", bind: { host: "127.0.0.1", port: 0 } }],
        cookie,
        cookieFile,
        onConnection: (sock, info) => {
          seen.push(info);
          result = exchange(sock, down, up.length, 60_000);
        },
      });
      expect(new Uint8Array(await readFile(cookieFile))).toEqual(encodeAuthCookieFile(cookie));
      expect(server.version).toBe("2");
      const t = server.transports.get("obfs4")!;
      const sock = await client.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
      const got = await exchange(sock, up, down.length, 60_000);
      expect(got).toEqual({ received: down.length, sha256: sha256(down) });
      expect(await result!).toEqual({ received: up.length, sha256: sha256(up) });
      expect(seen).toHaveLength(1);
      expect(seen[0]).toMatchObject({ transport: "obfs4", host: "127.0.0.1", family: 4 });
    }
    // A cookie file we named is ours to keep (as tor keeps its own).
    expect((await readFile(cookieFile)).length).toBe(64);
    await rm(path.dirname(cookieFile), { recursive: true, force: true });
  }, 60_000);

  it("ClientAdapter(webpt client): version 2, args as a 0x09 JSON block, to obfs4proxy's server, 4 MiB each way", async () => {
    const peer2 = await startExchangePeer(
      () => down,
      () => up.length,
    );
    try {
      await using server = await ServerAdapter.start({
        command: [requireObfs4proxy()],
        transports: [{ name: "obfs4" }],
        forward: { host: "127.0.0.1", port: peer2.port },
      });
      await using webptClient = await ClientAdapter.start({ command: WEBPT_CLIENT, transports: ["obfs4"] });
      expect(webptClient.version).toBe("2");
      const t = server.transports.get("obfs4")!;
      const sock = await webptClient.openTransportConnection("obfs4", t.host, t.port, bridgeArgs(t.args));
      const got = await exchange(sock, up, down.length, 60_000);
      expect(got).toEqual({ received: down.length, sha256: sha256(down) });
      expect(await peer2.results[0]!).toEqual({ received: up.length, sha256: sha256(up) });
    } finally {
      await peer2.close();
    }
  }, 60_000);
});
