/**
 * `UDPTransport.createConnector(configuration) => [UDPConnector]` of the Node
 * Transport API (seed 000 §3.2.5.3), for the lead's src/server/api to expose
 * next to the TCP connectors:
 *
 *   const [udp] = createUdpConnectors("obfs4", { bridge: "obfs4 192.0.2.1:443 cert=… iat-mode=0", mode: "transparent" });
 *   const sock = udp.createUDPSocket("udp4", (msg, rinfo) => console.log(msg));
 *   sock.send("ping");   // dropped (Table 1 row 1) while the transport connects; later sends flow
 *
 * The dial is `webpt client`'s (bridge-dial.ts), through the upstream proxy
 * when one is given; there is no per-connection settings argument because UDP
 * has no connection (seed 000 §3.2.2.3 "UDP Peer").
 */
import { parseProxyUri, type UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import type { StunFramingOptions } from "../../shared/codec/stun/index.js";
import { parseBridgeInput, settingsFromBridgeLine, type TransportName } from "../../shared/settings/index.js";
import type { UdpFramingMode } from "../../shared/udp/index.js";
import { dialBridge } from "../client/bridge-dial.js";
import { UdpNodeError, UdpNodeErrorCode, type UdpDial } from "./relay-common.js";
import { TunnelUdpSocket, type RemoteInfo, type TunnelUdpSocketOptions } from "./tunnel-socket.js";

export interface UdpConnectorConfiguration {
  /** A bridge line or `web+webpt://bridge/…` share link for this transport. */
  readonly bridge: string;
  /** An upstream proxy URI (socks5://, socks4a://, http://); every dial goes through it or fails. */
  readonly proxy?: string;
  /** §3.3.5.4 framing; default "transparent". Must match the server's UDP mode. */
  readonly mode?: UdpFramingMode;
  readonly stun?: StunFramingOptions;
  readonly idleTimeoutMs?: number;
  readonly dialTimeoutMs?: number;
}

/** dgram.createSocket's first argument: a type, or options with one. */
export type UdpSocketArgument =
  "udp4" | "udp6" | { readonly type: "udp4" | "udp6"; readonly signal?: AbortSignal; readonly [k: string]: unknown };

export interface UDPConnector {
  readonly name: TransportName;
  createUDPSocket(options?: UdpSocketArgument, callback?: (msg: Buffer, rinfo: RemoteInfo) => void): TunnelUdpSocket;
}

export function createUdpConnectors(name: TransportName, configuration: UdpConnectorConfiguration): UDPConnector[] {
  const { bridge } = parseBridgeInput(configuration.bridge);
  if (bridge.transport !== name) {
    throw new UdpNodeError(UdpNodeErrorCode.BAD_OPTION, `the bridge is for ${bridge.transport}, not ${name}`);
  }
  const settings = settingsFromBridgeLine(bridge);
  const proxy: UpstreamProxy | undefined =
    configuration.proxy === undefined ? undefined : parseProxyUri(configuration.proxy);
  const target = { host: bridge.host, port: bridge.port };
  const dial: UdpDial = (signal) =>
    dialBridge(settings, {
      target,
      proxy,
      signal,
      ...(configuration.dialTimeoutMs === undefined ? {} : { timeoutMs: configuration.dialTimeoutMs }),
    });
  return [
    {
      name,
      createUDPSocket(options = "udp4", callback) {
        const o = typeof options === "string" ? { type: options } : options;
        const socketOptions: TunnelUdpSocketOptions = {
          type: o.type,
          dial,
          ...(o.signal === undefined ? {} : { signal: o.signal }),
          ...(configuration.mode === undefined ? {} : { mode: configuration.mode }),
          ...(configuration.stun === undefined ? {} : { stun: configuration.stun }),
          ...(configuration.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: configuration.idleTimeoutMs }),
          ...(configuration.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: configuration.dialTimeoutMs }),
        };
        const socket = new TunnelUdpSocket(socketOptions);
        if (callback !== undefined) socket.on("message", callback);
        return socket;
      },
    },
  ];
}
