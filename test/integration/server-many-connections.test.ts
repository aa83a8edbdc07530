/**
 * 500 concurrent connections through `webpt server` (issue 4 acceptance),
 * spawned as tor spawns it, to an echoing Extended ORPort: every connection
 * sends its own pattern and must get exactly it back (sha256 per connection),
 * so a lost, duplicated or cross-wired byte on any of them fails the test.
 */
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { startExtOrPortPeer, type ExtOrPortPeer } from "../helpers/extorport-peer.js";
import { dialTransport } from "../helpers/transport-dial.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;

const CONNECTIONS = 500;
/** Per connection, each way: 500 × 128 KiB = 62.5 MiB through obfs4 twice per transport. */
const BYTES = 128 * 1024;

describe.each(["obfs4", "websocket"])("500 concurrent connections over %s", (transport) => {
  let extor: ExtOrPortPeer;
  let pt: PtProcess;

  beforeAll(async () => {
    extor = await startExtOrPortPeer({ echo: true });
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
    await extor?.close();
  });

  it("loses no byte on any of them", async () => {
    const m = pt.smethods[0]!;
    const streams = await Promise.all(
      Array.from({ length: CONNECTIONS }, () => dialTransport(transport, m.address, m.args, { timeoutMs: 60_000 })),
    );
    const results = await Promise.all(
      streams.map((s, i) => {
        const data = patternBytes(`${transport}-conn-${i}`, BYTES);
        return exchange(s, data, BYTES, 90_000).then((r) => ({ i, ok: r.sha256 === sha256(data), got: r.received }));
      }),
    );
    const bad = results.filter((r) => !r.ok);
    expect(bad).toEqual([]);
    expect(extor.requests.length).toBe(CONNECTIONS);
    const transports = new Set((await Promise.all(extor.requests)).map((r) => r.transport));
    expect([...transports]).toEqual([transport]);
  }, 150_000);
});
