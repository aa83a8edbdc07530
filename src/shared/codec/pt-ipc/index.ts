// webpt/shared PT IPC codec: the stdout line protocol, the TOR_PT_* environment
// and 2.x flags, and the three argument-escaping schemes (pt-spec 1.0 §3,
// PT 2.0 §3.3, PT 2.1 §1, tor ipc.md). Pure functions over strings and bytes;
// the process adapter in src/server does the reading and writing.
export * from "./errors.js";
export * from "./types.js";
export { parseBindAddr, parsePtAddress } from "./address.js";
export type { PtAddressOptions } from "./address.js";
export { isPtTransportName } from "./transport-name.js";
export {
  decodeClientArgs,
  decodeServerTransportOptions,
  decodeSmethodArgs,
  encodeClientArgs,
  encodeServerTransportOptions,
  encodeSmethodArgs,
  escapeClientArg,
} from "./escaping.js";
export { decodeCString, encodeCString, parseKvLine } from "./kvline.js";
export { MAX_IPC_LINE_BYTES, encodeIpcMessage, formatIpcMessage } from "./format.js";
export type { FormatOptions } from "./format.js";
export { parseIpcLine } from "./parse.js";
export type { ParseOptions } from "./parse.js";
export { IpcLineDecoder, decodeIpcLines } from "./line-decoder.js";
export type { IpcLineDecoderOptions } from "./line-decoder.js";
export { MAX_PROXY_CREDENTIAL_BYTES, ProxyUriError, formatProxyUri, parseProxyUri } from "./proxy-uri.js";
export type { UpstreamProxy, UpstreamProxyScheme } from "./proxy-uri.js";
export { FlagSyntaxError, PT_FLAGS, formatPtUsage, parseFlags } from "./flags.js";
export type { ExtraFlags, FlagKind, ParsedFlags, PtFlagSpec } from "./flags.js";
export { SUPPORTED_PT_VERSIONS, negotiateVersion } from "./version.js";
export type { PtCommonConfig, PtConfigOptions, PtConfigResult, PtEnv, VersionNegotiation } from "./version.js";
export {
  ipcErrorOutput,
  parseClientConfig,
  parseServerConfig,
  ptRoleFromEnv,
  selectTransports,
  startupMessages,
} from "./config.js";
export type { PtClientConfig, PtServerConfig, PtServerTransport } from "./config.js";
