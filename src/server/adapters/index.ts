// Parent-side adapters (seed 003, ptadapter in TypeScript): run any PT
// executable as tor would, and use it — open connections through a client,
// receive connections from a server (plain, or through our own ExtORPort).
export { DEFAULT_ADAPTER_VERSIONS, PtAdapter } from "./base-adapter.js";
export type { PtAdapterEvents, PtAdapterOptions } from "./base-adapter.js";
export { ClientAdapter } from "./client-adapter.js";
export type { ClientAdapterOptions, ClientTransport, TransportConnectionOptions } from "./client-adapter.js";
export { ServerAdapter } from "./server-adapter.js";
export type { ServerAdapterOptions } from "./server-adapter.js";
export { DEFAULT_SERVER_BIND, ServerPtAdapter, serverTransportEnv } from "./server-transports.js";
export type { ServerPtAdapterOptions, ServerTransport, ServerTransportSpec } from "./server-transports.js";
export { EXTOR_COOKIE_FILE_NAME, ExtServerAdapter } from "./ext-server-adapter.js";
export type { ExtServerAdapterEvents, ExtServerAdapterOptions } from "./ext-server-adapter.js";
export { DEFAULT_EXTOR_MAX_CONNECTIONS, listenExtOrPort } from "./extor-listener.js";
export type { ExtOrClientInfo, ExtOrListener, ExtOrListenerOptions } from "./extor-listener.js";
export { AdapterError, PtLaunchError } from "./errors.js";
export type { AdapterErrorCode, MethodFailure, PtLaunchErrorCode } from "./errors.js";
export {
  DEFAULT_PT_SHUTDOWN_GRACE_MS,
  DEFAULT_PT_START_TIMEOUT_MS,
  MAX_PT_STDERR_TAIL,
  PT_EXIT_DRAIN_MS,
  PtProcess,
  cleanPtEnv,
  launchPt,
} from "./pt-process.js";
export type { PtLaunchOptions, PtProcessEvents } from "./pt-process.js";
export { HAS_PROCESS_GROUPS, groupAlive, shutdownLadder, signalGroup, spawnInGroup } from "./process-group.js";
export type { ExitInfo } from "./process-group.js";
export { StartupTracker } from "./pt-startup.js";
export type { PtRole, StartupFailure, StartupOptions, StartupVerdict } from "./pt-startup.js";
export { MAX_STDERR_LINE_CHARS, STDERR_IPC_KEYWORDS, StderrLineSplitter } from "./stderr-lines.js";
export type { StderrLine } from "./stderr-lines.js";
