/** The WebRTC DataChannel carrier's public API (the lead wires it into the server). */
export {
  createRtcEngine,
  RTC_ENGINE_NAMES,
  type RtcEngine,
  type RtcEngineName,
  type RtcEngineOptions,
  type RtcPeerConfig,
} from "./engine.js";
export {
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
  DataChannelClosedError,
  DataChannelProtocolError,
  DataChannelTransportError,
  RtcEngineError,
} from "./errors.js";
