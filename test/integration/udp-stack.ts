/**
 * The whole UDP path in one process, as deployed: a UDP app → the webpt
 * client's UDP listener (startUdpClient) → obfs4 over TCP → the bridge
 * manager (startBridgeServer) with the UDP sink → the Server App (a UDP echo
 * server, or coturn). Shared by the udp-* integration tests.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import { dialBridge } from "../../src/server/client/bridge-dial.js";
import { startBridgeServer, type BridgeServer } from "../../src/server/service/manager.js";
import {
  startUdpClient,
  udpSink,
  type UdpClient,
  type UdpClientOptions,
  type UdpDial,
  type UdpSink,
  type UdpSinkOptions,
} from "../../src/server/udp/index.js";
import { formatBridgeLine, settingsFromBridgeLine, type TransportSettings } from "../../src/shared/settings/index.js";
import { EventLog } from "../helpers/udp.js";

const quiet = { log: () => undefined };

export interface UdpBridge {
  readonly server: BridgeServer;
  readonly sink: UdpSink;
  readonly sinkLog: EventLog;
  readonly bridgeLine: string;
  readonly settings: TransportSettings;
  readonly address: { host: string; port: number };
  /** A dial to this bridge (obfs4 over TCP), as webpt client makes it. */
  readonly dial: UdpDial;
  close(): Promise<void>;
}

export async function startUdpBridge(sinkOptions: Omit<UdpSinkOptions, "log">): Promise<UdpBridge> {
  const sinkLog = new EventLog();
  const sink = udpSink({ ...sinkOptions, log: quiet, onEvent: sinkLog.on });
  const stateDir = await mkdtemp(path.join(tmpdir(), "webpt-udp-"));
  const server = await startBridgeServer({
    stateDir,
    transports: [{ name: "obfs4", bind: { host: "127.0.0.1", port: 0 }, options: new Map() }],
    sink,
    log: quiet,
    engineOptions: { closeDelayMs: 0, handshakeTimeoutMs: 5000 },
  });
  const t = server.running[0]!;
  const address = { host: "127.0.0.1", port: t.address.port };
  const bridgeLine = formatBridgeLine({ transport: "obfs4", ...address, args: server.clientArgs(t) });
  const settings = settingsFromBridgeLine(bridgeLine);
  return {
    server,
    sink,
    sinkLog,
    bridgeLine,
    settings,
    address,
    dial: (signal): Promise<Duplex> => dialBridge(settings, { target: address, signal }),
    async close() {
      await server.stopAccepting();
      server.closeAll();
      sink.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

export interface Gate {
  readonly dial: UdpDial;
  /** Lets the held dials (and all later ones) proceed. */
  open(): void;
}

/** Holds every dial until open(): the flow stays Waiting for as long as the test needs. */
export function gate(dial: UdpDial): Gate {
  let open!: () => void;
  const opened = new Promise<void>((r) => (open = r));
  return {
    dial: async (signal) => {
      await opened;
      return dial(signal);
    },
    open: () => open(),
  };
}

export async function startClient(options: UdpClientOptions): Promise<{ client: UdpClient; log: EventLog }> {
  const log = new EventLog();
  const client = await startUdpClient({ ...options, onEvent: log.on });
  return { client, log };
}
