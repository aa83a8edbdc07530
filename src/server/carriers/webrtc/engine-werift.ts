/**
 * werift (pure TypeScript WebRTC) behind the W3C shapes. werift's objects are
 * already close to the browser API; this file fills the gaps a byte carrier
 * hits: no `onbufferedamountlow` / `binaryType` on its RTCDataChannel, and
 * host-candidate selection through werift-specific options.
 *
 * Measured on loopback (see bench/webrtc-throughput.ts and the report): werift
 * moves about 6 MB/s with both peers in one process, CPU-bound on per-packet
 * work (one DTLS record, one `createCipheriv`, a JavaScript CRC-32c and one
 * `dgram.send` per ≤1191-byte SCTP packet) plus an O(n²) flush-waiter pattern
 * when many messages are queued. Prefer node-datachannel for bulk traffic.
 */
import type { RTCDataChannel, RTCPeerConnection } from "werift";
import type {
  RTCDataChannelInitLike,
  RTCDataChannelLike,
  RTCDataChannelStateLike,
  RTCErrorEventLike,
  RTCIceGatheringStateLike,
  RTCMessageEventLike,
  RTCPeerConnectionIceEventLike,
  RTCPeerConnectionStateLike,
  RTCSessionDescriptionLike,
  RTCDataChannelEventLike,
} from "../../../shared/transport/rtc-like.js";
import type { RtcCandidateInfo, RtcPeer, RtcPeerConfig } from "./engine.js";
import { w3cIceServers } from "./ice-servers.js";

type Handler<E> = ((event: E) => void) | null | undefined;

/** werift's RTCDataChannel with the W3C handler attributes it lacks. */
export class WeriftDataChannel implements RTCDataChannelLike {
  readonly inner: RTCDataChannel;
  binaryType = "arraybuffer";
  onopen: Handler<unknown> = null;
  onmessage: Handler<RTCMessageEventLike> = null;
  onbufferedamountlow: Handler<unknown> = null;
  onclose: Handler<unknown> = null;
  onerror: Handler<RTCErrorEventLike> = null;

  constructor(inner: RTCDataChannel) {
    this.inner = inner;
    // werift's own Event objects, not its on… attributes, so a caller setting ours cannot displace them.
    inner.stateChanged.subscribe((state) => {
      if (state === "open") this.onopen?.({ type: "open" });
      else if (state === "closed") this.onclose?.({ type: "close" });
    });
    inner.onMessage.subscribe((data) => this.onmessage?.({ data }));
    inner.bufferedAmountLow.subscribe(() => this.onbufferedamountlow?.({ type: "bufferedamountlow" }));
    inner.error.subscribe((error) => this.onerror?.({ error }));
  }

  get label(): string {
    return this.inner.label;
  }
  get readyState(): RTCDataChannelStateLike {
    return this.inner.readyState;
  }
  get bufferedAmount(): number {
    return this.inner.bufferedAmount;
  }
  get bufferedAmountLowThreshold(): number {
    return this.inner.bufferedAmountLowThreshold;
  }
  set bufferedAmountLowThreshold(v: number) {
    this.inner.bufferedAmountLowThreshold = v;
  }
  send(data: Uint8Array): void {
    // werift takes a Buffer; a view over the same memory costs no copy.
    this.inner.send(Buffer.isBuffer(data) ? data : Buffer.from(data.buffer, data.byteOffset, data.byteLength));
  }
  close(): void {
    this.inner.close();
  }
}

/** werift's RTCPeerConnection with channels wrapped and descriptions reduced to `{ type, sdp }`. */
export class WeriftPeerConnection implements RtcPeer {
  readonly inner: RTCPeerConnection;
  onicecandidate: Handler<RTCPeerConnectionIceEventLike> = null;
  onicegatheringstatechange: Handler<unknown> = null;
  onconnectionstatechange: Handler<unknown> = null;
  ondatachannel: Handler<RTCDataChannelEventLike> = null;

  constructor(inner: RTCPeerConnection) {
    this.inner = inner;
    inner.onIceCandidate.subscribe((candidate) => this.onicecandidate?.({ candidate: candidate ?? null }));
    inner.iceGatheringStateChange.subscribe(() =>
      this.onicegatheringstatechange?.({ type: "icegatheringstatechange" }),
    );
    inner.connectionStateChange.subscribe(() => this.onconnectionstatechange?.({ type: "connectionstatechange" }));
    inner.onDataChannel.subscribe((channel) => this.ondatachannel?.({ channel: new WeriftDataChannel(channel) }));
  }

  get localDescription(): RTCSessionDescriptionLike | null {
    const d = this.inner.localDescription;
    return d ? { type: d.type, sdp: d.sdp } : null;
  }
  get iceGatheringState(): RTCIceGatheringStateLike {
    return this.inner.iceGatheringState;
  }
  get connectionState(): RTCPeerConnectionStateLike {
    return this.inner.connectionState;
  }
  async createOffer(): Promise<RTCSessionDescriptionLike> {
    const d = await this.inner.createOffer();
    return { type: d.type, sdp: d.sdp };
  }
  async createAnswer(): Promise<RTCSessionDescriptionLike> {
    const d = await this.inner.createAnswer();
    return { type: d.type, sdp: d.sdp };
  }
  async setLocalDescription(description: RTCSessionDescriptionLike): Promise<void> {
    await this.inner.setLocalDescription(description);
  }
  async setRemoteDescription(description: RTCSessionDescriptionLike): Promise<void> {
    await this.inner.setRemoteDescription(description);
  }
  createDataChannel(label: string, init: RTCDataChannelInitLike = {}): RTCDataChannelLike {
    return new WeriftDataChannel(this.inner.createDataChannel(label, init));
  }
  close(): Promise<void> {
    return this.inner.close();
  }
  async addRemoteCandidate(candidate: string, mid: string): Promise<void> {
    await this.inner.addIceCandidate({ candidate, sdpMid: mid });
  }
  selectedRemoteCandidate(): RtcCandidateInfo | undefined {
    const c = this.inner.iceTransports[0]?.connection.nominated?.remoteCandidate;
    return c === undefined ? undefined : { address: c.host, port: c.port, type: c.type };
  }
}

/** Maps our engine-neutral config onto werift's PeerConfig. */
export async function createWeriftPeerConnection(config: RtcPeerConfig): Promise<WeriftPeerConnection> {
  const { RTCPeerConnection: Pc } = await import("werift");
  const hosts = config.hostAddresses;
  const pc = new Pc({
    iceServers: w3cIceServers(config.iceServers ?? [], config.iceUsername, config.iceCredential),
    ...(config.portRange !== undefined && { icePortRange: [config.portRange.min, config.portRange.max] }),
    iceUseIpv6: hosts === undefined || hosts.some((h) => h.includes(":")),
    // werift leaves loopback out of its host candidates unless asked; pairs are then limited to the hosts given.
    ...(hosts !== undefined && {
      iceAdditionalHostAddresses: [...hosts],
      iceFilterCandidatePair: (pair) =>
        hosts.includes(pair.localCandidate.host) && hosts.includes(pair.remoteCandidate.host),
    }),
  });
  return new WeriftPeerConnection(pc);
}
