/**
 * The UDP half of `webpt client` (seed 000 §3.3.5.3, PT 2.x): from the -udp
 * flags to a listening UDP relay and the CMETHOD line that announces it,
 *
 *   CMETHOD <transport> transparent-UDP <addr>     (transparent mode)
 *   CMETHOD <transport> STUN <addr>                (STUN-aware mode)
 *
 * The bridge comes from -udp-bridge (UDP has no SOCKS handshake to carry it,
 * §3.3.5.2), and every transport connection is dialed the way tor's SOCKS
 * requests are (bridge-dial.ts), through the upstream proxy if one is set.
 * Only version 2 may print these CMETHOD types (CONFORMANCE "CMETHOD
 * types"); under version 1 the caller should report CMETHOD-ERROR instead.
 */
import type { AddressInfo } from "node:net";
import type { CmethodMessage, UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import { parseBridgeInput, settingsFromBridgeLine, type TransportName } from "../../shared/settings/index.js";
import { isTransportName } from "../../shared/settings/index.js";
import type { UdpFramingMode } from "../../shared/udp/index.js";
import { dialBridge } from "../client/bridge-dial.js";
import type { Logger } from "../service/types.js";
import type { UdpClientFlags } from "./flags.js";
import { UdpNodeError, UdpNodeErrorCode, type UdpRelayEvent, type UdpRelayStats } from "./relay-common.js";
import { startUdpClient } from "./udp-client.js";

export interface RunUdpClientOptions {
  readonly flags: UdpClientFlags;
  /** TOR_PT_PROXY / -proxy, already validated. */
  readonly proxy?: UpstreamProxy | undefined;
  readonly log: Logger;
  /** Transport dial (carrier plus obfs4 handshake); default DEFAULT_UDP_DIAL_TIMEOUT_MS. */
  readonly dialTimeoutMs?: number;
  readonly onEvent?: (event: UdpRelayEvent) => void;
}

export interface RunningUdpClient {
  /** The bridge's transport, as the CMETHOD names it. */
  readonly transport: TransportName;
  readonly mode: UdpFramingMode;
  readonly address: AddressInfo;
  /** What to print: `CMETHOD <t> transparent-UDP|STUN <addr>`. */
  readonly cmethod: CmethodMessage;
  readonly openConnections: number;
  getStats(): UdpRelayStats;
  close(): Promise<void>;
}

/** The CMETHOD proxy type of a UDP mode (2.0 §3.3.2.2). */
export function udpProxyType(mode: UdpFramingMode): "transparent-UDP" | "STUN" {
  return mode === "stun" ? "STUN" : "transparent-UDP";
}

export function udpCmethod(transport: string, mode: UdpFramingMode, address: AddressInfo): CmethodMessage {
  const type = address.family === "IPv6" ? "ipv6" : "ipv4";
  return {
    kind: "CMETHOD",
    transport,
    proxyType: udpProxyType(mode),
    address: { host: address.address, port: address.port, type },
  };
}

/** Starts the UDP listener; rejects with a SettingsError/UdpNodeError for a bad bridge, or the bind error. */
export async function runUdpClient(options: RunUdpClientOptions): Promise<RunningUdpClient> {
  const { flags } = options;
  const { bridge } = parseBridgeInput(flags.bridge);
  if (!isTransportName(bridge.transport)) {
    throw new UdpNodeError(UdpNodeErrorCode.BAD_OPTION, `webpt does not implement ${bridge.transport}`);
  }
  const transport = bridge.transport;
  const settings = settingsFromBridgeLine(bridge);
  const target = { host: bridge.host, port: bridge.port };
  const client = await startUdpClient({
    listen: flags.listen,
    mode: flags.mode,
    log: options.log,
    ...(flags.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: flags.idleTimeoutMs }),
    ...(flags.maxFlows === undefined ? {} : { maxEntries: flags.maxFlows }),
    ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    dial: (signal) => dialBridge(settings, { target, proxy: options.proxy, signal }),
  });
  options.log.log("notice", `${transport}: relaying ${udpProxyType(flags.mode)} from ${describe(client.address)}`);
  return {
    transport,
    mode: flags.mode,
    address: client.address,
    cmethod: udpCmethod(transport, flags.mode, client.address),
    get openConnections() {
      return client.openConnections;
    },
    getStats: () => client.getStats(),
    close: () => client.close(),
  };
}

function describe(a: AddressInfo): string {
  return a.family === "IPv6" ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
