/**
 * The bridge's WebRTC answerer: takes an offer SDP that has already been
 * opened and authenticated (signaling envelope, replay cache), makes a peer
 * connection, answers once gathering is complete (non-trickle: the answer
 * carries every candidate, RFC 8829 §5.3.1), then waits for the client's
 * DataChannel and hands it on as a byte Duplex with the client's address
 * from the selected candidate pair (ExtORPort USERADDR, tor-ext-orport-spec
 * §3.1.1).
 *
 * Bounded: at most `maxPendingPeers` answered peers wait for their channel
 * and at most `maxPeers` exist at all; past either, an offer is refused
 * before a peer connection is made. Every peer has a deadline to open its
 * channel, and every failure (timeout, ICE failure, channel closed, engine
 * error) closes it. A peer that carries a channel lives as long as the
 * channel's Duplex.
 *
 * Connectivity checks wait for the client. The offer's candidates are taken
 * out before it is applied and added only REMOTE_CANDIDATES_DELAY_MS after
 * the answer has reached the client (`candidatesAfter`), or never (manual
 * signaling): the client, as ICE controlling agent, starts the checks once
 * it has our answer, and we learn its address as a peer-reflexive candidate.
 * Checks from us that reach a libdatachannel client before it has applied
 * our answer make its setRemoteDescription fail ("Got a remote candidate
 * without ICE transport"; measured on loopback: ~1 in 15 dials), and in
 * manual signaling, where the answer takes minutes to arrive, our unanswered
 * checks would fail the ICE agent and close the peer. The candidates are
 * still added later in HTTP signaling so that a bridge that gathers through
 * TURN installs permissions for the client.
 */
import type { LogSeverity } from "../../../shared/codec/pt-ipc/index.js";
import { AbortError, WebptError } from "../../../shared/errors.js";
import { parseIp } from "../../../shared/net/index.js";
import type { RTCDataChannelLike } from "../../../shared/transport/rtc-like.js";
import type { ClientInfo } from "../../service/types.js";
import { dataChannelDuplex, type DataChannelDuplex, type DataChannelDuplexOptions } from "./duplex.js";
import type { RtcCandidateInfo, RtcEngine, RtcPeer, RtcPeerConfig } from "./engine.js";
import { ICE_GATHERING_TIMEOUT_MS, localDescriptionWhenGathered } from "./gathering.js";
import { advertisePublicAddresses, splitCandidates } from "./sdp.js";

/** Peers answered and still waiting for their DataChannel to open. */
export const DEFAULT_MAX_PENDING_PEERS = 64;
/** Peers at once, waiting or carrying (each holds a UDP socket and DTLS/SCTP state). */
export const DEFAULT_MAX_PEERS = 1024;
/** From the answer to the open DataChannel over HTTP signaling: ICE checks, DTLS and SCTP take a few RTTs. */
export const WEBRTC_CONNECT_TIMEOUT_MS = 30_000;
/** After the answer reached the client, how long before we add the offer's candidates (see the file comment). */
export const REMOTE_CANDIDATES_DELAY_MS = 1_000;

/** Refusals and failures of `answer()`; the HTTP endpoint answers all of them with its cover site. */
export class WebRtcAnswerError extends WebptError {
  override name = "WebRtcAnswerError";
}

export interface WebRtcAnswererOptions {
  readonly engine: RtcEngine;
  readonly peerConfig?: RtcPeerConfig;
  /** Addresses to advertise instead of host candidates' (1:1 NAT; see sdp.ts). */
  readonly publicAddresses?: readonly string[];
  /** Gets every opened channel; owns it from then on. */
  readonly onCarrier: (carrier: DataChannelDuplex, client: ClientInfo) => void;
  readonly maxPendingPeers?: number;
  readonly maxPeers?: number;
  readonly connectTimeoutMs?: number;
  readonly gatheringTimeoutMs?: number;
  readonly candidatesDelayMs?: number;
  readonly duplex?: DataChannelDuplexOptions;
  readonly log?: (severity: LogSeverity, message: string) => void;
}

export interface AnswerOptions {
  /** Overrides the answerer's connect timeout (manual signaling waits much longer). */
  readonly connectTimeoutMs?: number;
  /** Aborting before the answer is returned closes the peer (the HTTP client went away). */
  readonly signal?: AbortSignal;
  /**
   * When the client has the answer (the HTTP response was sent): the offer's
   * candidates are added REMOTE_CANDIDATES_DELAY_MS later. null: never (manual
   * signaling). Default: when answer() resolves.
   */
  readonly candidatesAfter?: Promise<unknown> | null;
}

