// The WebSocket carrier for Node: a WebSocket as a byte Duplex (what the obfs4 stream takes), a server that
// hides its carriers behind a cover site, and a dialer.
export {
  WEBSOCKET_DRAIN_POLL_MS,
  WEBSOCKET_MAX_MESSAGE_BYTES,
  WEBSOCKET_SEND_HIGH_WATER_MARK,
  WEBSOCKET_SEND_LOW_WATER_MARK,
  WEBSOCKET_STREAM_HIGH_WATER_MARK,
  WebSocketDuplex,
  type WebSocketDuplexOptions,
  messageBytes,
  webSocketDuplex,
} from "./duplex.js";
export {
  DEFAULT_CONNECTIONS_CHECKING_INTERVAL_MS,
  DEFAULT_HEADERS_TIMEOUT_MS,
  DEFAULT_MAX_CARRIERS,
  DEFAULT_MAX_CONNECTIONS,
  DEFAULT_REQUEST_TIMEOUT_MS,
  DEFAULT_WEBSOCKET_MAX_PAYLOAD,
  MAX_HTTP_HEADER_BYTES,
  MAX_SECRET_PATH_LENGTH,
  type WebSocketCarrierCounters,
  type WebSocketCarrierServer,
  type WebSocketCarrierServerOptions,
  type WebSocketConnectionInfo,
  type WebSocketListenOptions,
  createWebSocketCarrierServer,
} from "./server.js";
export { DEFAULT_WEBSOCKET_DIAL_TIMEOUT_MS, type DialWebSocketOptions, dialWebSocket } from "./dial.js";
export {
  MAX_FORWARDED_FOR_ENTRIES,
  MAX_TRUSTED_PROXIES,
  TrustedProxies,
  type ClientAddressInfo,
  resolveClientAddress,
} from "./client-address.js";
export { DEFAULT_COVER_PAGE, type CoverPage, createCoverResponder } from "./cover.js";
export {
  WS_CLOSE_ABNORMAL,
  WS_CLOSE_GOING_AWAY,
  WS_CLOSE_INTERNAL_ERROR,
  WS_CLOSE_MESSAGE_TOO_BIG,
  WS_CLOSE_NORMAL,
  WS_CLOSE_NO_STATUS,
  WS_CLOSE_UNSUPPORTED_DATA,
  WebSocketClosedError,
  WebSocketConfigError,
  WebSocketDialError,
  WebSocketProtocolError,
  WebSocketTransportError,
} from "./errors.js";
