/**
 * Issue 5, real tor end to end: a private tor network on loopback
 * (test/helpers/tor-network.ts), bridges whose tor runs a PT server through
 * ServerTransportPlugin, and bridge clients whose tor runs a PT client
 * through ClientTransportPlugin. For each case the client tor reaches
 * `Bootstrapped 100%` through the bridge's transport, and 16 MiB fetched
 * from an HTTP server on 127.0.0.1 through the client's SocksPort (bridge →
 * relay → exit) arrive intact (sha256).
 *
 * The cases today are the cross-implementation one (tor with obfs4proxy as
 * its client plugin, through a bridge running `webpt server`) and a baseline
 * with obfs4proxy on both sides, which tells a harness problem from a webpt
 * one. Each further pair is one entry of CASES. Needs tor, tor-gencert and
 * obfs4proxy (scripts/setup.sh) and `npm run build` (the test command does
 * it); it never skips.
 */
import { existsSync } from "node:fs";
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { patternBytes } from "../helpers/bulk.js";
import { requireObfs4proxy } from "../helpers/obfs4proxy.js";
import {
  consensusFlags,
  startBulkHttpServer,
  startTorNetwork,
  type BulkHttpServer,
  type NetworkBridge,
  type TorNetwork,
} from "../helpers/tor-network.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT = [process.execPath, path.join(root, "bin/webpt.js")] as const;
const OBFS4PROXY = [requireObfs4proxy()] as const;

/** The bridges a case can use; each starts once per file, when the first case asks for it. */
const BRIDGES = {
  /** `webpt server` offering every transport it has; tor's bridgelines say which it registered. */
  webpt: { ptCommand: [...WEBPT, "server"], transports: ["obfs4", "websocket", "webrtc"] },
  obfs4proxy: { ptCommand: OBFS4PROXY, transports: ["obfs4"] },
} as const;
type BridgeKind = keyof typeof BRIDGES;

/** The client PTs: tor launches them through ClientTransportPlugin with these transports. */
const CLIENTS = {
  obfs4proxy: { ptCommand: OBFS4PROXY, transports: ["obfs4"] },
  // `webpt client` (issue 5, lead): ClientTransportPlugin obfs4,websocket,webrtc exec node bin/webpt.js client
  webpt: { ptCommand: [...WEBPT, "client"], transports: ["obfs4", "websocket", "webrtc"] },
} as const;
type ClientKind = keyof typeof CLIENTS;

interface EndToEndCase {
  readonly transport: "obfs4" | "websocket" | "webrtc";
  readonly bridge: BridgeKind;
  readonly client: ClientKind;
}

const CASES: readonly EndToEndCase[] = [
  { transport: "obfs4", bridge: "obfs4proxy", client: "obfs4proxy" }, // the baseline: no webpt at all
  { transport: "obfs4", bridge: "webpt", client: "obfs4proxy" },
  { transport: "obfs4", bridge: "webpt", client: "webpt" },
  { transport: "websocket", bridge: "webpt", client: "webpt" },
  { transport: "webrtc", bridge: "webpt", client: "webpt" },
  { transport: "obfs4", bridge: "obfs4proxy", client: "webpt" },
];

const BULK_BYTES = 16 * 1024 * 1024;
/** Per case: client bootstrap (~5 s) plus the 16 MiB fetch (~2–10 s), with room for a loaded CI box. */
const CASE_TIMEOUT_MS = 120_000;
const FETCH_TIMEOUT_MS = 90_000;

