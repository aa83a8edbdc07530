/**
 * Non-trickle ICE helpers: our signaling sends one sealed offer and one
 * answer, so each side waits for candidate gathering to complete (W3C
 * §4.3.2 iceGatheringState "complete") and sends `localDescription`, which
 * then carries every candidate (JSEP, RFC 8829 §5.2.1 / §5.3.1).
 *
 * Also a loopback pairing of two engines (both ends in this process), used
 * by the integration tests and bench/webrtc-throughput.ts.
 */
import { AbortError, TimeoutError } from "../../../shared/errors.js";
import type {
  RTCDataChannelLike,
  RTCPeerConnectionLike,
  RTCSessionDescriptionLike,
} from "../../../shared/transport/rtc-like.js";
import type { RtcEngine } from "./engine.js";
import { DataChannelClosedError } from "./errors.js";

/** How long gathering may take before we give up: host candidates take milliseconds, STUN a few seconds. */
export const ICE_GATHERING_TIMEOUT_MS = 10_000;
/** How long a loopback pair may take to open its DataChannel. */
export const LOOPBACK_CONNECT_TIMEOUT_MS = 15_000;

interface Waiter<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function waiter<T>(timeoutMs: number, what: string, signal?: AbortSignal): Waiter<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    const onAbort = (): void => rej(new AbortError(`${what} aborted`, { cause: signal?.reason }));
    const timer = setTimeout(() => rej(new TimeoutError(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
    signal?.addEventListener("abort", onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
    };
    resolve = (v) => {
      done();
      res(v);
    };
    reject = (e) => {
      done();
      rej(e);
    };
    if (signal?.aborted === true) onAbort();
  });
  return { promise, resolve, reject };
}

/**
 * Resolves with the complete local description once gathering is done.
 * Rejects with ERR_TIMEOUT after `timeoutMs`, ERR_ABORTED on `signal`.
 */
export async function localDescriptionWhenGathered(
  pc: RTCPeerConnectionLike,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<RTCSessionDescriptionLike> {
  if (pc.iceGatheringState !== "complete") {
    const w = waiter<undefined>(options.timeoutMs ?? ICE_GATHERING_TIMEOUT_MS, "ICE gathering", options.signal);
    const previous = pc.onicegatheringstatechange;
    pc.onicegatheringstatechange = (ev) => {
      previous?.(ev);
      if (pc.iceGatheringState === "complete") w.resolve(undefined);
    };
    // It may have completed between the check and the handler (engines gather on their own threads).
    if ((pc.iceGatheringState as string) === "complete") w.resolve(undefined);
    try {
      await w.promise;
    } finally {
      pc.onicegatheringstatechange = previous;
    }
  }
  const d = pc.localDescription;
  if (d === null || d === undefined) throw new DataChannelClosedError("no local description after gathering");
  return { type: d.type, sdp: d.sdp };
}

/** Resolves when `channel` is open; rejects if it closes first, or on timeout. */
export function channelOpen(channel: RTCDataChannelLike, timeoutMs = LOOPBACK_CONNECT_TIMEOUT_MS): Promise<void> {
  if (channel.readyState === "open") return Promise.resolve();
  const w = waiter<undefined>(timeoutMs, "opening the data channel");
  const { onopen, onclose } = channel;
  channel.onopen = (ev) => {
    onopen?.(ev);
    w.resolve(undefined);
  };
  channel.onclose = (ev) => {
    onclose?.(ev);
    w.reject(new DataChannelClosedError("the data channel closed before opening"));
  };
  return w.promise.finally(() => {
    channel.onopen = onopen;
    channel.onclose = onclose;
  });
}

export interface LoopbackPair {
  readonly offerer: RTCPeerConnectionLike;
  readonly answerer: RTCPeerConnectionLike;
  /** The offerer's channel and the answerer's `ondatachannel` channel, both open. */
  readonly local: RTCDataChannelLike;
  readonly remote: RTCDataChannelLike;
  close(): Promise<void>;
}

/**
 * Connects two peers (possibly of different engines) over 127.0.0.1 with
 * non-trickle signaling done in memory, and opens one reliable ordered
 * DataChannel from `offererEngine` to `answererEngine`.
 */
export async function connectLoopbackPair(
  offererEngine: RtcEngine,
  answererEngine: RtcEngine,
  label = "webpt",
): Promise<LoopbackPair> {
  const config = { hostAddresses: ["127.0.0.1"] };
  const offerer = await offererEngine.createPeerConnection(config);
  const answerer = await answererEngine.createPeerConnection(config);
  const close = async (): Promise<void> => {
    await Promise.allSettled([offerer.close(), answerer.close()]);
  };
  try {
    const remoteW = waiter<RTCDataChannelLike>(LOOPBACK_CONNECT_TIMEOUT_MS, "waiting for ondatachannel");
    answerer.ondatachannel = (ev) => remoteW.resolve(ev.channel);
    const local = offerer.createDataChannel(label, { ordered: true });
    await offerer.setLocalDescription(await offerer.createOffer());
    await answerer.setRemoteDescription(await localDescriptionWhenGathered(offerer));
    await answerer.setLocalDescription(await answerer.createAnswer());
    await offerer.setRemoteDescription(await localDescriptionWhenGathered(answerer));
    const remote = await remoteW.promise;
    await Promise.all([channelOpen(local), channelOpen(remote)]);
    return { offerer, answerer, local, remote, close };
  } catch (err) {
    await close();
    throw err;
  }
}
