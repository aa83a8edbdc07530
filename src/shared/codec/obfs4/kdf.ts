/**
 * The obfs4 key derivation (obfs4 spec §4, obfs4proxy `ntor.Kdf`): HKDF-SHA256 (RFC 5869) with
 * salt = t_key = "ntor-curve25519-sha256-1:key_extract" and info = m_expand = "ntor-curve25519-sha256-1:key_expand"
 * (proposal 216 "Key expansion"). obfs4proxy feeds it KEY_SEED (itself HMAC(t_key, secret_input)) as the input
 * keying material, not secret_input as the proposal does.
 *
 * The 144 bytes are two 72-byte framing key blocks (secretbox key 32 | nonce prefix 16 | SipHash key 16 | SipHash
 * IV 8). Which block is which direction is the framing layer's business; note that obfs4proxy's code (the client
 * encodes with bytes 0–71, the server with 72–143) is what is deployed, whatever the spec's table says.
 */
import { hkdf } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8Encode } from "../../bytes/index.js";
import { KEY_SEED_LENGTH, NTOR_M_EXPAND, NTOR_T_KEY } from "./ntor.js";

/** Bytes of key material an obfs4 session needs: 2 × 72 (framing.KeyLength). */
export const SESSION_KEY_MATERIAL_LENGTH = 144;
/** RFC 5869 caps HKDF-SHA256 output at 255 hash blocks. */
export const MAX_NTOR_KDF_LENGTH = 255 * 32;

const SALT = utf8Encode(NTOR_T_KEY);
const INFO = utf8Encode(NTOR_M_EXPAND);

/** HKDF-SHA256(ikm, salt = t_key, info = m_expand) → `length` bytes: proposal 216's KDF with obfs4's strings. */
export function ntorKdf(ikm: Uint8Array, length: number): Uint8Array {
  if (!(ikm instanceof Uint8Array)) throw new TypeError("ikm must be a Uint8Array");
  if (!Number.isInteger(length) || length < 0 || length > MAX_NTOR_KDF_LENGTH) {
    throw new RangeError(`length must be an integer in [0, ${MAX_NTOR_KDF_LENGTH}], got ${length}`);
  }
  return hkdf(sha256, ikm, SALT, INFO, length);
}

/** The 144 bytes of obfs4 session key material derived from a handshake's KEY_SEED. */
export function deriveSessionKeys(keySeed: Uint8Array): Uint8Array {
  if (!(keySeed instanceof Uint8Array)) throw new TypeError("keySeed must be a Uint8Array");
  if (keySeed.length !== KEY_SEED_LENGTH) throw new RangeError(`keySeed must be 32 bytes, got ${keySeed.length}`);
  return ntorKdf(keySeed, SESSION_KEY_MATERIAL_LENGTH);
}
