/**
 * The sealed signaling envelope of the webrtc transport: a WebRTC offer sealed
 * to the bridge's obfs4 identity key, and an answer sealed back so that only
 * the offerer can read it. An unauthenticated probe (anyone without the
 * bridge's `cert`) cannot make an offer the server will open, so a server that
 * answers every failure with its cover site tells a prober nothing. The bytes
 * are uniformly random-looking: no magic, no length field in the clear, and
 * the ephemeral key travels as an Elligator 2 representative (obfs4-spec §4).
 *
 * Keys. B is the bridge's identity public key and NODEID its node ID (the
 * 52 bytes of the obfs4 cert, identity-cert.ts `decodeCert`); b is B's private
 * key. The client makes an ephemeral key pair (x, X) whose X has a
 * representative R (obfs4's `generateRepresentableKeypair`, top two bits
 * random), then:
 *
 *     S        = X25519(x, B) = X25519(b, X)
 *     PRK      = HKDF-Extract(SHA-256, salt = "webpt-signal-v1", ikm = S)
 *     K_offer  = HKDF-Expand(PRK, "webpt-signal-v1:offer"  | NODEID | B | R, 32)
 *     K_answer = HKDF-Expand(PRK, "webpt-signal-v1:answer" | NODEID | B | R, 32)
 *
 * R itself (not only X) is in the info, so changing R's free top bits yields
 * other keys and a seal that fails: an offer is not malleable.
 *
 * Wire layout (sizes in bytes; c = plaintext length):
 *
 *     offer:  R (32) | ChaCha20-Poly1305(K_offer, nonce = 0^12, aad = R)(plaintext) (c) | tag (16)
 *     answer: N (24) | XChaCha20-Poly1305(K_answer, nonce = N, aad = R)(plaintext) (c) | tag (16)
 *
 * K_offer seals exactly one message (a fresh x per offer), so its nonce is
 * fixed. K_answer may seal again if an offer is replayed to a server that has
 * forgotten it (a restart inside the window), so each answer has a random
 * 24-byte nonce and a repeat never reuses a (key, nonce) pair.
 *
 * Plaintext (both kinds):
 *
 *     0   1  version = 0x01
 *     1   1  kind: 0x01 offer, 0x02 answer
 *     2   8  timestamp: Unix time in milliseconds, u64 big-endian
 *     10  4  n = SDP length, u32 big-endian, at most MAX_SDP_BYTES
 *     14  n  SDP, UTF-8, starting "v=0"
 *     14+n   padding: zero bytes up to c
 *
 * Padding hides the SDP's length: c is the header plus SDP rounded up to a
 * multiple of SIGNAL_PAD_BLOCK, plus a uniformly random 0…SIGNAL_PAD_BLOCK-1,
 * so an observed length says only which 512-byte bucket the SDP is in. c is
 * at least SIGNAL_PAD_BLOCK and at most MAX_SIGNAL_PLAINTEXT_BYTES; a reader
 * accepts any c in that range whose padding is zero.
 *
 * The server rejects an offer whose timestamp is further than the allowed
 * skew from its clock, and remembers each accepted X (replay-cache.ts) for as
 * long as the timestamp would pass: an offer cannot be answered twice.
 *
 * Forward secrecy: none for the offer (it is sealed to the long-term key,
 * as obfs4's own client handshake is); the answer is readable only with x.
 */
import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, readU32BE, toHex, utf8Decode, utf8Encode, writeU32BE } from "../../bytes/index.js";
import {
  defaultRandomSource,
  generateRepresentableKeypair,
  representativeToPublicKey,
  type RandomSource,
} from "../obfs4/index.js";
import { SignalingError, SignalingLimitError } from "./errors.js";

