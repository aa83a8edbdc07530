// webpt/shared SOCKS codecs: SOCKS4/4a, SOCKS5 (RFC 1928), RFC 1929 and the PT
// per-connection argument methods, as sans-I/O state machines and message codecs.
export * from "./constants.js";
export * from "./errors.js";
export { type SocksAddress, type SocksTarget, UNSPECIFIED_ADDRESS, encodeAddress, toSocksAddress } from "./address.js";
export {
  type PtArgValue,
  type PtArgsInput,
  encodePtArgs,
  joinPtArgs,
  parsePtArgs,
  ptArgsBytes,
  ptArgsCredentials,
  splitPtArgs,
} from "./pt-args.js";
export {
  type JsonParamValue,
  type JsonParams,
  encodeJsonParamBlock,
  parseJsonParams,
  toJsonParams,
} from "./json-params.js";
export {
  type MethodSelection,
  type Socks5Greeting,
  type Socks5ReplyMessage,
  type Socks5Request,
  type UserPassReply,
  type UserPassRequest,
  encodeGreeting,
  encodeMethodSelection,
  encodeParamBlock,
  encodeSocks5Reply,
  encodeSocks5Request,
  encodeUserPassReply,
  encodeUserPassRequest,
} from "./messages.js";
export { type Socks4ReplyMessage, type Socks4Request, encodeSocks4Reply, encodeSocks4Request } from "./socks4.js";
export * from "./decoders.js";
export {
  type ArgsProblem,
  type SocksArgs,
  type SocksRequest,
  type SocksServerOptions,
  type SocksServerPhase,
  type SocksServerStep,
  SocksServerHandshake,
} from "./server.js";
export {
  type SocksClientOptions,
  type SocksClientPhase,
  type SocksClientStep,
  SocksClientHandshake,
} from "./client.js";
