/**
 * The WebRTC engine seam: one factory per engine, each producing
 * RTCPeerConnectionLike objects (src/shared/transport/rtc-like.ts) plus the
 * one thing the W3C shape lacks and a bridge needs, the selected remote
 * candidate (where the client really is, for ExtORPort USERADDR). The
 * carrier and signaling never name an engine. Engines are loaded with a
 * dynamic import, so an engine that is not installed costs nothing until it
 * is asked for, and then fails with ERR_RTC_ENGINE_UNAVAILABLE.
 *
 * Choice, measured on loopback with bench/webrtc-throughput.ts (64 MiB
 * one way, both peers in one process): node-datachannel ≈ 50 MB/s,
 * werift ≈ 6 MB/s. The default is therefore node-datachannel; werift stays
 * as the dependency-free fallback (pure TypeScript, no native binary).
 *
 * node-datachannel's `cleanup()` is process-wide (it stops libdatachannel's
 * threads and closes every peer of every user), so engines of that kind are
 * reference-counted: `close()` calls it only when the last engine in the
 * process closes. Each owner closes its own peers first.
 */
import type { RTCPeerConnectionLike } from "../../../shared/transport/rtc-like.js";
import { createNdcPeerConnection, type NdcModule } from "./engine-node-datachannel.js";
import { createWeriftPeerConnection } from "./engine-werift.js";
import { RtcEngineError } from "./errors.js";

export type RtcEngineName = "werift" | "node-datachannel";
export const RTC_ENGINE_NAMES: readonly RtcEngineName[] = ["node-datachannel", "werift"];
export const DEFAULT_RTC_ENGINE: RtcEngineName = "node-datachannel";

/** Engine-neutral peer configuration: only what our carrier needs. */
export interface RtcPeerConfig {
  /** STUN/TURN URLs as settings normalise them (`stun:host:port`, `turn:host:port?transport=tcp`). Empty: host candidates only. */
  readonly iceServers?: readonly string[];
  /** Credentials for every turn:/turns: URL in iceServers (RTCIceServer.username / .credential). */
  readonly iceUsername?: string;
  readonly iceCredential?: string;
  /**
   * Host addresses to gather candidates on and pair with (e.g. ["127.0.0.1"]
   * in tests). Unset: the engine's default, every non-loopback interface.
   * node-datachannel binds to at most one.
   */
  readonly hostAddresses?: readonly string[];
  /** Local UDP ports to use (a firewall's open range); unset: ephemeral ports. */
  readonly portRange?: { readonly min: number; readonly max: number };
  /** The SCTP max-message-size advertised in SDP (RFC 8841 §6); engine default when unset. */
  readonly maxMessageSize?: number;
}

/** One end of the selected ICE candidate pair. */
export interface RtcCandidateInfo {
  readonly address: string;
  readonly port: number;
  /** RFC 8445 §5.1.1 type: "host", "srflx", "prflx" or "relay". */
  readonly type: string;
}

/** A peer connection with the selected pair exposed (W3C has it only via getStats()/RTCIceTransport). */
export interface RtcPeer extends RTCPeerConnectionLike {
  /** The remote candidate of the selected pair, once ICE has one; undefined before (or when unknown). */
  selectedRemoteCandidate(): RtcCandidateInfo | undefined;
  /** Adds a remote candidate after the remote description (W3C addIceCandidate; `candidate` is `candidate:…`). */
  addRemoteCandidate(candidate: string, mid: string): Promise<void>;
}

export interface RtcEngine {
  readonly name: RtcEngineName;
  createPeerConnection(config?: RtcPeerConfig): Promise<RtcPeer>;
  /** Releases engine-wide resources (node-datachannel's native threads); only once every peer is closed. Idempotent. */
  close(): void;
}

export interface RtcEngineOptions {
  /** Where to import node-datachannel from (a path for a copy outside node_modules, as the bench uses). */
  readonly nodeDatachannelSpecifier?: string;
}

function isNdcModule(m: unknown): m is NdcModule {
  const o = m as Partial<NdcModule> | null;
  return typeof o?.PeerConnection === "function" && typeof o.cleanup === "function";
}

async function loadNodeDatachannel(specifier: string): Promise<NdcModule> {
  let mod: unknown;
  try {
    mod = await import(specifier);
  } catch (err) {
    throw new RtcEngineError("ERR_RTC_ENGINE_UNAVAILABLE", `cannot load node-datachannel from ${specifier}`, {
      cause: err,
    });
  }
  const m = mod as { default?: unknown };
  const found = isNdcModule(mod) ? mod : isNdcModule(m.default) ? m.default : undefined;
  if (found === undefined) {
    throw new RtcEngineError("ERR_RTC_ENGINE_UNAVAILABLE", `${specifier} does not look like node-datachannel`);
  }
  return found;
}

/** Open node-datachannel engines per loaded module: cleanup() runs when the count returns to zero. */
const ndcUsers = new Map<NdcModule, number>();
let peerCount = 0;

export function isRtcEngineName(name: string): name is RtcEngineName {
  return (RTC_ENGINE_NAMES as readonly string[]).includes(name);
}

/** Creates the named engine; rejects with ERR_RTC_ENGINE_UNKNOWN / ERR_RTC_ENGINE_UNAVAILABLE. */
export async function createRtcEngine(
  name: RtcEngineName = DEFAULT_RTC_ENGINE,
  options: RtcEngineOptions = {},
): Promise<RtcEngine> {
  switch (name) {
    case "werift":
      return {
        name,
        createPeerConnection: (config = {}) => createWeriftPeerConnection(config),
        close: () => undefined,
      };
    case "node-datachannel": {
      const mod = await loadNodeDatachannel(options.nodeDatachannelSpecifier ?? "node-datachannel");
      ndcUsers.set(mod, (ndcUsers.get(mod) ?? 0) + 1);
      let closed = false;
      return {
        name,
        createPeerConnection: (config = {}) => {
          if (closed) return Promise.reject(new RtcEngineError("ERR_RTC_ENGINE_CLOSED", "the engine is closed"));
          try {
            return Promise.resolve(createNdcPeerConnection(mod, config, `webpt-${++peerCount}`));
          } catch (err) {
            return Promise.reject(err);
          }
        },
        close: () => {
          if (closed) return;
          closed = true;
          const left = (ndcUsers.get(mod) ?? 1) - 1;
          if (left > 0) {
            ndcUsers.set(mod, left);
            return;
          }
          ndcUsers.delete(mod);
          mod.cleanup();
        },
      };
    }
    default:
      throw new RtcEngineError("ERR_RTC_ENGINE_UNKNOWN", `unknown WebRTC engine: ${String(name)}`);
  }
}
