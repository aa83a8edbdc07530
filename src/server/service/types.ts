/**
 * The seams of the bridge server. A *transport* (obfs4 over TCP, over a
 * WebSocket, over a WebRTC DataChannel) turns accepted carriers into
 * authenticated obfs4 streams; a *sink* decides where each stream's bytes go
 * (tor's Extended ORPort in managed mode; a bound target or a destination the
 * client names in standalone mode). The manager (manager.ts) joins the two
 * and keeps the books. Transports and sinks never know about each other.
 */
import type { AddressInfo } from "node:net";
import type { LogSeverity } from "../../shared/codec/pt-ipc/index.js";
import type { Obfs4ServerState } from "../../shared/codec/obfs4/index.js";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";
import type { Obfs4ServerEngine, Obfs4ServerOptions } from "../obfs4/tcp.js";

/** Where a client came from, as best the carrier knows (TCP peer, trusted X-Forwarded-For, ICE remote candidate). */
export interface ClientInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

/** A log that scrubs client addresses unless the operator opted out (every implementation must). */
export interface Logger {
  log(severity: LogSeverity, message: string): void;
}

/** Everything a transport needs to start listening. */
export interface TransportContext {
  /** The transport's name as tor and bridge lines spell it: "obfs4", "websocket", "webrtc". */
  readonly name: string;
  readonly bind: { readonly host: string; readonly port: number };
  /** The name or address clients reach this server at, when the operator told us (for URLs in the args). */
  readonly publicHost?: string;
  /** Per-transport options (TOR_PT_SERVER_TRANSPORT_OPTIONS, or the standalone config), first value of each key. */
  readonly options: ReadonlyMap<string, string>;
  /** The bridge identity, shared by every transport of this server. */
  readonly state: Obfs4ServerState;
  /** Where a transport may keep its own secrets across restarts (TOR_PT_STATE_LOCATION). */
  readonly stateDir: string;
  /** Shared by every transport's engine: one replay filter, one close delay, one crypto backend. */
  readonly engineOptions: Obfs4ServerOptions;
  /** Hand each authenticated stream here. */
  readonly onStream: (stream: Obfs4Stream, client: ClientInfo) => void;
  readonly log: Logger;
}

/** Counters a carrier keeps besides the obfs4 engine's. */
export interface CarrierCounters {
  /** Requests or offers answered as an ordinary web site would (wrong path, bad seal, not an upgrade). */
  declined: number;
}

export interface RunningTransport {
  readonly name: string;
  /** The address the listener is bound to (the SMETHOD address). */
  readonly address: AddressInfo;
  /** What a client needs besides cert and iat-mode, e.g. [["url", "wss://…/secret"]]. */
  readonly args: readonly (readonly [string, string])[];
  readonly engine: Obfs4ServerEngine;
  readonly carrier: CarrierCounters;
  /** Stops accepting and closes the transport's own carriers. */
  close(): Promise<void>;
}

export type TransportFactory = (ctx: TransportContext) => Promise<RunningTransport>;

/** Where authenticated streams go. Resolves when the stream's relay is over; must never reject or throw. */
export type StreamSink = (stream: Obfs4Stream, client: ClientInfo, transport: string) => Promise<SinkResult>;

/** Bytes are counted once, by the obfs4 stream itself (its `stats`), which is what the manager books. */
export interface SinkResult {
  /** Why the sink refused or failed, for the stats (undefined when the relay ran). */
  readonly refused?: "unreachable" | "policy" | "protocol";
}
