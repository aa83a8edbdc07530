/**
 * Shared set-up for the webrtc transport's integration tests: a running
 * transport (through its TransportFactory, as the manager starts it) on
 * 127.0.0.1 with host candidates only, the client settings a bridge line
 * would give, and a client that layers obfs4 on the DataChannel carrier.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodeCert, generateServerState, type Obfs4ServerState } from "../../src/shared/codec/obfs4/index.js";
import type { LogSeverity } from "../../src/shared/codec/pt-ipc/index.js";
import { parseSettings, type WebRtcSettings } from "../../src/shared/settings/index.js";
import {
  createWebRtcTransportFactory,
  dialWebRtc,
  isRunningWebRtcTransport,
  type DialWebRtcOptions,
  type RunningWebRtcTransport,
  type WebRtcTransportTuning,
} from "../../src/server/carriers/webrtc/index.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import { startObfs4Client } from "../../src/server/obfs4/tcp.js";
import type { ClientInfo } from "../../src/server/service/types.js";

export const LOOPBACK = ["127.0.0.1"];

export interface StartedBridge {
  readonly transport: RunningWebRtcTransport;
  readonly state: Obfs4ServerState;
  readonly settings: WebRtcSettings;
  readonly streams: [Obfs4Stream, ClientInfo][];
  readonly logs: [LogSeverity, string][];
  /** The next authenticated stream the bridge hands on. */
  nextStream(): Promise<[Obfs4Stream, ClientInfo]>;
  stop(): Promise<void>;
}

export async function startBridge(
  options: Record<string, string> = {},
  tuning: WebRtcTransportTuning = {},
): Promise<StartedBridge> {
  const stateDir = await mkdtemp(join(tmpdir(), "webpt-webrtc-"));
  const state = generateServerState();
  const streams: [Obfs4Stream, ClientInfo][] = [];
  const logs: [LogSeverity, string][] = [];
  const waiters: ((s: [Obfs4Stream, ClientInfo]) => void)[] = [];
  let taken = 0;
  const factory = createWebRtcTransportFactory({ connectTimeoutMs: 10_000, ...tuning });
  const running = await factory({
    name: "webrtc",
    bind: { host: "127.0.0.1", port: 0 },
    options: new Map(Object.entries({ "ice-address": "127.0.0.1", ...options })),
    state,
    stateDir,
    engineOptions: { closeDelayMs: 0, handshakeTimeoutMs: 10_000 },
    onStream: (stream, client) => {
      stream.on("error", () => undefined);
      const entry: [Obfs4Stream, ClientInfo] = [stream, client];
      streams.push(entry);
      const w = waiters.shift();
      if (w !== undefined) {
        taken++;
        w(entry);
      }
    },
    log: { log: (severity, message) => logs.push([severity, message]) },
  });
  if (!isRunningWebRtcTransport(running)) throw new Error("not a webrtc transport");
  const signal = running.args.find(([k]) => k === "signal")?.[1];
  const settings = parseSettings(
    "webrtc",
    { cert: encodeCert(state.nodeId, state.publicKey), "iat-mode": state.iatMode, signal },
    "json",
  );
  return {
    transport: running,
    state,
    settings,
    streams,
    logs,
    nextStream: () =>
      taken < streams.length ? Promise.resolve(streams[taken++]!) : new Promise((resolve) => waiters.push(resolve)),
    async stop() {
      for (const [s] of streams) s.destroy();
      await running.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

/** dialWebRtc then the obfs4 client handshake on top, as a Node client does. */
export async function dialObfs4OverWebRtc(
  settings: WebRtcSettings,
  options: DialWebRtcOptions = {},
): Promise<Obfs4Stream> {
  const carrier = await dialWebRtc(settings, { hostAddresses: LOOPBACK, timeoutMs: 15_000, ...options });
  return startObfs4Client(carrier, settings, { timeoutMs: 15_000 });
}
