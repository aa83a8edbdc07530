/**
 * The structural WebRTC shapes every DataChannel carrier codes against: the
 * W3C WebRTC 1.0 `RTCPeerConnection` (§4.4) and `RTCDataChannel` (§6.2)
 * interfaces, cut down to what carrying a byte stream with non-trickle
 * signaling needs. The browser's native objects and werift's satisfy them
 * as they are; node-datachannel's native API is wrapped by a thin adapter
 * (src/server/carriers/webrtc/engine-node-datachannel.ts), so one Duplex
 * adapter serves every engine (js-libp2p's pattern).
 *
 * Types only: no implementation, no DOM or Node types (src/shared is
 * runtime-neutral), so it compiles under tsconfig.shared.json.
 */

/** W3C §4.2.5 RTCSdpType. */
export type RTCSdpTypeLike = "offer" | "answer" | "pranswer" | "rollback";

/** W3C §4.2.4 RTCSessionDescriptionInit: what crosses the signaling channel. */
export interface RTCSessionDescriptionLike {
  readonly type: RTCSdpTypeLike;
  readonly sdp: string;
}

/** W3C §4.3.2 RTCIceGatheringState. Non-trickle signaling waits for "complete". */
export type RTCIceGatheringStateLike = "new" | "gathering" | "complete";

/** W3C §4.3.3 RTCPeerConnectionState. */
export type RTCPeerConnectionStateLike = "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed";

/** W3C §6.2 RTCDataChannelState. */
export type RTCDataChannelStateLike = "connecting" | "open" | "closing" | "closed";

/**
 * W3C §6.1 RTCDataChannelInit, the members a byte carrier uses. A carrier
 * needs reliable, ordered delivery, which is the default (no maxRetransmits,
 * no maxPacketLifeTime, ordered true).
 */
export interface RTCDataChannelInitLike {
  ordered?: boolean;
  maxRetransmits?: number;
  maxPacketLifeTime?: number;
  protocol?: string;
  negotiated?: boolean;
  id?: number;
}

/**
 * A `message` event (W3C §6.2 "announce a message"). `data` is a string for a
 * text message (PPID 51) and binary otherwise: an ArrayBuffer in browsers
 * with binaryType "arraybuffer", a Node Buffer (a Uint8Array) in werift.
 */
export interface RTCMessageEventLike {
  readonly data: unknown;
}

/** An `ondatachannel` event (W3C §6.1). */
export interface RTCDataChannelEventLike {
  readonly channel: RTCDataChannelLike;
}

/** An `onicecandidate` event (W3C §4.8.2); `candidate` is null when gathering ends. */
export interface RTCPeerConnectionIceEventLike {
  readonly candidate: unknown;
}

/** An `error` event (W3C §6.2 RTCErrorEvent): `error` is an RTCError where one exists. */
export interface RTCErrorEventLike {
  readonly error?: unknown;
}

/**
 * The W3C RTCDataChannel surface a byte carrier needs. Only the `on…`
 * handler attributes are required: they are the one event API that the
 * browser, werift and our node-datachannel adapter all implement alike
 * (werift's `addEventListener` is an EventEmitter underneath).
 */
export interface RTCDataChannelLike {
  readonly label: string;
  readonly readyState: RTCDataChannelStateLike;
  /** "arraybuffer" or "blob" in browsers (a carrier sets "arraybuffer"); engines on Node ignore it. */
  binaryType: string;
  /** Bytes queued by send() and not yet handed to SCTP (W3C §6.2): the only send-side backpressure signal. */
  readonly bufferedAmount: number;
  /** `onbufferedamountlow` fires when bufferedAmount falls from above this to at or below it. */
  bufferedAmountLowThreshold: number;
  onopen: ((event?: unknown) => void) | null | undefined;
  onmessage: ((event: RTCMessageEventLike) => void) | null | undefined;
  onbufferedamountlow: ((event?: unknown) => void) | null | undefined;
  onclose: ((event?: unknown) => void) | null | undefined;
  onerror: ((event: RTCErrorEventLike) => void) | null | undefined;
  /** Throws if the channel is not open or the message exceeds the peer's max-message-size. */
  send(data: Uint8Array): void;
  close(): void;
}

/** The W3C RTCPeerConnection surface non-trickle signaling and one DataChannel need. */
export interface RTCPeerConnectionLike {
  readonly localDescription: RTCSessionDescriptionLike | null | undefined;
  readonly iceGatheringState: RTCIceGatheringStateLike;
  readonly connectionState: RTCPeerConnectionStateLike;
  createOffer(): Promise<RTCSessionDescriptionLike>;
  createAnswer(): Promise<RTCSessionDescriptionLike>;
  setLocalDescription(description: RTCSessionDescriptionLike): Promise<void>;
  setRemoteDescription(description: RTCSessionDescriptionLike): Promise<void>;
  createDataChannel(label: string, init?: RTCDataChannelInitLike): RTCDataChannelLike;
  onicecandidate: ((event: RTCPeerConnectionIceEventLike) => void) | null | undefined;
  onicegatheringstatechange: ((event?: unknown) => void) | null | undefined;
  onconnectionstatechange: ((event?: unknown) => void) | null | undefined;
  ondatachannel: ((event: RTCDataChannelEventLike) => void) | null | undefined;
  close(): void | Promise<void>;
}
