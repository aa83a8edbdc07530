/**
 * obfs4 handshake messages (obfs4 spec §4) with obfs4proxy's constants (transports/obfs4/handshake_ntor.go):
 *
 *   clientRequest  = X' | P_C | M_C | MAC_C          M_C = HMAC-SHA256-128(B | NODEID, X')
 *   serverResponse = Y' | AUTH | P_S | M_S | MAC_S   MAC = HMAC-SHA256-128(B | NODEID, everything before it | E)
 *
 * obfs4proxy always sends its PRNG-seed frame (45 bytes, unpadded) right after the response and counts it as part
 * of the response (spec §6), so P_S is [0, 8051] bytes rather than the [45, 8096] of spec §4. P_C is [77, 8128]:
 * spec §4 prints ClientMinPadLength = 85, but its own formula (96 + 45) - 64 gives 77, which is what obfs4proxy
 * computes and sends; a server insisting on 85 would reject about 1 in 1000 obfs4proxy clients. The shortest
 * request and the shortest response-plus-seed-frame are both 141 bytes.
 */
import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, utf8Encode } from "../../bytes/index.js";
import { REPRESENTATIVE_LENGTH } from "./elligator2.js";
import { epochHourString } from "./epoch.js";
import { AUTH_LENGTH, NODE_ID_LENGTH, type RandomSource } from "./ntor.js";

/** Largest handshake message, padding included; no mark past this is looked for (spec §4 MaximumHandshakeLength). */
export const MAX_HANDSHAKE_LENGTH = 8192;
/** M_C / M_S: HMAC-SHA256 truncated to 128 bits. */
export const MARK_LENGTH = 16;
/** MAC_C / MAC_S: HMAC-SHA256 truncated to 128 bits. */
export const MAC_LENGTH = 16;
/** The unpadded TYPE_PRNG_SEED frame obfs4proxy sends after the response: 2 + 16 (frame) + 3 (packet) + 24 (seed). */
export const INLINE_SEED_FRAME_LENGTH = 45;
/** X' | M_C | MAC_C. */
export const CLIENT_MIN_HANDSHAKE_LENGTH = REPRESENTATIVE_LENGTH + MARK_LENGTH + MAC_LENGTH;
/** Y' | AUTH | M_S | MAC_S. */
export const SERVER_MIN_HANDSHAKE_LENGTH = REPRESENTATIVE_LENGTH + AUTH_LENGTH + MARK_LENGTH + MAC_LENGTH;
/** Fewest padding bytes in a request: (96 + 45) - 64 = 77 (not the 85 printed in spec §4; see above). */
export const CLIENT_MIN_PAD_LENGTH =
  SERVER_MIN_HANDSHAKE_LENGTH + INLINE_SEED_FRAME_LENGTH - CLIENT_MIN_HANDSHAKE_LENGTH;
/** Most padding bytes in a request: 8192 - 64 = 8128. */
export const CLIENT_MAX_PAD_LENGTH = MAX_HANDSHAKE_LENGTH - CLIENT_MIN_HANDSHAKE_LENGTH;
/** Fewest padding bytes in a response (the seed frame stands in for the spec's 45). */
export const SERVER_MIN_PAD_LENGTH = 0;
/** Most padding bytes in a response: 8192 - (96 + 45) = 8051. */
export const SERVER_MAX_PAD_LENGTH = MAX_HANDSHAKE_LENGTH - (SERVER_MIN_HANDSHAKE_LENGTH + INLINE_SEED_FRAME_LENGTH);
/** First offset where the server looks for M_C: after X' and the minimum padding. */
export const CLIENT_MARK_SEARCH_START = REPRESENTATIVE_LENGTH + CLIENT_MIN_PAD_LENGTH;
/** First offset where the client looks for M_S: after Y', AUTH and the minimum padding. */
export const SERVER_MARK_SEARCH_START = REPRESENTATIVE_LENGTH + AUTH_LENGTH + SERVER_MIN_PAD_LENGTH;

