/**
 * The WebRTC engine seam: one factory per engine, each producing
 * RTCPeerConnectionLike objects (src/shared/transport/rtc-like.ts), so the
 * DataChannel carrier and signaling never name an engine. Engines are loaded
 * with a dynamic import, so an engine that is not installed costs nothing
 * until it is asked for, and then fails with ERR_RTC_ENGINE_UNAVAILABLE.
 *
 * Choice, measured on loopback with bench/webrtc-throughput.ts (64 MiB
 * one way, both peers in one process): node-datachannel ≈ 50 MB/s,
 * werift ≈ 6 MB/s. The default is therefore node-datachannel; werift stays
 * as the dependency-free fallback (pure TypeScript, no native binary).
 */
import type { RTCPeerConnectionLike } from "../../../shared/transport/rtc-like.js";
import { createNdcPeerConnection, type NdcModule } from "./engine-node-datachannel.js";
import { createWeriftPeerConnection } from "./engine-werift.js";
import { RtcEngineError } from "./errors.js";

export type RtcEngineName = "werift" | "node-datachannel";
export const RTC_ENGINE_NAMES: readonly RtcEngineName[] = ["werift", "node-datachannel"];

/** Engine-neutral peer configuration: only what our carrier needs. */
export interface RtcPeerConfig {
  /** STUN/TURN URLs ("stun:host:port"). Empty: host candidates only. */
  readonly iceServers?: readonly string[];
  /**
   * Host addresses to gather candidates on and pair with (e.g. ["127.0.0.1"]
   * in tests). Unset: the engine's default, every non-loopback interface.
   * node-datachannel binds to at most one.
   */
  readonly hostAddresses?: readonly string[];
  /** The SCTP max-message-size advertised in SDP (RFC 8841 §6); engine default when unset. */
  readonly maxMessageSize?: number;
}

export interface RtcEngine {
  readonly name: RtcEngineName;
  createPeerConnection(config?: RtcPeerConfig): Promise<RTCPeerConnectionLike>;
  /** Releases engine-wide resources (node-datachannel's native threads); only once every peer is closed. */
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

/** Creates the named engine; rejects with ERR_RTC_ENGINE_UNKNOWN / ERR_RTC_ENGINE_UNAVAILABLE. */
export async function createRtcEngine(name: RtcEngineName, options: RtcEngineOptions = {}): Promise<RtcEngine> {
  switch (name) {
    case "werift":
      return {
        name,
        createPeerConnection: (config = {}) => createWeriftPeerConnection(config),
        close: () => undefined,
      };
    case "node-datachannel": {
      const mod = await loadNodeDatachannel(options.nodeDatachannelSpecifier ?? "node-datachannel");
      let count = 0;
      return {
        name,
        createPeerConnection: (config = {}) =>
          Promise.resolve(createNdcPeerConnection(mod, config, `webpt-${++count}`)),
        close: () => mod.cleanup(),
      };
    }
    default:
      throw new RtcEngineError("ERR_RTC_ENGINE_UNKNOWN", `unknown WebRTC engine: ${String(name)}`);
  }
}
