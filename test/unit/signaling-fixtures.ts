/**
 * Shared fixtures for the signaling tests: a deterministic random source, a
 * fixed bridge identity, and an independent implementation of the envelope's
 * key schedule and layout (written from the module header, not from the
 * code) so tests can check the code against the specification and craft
 * authentic envelopes with arbitrary plaintexts.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { x25519 } from "@noble/curves/ed25519.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { concatBytes, fromHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { keypairFromPrivateKey, representativeToPublicKey } from "../../src/shared/codec/obfs4/index.js";
import type { SignalingServerKey } from "../../src/shared/codec/signaling/index.js";

/** A deterministic "random" source: SHA-256(label | counter) blocks, so runs are reproducible. */
export function deterministicRandom(label: string): (n: number) => Uint8Array {
  let counter = 0;
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n; off += 32) {
      const block = sha256(
        concatBytes(utf8Encode(label), Uint8Array.of(counter >>> 24, counter >>> 16, counter >>> 8, counter)),
      );
      counter++;
      out.set(block.subarray(0, Math.min(32, n - off)), off);
    }
    return out;
  };
}

/** A fixed bridge: NODEID 00..13, b = SHA-256("bridge"). */
export function fixedBridge(tag = "bridge"): SignalingServerKey {
  const privateKey = sha256(utf8Encode(tag));
  const { publicKey } = keypairFromPrivateKey(privateKey);
  const nodeId = fromHex("000102030405060708090a0b0c0d0e0f10111213");
  return { nodeId, privateKey, publicKey };
}

export const FIXED_NOW = 1_750_000_000_000; // 2025-06-15T15:06:40Z

/** The key schedule of the module header, computed from the server side: S = X25519(b, X). */
export function specKeys(
  bridge: SignalingServerKey,
  representative: Uint8Array,
): { offerKey: Uint8Array; answerKey: Uint8Array } {
  const X = representativeToPublicKey(representative);
  const S = x25519.scalarMult(bridge.privateKey, X);
  const prk = extract(sha256, S, utf8Encode("webpt-signal-v1"));
  const context = concatBytes(bridge.nodeId, bridge.publicKey, representative);
  return {
    offerKey: expand(sha256, prk, concatBytes(utf8Encode("webpt-signal-v1:offer"), context), 32),
    answerKey: expand(sha256, prk, concatBytes(utf8Encode("webpt-signal-v1:answer"), context), 32),
  };
}

/** A plaintext laid out by hand: version | kind | timestamp (u64 BE) | length (u32 BE) | sdp | padding. */
export function specPlaintext(fields: {
  version?: number;
  kind?: number;
  timestamp?: number;
  sdp?: Uint8Array;
  length?: number;
  total?: number;
  padByte?: number;
}): Uint8Array {
  const sdp = fields.sdp ?? utf8Encode("v=0\r\n");
  const total = fields.total ?? 512;
  const out = new Uint8Array(total).fill(fields.padByte ?? 0);
  const view = new DataView(out.buffer);
  out[0] = fields.version ?? 1;
  out[1] = fields.kind ?? 1;
  view.setBigUint64(2, BigInt(fields.timestamp ?? FIXED_NOW));
  view.setUint32(10, fields.length ?? sdp.length);
  out.set(sdp, 14);
  return out;
}

/**
 * An authentic offer around any plaintext (sealed with the spec's keys): R is
 * a real representative (from a sealed offer of the code, so it is
 * representable) so only the plaintext differs.
 */
export function specSealOffer(
  bridge: SignalingServerKey,
  representative: Uint8Array,
  plaintext: Uint8Array,
): Uint8Array {
  const { offerKey } = specKeys(bridge, representative);
  return concatBytes(representative, chacha20poly1305(offerKey, new Uint8Array(12), representative).encrypt(plaintext));
}
