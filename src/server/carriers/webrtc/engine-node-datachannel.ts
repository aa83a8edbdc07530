/**
 * node-datachannel (the libdatachannel binding; prebuilt binaries ship as
 * `@node-datachannel/<platform>` optional dependencies) behind the W3C
 * shapes. Its native API is callback-registration based (`onOpen(cb)`,
 * `bufferedAmount()`), so this is a thin adapter, not a pass-through.
 *
 * The package is loaded at run time by specifier, and its API is declared
 * structurally below, so the project type-checks without it installed.
 *
 * Negotiation mapping (libdatachannel negotiates inside setLocalDescription):
 * `createOffer()`/`createAnswer()` make the native description at once and
 * return it; the following `setLocalDescription()` of that same type is then
 * a no-op. Automatic negotiation is disabled so nothing happens before the
 * caller asks. `localDescription` carries the candidates gathered so far,
 * as in browsers, so non-trickle signaling waits for gathering "complete".
 */
import type {
  RTCDataChannelEventLike,
  RTCDataChannelInitLike,
  RTCDataChannelLike,
  RTCDataChannelStateLike,
  RTCErrorEventLike,
  RTCIceGatheringStateLike,
  RTCMessageEventLike,
  RTCPeerConnectionIceEventLike,
  RTCPeerConnectionStateLike,
  RTCSessionDescriptionLike,
} from "../../../shared/transport/rtc-like.js";
import type { RtcCandidateInfo, RtcPeer, RtcPeerConfig } from "./engine.js";
import { DataChannelTransportError, WebRtcConfigError } from "./errors.js";
import { ndcIceServers } from "./ice-servers.js";

/** The part of node-datachannel's DataChannel we use (its dist/types/lib/index.d.ts, v0.33). */
export interface NdcDataChannel {
  getLabel(): string;
  close(): void;
  sendMessageBinary(buffer: Uint8Array): boolean;
  isOpen(): boolean;
  bufferedAmount(): number;
  setBufferedAmountLowThreshold(size: number): void;
  onOpen(cb: () => void): void;
  onClosed(cb: () => void): void;
  onError(cb: (err: string) => void): void;
  onBufferedAmountLow(cb: () => void): void;
  onMessage(cb: (msg: string | Uint8Array | ArrayBuffer) => void): void;
}

type NdcDescriptionType = "offer" | "answer" | "pranswer" | "rollback" | "unspec";

/** The part of node-datachannel's PeerConnection we use. */
export interface NdcPeerConnection {
  close(): void;
  setLocalDescription(type?: NdcDescriptionType): void;
  setRemoteDescription(sdp: string, type: NdcDescriptionType): void;
  localDescription(): { type: NdcDescriptionType; sdp: string } | null;
  createDataChannel(label: string, config?: Record<string, unknown>): NdcDataChannel;
  state(): RTCPeerConnectionStateLike;
  gatheringState(): RTCIceGatheringStateLike;
  onLocalCandidate(cb: (candidate: string, mid: string) => void): void;
  onStateChange(cb: (state: string) => void): void;
  onGatheringStateChange(cb: (state: string) => void): void;
  onDataChannel(cb: (dc: NdcDataChannel) => void): void;
  getSelectedCandidatePair(): { local: NdcCandidateInfo; remote: NdcCandidateInfo } | null;
  addRemoteCandidate(candidate: string, mid: string): void;
}

/** node-datachannel's SelectedCandidateInfo, the fields we read. */
export interface NdcCandidateInfo {
  address: string;
  port: number;
  type: string;
}

/** The module's exports we use. */
export interface NdcModule {
  PeerConnection: new (name: string, config: Record<string, unknown>) => NdcPeerConnection;
  cleanup(): void;
}

type Handler<E> = ((event: E) => void) | null | undefined;

/** A native DataChannel in the W3C shape. */
export class NdcDataChannelAdapter implements RTCDataChannelLike {
  readonly inner: NdcDataChannel;
  readonly label: string;
  binaryType = "arraybuffer";
  onopen: Handler<unknown> = null;
  onmessage: Handler<RTCMessageEventLike> = null;
  onbufferedamountlow: Handler<unknown> = null;
  onclose: Handler<unknown> = null;
  onerror: Handler<RTCErrorEventLike> = null;
  #state: RTCDataChannelStateLike;
  #threshold = 0;

