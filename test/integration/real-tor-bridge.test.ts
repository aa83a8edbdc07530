/**
 * Issue 4 acceptance, with real tor: a tor bridge launches `webpt server`
 * through ServerTransportPlugin; tor logs the transports it registered; a
 * client holding only what tor published (the bridge line in
 * DataDirectory/bridgelines) connects through each transport, webpt forwards
 * it to tor's Extended ORPort, authenticates, and the client's bytes then
 * reach tor's OR protocol: a TLS handshake and tor's CERTS cell, whose
 * identity keys are this bridge's own. A wrong cert gets no byte back and
 * tor sees no connection. Needs `npm run build` (the test command does it)
 * and tor (scripts/setup.sh installs it); it never skips.
 */
import net from "node:net";
import path from "node:path";
import { readFile } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodeCert, type IatMode } from "../../src/shared/codec/obfs4/index.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import type { Carrier } from "../../src/server/obfs4/obfs4-stream.js";
import { dialWebSocket } from "../../src/server/carriers/websocket/index.js";
import { dialWebRtc } from "../../src/server/carriers/webrtc/dial.js";
import { parseSettings } from "../../src/shared/settings/index.js";
import { startTorBridge, torLinkHandshake, type RegisteredTransport, type TorBridge } from "../helpers/tor.js";

const root = path.resolve(import.meta.dirname, "../..");
const WEBPT_SERVER = [process.execPath, path.join(root, "bin/webpt.js"), "server"] as const;

/** How long a client with a wrong cert waits for an answer that must never come. */
const WRONG_CERT_WAIT_MS = 2_500;

interface TransportCase {
  readonly name: "obfs4" | "websocket" | "webrtc";
  /** Opens the transport's carrier to the bridge, from the bridge line's address and args alone. */
  readonly openCarrier: (bridge: RegisteredTransport) => Promise<Carrier>;
}

function openTcpCarrier(bridge: RegisteredTransport): Promise<Carrier> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: bridge.host, port: bridge.port });
    sock.setNoDelay(true);
    sock.once("error", reject);
    sock.once("connect", () => {
      sock.off("error", reject);
      resolve(sock);
    });
  });
}

async function openWebSocketCarrier(bridge: RegisteredTransport): Promise<Carrier> {
  const url = bridge.args.get("url");
  if (url === undefined) throw new Error("tor's websocket bridge line has no url=");
  return dialWebSocket(url, { timeoutMs: 10_000 });
}

function openWebRtcCarrier(bridge: RegisteredTransport): Promise<Carrier> {
  const record = Object.fromEntries([...bridge.args].map(([k, v]) => [k, [v]]));
  return dialWebRtc(parseSettings("webrtc", record, "args"), { timeoutMs: 20_000 });
}

const CASES: readonly TransportCase[] = [
  { name: "obfs4", openCarrier: openTcpCarrier },
  { name: "websocket", openCarrier: openWebSocketCarrier },
  { name: "webrtc", openCarrier: openWebRtcCarrier },
];
const IMPLEMENTED = CASES;

/** What tor's logs say about Extended ORPort connections (tor's source in test/helpers/tor.ts). */
const EXTOR_ACCEPTED = /connection_handle_listener_read\(\): Connection accepted on socket/;
const EXTOR_AUTH_OK = /Got client's hash and it was legit\./;
const EXTOR_DONE = /connection_ext_or_process_inbuf\(\): Received DONE\./;
const OR_VERSIONS = /channel_tls_process_versions_cell\(\): Negotiated version \d+ with on OR connection/;

function identityOf(bridge: RegisteredTransport, corrupt = false) {
  const { nodeId, identityPublicKey } = decodeCert(bridge.args.get("cert")!);
  const publicKey = Uint8Array.from(identityPublicKey);
  if (corrupt) publicKey[0]! ^= 0x01;
  return { nodeId, publicKey, iatMode: Number(bridge.args.get("iat-mode")) as IatMode };
}