export interface WebRtcAnswerer {
  /** Peers answered whose channel is not open yet. */
  readonly pendingPeers: number;
  /** All peers, pending or carrying. */
  readonly peers: number;
  /** Peers ever made (answer() calls that got past the bounds); a probe must never move it. */
  readonly peersTotal: number;
  /** Whether an offer would be taken now; checked before the replay cache records it. */
  hasRoom(): boolean;
  /**
   * Answers an authenticated offer: resolves with the answer SDP (complete,
   * public addresses applied). Rejects with WebRtcAnswerError ERR_RTC_BUSY
   * (no room; no peer was made), ERR_RTC_CLOSED, or the engine's error (the
   * peer is closed).
   */
  answer(offerSdp: string, options?: AnswerOptions): Promise<string>;
  /** Closes every peer; later offers are refused. The engine is the caller's to close. */
  close(): void;
}

interface Peer {
  pc: RtcPeer | undefined;
  pending: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
  channel: RTCDataChannelLike | undefined;
  duplex: DataChannelDuplex | undefined;
  closed: boolean;
}

function positiveInt(name: string, v: number | undefined, dflt: number): number {
  const n = v ?? dflt;
  if (!Number.isSafeInteger(n) || n <= 0) throw new RangeError(`${name} must be a positive integer, got ${String(v)}`);
  return n;
}

/**
 * The client as the selected pair shows it. A relay candidate is the
 * client's TURN server, not the client: reported as unknown, which sends no
 * USERADDR (CONFORMANCE.md "ExtORPort"), rather than a wrong address.
 */
export function clientInfoFromCandidate(c: RtcCandidateInfo | undefined): ClientInfo {
  if (c === undefined || c.type === "relay") return { remoteAddress: undefined, remotePort: undefined };
  const ip = parseIp(c.address, { unmapIPv4: true, dropZone: true, brackets: true });
  if (ip === undefined) return { remoteAddress: undefined, remotePort: undefined };
  const port = Number.isInteger(c.port) && c.port > 0 && c.port < 65536 ? c.port : undefined;
  return { remoteAddress: ip.host, remotePort: port };
}

