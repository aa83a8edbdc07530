// The web-app side of the webpt extension (createWebptClient) and the stream protocol it speaks over message ports
// (also used inside the extension between its service worker and offscreen document). Runtime-neutral.
export {
  MAX_PORT_CHUNK_BYTES,
  MAX_PORT_STREAMS,
  MAX_REQUEST_FIELD_LENGTH,
  MAX_STREAM_ID,
  PORT_CREDIT_BATCH_BYTES,
  PORT_PROTOCOL_VERSION,
  PORT_WINDOW_BYTES,
  PortProtocolError,
  errorData,
  parsePortMessage,
  type ConnectRequest,
  type OpenedInfo,
  type PortMessage,
} from "./protocol.js";
export {
  LINK_CLOSE_MESSAGE,
  isLinkClose,
  messagePortLink,
  pendingLink,
  type MessagePortLike,
  type PortLink,
} from "./link.js";
export { PortClient, RemoteError, fromErrorData, type PortClientOptions } from "./mux-client.js";
export { servePort, type PortServer, type ServePortOptions } from "./mux-host.js";
export {
  ACCESS_REQUEST_TIMEOUT_MS,
  HELLO_TIMEOUT_MS,
  MAX_NONCE_LENGTH,
  WEBPT_WINDOW_TAG,
  WEBPT_WINDOW_VERSION,
  WebptUnavailableError,
  createWebptClient,
  parseWindowMessage,
  type ConnectOptions as WebptConnectOptions,
  type WebptClient,
  type WebptClientOptions,
  type WindowLike,
  type WindowMessage,
  type WindowMessageEventLike,
  type WindowMessageType,
} from "./client.js";