describe("real tor end to end: a private tor network on loopback", () => {
  let net: TorNetwork;
  let http: BulkHttpServer;
  const bridges = new Map<BridgeKind, Promise<NetworkBridge>>();
  const timings: Record<string, unknown>[] = [];

  /** The bridge of `kind`, started on first use; a failed start fails every case that uses it. */
  const bridgeOf = (kind: BridgeKind): Promise<NetworkBridge> => {
    let p = bridges.get(kind);
    if (p === undefined) {
      p = net.addBridge({ name: `${kind}Bridge`, ...BRIDGES[kind] });
      p.catch(() => undefined); // awaited by the cases; this only keeps an early failure from going unhandled
      bridges.set(kind, p);
    }
    return p;
  };

  beforeAll(async () => {
    if (!existsSync(path.join(root, "dist/server/cli.js"))) throw new Error("dist/ is missing: run `npm run build`");
    http = await startBulkHttpServer(patternBytes("tor-network e2e", BULK_BYTES));
    net = await startTorNetwork();
    timings.push({ step: "network up", ...net.timings });
    // Start every bridge the cases need now, in parallel with each other and with the first case.
    for (const kind of new Set(CASES.map((c) => c.bridge))) void bridgeOf(kind);
  }, 90_000);

  afterAll(async () => {
    await net?.close();
    await http?.close();
    console.log(`tor network timings (ms):\n${timings.map((t) => JSON.stringify(t)).join("\n")}`);
  });

  it.for(CASES)(
    "$client client → $bridge bridge over $transport: Bootstrapped 100%, 16 MiB intact through SocksPort",
    { timeout: CASE_TIMEOUT_MS },
    async ({ transport, bridge: bridgeKind, client: clientKind }, { onTestFailed }) => {
      onTestFailed(async () => {
        net.markFailed();
        console.error(await net.report());
      });
      const bridge = await bridgeOf(bridgeKind);
      const line = bridge.bridgeLine(transport);
      // tor's own bridge line: transport, 127.0.0.1:port, this bridge's fingerprint, then the PT's args.
      expect(line).toMatch(new RegExp(`^${transport} 127\\.0\\.0\\.1:\\d+ ${bridge.fingerprint}( |$)`));
      if (transport === "obfs4") expect(line).toMatch(/ cert=[A-Za-z0-9+/]{70} iat-mode=0$/);

      const client = await net.addClient({ bridgeLine: line, ...CLIENTS[clientKind] });
      const bootstrapMs = await client.waitBootstrapped();
      // The client reached the network through its PT, not around it.
      expect(await client.tor.log()).toMatch(/Bootstrapped \d+% \(conn_done_pt\): Connected to pluggable transport/);

      const before = http.requests;
      const got = await client.fetch(http.url, { timeoutMs: FETCH_TIMEOUT_MS });
      expect(got.status).toBe(200);
      expect(got.contentLength).toBe(BULK_BYTES);
      expect(got.bytes).toBe(BULK_BYTES);
      expect(got.sha256).toBe(http.sha256);
      expect(http.requests).toBe(before + 1);
      timings.push({
        step: `${clientKind}→${bridgeKind} ${transport}`,
        bridgePtReadyMs: bridge.timings.ptReadyMs,
        bridgeBootstrappedMs: bridge.timings.bootstrappedMs,
        clientBootstrapMs: bootstrapMs,
        fetchMs: got.ms,
        MiBps: Number((BULK_BYTES / 1048576 / (got.ms / 1000)).toFixed(1)),
      });
      await client.close();
    },
  );

  it("the network is what it claims: one authority that is the only exit, two relays, all on 127.0.0.1", async () => {
    const consensus = await readFile(path.join(net.authority.dir, "cached-microdesc-consensus"), "utf8");
    const flags = consensusFlags(consensus);
    expect([...flags.keys()].sort()).toEqual(["auth", "relay1", "relay2"]);
    for (const f of ["Authority", "Exit"]) expect(flags.get("auth")?.has(f), `auth has ${f}`).toBe(true);
    for (const f of flags.values()) expect(f.has("Running") && f.has("Valid") && f.has("Guard")).toBe(true);
    // Only the authority's microdescriptor accepts exits (its policy summary); the relays' reject everything.
    // tor appends to cached-microdescs.new and folds it into cached-microdescs now and then (microdesc.c).
    const md = (f: string): Promise<string> => readFile(path.join(net.authority.dir, f), "utf8").catch(() => "");
    const microdescs = (await md("cached-microdescs")) + (await md("cached-microdescs.new"));
    expect(microdescs.match(/^p accept 1-65535$/gm)).toHaveLength(1);
    // Every listener of every tor (OR, Dir, ExtOR, Socks) was on 127.0.0.1 (connection_listener_new, notice).
    let listeners = 0;
    for (const node of net.nodes()) {
      for (const m of (await node.log()).matchAll(/Opened (.+) listener connection \(ready\) on (\S+)$/gm)) {
        listeners++;
        expect(m[2], `${node.name}: ${m[1]} listener`).toMatch(/^127\.0\.0\.1:\d+$/);
      }
    }
    // At least one listener per tor still running (clients closed after their case are gone from nodes()).
    expect(listeners).toBeGreaterThanOrEqual(net.nodes().length);
  });
});
