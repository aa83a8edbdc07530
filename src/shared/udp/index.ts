// UDP over TCP transports (PT 2.0, seed 000 §3.3.5): the client and server connection pools as sans-IO state machines.
export {
  DEFAULT_UDP_IDLE_TIMEOUT_MS,
  DEFAULT_MAX_UDP_POOL_ENTRIES,
  MAX_UDP_POOL_ENTRIES,
  UdpPoolErrorCode,
  type UdpFramingMode,
  type UdpDropReason,
  type UdpRemoveReason,
  type UdpFraming,
  type UdpPoolOptions,
  createUdpFraming,
} from "./pool-common.js";
export { type UdpClientState, type UdpClientOutput, UdpClientPool } from "./client-pool.js";
export { type UdpServerOutput, type UdpServerPoolOptions, type UdpServerAccept, UdpServerPool } from "./server-pool.js";