  constructor(inner: NdcDataChannel) {
    this.inner = inner;
    this.label = inner.getLabel();
    this.#state = inner.isOpen() ? "open" : "connecting";
    inner.onOpen(() => {
      this.#state = "open";
      this.onopen?.({ type: "open" });
    });
    inner.onClosed(() => {
      if (this.#state === "closed") return;
      this.#state = "closed";
      this.onclose?.({ type: "close" });
    });
    inner.onError((err) => this.onerror?.({ error: new DataChannelTransportError(err) }));
    inner.onBufferedAmountLow(() => this.onbufferedamountlow?.({ type: "bufferedamountlow" }));
    // Binary arrives as a Node Buffer (already a Uint8Array): handed on without a copy.
    inner.onMessage((data) => this.onmessage?.({ data }));
  }

  get readyState(): RTCDataChannelStateLike {
    return this.#state;
  }
  get bufferedAmount(): number {
    return this.inner.bufferedAmount();
  }
  get bufferedAmountLowThreshold(): number {
    return this.#threshold;
  }
  set bufferedAmountLowThreshold(v: number) {
    this.#threshold = v;
    this.inner.setBufferedAmountLowThreshold(v);
  }
  send(data: Uint8Array): void {
    // W3C §6.2 send(): InvalidStateError unless open. libdatachannel buffers (returns false) when SCTP is full.
    if (this.#state !== "open") throw new DataChannelTransportError(`send() on a ${this.#state} data channel`);
    this.inner.sendMessageBinary(data);
  }
  close(): void {
    if (this.#state === "closed" || this.#state === "closing") return;
    this.#state = "closing";
    this.inner.close();
  }
}

/** A native PeerConnection in the W3C shape (negotiation mapping in the file comment). */
export class NdcPeerConnectionAdapter implements RtcPeer {
  readonly inner: NdcPeerConnection;
  onicecandidate: Handler<RTCPeerConnectionIceEventLike> = null;
  onicegatheringstatechange: Handler<unknown> = null;
  onconnectionstatechange: Handler<unknown> = null;
  ondatachannel: Handler<RTCDataChannelEventLike> = null;

  constructor(inner: NdcPeerConnection) {
    this.inner = inner;
    inner.onLocalCandidate((candidate, sdpMid) => this.onicecandidate?.({ candidate: { candidate, sdpMid } }));
    inner.onGatheringStateChange((state) => {
      this.onicegatheringstatechange?.({ type: "icegatheringstatechange" });
      if (state === "complete") this.onicecandidate?.({ candidate: null });
    });
    inner.onStateChange(() => this.onconnectionstatechange?.({ type: "connectionstatechange" }));
    inner.onDataChannel((dc) => this.ondatachannel?.({ channel: new NdcDataChannelAdapter(dc) }));
  }

  get localDescription(): RTCSessionDescriptionLike | null {
    const d = this.inner.localDescription();
    return d && d.type !== "unspec" ? { type: d.type, sdp: d.sdp } : null;
  }
  get iceGatheringState(): RTCIceGatheringStateLike {
    return this.inner.gatheringState();
  }
  get connectionState(): RTCPeerConnectionStateLike {
    return this.inner.state();
  }
  createOffer(): Promise<RTCSessionDescriptionLike> {
    return this.#describe("offer");
  }
  createAnswer(): Promise<RTCSessionDescriptionLike> {
    return this.#describe("answer");
  }
  setLocalDescription(description: RTCSessionDescriptionLike): Promise<void> {
    // Already applied by createOffer()/createAnswer() unless the caller skipped them.
    if (this.inner.localDescription()?.type !== description.type) this.inner.setLocalDescription(description.type);
    return Promise.resolve();
  }
  setRemoteDescription(description: RTCSessionDescriptionLike): Promise<void> {
    try {
      this.inner.setRemoteDescription(description.sdp, description.type);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(new DataChannelTransportError("setRemoteDescription failed", { cause: err }));
    }
  }
  createDataChannel(label: string, init: RTCDataChannelInitLike = {}): RTCDataChannelLike {
    const config: Record<string, unknown> = { unordered: init.ordered === false };
    if (init.protocol !== undefined) config["protocol"] = init.protocol;
    if (init.negotiated === true && init.id !== undefined) config["negotiated"] = true;
    if (init.id !== undefined) config["id"] = init.id;
    if (init.maxRetransmits !== undefined) config["maxRetransmits"] = init.maxRetransmits;
    if (init.maxPacketLifeTime !== undefined) config["maxPacketLifeTime"] = init.maxPacketLifeTime;
    return new NdcDataChannelAdapter(this.inner.createDataChannel(label, config));
  }
  close(): void {
    this.inner.close();
  }
  addRemoteCandidate(candidate: string, mid: string): Promise<void> {
    try {
      this.inner.addRemoteCandidate(candidate, mid);
      return Promise.resolve();
    } catch (err) {
      return Promise.reject(new DataChannelTransportError("addRemoteCandidate failed", { cause: err }));
    }
  }
  selectedRemoteCandidate(): RtcCandidateInfo | undefined {
    let pair: ReturnType<NdcPeerConnection["getSelectedCandidatePair"]>;
    try {
      pair = this.inner.getSelectedCandidatePair();
    } catch {
      return undefined; // closed
    }
    if (pair === null) return undefined;
    const { address, port, type } = pair.remote;
    return { address, port, type };
  }

  #describe(type: "offer" | "answer"): Promise<RTCSessionDescriptionLike> {
    try {
      if (this.inner.localDescription()?.type !== type) this.inner.setLocalDescription(type);
      const d = this.inner.localDescription();
      if (d === null) throw new Error("no local description");
      return Promise.resolve({ type, sdp: d.sdp });
    } catch (err) {
      return Promise.reject(new DataChannelTransportError(`creating the ${type} failed`, { cause: err }));
    }
  }
}

/** Maps our engine-neutral config onto libdatachannel's RtcConfig. */
export function createNdcPeerConnection(mod: NdcModule, config: RtcPeerConfig, name: string): NdcPeerConnectionAdapter {
  const hosts = config.hostAddresses;
  if (hosts !== undefined && hosts.length > 1) {
    throw new RangeError("node-datachannel binds to at most one host address");
  }
  const native: Record<string, unknown> = {
    iceServers: ndcIceServers(config.iceServers ?? [], config.iceUsername, config.iceCredential),
    disableAutoNegotiation: true,
  };
  if (hosts?.[0] !== undefined) native["bindAddress"] = hosts[0];
  if (config.portRange !== undefined) {
    const { min, max } = config.portRange;
    if (!Number.isInteger(min) || !Number.isInteger(max) || min < 1 || max > 65535 || min > max) {
      throw new WebRtcConfigError("ERR_RTC_PORT_RANGE", `bad ICE port range ${min}-${max}`);
    }
    native["portRangeBegin"] = min;
    native["portRangeEnd"] = max;
  }
  if (config.maxMessageSize !== undefined) native["maxMessageSize"] = config.maxMessageSize;
  return new NdcPeerConnectionAdapter(new mod.PeerConnection(name, native));
}