export function createWebRtcAnswerer(options: WebRtcAnswererOptions): WebRtcAnswerer {
  const maxPending = positiveInt("maxPendingPeers", options.maxPendingPeers, DEFAULT_MAX_PENDING_PEERS);
  const maxPeers = positiveInt("maxPeers", options.maxPeers, DEFAULT_MAX_PEERS);
  const connectTimeout = positiveInt("connectTimeoutMs", options.connectTimeoutMs, WEBRTC_CONNECT_TIMEOUT_MS);
  const gatheringTimeout = positiveInt("gatheringTimeoutMs", options.gatheringTimeoutMs, ICE_GATHERING_TIMEOUT_MS);
  const candidatesDelay = options.candidatesDelayMs ?? REMOTE_CANDIDATES_DELAY_MS;
  if (!Number.isSafeInteger(candidatesDelay) || candidatesDelay < 0)
    throw new RangeError("candidatesDelayMs must be >= 0");
  const peerConfig = options.peerConfig ?? {};
  const publicAddresses = options.publicAddresses ?? [];
  const log = options.log ?? (() => undefined);
  const peers = new Set<Peer>();
  let pending = 0;
  let total = 0;
  let closed = false;

  const closePeer = (peer: Peer, why?: string): void => {
    if (peer.closed) return;
    peer.closed = true;
    if (peer.pending) {
      peer.pending = false;
      pending--;
    }
    clearTimeout(peer.timer);
    peers.delete(peer);
    if (why !== undefined) log("debug", `webrtc: peer closed: ${why}`);
    const pc = peer.pc;
    if (pc !== undefined) pc.ondatachannel = pc.onconnectionstatechange = null;
    peer.duplex?.destroy();
    if (peer.duplex === undefined) {
      try {
        peer.channel?.close();
      } catch {
        // already closing
      }
    }
    if (pc !== undefined) {
      try {
        void Promise.resolve(pc.close()).catch(() => undefined);
      } catch {
        // the engine had already closed it
      }
    }
  };

  const opened = (peer: Peer): void => {
    if (peer.closed || !peer.pending || peer.duplex === undefined || peer.pc === undefined) return;
    peer.pending = false;
    pending--;
    clearTimeout(peer.timer);
    const client = clientInfoFromCandidate(peer.pc.selectedRemoteCandidate());
    options.onCarrier(peer.duplex, client);
  };

  const onChannel = (peer: Peer, channel: RTCDataChannelLike): void => {
    if (peer.closed || peer.channel !== undefined) {
      // One carrier per peer: a second channel is not ours to carry.
      try {
        channel.close();
      } catch {
        // ignore
      }
      return;
    }
    peer.channel = channel;
    // The Duplex takes the channel's handlers at once, so no message can arrive unheard; we chain onto
    // its open handler to learn when to hand it on.
    const duplex = dataChannelDuplex(channel, options.duplex);
    peer.duplex = duplex;
    duplex.on("error", () => undefined); // until handed on; the owner adds its own
    duplex.once("close", () => closePeer(peer, peer.pending ? "the channel closed before opening" : undefined));
    if (channel.readyState === "open") {
      opened(peer);
      return;
    }
    const duplexOnOpen = channel.onopen;
    channel.onopen = (ev) => {
      duplexOnOpen?.(ev);
      opened(peer);
    };
  };

  return {
    get pendingPeers() {
      return pending;
    },
    get peers() {
      return peers.size;
    },
    get peersTotal() {
      return total;
    },
    hasRoom: () => !closed && pending < maxPending && peers.size < maxPeers,
    async answer(offerSdp, answerOptions = {}) {
      if (closed) throw new WebRtcAnswerError("ERR_RTC_CLOSED", "the answerer is closed");
      if (answerOptions.signal?.aborted === true) {
        throw new AbortError("the offer was withdrawn", { cause: answerOptions.signal.reason });
      }
      if (pending >= maxPending || peers.size >= maxPeers) {
        throw new WebRtcAnswerError("ERR_RTC_BUSY", `${pending} peers pending, ${peers.size} open`);
      }
      const timeoutMs = positiveInt("connectTimeoutMs", answerOptions.connectTimeoutMs, connectTimeout);
      const peer: Peer = {
        pc: undefined,
        pending: true,
        timer: undefined,
        channel: undefined,
        duplex: undefined,
        closed: false,
      };
      // Reserved before the first await, so concurrent offers cannot overshoot the bounds.
      pending++;
      total++;
      peers.add(peer);
      peer.timer = setTimeout(() => closePeer(peer, `no data channel within ${timeoutMs} ms`), timeoutMs);
      const signal = answerOptions.signal;
      const onAbort = (): void => {
        if (peer.pending) closePeer(peer, "signaling aborted");
      };
      signal?.addEventListener("abort", onAbort, { once: true });
      try {
        const pc = await options.engine.createPeerConnection(peerConfig);
        if (peer.closed) {
          // Withdrawn (abort, close()) while the engine made it: closePeer() could not see it.
          void Promise.resolve(pc.close()).catch(() => undefined);
          throw new AbortError("the offer was withdrawn");
        }
        peer.pc = pc;
        pc.ondatachannel = (ev) => onChannel(peer, ev.channel);
        pc.onconnectionstatechange = () => {
          const s = pc.connectionState;
          if (s === "failed" || s === "closed") closePeer(peer, `connection ${s}`);
        };
        const offer = splitCandidates(offerSdp);
        await pc.setRemoteDescription({ type: "offer", sdp: offer.sdp });
        await pc.setLocalDescription(await pc.createAnswer());
        const local = await localDescriptionWhenGathered(pc, {
          timeoutMs: gatheringTimeout,
          ...(signal === undefined ? {} : { signal }),
        });
        if (peer.closed) throw new AbortError("the peer closed while gathering");
        const after = answerOptions.candidatesAfter === undefined ? Promise.resolve() : answerOptions.candidatesAfter;
        if (after !== null && offer.candidates.length > 0) {
          void after.then(
            () => {
              const timer = setTimeout(() => {
                if (peer.closed) return;
                for (const c of offer.candidates) pc.addRemoteCandidate(c.candidate, c.mid).catch(() => undefined);
              }, candidatesDelay);
              timer.unref?.();
            },
            () => undefined,
          );
        }
        return advertisePublicAddresses(local.sdp, publicAddresses);
      } catch (err) {
        closePeer(peer, `answer failed: ${(err as Error).message}`);
        if (err instanceof WebptError) throw err;
        throw new WebRtcAnswerError("ERR_RTC_ANSWER_FAILED", "the engine could not answer", { cause: err });
      } finally {
        signal?.removeEventListener("abort", onAbort);
      }
    },
    close() {
      closed = true;
      for (const peer of [...peers]) closePeer(peer);
    },
  };
}