/** The HMAC key of every mark and MAC: the server's identity public key B followed by its Node ID. */
export function handshakeMacKey(identityPublicKey: Uint8Array, nodeId: Uint8Array): Uint8Array {
  if (identityPublicKey.length !== 32) throw new RangeError("identity public key must be 32 bytes");
  if (nodeId.length !== NODE_ID_LENGTH) throw new RangeError(`nodeId must be ${NODE_ID_LENGTH} bytes`);
  return concatBytes(identityPublicKey, nodeId);
}

/** M = HMAC-SHA256-128(B | NODEID, representative). */
export function computeMark(macKey: Uint8Array, representative: Uint8Array): Uint8Array {
  return hmac(sha256, macKey, representative).subarray(0, MARK_LENGTH);
}

/** MAC = HMAC-SHA256-128(B | NODEID, message | E), where message runs up to and including the mark. */
export function computeMac(macKey: Uint8Array, message: Uint8Array, epochHour: number): Uint8Array {
  const h = hmac.create(sha256, macKey);
  h.update(message);
  h.update(utf8Encode(epochHourString(epochHour)));
  return h.digest().subarray(0, MAC_LENGTH);
}

function checkPadding(padding: Uint8Array, min: number, max: number): void {
  if (padding.length < min || padding.length > max) {
    throw new RangeError(`padding must be ${min}..${max} bytes, got ${padding.length}`);
  }
}

/** Builds X' | P_C | M_C | MAC_C. Pure: the caller supplies the padding bytes and the epoch hour. */
export function encodeClientRequest(args: {
  macKey: Uint8Array;
  representative: Uint8Array;
  padding: Uint8Array;
  epochHour: number;
}): Uint8Array {
  const { macKey, representative, padding, epochHour } = args;
  if (representative.length !== REPRESENTATIVE_LENGTH) throw new RangeError("representative must be 32 bytes");
  checkPadding(padding, CLIENT_MIN_PAD_LENGTH, CLIENT_MAX_PAD_LENGTH);
  const mark = computeMark(macKey, representative);
  const body = concatBytes(representative, padding, mark);
  return concatBytes(body, computeMac(macKey, body, epochHour));
}

/** Builds Y' | AUTH | P_S | M_S | MAC_S. Pure: the caller supplies the padding and the client's epoch hour. */
export function encodeServerResponse(args: {
  macKey: Uint8Array;
  representative: Uint8Array;
  auth: Uint8Array;
  padding: Uint8Array;
  epochHour: number;
}): Uint8Array {
  const { macKey, representative, auth, padding, epochHour } = args;
  if (representative.length !== REPRESENTATIVE_LENGTH) throw new RangeError("representative must be 32 bytes");
  if (auth.length !== AUTH_LENGTH) throw new RangeError("auth must be 32 bytes");
  checkPadding(padding, SERVER_MIN_PAD_LENGTH, SERVER_MAX_PAD_LENGTH);
  const mark = computeMark(macKey, representative);
  const body = concatBytes(representative, auth, padding, mark);
  return concatBytes(body, computeMac(macKey, body, epochHour));
}

/**
 * The first offset p in [from, limit - MARK_LENGTH - MAC_LENGTH] with buf[p, p+16) = mark, or -1: a mark only
 * counts when its MAC fits before `limit` (obfs4proxy findMarkMac). Callers resume from the returned bound to
 * keep the whole search linear.
 */
export function findMark(buf: Uint8Array, mark: Uint8Array, from: number, limit: number): number {
  const last = limit - MARK_LENGTH - MAC_LENGTH;
  const first = mark[0]!;
  outer: for (let p = Math.max(from, 0); p <= last; p++) {
    if (buf[p] !== first) continue;
    for (let i = 1; i < MARK_LENGTH; i++) if (buf[p + i] !== mark[i]) continue outer;
    return p;
  }
  return -1;
}

/** A uniform integer in [min, max] from the random source (rejection sampling over 32-bit words). */
export function randomIntInclusive(rng: RandomSource, min: number, max: number): number {
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min || max - min >= 2 ** 32) {
    throw new RangeError(`bad range [${min}, ${max}]`);
  }
  const span = max - min + 1;
  const limit = 2 ** 32 - (2 ** 32 % span);
  for (;;) {
    const b = rng(4);
    const v = ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
    if (v < limit) return min + (v % span);
  }
}
