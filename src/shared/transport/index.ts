// The browser Transport API (seed 000 §3.2.5 in the shapes of the web): obfs4 over a WebSocket or an RTCDataChannel
// as WHATWG-streams connections, the carriers' structural W3C types, and the dialers. Runtime-neutral: it uses the
// runtime's globals (WebSocket, RTCPeerConnection, fetch, ReadableStream) or ones passed in.
export type * from "./websocket-like.js";
export type * from "./rtc-like.js";
export * from "./streams-like.js";
export {
  BrowserTransportError,
  MAX_READ_BUFFER_BYTES,
  READ_HIGH_WATER_BYTES,
  WRITE_HIGH_WATER_BYTES,
  type BrowserConnection,
  type BrowserConnectionStats,
  type BrowserTransportErrorCode,
  type BrowserTransportName,
  type ConnectionInfo,
} from "./connection.js";
export {
  CARRIER_HIGH_WATER_BYTES,
  CARRIER_LOW_WATER_BYTES,
  DATACHANNEL_MAX_MESSAGE_BYTES as BROWSER_DATACHANNEL_MAX_MESSAGE_BYTES,
  WEBSOCKET_DRAIN_POLL_MS,
  WEBSOCKET_MAX_MESSAGE_BYTES as BROWSER_WEBSOCKET_MAX_MESSAGE_BYTES,
  dataChannelCarrier,
  messageBytes,
  webSocketCarrier,
  type CarrierEvents,
  type MessageCarrier,
} from "./carrier.js";
export {
  ICE_GATHERING_TIMEOUT_MS as BROWSER_ICE_GATHERING_TIMEOUT_MS,
  WEBRTC_CHANNEL_LABEL as BROWSER_WEBRTC_CHANNEL_LABEL,
  WEBRTC_DIAL_TIMEOUT_MS as BROWSER_WEBRTC_DIAL_TIMEOUT_MS,
  WEBSOCKET_DIAL_TIMEOUT_MS as BROWSER_WEBSOCKET_DIAL_TIMEOUT_MS,
  createManualWebRtcOffer,
  dialWebRtcCarrier,
  dialWebSocketCarrier,
  type DialEnvironment,
  type FetchLike,
  type FetchResponseLike,
  type ManualWebRtcOffer,
  type RTCIceServerLike,
  type RTCPeerConnectionConstructorLike,
  type WebRtcPeerSettings as BrowserWebRtcPeerSettings,
  type WebSocketConstructorLike,
} from "./dial.js";
export {
  WRITE_SLICE_BYTES,
  createObfs4Connection,
  socksPreamble,
  type Obfs4ConnectionOptions,
  type Preamble,
} from "./obfs4-connection.js";
export {
  ConfigurationError as BrowserConfigurationError,
  MANUAL_SIGNALING_TIMEOUT_MS,
  createBrowserTransport,
  createBrowserTransports,
  openConnection,
  type BrowserClientConfiguration,
  type BrowserClientTransport,
  type BrowserConnectOptions,
  type BrowserConnector,
  type BrowserSettings,
  type BrowserTransportStats,
  type OpenOptions,
  type SignalsPipe as BrowserSignalsPipe,
} from "./client-transport.js";
