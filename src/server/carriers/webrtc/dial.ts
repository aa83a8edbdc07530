/**
 * The webrtc transport's Node client: make an offer with one reliable,
 * ordered DataChannel, gather (non-trickle), seal the offer to the bridge's
 * identity key, exchange it (over HTTP signaling, or by hand as copy-paste
 * text), and return the channel as a byte Duplex once it is open. obfs4 is
 * the caller's to layer on top (startObfs4Client over the returned carrier,
 * as dialObfs4Tcp does over a socket).
 *
 * Every peer made here is closed when its carrier closes or the dial fails;
 * an engine this code creates is released with it (engine.ts: node-datachannel
 * engines are reference-counted).
 */
import type { OutgoingHttpHeaders } from "node:http";
import type { SecureContextOptions } from "node:tls";
import {
  armorSignal,
  dearmorSignal,
  sealOffer,
  type ArmorOptions,
  type SealedOffer,
} from "../../../shared/codec/signaling/index.js";
import { AbortError, TimeoutError } from "../../../shared/errors.js";
import type { WebRtcSettings } from "../../../shared/settings/index.js";
import type { RTCDataChannelLike } from "../../../shared/transport/rtc-like.js";
import { WEBRTC_CONNECT_TIMEOUT_MS } from "./answerer.js";
import { dataChannelDuplex, type DataChannelDuplex, type DataChannelDuplexOptions } from "./duplex.js";
import { createRtcEngine, DEFAULT_RTC_ENGINE, type RtcEngine, type RtcEngineName, type RtcPeer } from "./engine.js";
import { DataChannelClosedError, WebRtcSignalingError } from "./errors.js";
import { ICE_GATHERING_TIMEOUT_MS, localDescriptionWhenGathered } from "./gathering.js";
import { postSealedOffer } from "./signaling-client.js";

/** The whole dial: gathering, signaling, ICE, DTLS, SCTP and the channel's open. */
export const DEFAULT_WEBRTC_DIAL_TIMEOUT_MS = 60_000;
/** The DataChannel's label (inside DTLS; never visible on the wire). */
export const WEBRTC_CHANNEL_LABEL = "webpt";

/** What a client needs of its webrtc settings to make a peer (manual signaling needs no `signal` URL). */
export type WebRtcPeerSettings = Pick<WebRtcSettings, "nodeId" | "publicKey" | "ice" | "iceUsername" | "iceCredential">;

export interface WebRtcClientOptions {
  /** An engine to use (and not close). Default: a new `engineName` engine, released with the carrier. */
  readonly engine?: RtcEngine;
  readonly engineName?: RtcEngineName;
  /** Host addresses to gather on (tests: ["127.0.0.1"]). */
  readonly hostAddresses?: readonly string[];
  readonly portRange?: { readonly min: number; readonly max: number };
  readonly signal?: AbortSignal;
  readonly duplex?: DataChannelDuplexOptions;
  /** The clock written into the offer (Unix ms). */
  readonly now?: () => number;
}

export interface DialWebRtcOptions extends WebRtcClientOptions {
  /** The whole dial (default DEFAULT_WEBRTC_DIAL_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  /** For an https signaling URL with a private CA (tests). */
  readonly ca?: SecureContextOptions["ca"];
  readonly headers?: OutgoingHttpHeaders;
}

/** An offer made and sealed, its peer waiting for the answer. */
interface PreparedOffer {
  readonly pc: RtcPeer;
  readonly channel: RTCDataChannelLike;
  readonly duplex: DataChannelDuplex;
  readonly sealed: SealedOffer;
  /** Closes the peer and releases an engine we made; idempotent. */
  release(): void;
}

