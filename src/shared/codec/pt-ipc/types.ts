/**
 * The typed vocabulary of the PT IPC protocol (pt-spec 1.0 §3.3, PT 2.0
 * §3.3.2, PT 2.1 §1.2, tor ipc.md LOG/STATUS): addresses, key/value argument
 * maps, and one union member per stdout message. Addresses are the shared
 * `HostPort` (src/shared/net); IP-only fields (bind addresses, CMETHOD and
 * SMETHOD addresses) never carry `domain`.
 */
import type { HostPort } from "../../net/host-port.js";

/**
 * Key/value arguments with repeatable keys, as goptlib's `pt.Args`: values
 * keep their order, keys keep insertion order. Used for per-connection client
 * arguments, server transport options and SMETHOD ARGS.
 */
export type Args = Map<string, string[]>;

/** What the encoders accept: a Map or a plain record of key → values. */
export type ArgsInput = ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;

/** CMETHOD proxy types: 1.0 has socks4/socks5; 2.0 §3.3.2.2 adds the transparent and STUN modes. */
export type CmethodProxyType = "socks4" | "socks5" | "transparent-TCP" | "transparent-UDP" | "STUN";

export const CMETHOD_PROXY_TYPES: readonly CmethodProxyType[] = [
  "socks4",
  "socks5",
  "transparent-TCP",
  "transparent-UDP",
  "STUN",
];

/** The proxy types a version-1 parent (tor) understands; tor rejects anything else. */
export const CMETHOD_PROXY_TYPES_V1: readonly CmethodProxyType[] = ["socks4", "socks5"];

/** tor ipc.md "Pluggable Transport Log Message": the accepted severities. */
export type LogSeverity = "error" | "warning" | "notice" | "info" | "debug";

export const LOG_SEVERITIES: readonly LogSeverity[] = ["error", "warning", "notice", "info", "debug"];

export interface VersionMessage {
  readonly kind: "VERSION";
  readonly version: string;
}

/** `VERSION-ERROR`, `ENV-ERROR` and `PROXY-ERROR` carry one free-text message. */
export interface ErrorLineMessage {
  readonly kind: "VERSION-ERROR" | "ENV-ERROR" | "PROXY-ERROR";
  readonly message: string;
}

export interface ProxyDoneMessage {
  readonly kind: "PROXY DONE";
}

export interface CmethodMessage {
  readonly kind: "CMETHOD";
  readonly transport: string;
  readonly proxyType: CmethodProxyType;
  readonly address: HostPort;
}

export interface MethodErrorMessage {
  readonly kind: "CMETHOD-ERROR" | "SMETHOD-ERROR";
  readonly transport: string;
  readonly message: string;
}

export interface MethodsDoneMessage {
  readonly kind: "CMETHODS DONE" | "SMETHODS DONE";
}

export interface SmethodMessage {
  readonly kind: "SMETHOD";
  readonly transport: string;
  readonly address: HostPort;
  /** The `ARGS:` option, decoded. Absent (never an empty map) when there is none. */
  readonly args?: Args;
  /**
   * Any other `[options]` tokens, verbatim (`KEY:value`). tor reads only the
   * first option and only `ARGS:`, so the formatter always writes ARGS first.
   */
  readonly options?: readonly string[];
}

export interface LogMessage {
  readonly kind: "LOG";
  readonly severity: LogSeverity;
  readonly message: string;
}

export interface StatusMessage {
  readonly kind: "STATUS";
  /** The TRANSPORT value; tor ≥ 0.4.8 also accepts STATUS lines without it (e.g. `TYPE=version`). */
  readonly transport?: string;
  /** The other `K=V` pairs in order (duplicates allowed); at least one. */
  readonly fields: readonly (readonly [string, string])[];
}

/** Any line whose keyword we do not know; pt-spec §3.3: the parent MUST ignore it. */
export interface UnknownMessage {
  readonly kind: "UNKNOWN";
  readonly keyword: string;
  readonly rest: string;
}

export type IpcMessage =
  | VersionMessage
  | ErrorLineMessage
  | ProxyDoneMessage
  | CmethodMessage
  | MethodErrorMessage
  | MethodsDoneMessage
  | SmethodMessage
  | LogMessage
  | StatusMessage
  | UnknownMessage;

export type IpcMessageKind = IpcMessage["kind"];
