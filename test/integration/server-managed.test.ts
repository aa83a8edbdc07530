/**
 * `webpt server` driven exactly as tor drives it (issue 4): spawned with the
 * TOR_PT_* environment, stdout read until SMETHODS DONE, clients forwarded to
 * an Extended ORPort that checks SAFE_COOKIE, USERADDR and TRANSPORT, and
 * stdin closed to stop it. Needs `npm run build` (the test command does it).
 */
import path from "node:path";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, PtLaunchError, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { startExtOrPortPeer, type ExtOrPortPeer } from "../helpers/extorport-peer.js";
import { decodeCert } from "../../src/shared/codec/obfs4/index.js";
import { dialObfs4Tcp } from "../../src/server/obfs4/tcp.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;
const MiB = 1 << 20;

// The client here is webpt's own obfs4 client (obfs4proxy's client → webpt server is covered in test/interop).
describe("webpt server, managed, obfs4 → Extended ORPort", () => {
  const up = patternBytes("managed-up", 16 * MiB);
  const down = patternBytes("managed-down", 16 * MiB);
  let extor: ExtOrPortPeer;
  let pt: PtProcess;

  beforeAll(async () => {
    extor = await startExtOrPortPeer({
      reply: (i) => (i === 0 ? down : patternBytes(`small-down-${i}`, 1024)),
      expect: (i) => (i === 0 ? up.length : 1024),
      deny: (req) => req.userAddr?.port === 0,
    });
    pt = await launchPt({
      command: WEBPT,
      role: "server",
      transports: ["bogus", "obfs4"],
      env: {
        TOR_PT_SERVER_BINDADDR: "obfs4-127.0.0.1:0",
        TOR_PT_ORPORT: "127.0.0.1:9",
        TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${extor.port}`,
        TOR_PT_AUTH_COOKIE_FILE: extor.cookieFile,
      },
    });
  });
  afterAll(async () => {
    await pt?.close();
    await extor?.close();
  });

  it("announces obfs4 with its cert, ignores the unknown transport, and keeps state in the state dir", async () => {
    expect(pt.version).toBe("1");
    expect(pt.smethods.map((m) => m.transport)).toEqual(["obfs4"]);
    expect(pt.methodErrors).toEqual([]);
    const m = pt.smethods[0]!;
    expect(m.args?.get("cert")?.[0]).toMatch(/^[A-Za-z0-9+/]{70}$/);
    expect(m.args?.get("iat-mode")).toEqual(["0"]);
    const line = await readFile(path.join(pt.stateDir, "obfs4_bridgeline.txt"), "utf8");
    expect(line).toContain(`cert=${m.args?.get("cert")?.[0]} iat-mode=0`);
  });

  it("carries 16 MiB each way to the ExtORPort with USERADDR and TRANSPORT, cookie re-read per dial", async () => {
    const m = pt.smethods[0]!;
    const { nodeId, identityPublicKey } = decodeCert(m.args!.get("cert")![0]!);
    const bridge = { host: m.address.host, port: m.address.port };
    const identity = { nodeId, publicKey: identityPublicKey, iatMode: 0 as const };
    const sock = await dialObfs4Tcp(bridge, identity);
    const got = await exchange(sock, up, down.length, 110_000);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    const req = await extor.requests[0]!;
    expect(req.transport).toBe("obfs4");
    expect(req.userAddr?.host).toBe("127.0.0.1");
    expect(req.userAddr?.port).toBeGreaterThan(0);
    expect(await extor.results[0]!).toEqual({ received: up.length, sha256: sha256(up) });

    // tor restarts and writes a new cookie: the next dial must authenticate with it.
    await extor.rotateCookie();
    const again = await dialObfs4Tcp(bridge, identity);
    const small = await exchange(again, patternBytes("small-up", 1024), 1024, 10_000);
    expect(small.sha256).toBe(sha256(patternBytes("small-down-1", 1024)));
    expect((await extor.requests[1]!).transport).toBe("obfs4");
  }, 120_000);

  it("exits 0 when tor closes its stdin", async () => {
    expect(await pt.close()).toEqual({ code: 0, signal: null });
  });
});

describe("webpt server configuration errors, as tor sees them", () => {
  const cases: { name: string; env: Record<string, string>; versions?: string; detail: RegExp; code: string }[] = [
    { name: "no supported version", versions: "3", env: {}, detail: /no-version/, code: "ERR_PT_VERSION_ERROR" },
    {
      name: "ExtORPort without a cookie file",
      env: { TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:1234", TOR_PT_ORPORT: "127.0.0.1:9" },
      detail: /AUTH_COOKIE/,
      code: "ERR_PT_ENV_ERROR",
    },
    {
      name: "a bad bind address",
      env: { TOR_PT_SERVER_BINDADDR: "obfs4-localhost:9999", TOR_PT_ORPORT: "127.0.0.1:9" },
      detail: /BINDADDR|bind/i,
      code: "ERR_PT_ENV_ERROR",
    },
  ];
  it.each(cases)("$name → $code", async ({ env, versions, detail, code }) => {
    const err = await launchPt({
      command: WEBPT,
      role: "server",
      transports: ["obfs4"],
      env,
      ...(versions ? { versions } : {}),
    }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(PtLaunchError);
    expect((err as PtLaunchError).code).toBe(code);
    expect((err as PtLaunchError).detail).toMatch(detail);
  });
});
