/**
 * 500 concurrent connections through `webpt server` (issue 4 acceptance),
 * spawned as tor spawns it, to an echoing Extended ORPort: every connection
 * sends its own pattern and must get exactly it back (sha256 per connection),
 * so a lost, duplicated or cross-wired byte on any of them fails the test.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import readline from "node:readline";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { dialTransport } from "../helpers/transport-dial.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;

const CONNECTIONS = 500;
/** Per connection, each way: 500 × 128 KiB = 62.5 MiB through obfs4 twice per transport. */
const BYTES = 128 * 1024;
/** Connections dialed at once while opening them. */
const DIAL_WAVE = 50;

/** An echoing ExtORPort in its own process, as tor's is (test/fixtures/extor-echo.mjs). */
async function startEchoExtOr(): Promise<{
  port: number;
  cookieFile: string;
  transports: string[];
  child: ChildProcess;
}> {
  const cookieFile = path.join(await mkdtemp(path.join(tmpdir(), "webpt-extor-")), "cookie");
  const child = spawn(process.execPath, [path.join(root, "test/fixtures/extor-echo.mjs"), cookieFile], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const transports: string[] = [];
  const lines = readline.createInterface({ input: child.stdout! });
  const port = await new Promise<number>((resolve, reject) => {
    child.once("exit", (code) => reject(new Error(`extor-echo exited ${code}`)));
    lines.on("line", (line) => {
      const msg = JSON.parse(line) as { port?: number; transport?: string };
      if (msg.port !== undefined) resolve(msg.port);
      if (msg.transport !== undefined) transports.push(msg.transport);
    });
  });
  return { port, cookieFile, transports, child };
}

describe.each(["obfs4", "websocket"])("500 concurrent connections over %s", (transport) => {
  let extor: Awaited<ReturnType<typeof startEchoExtOr>>;
  let pt: PtProcess;

  beforeAll(async () => {
    extor = await startEchoExtOr();
    pt = await launchPt({
      command: WEBPT,
      role: "server",
      transports: [transport],
      env: {
        TOR_PT_SERVER_BINDADDR: `${transport}-127.0.0.1:0`,
        TOR_PT_EXTENDED_SERVER_PORT: `127.0.0.1:${extor.port}`,
        TOR_PT_AUTH_COOKIE_FILE: extor.cookieFile,
      },
    });
  });
  afterAll(async () => {
    await pt?.close();
    extor?.child.stdin!.end();
  });

  it("loses no byte on any of them", async () => {
    const m = pt.smethods[0]!;
    // Opened in waves (each wave's handshakes at once), then all 500 carry data at the same time: the burst of
    // 500 simultaneous handshakes is a load test of its own, not what this one asks.
    const streams = [];
    for (let i = 0; i < CONNECTIONS; i += DIAL_WAVE) {
      const wave = Math.min(DIAL_WAVE, CONNECTIONS - i);
      streams.push(
        ...(await Promise.all(
          Array.from({ length: wave }, () => dialTransport(transport, m.address, m.args, { timeoutMs: 60_000 })),
        )),
      );
    }
    expect(streams.filter((s) => !s.destroyed)).toHaveLength(CONNECTIONS);
    const results = await Promise.all(
      streams.map((s, i) => {
        const data = patternBytes(`${transport}-conn-${i}`, BYTES);
        return exchange(s, data, BYTES, 90_000).then((r) => ({ i, ok: r.sha256 === sha256(data), got: r.received }));
      }),
    );
    const bad = results.filter((r) => !r.ok);
    expect(bad).toEqual([]);
    expect(extor.transports).toHaveLength(CONNECTIONS);
    expect(new Set(extor.transports)).toEqual(new Set([transport]));
  }, 150_000);
});
