/** The WebRTC DataChannel carrier's public API (the lead wires it into the server). */
export {
  DEFAULT_RTC_ENGINE,
  RTC_ENGINE_NAMES,
  createRtcEngine,
  isRtcEngineName,
  type RtcCandidateInfo,
  type RtcEngine,
  type RtcEngineName,
  type RtcEngineOptions,
  type RtcPeer,
  type RtcPeerConfig,
} from "./engine.js";
export {
  DATACHANNEL_CLOSE_LINGER_MS,
  DATACHANNEL_MAX_MESSAGE_BYTES,
  DATACHANNEL_MAX_READ_BUFFER_BYTES,
  DATACHANNEL_SEND_HIGH_WATER_MARK,
  DATACHANNEL_SEND_LOW_WATER_MARK,
  DATACHANNEL_STREAM_HIGH_WATER_MARK,
  DataChannelDuplex,
  dataChannelDuplex,
  dataChannelMessageBytes,
  type DataChannelDuplexOptions,
} from "./duplex.js";
export {
  ICE_GATHERING_TIMEOUT_MS,
  LOOPBACK_CONNECT_TIMEOUT_MS,
  channelOpen,
  connectLoopbackPair,
  localDescriptionWhenGathered,
  type LoopbackPair,
} from "./gathering.js";
export {
  DEFAULT_MAX_PEERS,
  DEFAULT_MAX_PENDING_PEERS,
  REMOTE_CANDIDATES_DELAY_MS,
  WEBRTC_CONNECT_TIMEOUT_MS,
  WebRtcAnswerError,
  clientInfoFromCandidate,
  createWebRtcAnswerer,
  type AnswerOptions,
  type WebRtcAnswerer,
  type WebRtcAnswererOptions,
} from "./answerer.js";
export {
  MAX_SIGNAL_PATH_LENGTH,
  OVERSIZED_BODY_LINGER_MS,
  checkSignalPath,
  createSignalingServer,
  type SignalingCounters,
  type SignalingListenOptions,
  type SignalingServer,
  type SignalingServerOptions,
} from "./signaling-server.js";
export { SIGNAL_REQUEST_TIMEOUT_MS, postSealedOffer, type PostSealedOfferOptions } from "./signaling-client.js";
export {
  DEFAULT_WEBRTC_DIAL_TIMEOUT_MS,
  WEBRTC_CHANNEL_LABEL,
  createManualOffer,
  dialWebRtc,
  type DialWebRtcOptions,
  type ManualWebRtcOffer,
  type WebRtcClientOptions,
  type WebRtcPeerSettings,
} from "./dial.js";
export {
  MANUAL_CONNECT_TIMEOUT_MS,
  MANUAL_OFFER_MAX_AGE_MS,
  MAX_MANUAL_REPLAY_ENTRIES,
  answerManualOffer,
  answerOfferFromStream,
  createManualReplayCache,
  isWholeSignal,
  readSignalText,
  type ManualAnswerContext,
} from "./manual.js";
export {
  WEBRTC_OPTION_KEYS,
  createWebRtcTransportFactory,
  isRunningWebRtcTransport,
  startWebRtcTransport,
  webrtcTransport,
  type RunningWebRtcTransport,
  type WebRtcTransportTuning,
} from "./transport.js";
export {
  STUN_DEFAULT_PORT,
  STUNS_DEFAULT_PORT,
  ndcIceServers,
  parseIceServerUrl,
  w3cIceServers,
  type IceServerUrl,
  type NdcIceServer,
} from "./ice-servers.js";
export { advertisePublicAddresses, candidateAddresses, splitCandidates, type SdpCandidate } from "./sdp.js";
export { nodeX25519For } from "./node-x25519.js";
export {
  DataChannelClosedError,
  DataChannelProtocolError,
  DataChannelTransportError,
  RtcEngineError,
  WebRtcConfigError,
  WebRtcSignalingError,
} from "./errors.js";
