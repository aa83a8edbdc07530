/**
 * Opening carriers in a browser (or any runtime with the W3C constructors):
 *
 * - WebSocket: `new WebSocket(url)` to the bridge's secret `url=`.
 * - WebRTC: one reliable, ordered DataChannel; non-trickle ICE (wait for
 *   gathering "complete", W3C §4.3.2), the offer sealed to the bridge's obfs4
 *   identity (src/shared/codec/signaling), then either POSTed to `signal=`
 *   (the endpoint's contract: a 200 whose body is the sealed answer; any
 *   other status is a refusal the client cannot tell apart, by design) or
 *   handed to a person as `webpt-offer:` text (manual signaling).
 *
 * The platform objects come in through `DialEnvironment`, defaulting to the
 * runtime's globals, so a Chrome service worker (no RTCPeerConnection) can
 * use this module for WebSockets and an offscreen document for WebRTC.
 */
import { armorSignal, dearmorSignal, MAX_SEALED_ANSWER_BYTES, sealOffer } from "../codec/signaling/index.js";
import type { SealedOffer } from "../codec/signaling/index.js";
import { AbortError, LimitError, TimeoutError } from "../errors.js";
import type { WebRtcSettings } from "../settings/index.js";
import { dataChannelCarrier, webSocketCarrier, type MessageCarrier } from "./carrier.js";
import { BrowserTransportError, asError } from "./connection.js";
import type { RTCDataChannelLike, RTCPeerConnectionLike, RTCSessionDescriptionLike } from "./rtc-like.js";
import type { WebSocketLike } from "./websocket-like.js";

/** TCP, TLS and the HTTP upgrade of a WebSocket dial. */
export const WEBSOCKET_DIAL_TIMEOUT_MS = 30_000;
/** Host candidates take milliseconds; STUN a few seconds. */
export const ICE_GATHERING_TIMEOUT_MS = 10_000;
/** Gathering, signaling, ICE, DTLS, SCTP and the channel's open. */
export const WEBRTC_DIAL_TIMEOUT_MS = 60_000;
/** The DataChannel's label (inside DTLS; never visible on the wire); the server's is the same. */
export const WEBRTC_CHANNEL_LABEL = "webpt";

export interface WebSocketConstructorLike {
  new (url: string): WebSocketLike;
}

export interface RTCIceServerLike {
  urls: string[];
  username?: string;
  credential?: string;
}

export interface RTCPeerConnectionConstructorLike {
  new (configuration: { iceServers: RTCIceServerLike[] }): RTCPeerConnectionLike;
}

export interface FetchResponseLike {
  readonly status: number;
  readonly headers: { get(name: string): string | null };
  arrayBuffer(): Promise<ArrayBuffer>;
}

export type FetchLike = (
  url: string,
  init: {
    method: "POST";
    body: Uint8Array;
    headers: Record<string, string>;
    signal?: AbortSignal;
    redirect: "error";
    credentials: "omit";
    cache: "no-store";
    referrerPolicy: "no-referrer";
  },
) => Promise<FetchResponseLike>;

/** The platform objects a dial uses; each defaults to the global of that name. */
export interface DialEnvironment {
  readonly WebSocket?: WebSocketConstructorLike;
  readonly RTCPeerConnection?: RTCPeerConnectionConstructorLike;
  readonly fetch?: FetchLike;
  /** The clock written into sealed offers (Unix ms). */
  readonly now?: () => number;
}

function global<K extends keyof DialEnvironment>(env: DialEnvironment, key: K): NonNullable<DialEnvironment[K]> {
  const v = env[key] ?? (globalThis as unknown as DialEnvironment)[key];
  if (v === undefined) {
    throw new BrowserTransportError("ERR_TRANSPORT_UNSUPPORTED", `this context has no ${key}`);
  }
  return key === "fetch" ? ((v as FetchLike).bind(globalThis) as NonNullable<DialEnvironment[K]>) : v;
}

interface AbortControllerLike {
  readonly signal: AbortSignal;
  abort(reason?: unknown): void;
}

/** The runtime's AbortController (every browser and Node has one; types/shared-globals.d.ts declares only the signal). */
function newAbortController(): AbortControllerLike | undefined {
  const C = (globalThis as unknown as { AbortController?: new () => AbortControllerLike }).AbortController;
  return C === undefined ? undefined : new C();
}

