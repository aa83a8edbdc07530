// UDP over our TCP transports for Node (PT 2.0, seed 000 §3.3.5): the client listener, the server sink, the
// Transport API's dgram-like socket and the -udp flags, all driving the sans-IO pools of src/shared/udp.
export {
  DEFAULT_UDP_DIAL_TIMEOUT_MS,
  MAX_UDP_DIAL_TIMEOUT_MS,
  MAX_UDP_TRANSPORT_BACKLOG_BYTES,
  UdpNodeError,
  UdpNodeErrorCode,
  type UdpDial,
  type UdpDropCause,
  type UdpRelayEvent,
  type UdpRelayStats,
} from "./relay-common.js";
export { UdpClientRelay, type UdpClientRelayOptions } from "./client-relay.js";
export {
  DEFAULT_UDP_LISTEN,
  UDP_SOCKET_BUFFER_BYTES,
  parsePeerKey,
  peerKey,
  startUdpClient,
  type UdpClient,
  type UdpClientOptions,
} from "./udp-client.js";
export { UDP_ASSOCIATION_BUFFER_BYTES, udpSink, type UdpSink, type UdpSinkOptions } from "./udp-sink.js";
export { TunnelUdpSocket, type RemoteInfo, type TunnelUdpSocketOptions } from "./tunnel-socket.js";
export {
  createUdpConnectors,
  type UDPConnector,
  type UdpConnectorConfiguration,
  type UdpSocketArgument,
} from "./udp-connector.js";
export {
  MAX_UDP_IDLE_TIMEOUT_MS,
  UDP_CLIENT_FLAGS,
  UDP_FLAGS_HELP,
  UDP_SERVER_FLAGS,
  parseIdleTimeout,
  parseUdpMode,
  readUdpClientFlags,
  readUdpServerFlags,
  type UdpClientFlags,
  type UdpServerFlags,
} from "./flags.js";
export {
  runUdpClient,
  udpCmethod,
  udpProxyType,
  type RunUdpClientOptions,
  type RunningUdpClient,
} from "./run-client.js";
