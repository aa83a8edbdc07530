/**
 * webpt's PT Transport API for Node (seed 000 §3.2.5): one object per
 * transport implementing both the client (createConnector) and the server
 * (generateConfiguration, createServer, createProxy) interfaces, as the seed
 * allows ("a single object … can implement more than one of them").
 */
import type { TransportName } from "../../shared/settings/index.js";
import { createClientTransport, type ClientTransport } from "./client.js";
import { createServerTransport, type ServerTransport } from "./server.js";
import { createUdpConnectors, type UDPConnector, type UdpConnectorConfiguration } from "../udp/udp-connector.js";

export type { UDPConnector, UdpConnectorConfiguration };

/** Seed 000 §3.2.5.3: the UDP interface, `createConnector(configuration) → [UDPConnector]`. */
export interface UDPTransport {
  createConnector(configuration: UdpConnectorConfiguration): UDPConnector[];
}

export type Transport = ClientTransport & ServerTransport & { readonly udp: UDPTransport };

function transport(name: TransportName): Transport {
  return {
    ...createClientTransport(name),
    ...createServerTransport(name),
    udp: { createConnector: (configuration) => createUdpConnectors(name, configuration) },
  };
}

export const transports: Readonly<Record<TransportName, Transport>> = Object.freeze({
  obfs4: transport("obfs4"),
  websocket: transport("websocket"),
  webrtc: transport("webrtc"),
});

export { TransportConnection, type ConnectionStats } from "./connection.js";
export {
  ConfigurationError,
  createClientTransport,
  type ClientConfiguration,
  type ClientTransport,
  type ConnectOptions,
  type Connector,
  type SignalsPipe,
} from "./client.js";
export {
  createServerTransport,
  type GeneratedConfiguration,
  type ProxyOptions,
  type ServerConfiguration,
  type ServerManager,
  type ServerOptions,
  type ServerTransport,
  type TransportServer,
} from "./server.js";
