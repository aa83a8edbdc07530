/**
 * Public API of the obfs4 handshake half (Elligator 2, ntor, KDF, handshake state machines, replay filter, server
 * identity). The framing half lives beside it; the folder's index re-exports both.
 */
export {
  PRIVATE_KEY_LENGTH,
  PUBLIC_KEY_LENGTH,
  REPRESENTATIVE_LENGTH,
  type RepresentablePublicKey,
  dirtyScalarBaseMult,
  elligatorScalarBaseMult,
  publicKeyToRepresentative,
  representativeToPublicKey,
} from "./elligator2.js";
export { EPOCH_HOUR_MS, EPOCH_HOUR_SKEW, type Clock, epochHour, epochHourString, systemClock } from "./epoch.js";
export {
  CLIENT_HANDSHAKE_TIMEOUT_MS,
  ClientHandshake,
  type ClientHandshakeOptions,
  type ClientHandshakeResult,
} from "./handshake-client.js";
export {
  Obfs4HandshakeError,
  type Obfs4HandshakeErrorCode,
  type Obfs4HandshakeFailure,
  Obfs4HandshakeLimitError,
  Obfs4HandshakeStateError,
} from "./handshake-errors.js";
export {
  CLIENT_MARK_SEARCH_START,
  CLIENT_MAX_PAD_LENGTH,
  CLIENT_MIN_HANDSHAKE_LENGTH,
  CLIENT_MIN_PAD_LENGTH,
  INLINE_SEED_FRAME_LENGTH,
  MAC_LENGTH,
  MARK_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  SERVER_MARK_SEARCH_START,
  SERVER_MAX_PAD_LENGTH,
  SERVER_MIN_HANDSHAKE_LENGTH,
  SERVER_MIN_PAD_LENGTH,
  computeMac,
  computeMark,
  encodeClientRequest,
  encodeServerResponse,
  handshakeMacKey,
} from "./handshake-messages.js";
export {
  MAX_CLOSE_DELAY_MS,
  MAX_FAILED_CLOSE_AFTER_MS,
  MIN_FAILED_CLOSE_AFTER_MS,
  SERVER_HANDSHAKE_TIMEOUT_MS,
  ServerHandshake,
  type ServerHandshakeFailed,
  type ServerHandshakeOptions,
  type ServerHandshakeResult,
  chooseCloseDelayMs,
} from "./handshake-server.js";
export {
  BRIDGE_LINE_FILE_NAME,
  DRBG_SEED_LENGTH,
  MAX_STATE_FILE_LENGTH,
  type Obfs4ServerState,
  type ResolvedServerState,
  STATE_FILE_NAME,
  formatObfs4BridgeLine,
  formatBridgeLineFile,
  formatServerStateJson,
  generateServerState,
  parseServerStateJson,
  resolveServerState,
  serverMethodArgs,
} from "./identity.js";
export {
  CERT_BYTES_LENGTH,
  CERT_LENGTH,
  type IatMode,
  type Obfs4ClientArgs,
  Obfs4IdentityError,
  type Obfs4IdentityErrorCode,
  type TransportArgs,
  decodeCert,
  encodeCert,
  parseClientArgs,
} from "./identity-cert.js";
export { MAX_NTOR_KDF_LENGTH, SESSION_KEY_MATERIAL_LENGTH, deriveSessionKeys, ntorKdf } from "./kdf.js";
export {
  AUTH_LENGTH,
  KEY_SEED_LENGTH,
  type Keypair,
  NODE_ID_LENGTH,
  NTOR_M_EXPAND,
  NTOR_PROTOID,
  NTOR_T_KEY,
  NTOR_T_MAC,
  NTOR_T_VERIFY,
  type NtorResult,
  type RandomSource,
  type RepresentableKeypair,
  defaultRandomSource,
  generateKeypair,
  generateRepresentableKeypair,
  keypairFromPrivateKey,
  ntorClient,
  ntorServer,
} from "./ntor.js";
export {
  MAX_REPLAY_FILTER_ENTRIES,
  MAX_REPLAY_FILTER_VALUE_LENGTH,
  REPLAY_FILTER_TTL_MS,
  ReplayFilter,
  type ReplayFilterOptions,
} from "./replay-filter.js";
