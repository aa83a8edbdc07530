/** Standalone mode of `webpt server` (use without tor): the public API the CLI and tests use. */
export {
  EXIT_CANTCREAT,
  EXIT_CONFIG,
  EXIT_SOFTWARE,
  EXIT_UNAVAILABLE,
  STANDALONE_DRAIN_MS,
  runStandalone,
  type StandaloneIo,
  type StandaloneReady,
} from "./run.js";
export {
  buildStandaloneConfig,
  loadStandaloneCommand,
  parseConfigText,
  type ConfigFileText,
  type StandaloneCommand,
  type StandaloneConfig,
} from "./config.js";
export {
  EXIT_USAGE,
  MAX_ARGS,
  STANDALONE_FLAGS,
  StandaloneConfigError,
  parseStandaloneFlags,
  standaloneHelp,
  type StandaloneFlags,
} from "./config-flags.js";
export {
  DEFAULT_LISTEN,
  DEFAULT_LOG_LEVEL,
  DEFAULT_PORTS,
  DEFAULT_STATE_DIR,
  MAX_CONFIG_FILE_BYTES,
  MAX_CONFIG_STRING_LENGTH,
  MAX_OPTION_LIST_ITEMS,
  STANDALONE_CONFIG_SCHEMA,
  STANDALONE_TRANSPORTS,
  STATE_DIR_ENV,
  defaultConfigJson,
} from "./config-schema.js";
export {
  DEFAULT_DENIED_PORTS,
  DEFAULT_POLICY,
  MAX_POLICY_CIDRS,
  MAX_POLICY_PORT_RANGES,
  PolicyError,
  SPECIAL_PURPOSE_RANGES,
  checkAddress,
  checkPort,
  describePolicy,
  makePolicy,
  ownAddressSet,
  parseCidr,
  parsePortRange,
  type AddressDecision,
  type Cidr,
  type DestinationPolicy,
  type PolicyDecision,
  type PolicySpec,
  type PortRange,
} from "./policy.js";
export {
  MAX_RESOLVED_ADDRESSES,
  RESOLVE_TIMEOUT_MS,
  interfaceAddresses,
  systemResolver,
  vetDestination,
  type DestinationVerdict,
  type Resolver,
  type VetOptions,
} from "./destination.js";
export {
  CONNECT_TIMEOUT_MS,
  MAX_DIAL_ATTEMPTS,
  REFUSAL_LINGER_MS,
  boundSink,
  freeSink,
  type FreeSinkOptions,
  type SinkOptions,
} from "./sinks.js";
export {
  FREE_SOCKS_HANDSHAKE_TIMEOUT_MS,
  SOCKS_TUNNEL_TIMEOUT_MS,
  socksConnectInStream,
  type SocksTunnelOptions,
} from "./socks-in-stream.js";
export { formatBanner, type Banner, type BridgeInfo } from "./banner.js";
export { StopRequests, type StopSources } from "./stop.js";
export { createStandaloneLogger, openLogFile } from "./log.js";