/** The envelope version this code writes and reads. */
export const SIGNAL_VERSION = 1;
export const SIGNAL_KIND_OFFER = 1;
export const SIGNAL_KIND_ANSWER = 2;
/** The Elligator 2 representative of the client's ephemeral key that opens an offer. */
export const SIGNAL_REPRESENTATIVE_BYTES = 32;
/** The random XChaCha20 nonce that opens an answer. */
export const SIGNAL_ANSWER_NONCE_BYTES = 24;
/** Poly1305 tag. */
export const SIGNAL_TAG_BYTES = 16;
/** version, kind, timestamp, SDP length. */
export const SIGNAL_HEADER_BYTES = 14;
/** Plaintext lengths are bucketed to this (then randomised within one bucket); also the smallest plaintext. */
export const SIGNAL_PAD_BLOCK = 512;
/** Largest SDP carried. A non-trickle DataChannel SDP is about 0.5 KiB plus ~100 bytes per candidate. */
export const MAX_SDP_BYTES = 16 * 1024;
/** Smallest plaintext a reader accepts (one padding block). */
export const MIN_SIGNAL_PLAINTEXT_BYTES = SIGNAL_PAD_BLOCK;
/** Largest plaintext: the largest SDP with its header, rounded up, plus the random bucket offset. */
export const MAX_SIGNAL_PLAINTEXT_BYTES = MAX_SDP_BYTES + 2 * SIGNAL_PAD_BLOCK;
export const MIN_SEALED_OFFER_BYTES = SIGNAL_REPRESENTATIVE_BYTES + MIN_SIGNAL_PLAINTEXT_BYTES + SIGNAL_TAG_BYTES;
/** Largest sealed offer: the signaling endpoint's request body limit. */
export const MAX_SEALED_OFFER_BYTES = SIGNAL_REPRESENTATIVE_BYTES + MAX_SIGNAL_PLAINTEXT_BYTES + SIGNAL_TAG_BYTES;
export const MIN_SEALED_ANSWER_BYTES = SIGNAL_ANSWER_NONCE_BYTES + MIN_SIGNAL_PLAINTEXT_BYTES + SIGNAL_TAG_BYTES;
/** Largest sealed answer: the client's response body limit. */
export const MAX_SEALED_ANSWER_BYTES = SIGNAL_ANSWER_NONCE_BYTES + MAX_SIGNAL_PLAINTEXT_BYTES + SIGNAL_TAG_BYTES;
/** How far an offer's timestamp may be from the server's clock, either way, over HTTP signaling. */
export const SIGNAL_MAX_CLOCK_SKEW_MS = 5 * 60_000;

const NODE_ID_BYTES = 20;
const KEY_BYTES = 32;
const SALT = utf8Encode("webpt-signal-v1");
const OFFER_LABEL = utf8Encode("webpt-signal-v1:offer");
const ANSWER_LABEL = utf8Encode("webpt-signal-v1:answer");
const OFFER_NONCE = new Uint8Array(12);
const TWO_32 = 2 ** 32;

/** X25519(privateKey, publicKey): the shared u-coordinate. May throw on a low-order key. Default @noble/curves. */
export type X25519Function = (privateKey: Uint8Array, publicKey: Uint8Array) => Uint8Array;

const nobleX25519: X25519Function = (priv, pub) => x25519.scalarMult(priv, pub);