async function prepareOffer(settings: WebRtcPeerSettings, options: WebRtcClientOptions): Promise<PreparedOffer> {
  const engine = options.engine ?? (await createRtcEngine(options.engineName ?? DEFAULT_RTC_ENGINE));
  const ownEngine = options.engine === undefined;
  let pc: RtcPeer | undefined;
  let duplex: DataChannelDuplex | undefined;
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    duplex?.destroy();
    try {
      void Promise.resolve(pc?.close()).catch(() => undefined);
    } catch {
      // already closed
    }
    if (ownEngine) engine.close();
  };
  try {
    pc = await engine.createPeerConnection({
      iceServers: settings.ice,
      ...(settings.iceUsername !== null && { iceUsername: settings.iceUsername }),
      ...(settings.iceCredential !== null && { iceCredential: settings.iceCredential }),
      ...(options.hostAddresses !== undefined && { hostAddresses: options.hostAddresses }),
      ...(options.portRange !== undefined && { portRange: options.portRange }),
    });
    const channel = pc.createDataChannel(WEBRTC_CHANNEL_LABEL, { ordered: true });
    // Wrapped at once: the Duplex holds the handlers from the start, so nothing the bridge sends is missed.
    duplex = dataChannelDuplex(channel, options.duplex);
    duplex.on("error", () => undefined); // until the caller has it
    const d = duplex;
    const p = pc;
    d.once("close", () => void Promise.resolve(p.close()).catch(() => undefined));
    await pc.setLocalDescription(await pc.createOffer());
    const local = await localDescriptionWhenGathered(pc, {
      timeoutMs: ICE_GATHERING_TIMEOUT_MS,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    const sealed = sealOffer(local.sdp, settings, { now: (options.now ?? Date.now)() });
    return { pc, channel, duplex, sealed, release };
  } catch (err) {
    release();
    throw err;
  }
}

/** Applies the answer and resolves with the carrier once the channel is open; releases everything on failure. */
async function finishOffer(
  prep: PreparedOffer,
  answerSdp: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<DataChannelDuplex> {
  try {
    await prep.pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
    await whenOpen(prep, timeoutMs, signal);
  } catch (err) {
    prep.release();
    throw err;
  }
  // From here the carrier's close releases the engine too. Our no-op 'error' listener stays: the caller
  // attaches its own a microtask later, and an error in between must not be unheard.
  prep.duplex.once("close", () => prep.release());
  return prep.duplex;
}

function whenOpen(prep: PreparedOffer, timeoutMs: number, signal: AbortSignal | undefined): Promise<void> {
  const { channel, duplex } = prep;
  if (channel.readyState === "open") return Promise.resolve();
  return new Promise<void>((resolve, reject) => {
    const duplexOnOpen = channel.onopen;
    const done = (err?: Error): void => {
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      duplex.off("close", onClose);
      channel.onopen = duplexOnOpen;
      if (err === undefined) resolve();
      else reject(err);
    };
    const timer = setTimeout(
      () => done(new TimeoutError(`the data channel did not open within ${timeoutMs} ms`)),
      timeoutMs,
    );
    const onAbort = (): void => done(new AbortError("WebRTC dial aborted", { cause: signal?.reason }));
    const onClose = (): void => done(new DataChannelClosedError("the data channel closed before opening"));
    signal?.addEventListener("abort", onAbort, { once: true });
    duplex.once("close", onClose);
    channel.onopen = (ev) => {
      duplexOnOpen?.(ev);
      done();
    };
    if (signal?.aborted === true) onAbort();
  });
}

/**
 * Dials a bridge over HTTP signaling (`settings.signal`). Resolves with the
 * open DataChannel as a Duplex; rejects with WebRtcSignalingError (refused:
 * any non-200), SignalingError (the answer did not open), TimeoutError,
 * AbortError or an engine error.
 */
export async function dialWebRtc(
  settings: WebRtcSettings,
  options: DialWebRtcOptions = {},
): Promise<DataChannelDuplex> {
  const timeoutMs = options.timeoutMs ?? DEFAULT_WEBRTC_DIAL_TIMEOUT_MS;
  const deadline = AbortSignal.timeout(timeoutMs);
  const signal = options.signal === undefined ? deadline : AbortSignal.any([deadline, options.signal]);
  const remaining = (start: number): number => Math.max(1, timeoutMs - (Date.now() - start));
  const start = Date.now();
  let prep: PreparedOffer;
  try {
    prep = await prepareOffer(settings, { ...options, signal });
  } catch (err) {
    throw deadline.aborted ? new TimeoutError(`WebRTC dial timed out after ${timeoutMs} ms`, { cause: err }) : err;
  }
  let answer: string;
  try {
    const sealedAnswer = await postSealedOffer(settings.signal, prep.sealed.bytes, {
      signal,
      timeoutMs: remaining(start),
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
    });
    answer = prep.sealed.openAnswer(sealedAnswer).sdp;
  } catch (err) {
    prep.release();
    if (deadline.aborted) throw new TimeoutError(`WebRTC dial timed out after ${timeoutMs} ms`, { cause: err });
    throw err;
  }
  return finishOffer(prep, answer, remaining(start), options.signal);
}

/** A manual offer (copy-paste signaling): the text to send, and what to do with the text that comes back. */
export interface ManualWebRtcOffer {
  /** `webpt-offer:…`, to send to the bridge operator. */
  readonly text: string;
  /**
   * Applies the operator's `webpt-answer:…` text and resolves with the open
   * carrier. A text that does not open (mistyped, wrong exchange) rejects with
   * SignalingError and leaves the offer usable for another try; a connection
   * failure releases the offer.
   */
  acceptManualAnswer(text: string, options?: { timeoutMs?: number; signal?: AbortSignal }): Promise<DataChannelDuplex>;
  /** Gives up: closes the waiting peer. */
  close(): void;
}

/** Makes a manual offer. The peer waits (without a deadline) until acceptManualAnswer() or close(). */
export async function createManualOffer(
  settings: WebRtcPeerSettings,
  options: WebRtcClientOptions & ArmorOptions = {},
): Promise<ManualWebRtcOffer> {
  const prep = await prepareOffer(settings, options);
  let used = false;
  return {
    text: armorSignal("offer", prep.sealed.bytes, options),
    async acceptManualAnswer(text, acceptOptions = {}) {
      if (used) throw new WebRtcSignalingError("ERR_RTC_OFFER_USED", "this offer was answered or closed already");
      const answer = prep.sealed.openAnswer(dearmorSignal("answer", text)).sdp;
      used = true;
      return finishOffer(prep, answer, acceptOptions.timeoutMs ?? WEBRTC_CONNECT_TIMEOUT_MS, acceptOptions.signal);
    },
    close() {
      used = true;
      prep.release();
    },
  };
}