interface DialOptions {
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

/** Runs `body` with a deadline and the caller's signal merged into one AbortSignal-like callback. */
function bounded<T>(
  what: string,
  timeoutMs: number,
  signal: AbortSignal | undefined,
  body: (onCancel: (f: (e: Error) => void) => void) => Promise<T>,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const cancels: ((e: Error) => void)[] = [];
    const finish = (err: Error | undefined, v?: T): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal?.removeEventListener("abort", onAbort);
      if (err === undefined) resolve(v as T);
      else {
        for (const c of cancels) c(err);
        reject(err);
      }
    };
    const onAbort = (): void => finish(new AbortError(`${what} aborted`, { cause: signal?.reason }));
    const timer = setTimeout(
      () => finish(new TimeoutError(`${what} did not finish within ${timeoutMs} ms`)),
      timeoutMs,
    );
    signal?.addEventListener("abort", onAbort, { once: true });
    if (signal?.aborted === true) onAbort();
    body((f) => cancels.push(f)).then(
      (v) => finish(undefined, v),
      (e: unknown) => finish(asError(e)),
    );
  });
}

/** Opens a WebSocket to `url` and resolves with it as a carrier once open. */
export function dialWebSocketCarrier(
  url: string,
  env: DialEnvironment = {},
  options: DialOptions = {},
): Promise<MessageCarrier> {
  const WS = global(env, "WebSocket");
  return bounded("the WebSocket dial", options.timeoutMs ?? WEBSOCKET_DIAL_TIMEOUT_MS, options.signal, (onCancel) => {
    const ws = new WS(url);
    // Wrapped at once, so nothing the server sends after the open is missed.
    const carrier = webSocketCarrier(ws);
    onCancel(() => carrier.close());
    return new Promise<MessageCarrier>((resolve, reject) => {
      ws.addEventListener("open", () => resolve(carrier));
      // Browsers say nothing about why (by design): a refused port, a 404 and a bad TLS certificate look alike.
      ws.addEventListener("close", (e) =>
        reject(new BrowserTransportError("ERR_TRANSPORT_DIAL", `the WebSocket did not open (close code ${e.code})`)),
      );
    });
  });
}

/** What a peer needs of webrtc settings (manual signaling needs no `signal` URL). */
export type WebRtcPeerSettings = Pick<WebRtcSettings, "nodeId" | "publicKey" | "ice" | "iceUsername" | "iceCredential">;

function iceServers(s: WebRtcPeerSettings): RTCIceServerLike[] {
  const stun = s.ice.filter((u) => u.startsWith("stun"));
  const turn = s.ice.filter((u) => u.startsWith("turn"));
  const out: RTCIceServerLike[] = [];
  if (stun.length > 0) out.push({ urls: stun });
  if (turn.length > 0) out.push({ urls: turn, username: s.iceUsername ?? "", credential: s.iceCredential ?? "" });
  return out;
}

/** Resolves with the complete local description once gathering is done (non-trickle). */
function gathered(pc: RTCPeerConnectionLike): Promise<RTCSessionDescriptionLike> {
  return new Promise((resolve, reject) => {
    const check = (): void => {
      if (pc.iceGatheringState !== "complete") return;
      const d = pc.localDescription;
      if (d === null || d === undefined)
        reject(new BrowserTransportError("ERR_TRANSPORT_DIAL", "no local description"));
      else resolve(d);
    };
    pc.onicegatheringstatechange = check;
    pc.onicecandidate = (e) => {
      if (e.candidate === null) check();
    };
    check();
  });
}

/** An offer made and sealed; its peer waits for the answer. */
interface PreparedOffer {
  readonly sealed: SealedOffer;
  /** Applies the answer SDP and resolves with the carrier once the channel is open. */
  finish(answerSdp: string): Promise<MessageCarrier>;
  release(): void;
}

async function prepareOffer(settings: WebRtcPeerSettings, env: DialEnvironment): Promise<PreparedOffer> {
  const PC = global(env, "RTCPeerConnection");
  const pc = new PC({ iceServers: iceServers(settings) });
  let released = false;
  const release = (): void => {
    if (released) return;
    released = true;
    try {
      void Promise.resolve(pc.close()).catch(() => undefined);
    } catch {
      // already closed
    }
  };
  try {
    const channel: RTCDataChannelLike = pc.createDataChannel(WEBRTC_CHANNEL_LABEL, { ordered: true });
    const carrier = dataChannelCarrier(channel, release);
    await pc.setLocalDescription(await pc.createOffer());
    const local = await bounded("ICE gathering", ICE_GATHERING_TIMEOUT_MS, undefined, () => gathered(pc));
    const sealed = sealOffer(local.sdp, settings, { now: (env.now ?? Date.now)() });
    return {
      sealed,
      release: () => carrier.close(),
      async finish(answerSdp) {
        await pc.setRemoteDescription({ type: "answer", sdp: answerSdp });
        if (channel.readyState !== "open") {
          await new Promise<void>((resolve, reject) => {
            channel.onopen = () => resolve();
            const previous = pc.onconnectionstatechange;
            pc.onconnectionstatechange = (e) => {
              previous?.(e);
              if (pc.connectionState === "failed" || pc.connectionState === "closed") {
                reject(new BrowserTransportError("ERR_TRANSPORT_DIAL", `the peer connection ${pc.connectionState}`));
              }
            };
            if (carrier.closed) reject(new BrowserTransportError("ERR_TRANSPORT_DIAL", "the data channel closed"));
          });
        }
        return carrier;
      },
    };
  } catch (err) {
    release();
    throw err;
  }
}