describe("webpt server under a real tor bridge (ServerTransportPlugin, ExtORPort)", () => {
  let tor: TorBridge;
  const bridgeFor = (name: string): RegisteredTransport => {
    const b = tor.registered.find((r) => r.name === name);
    if (b === undefined) throw new Error(`tor registered no ${name} transport (got ${tor.registeredNames.join(", ")})`);
    return b;
  };

  beforeAll(async () => {
    tor = await startTorBridge({ transports: CASES.map((c) => c.name), ptCommand: WEBPT_SERVER });
  }, 40_000);
  afterAll(async () => {
    await tor?.close();
  });

  it("tor launches webpt and registers all three transports, with the same identity", async () => {
    expect(tor.registeredNames).toEqual(IMPLEMENTED.map((c) => c.name));
    expect(tor.registered.map((r) => r.name)).toEqual(IMPLEMENTED.map((c) => c.name));
    expect(tor.smethods.map((m) => m.transport)).toEqual(IMPLEMENTED.map((c) => c.name));
    const [first] = tor.registered;
    for (const r of tor.registered) {
      expect(r.host).toBe("127.0.0.1");
      expect(r.fingerprint).toBe(tor.fingerprint);
      // One bridge identity behind every transport.
      expect(r.args.get("cert")).toMatch(/^[A-Za-z0-9+/]{70}$/);
      expect(r.args.get("cert")).toBe(first!.args.get("cert"));
      expect(r.args.get("iat-mode")).toBe("0");
      // tor's bridge line carries exactly what webpt announced in SMETHOD ARGS.
      const m = tor.smethods.find((s) => s.transport === r.name)!;
      expect(m.address.port).toBe(r.port);
      expect([...(m.args ?? new Map<string, string[]>())].map(([k, v]) => [k, v[0]])).toEqual(
        r.line.args.map(([k, v]) => [k, v]),
      );
    }
    const own = await readFile(path.join(tor.ptStateDir, "obfs4_bridgeline.txt"), "utf8");
    expect(own).toContain(`cert=${first!.args.get("cert")} iat-mode=0`);
    expect(await tor.count("info", /\[warn\].*(Managed proxy|Pluggable Transport)/)).toBe(0);
  });

  it.each(IMPLEMENTED)(
    "$name: a client with tor's bridge line reaches tor's OR protocol after ExtORPort auth",
    async ({ name, openCarrier }) => {
      const bridge = bridgeFor(name);
      const before = {
        auth: await tor.count("extor", EXTOR_AUTH_OK),
        done: await tor.count("extor", EXTOR_DONE),
        versions: await tor.count("info", OR_VERSIONS),
      };
      const started = Date.now();
      const stream = await startObfs4Client(await openCarrier(bridge), identityOf(bridge), { timeoutMs: 10_000 });
      const link = await torLinkHandshake(stream);
      stream.destroy();
      // tor names its link certificate at random (src/lib/tls/tortls.c): www.<random>.net issued by www.<random>.com.
      expect(link.subjectCN).toMatch(/^www\.[a-z2-7]+\.net$/);
      expect(link.issuerCN).toMatch(/^www\.[a-z2-7]+\.com$/);
      expect(link.linkVersion).toBeGreaterThanOrEqual(4);
      expect(link.certTypes).toContain(2);
      // The relay that answered is this bridge: its RSA and ed25519 identities.
      expect(link.rsaFingerprint).toBe(tor.fingerprint);
      expect(link.rsaFingerprint).toBe(bridge.fingerprint);
      expect(link.ed25519Identity).toBe(tor.ed25519Identity);
      // ...reached through the Extended ORPort: one more SAFE_COOKIE success and DONE, one more OR handshake.
      await tor.waitForLog("extor", EXTOR_AUTH_OK, { atLeast: before.auth + 1 });
      await tor.waitForLog("extor", EXTOR_DONE, { atLeast: before.done + 1 });
      await tor.waitForLog("info", OR_VERSIONS, { atLeast: before.versions + 1 });
      expect(Date.now() - started).toBeLessThan(10_000);
    },
    20_000,
  );

  it.each(IMPLEMENTED)(
    "$name: a client with a wrong cert gets no byte back and tor sees no new connection",
    async ({ name, openCarrier }) => {
      const bridge = bridgeFor(name);
      const before = {
        accepted: await tor.count("extor", EXTOR_ACCEPTED),
        auth: await tor.count("extor", EXTOR_AUTH_OK),
        versions: await tor.count("info", OR_VERSIONS),
      };
      const carrier = await openCarrier(bridge);
      let received = 0;
      carrier.on("data", (chunk: Buffer) => (received += chunk.length));
      const outcome = await startObfs4Client(carrier, identityOf(bridge, true), { timeoutMs: WRONG_CERT_WAIT_MS }).then(
        (s) => {
          s.destroy();
          return "established";
        },
        (err: Error) => err.name,
      );
      carrier.destroy();
      expect(outcome).toBe("TimeoutError");
      expect(received).toBe(0);
      expect(await tor.count("extor", EXTOR_ACCEPTED)).toBe(before.accepted);
      expect(await tor.count("extor", EXTOR_AUTH_OK)).toBe(before.auth);
      expect(await tor.count("info", OR_VERSIONS)).toBe(before.versions);
    },
    10_000,
  );

  it("webpt exits when tor stops", async () => {
    const r = await tor.close();
    expect(r.torSignal === "SIGTERM" || r.torExit === 0).toBe(true);
    expect(r.ptExitedAfterTor).toBe(true);
  });
});