/** What a client knows of the bridge: the cert's NODEID and B. */
export interface SignalingBridgeKey {
  readonly nodeId: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** What the bridge holds (an Obfs4ServerState is one). */
export interface SignalingServerKey extends SignalingBridgeKey {
  readonly privateKey: Uint8Array;
}

/** An opened message. */
export interface SignalMessage {
  readonly sdp: string;
  /** The sender's clock when it sealed, Unix milliseconds. */
  readonly timestamp: number;
}

export interface SealOptions {
  /** Unix milliseconds to write as the timestamp (default Date.now()). */
  readonly now?: number;
  /** Keys, nonce and padding come from here (default the platform CSPRNG). */
  readonly random?: RandomSource;
}

export interface SealOfferOptions extends SealOptions {
  readonly x25519?: X25519Function;
}

/** The client's side of one exchange: the bytes to send, and the key to open the answer with. */
export interface SealedOffer {
  readonly bytes: Uint8Array;
  /** Opens this exchange's answer; throws SignalingError / SignalingLimitError. */
  openAnswer(sealed: Uint8Array): SignalMessage;
}

export interface OpenOfferOptions {
  /** The server's clock, Unix milliseconds (default Date.now()). */
  readonly now?: number;
  /** Oldest timestamp accepted, as an age (default SIGNAL_MAX_CLOCK_SKEW_MS). */
  readonly maxAgeMs?: number;
  /** Furthest future timestamp accepted (default SIGNAL_MAX_CLOCK_SKEW_MS). */
  readonly maxFutureMs?: number;
  readonly x25519?: X25519Function;
}

/** The server's side of one exchange. */
export interface OpenedOffer extends SignalMessage {
  /** The client's ephemeral public key X in hex: the replay-cache key (one per exchange, whatever R's free bits). */
  readonly replayKey: string;
  /** Seals the answer to this exchange; only the offerer can open it. */
  sealAnswer(sdp: string, options?: SealOptions): Uint8Array;
}

function checkBytes(name: string, v: Uint8Array, length: number): void {
  if (!(v instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (v.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${v.length}`);
}

function checkSealed(sealed: Uint8Array, what: string, min: number, max: number): void {
  if (!(sealed instanceof Uint8Array)) throw new TypeError(`a sealed ${what} must be a Uint8Array`);
  if (sealed.length < min) {
    throw new SignalingError(
      "ERR_SIGNAL_TOO_SHORT",
      `a sealed ${what} has at least ${min} bytes, got ${sealed.length}`,
    );
  }
  if (sealed.length > max) {
    throw new SignalingLimitError("ERR_SIGNAL_TOO_LARGE", `a sealed ${what} has at most ${max} bytes`, max);
  }
}

function deriveKeys(
  shared: Uint8Array,
  bridge: SignalingBridgeKey,
  representative: Uint8Array,
): { offerKey: Uint8Array; answerKey: Uint8Array } {
  const prk = extract(sha256, shared, SALT);
  const context = concatBytes(bridge.nodeId, bridge.publicKey, representative);
  return {
    offerKey: expand(sha256, prk, concatBytes(OFFER_LABEL, context), KEY_BYTES),
    answerKey: expand(sha256, prk, concatBytes(ANSWER_LABEL, context), KEY_BYTES),
  };
}

/** X25519 whose failures (a low-order X, an all-zero result) are a bad seal, never an exception of the library's. */
function agree(fn: X25519Function, priv: Uint8Array, pub: Uint8Array): Uint8Array {
  let shared: Uint8Array;
  try {
    shared = fn(priv, pub);
  } catch (err) {
    throw new SignalingError("ERR_SIGNAL_BAD_SEAL", "the key exchange failed", { cause: err });
  }
  let acc = 0;
  for (const b of shared) acc |= b;
  if (shared.length !== KEY_BYTES || acc === 0) throw new SignalingError("ERR_SIGNAL_BAD_SEAL", "low-order key");
  return shared;
}

function checkTimestamp(now: number): number {
  if (!Number.isSafeInteger(now) || now < 0) throw new RangeError(`now must be a non-negative integer, got ${now}`);
  return now;
}

/** The plaintext for `sdp` (layout in the file comment), padded with a random bucket offset. */
export function encodeSignalPlaintext(kind: number, timestamp: number, sdp: string, random: RandomSource): Uint8Array {
  const sdpBytes = utf8Encode(sdp);
  if (sdpBytes.length > MAX_SDP_BYTES) {
    throw new SignalingLimitError(
      "ERR_SIGNAL_SDP_TOO_LARGE",
      `an SDP has at most ${MAX_SDP_BYTES} bytes`,
      MAX_SDP_BYTES,
    );
  }
  const needed = SIGNAL_HEADER_BYTES + sdpBytes.length;
  const r = random(2);
  // 65536 is a multiple of SIGNAL_PAD_BLOCK, so the offset is uniform.
  const offset = (((r[0] ?? 0) << 8) | (r[1] ?? 0)) % SIGNAL_PAD_BLOCK;
  const out = new Uint8Array(Math.ceil(needed / SIGNAL_PAD_BLOCK) * SIGNAL_PAD_BLOCK + offset);
  out[0] = SIGNAL_VERSION;
  out[1] = kind;
  writeU32BE(out, 2, Math.floor(timestamp / TWO_32));
  writeU32BE(out, 6, timestamp >>> 0);
  writeU32BE(out, 10, sdpBytes.length);
  out.set(sdpBytes, SIGNAL_HEADER_BYTES);
  return out;
}

/** Parses an authenticated plaintext; every failure is a SignalingError. */
export function decodeSignalPlaintext(plaintext: Uint8Array, kind: number): SignalMessage {
  if (plaintext.length < MIN_SIGNAL_PLAINTEXT_BYTES || plaintext.length > MAX_SIGNAL_PLAINTEXT_BYTES) {
    throw new SignalingError("ERR_SIGNAL_BAD_LENGTH", `plaintext of ${plaintext.length} bytes`);
  }
  if (plaintext[0] !== SIGNAL_VERSION) {
    throw new SignalingError("ERR_SIGNAL_BAD_VERSION", `unknown signaling version ${plaintext[0]}`);
  }
  if (plaintext[1] !== kind) throw new SignalingError("ERR_SIGNAL_BAD_KIND", `kind ${plaintext[1]}, expected ${kind}`);
  const hi = readU32BE(plaintext, 2);
  // Above 2^53 - 1 ms (year 287396) the timestamp is no safe integer: treat it as far in the future.
  const timestamp = hi >= 2 ** 21 ? Number.MAX_SAFE_INTEGER : hi * TWO_32 + readU32BE(plaintext, 6);
  const n = readU32BE(plaintext, 10);
  if (n > MAX_SDP_BYTES || n > plaintext.length - SIGNAL_HEADER_BYTES) {
    throw new SignalingError("ERR_SIGNAL_BAD_LENGTH", `SDP length ${n} does not fit`);
  }
  const end = SIGNAL_HEADER_BYTES + n;
  for (let i = end; i < plaintext.length; i++) {
    if (plaintext[i] !== 0) throw new SignalingError("ERR_SIGNAL_BAD_PADDING", `non-zero padding at ${i}`);
  }
  let sdp: string;
  try {
    sdp = utf8Decode(plaintext.subarray(SIGNAL_HEADER_BYTES, end));
  } catch (err) {
    throw new SignalingError("ERR_SIGNAL_BAD_SDP", "the SDP is not UTF-8", { cause: err });
  }
  if (!sdp.startsWith("v=0")) throw new SignalingError("ERR_SIGNAL_BAD_SDP", "the SDP does not start with v=0");
  return { sdp, timestamp };
}

function open(
  aead: typeof chacha20poly1305 | typeof xchacha20poly1305,
  key: Uint8Array,
  nonce: Uint8Array,
  aad: Uint8Array,
  sealed: Uint8Array,
): Uint8Array {
  try {
    return aead(key, nonce, aad).decrypt(sealed);
  } catch (err) {
    throw new SignalingError("ERR_SIGNAL_BAD_SEAL", "the seal does not verify", { cause: err });
  }
}

/** Client: seals `sdp` (an offer) to the bridge. Throws RangeError/TypeError for bad keys, SignalingLimitError for a huge SDP. */
export function sealOffer(sdp: string, bridge: SignalingBridgeKey, options: SealOfferOptions = {}): SealedOffer {
  checkBytes("nodeId", bridge.nodeId, NODE_ID_BYTES);
  checkBytes("publicKey", bridge.publicKey, KEY_BYTES);
  const random = options.random ?? defaultRandomSource;
  const now = checkTimestamp(options.now ?? Date.now());
  const plaintext = encodeSignalPlaintext(SIGNAL_KIND_OFFER, now, sdp, random);
  const eph = generateRepresentableKeypair(random);
  const shared = agree(options.x25519 ?? nobleX25519, eph.privateKey, bridge.publicKey);
  const bridgeKey = { nodeId: new Uint8Array(bridge.nodeId), publicKey: new Uint8Array(bridge.publicKey) };
  const { offerKey, answerKey } = deriveKeys(shared, bridgeKey, eph.representative);
  const R = eph.representative;
  const bytes = concatBytes(R, chacha20poly1305(offerKey, OFFER_NONCE, R).encrypt(plaintext));
  return {
    bytes,
    openAnswer(sealed) {
      checkSealed(sealed, "answer", MIN_SEALED_ANSWER_BYTES, MAX_SEALED_ANSWER_BYTES);
      const nonce = sealed.subarray(0, SIGNAL_ANSWER_NONCE_BYTES);
      const pt = open(xchacha20poly1305, answerKey, nonce, R, sealed.subarray(SIGNAL_ANSWER_NONCE_BYTES));
      return decodeSignalPlaintext(pt, SIGNAL_KIND_ANSWER);
    },
  };
}

/**
 * Server: opens a sealed offer. Throws SignalingError (bad seal, version,
 * kind, length, padding, SDP, stale timestamp) or SignalingLimitError (too
 * large) and nothing else for any input bytes; the caller checks the replay
 * cache with `replayKey` before answering.
 */
export function openOffer(sealed: Uint8Array, server: SignalingServerKey, options: OpenOfferOptions = {}): OpenedOffer {
  checkSealed(sealed, "offer", MIN_SEALED_OFFER_BYTES, MAX_SEALED_OFFER_BYTES);
  checkBytes("nodeId", server.nodeId, NODE_ID_BYTES);
  checkBytes("publicKey", server.publicKey, KEY_BYTES);
  checkBytes("privateKey", server.privateKey, KEY_BYTES);
  const now = checkTimestamp(options.now ?? Date.now());
  const R = sealed.slice(0, SIGNAL_REPRESENTATIVE_BYTES);
  const X = representativeToPublicKey(R);
  const shared = agree(options.x25519 ?? nobleX25519, server.privateKey, X);
  const { offerKey, answerKey } = deriveKeys(shared, server, R);
  const pt = open(chacha20poly1305, offerKey, OFFER_NONCE, R, sealed.subarray(SIGNAL_REPRESENTATIVE_BYTES));
  const msg = decodeSignalPlaintext(pt, SIGNAL_KIND_OFFER);
  const maxAge = options.maxAgeMs ?? SIGNAL_MAX_CLOCK_SKEW_MS;
  const maxFuture = options.maxFutureMs ?? SIGNAL_MAX_CLOCK_SKEW_MS;
  if (now - msg.timestamp > maxAge || msg.timestamp - now > maxFuture) {
    throw new SignalingError("ERR_SIGNAL_STALE", `offer timestamp ${msg.timestamp} is outside the window at ${now}`);
  }
  return {
    sdp: msg.sdp,
    timestamp: msg.timestamp,
    replayKey: toHex(X),
    sealAnswer(sdp, sealOptions = {}) {
      const random = sealOptions.random ?? defaultRandomSource;
      const plaintext = encodeSignalPlaintext(
        SIGNAL_KIND_ANSWER,
        checkTimestamp(sealOptions.now ?? Date.now()),
        sdp,
        random,
      );
      const nonce = random(SIGNAL_ANSWER_NONCE_BYTES);
      checkBytes("nonce", nonce, SIGNAL_ANSWER_NONCE_BYTES);
      return concatBytes(nonce, xchacha20poly1305(answerKey, nonce, R).encrypt(plaintext));
    },
  };
}
