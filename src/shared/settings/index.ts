// webpt/shared settings: per-transport settings schemas and their validator,
// parseSettings for every source, bridge lines and share links.
export {
  SettingsError,
  BridgeLineError,
  ShareLinkError,
  SOCKS_REPLY_SETTINGS_INVALID,
  jsonPointer,
  type SettingsErrorReason,
  type BridgeLineErrorCode,
  type ShareLinkErrorCode,
} from "./errors.js";
export {
  MAX_SETTINGS_KEYS,
  MAX_SETTINGS_VALUE_LENGTH,
  MAX_SETTINGS_VALUES_PER_KEY,
  MAX_ICE_URLS,
  MAX_BRIDGE_LINE_LENGTH,
  MAX_BRIDGE_ARGS,
  MAX_SHARE_LABEL_BYTES,
  MAX_SHARE_LINK_LENGTH,
  SHARE_LINK_PREFIX,
} from "./limits.js";
export {
  validateSchema,
  assertSupportedSchema,
  SUPPORTED_KEYWORDS,
  type JsonSchema,
  type JsonType,
  type SchemaViolation,
} from "./json-schema.js";
export {
  TRANSPORTS,
  OBFS4_SETTINGS_SCHEMA,
  WEBSOCKET_SETTINGS_SCHEMA,
  WEBRTC_SETTINGS_SCHEMA,
  SETTINGS_SCHEMAS,
  isTransportName,
  type TransportName,
} from "./schemas.js";
export { SETTINGS_SOURCES, type SettingsSource } from "./coerce.js";
export {
  parseSettings,
  parseSettingsReport,
  settingsFromBridgeLine,
  settingsToObject,
  settingsToArgs,
  OBFS4_NODE_ID_LENGTH,
  OBFS4_PUBLIC_KEY_LENGTH,
  type Obfs4Settings,
  type WebSocketSettings,
  type WebRtcSettings,
  type TransportSettings,
  type SettingsFor,
  type SettingsReport,
  type SettingsObject,
} from "./settings.js";
export {
  parseBridgeLine,
  formatBridgeLine,
  bridgeArgsToRecord,
  type BridgeLine,
  type BridgeLineInit,
  type BridgeArg,
} from "./bridge-line.js";
export {
  formatShareLink,
  parseShareLink,
  parseBridgeInput,
  looksLikeShareLink,
  SHARE_LINK_VERSION,
  type ShareLink,
} from "./share-link.js";