/** Reads at most `limit` bytes of a response body. */
async function limitedBody(res: FetchResponseLike, limit: number): Promise<Uint8Array> {
  const declared = Number(res.headers.get("content-length") ?? "0");
  if (declared > limit)
    throw new LimitError("ERR_TRANSPORT_SIGNAL_TOO_LARGE", `the answer is over ${limit} bytes`, limit);
  const body = new Uint8Array(await res.arrayBuffer());
  if (body.length > limit)
    throw new LimitError("ERR_TRANSPORT_SIGNAL_TOO_LARGE", `the answer is over ${limit} bytes`, limit);
  return body;
}

/** Dials over HTTP signaling (`settings.signal`) and resolves with the open DataChannel as a carrier. */
export function dialWebRtcCarrier(
  settings: WebRtcSettings,
  env: DialEnvironment = {},
  options: DialOptions = {},
): Promise<MessageCarrier> {
  const fetchFn = global(env, "fetch");
  return bounded("the WebRTC dial", options.timeoutMs ?? WEBRTC_DIAL_TIMEOUT_MS, options.signal, async (onCancel) => {
    const prep = await prepareOffer(settings, env);
    const abort = newAbortController();
    onCancel(() => {
      abort?.abort();
      prep.release();
    });
    let res: FetchResponseLike;
    try {
      res = await fetchFn(settings.signal, {
        method: "POST",
        body: prep.sealed.bytes,
        headers: { "Content-Type": "application/octet-stream" },
        ...(abort === undefined ? {} : { signal: abort.signal }),
        redirect: "error",
        credentials: "omit",
        cache: "no-store",
        referrerPolicy: "no-referrer",
      });
    } catch (err) {
      prep.release();
      throw new BrowserTransportError("ERR_TRANSPORT_SIGNALING", "the signaling request failed", { cause: err });
    }
    if (res.status !== 200) {
      prep.release();
      throw new BrowserTransportError(
        "ERR_TRANSPORT_SIGNALING",
        `the signaling endpoint answered HTTP ${res.status} (wrong URL, cert or clock, or a busy bridge)`,
      );
    }
    try {
      const answer = prep.sealed.openAnswer(await limitedBody(res, MAX_SEALED_ANSWER_BYTES));
      return await prep.finish(answer.sdp);
    } catch (err) {
      prep.release();
      throw err;
    }
  });
}

/** A manual (copy-paste) offer: the text to send, and what to do with the text that comes back. */
export interface ManualWebRtcOffer {
  /** `webpt-offer:…`, for the bridge operator. */
  readonly text: string;
  /**
   * Applies the operator's `webpt-answer:…` text. A text that does not open
   * (mistyped, another exchange's) throws a SignalingError and leaves the
   * offer usable; a connection failure releases it.
   */
  accept(answerText: string, options?: DialOptions): Promise<MessageCarrier>;
  close(): void;
}

/** Makes a manual offer; its peer waits until accept() or close(). */
export async function createManualWebRtcOffer(
  settings: WebRtcPeerSettings,
  env: DialEnvironment = {},
): Promise<ManualWebRtcOffer> {
  const prep = await prepareOffer(settings, env);
  let used = false;
  return {
    text: armorSignal("offer", prep.sealed.bytes),
    accept(answerText, options = {}) {
      if (used) return Promise.reject(new BrowserTransportError("ERR_TRANSPORT_SIGNALING", "this offer was used"));
      let sdp: string;
      try {
        sdp = prep.sealed.openAnswer(dearmorSignal("answer", answerText)).sdp;
      } catch (err) {
        return Promise.reject(asError(err)); // the offer stays usable
      }
      used = true;
      return bounded("the WebRTC connect", options.timeoutMs ?? WEBRTC_DIAL_TIMEOUT_MS, options.signal, (onCancel) => {
        onCancel(() => prep.release());
        return prep.finish(sdp);
      });
    },
    close() {
      used = true;
      prep.release();
    },
  };
}
