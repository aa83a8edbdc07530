import { createRequire } from "node:module";
import type * as SodiumNative from "sodium-native";
import {
  SECRETBOX_OVERHEAD,
  SIPHASH_OUTPUT_LENGTH,
  checkSecretboxArgs,
  type CompleteObfs4CryptoBackend,
} from "../../shared/codec/obfs4/crypto-backend.js";

type Sodium = typeof SodiumNative;

/**
 * obfs4's primitives from libsodium (sodium-native ships prebuilt binaries in
 * its npm package): XSalsa20-Poly1305 and SipHash-2-4 in C, sealing in place.
 * Returns null when the native module cannot load, so the caller falls back
 * to the pure-JS backend from src/shared.
 */
export function loadSodiumBackend(): CompleteObfs4CryptoBackend | null {
  let sodium: Sodium;
  try {
    sodium = createRequire(import.meta.url)("sodium-native") as Sodium;
  } catch {
    return null;
  }
  const sealInto = (out: Uint8Array, msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): void => {
    checkSecretboxArgs(nonce, key);
    if (out.length !== msg.length + SECRETBOX_OVERHEAD) throw new RangeError("secretbox output length mismatch");
    sodium.crypto_secretbox_easy(out, msg, nonce, key);
  };
  const openInto = (out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean => {
    checkSecretboxArgs(nonce, key);
    if (boxed.length < SECRETBOX_OVERHEAD || out.length !== boxed.length - SECRETBOX_OVERHEAD) return false;
    return sodium.crypto_secretbox_open_easy(out, boxed, nonce, key);
  };
  return {
    name: "sodium-native",
    secretboxSealInto: sealInto,
    secretboxOpenInto: openInto,
    secretboxSeal(msg, nonce, key) {
      const out = new Uint8Array(msg.length + SECRETBOX_OVERHEAD);
      sealInto(out, msg, nonce, key);
      return out;
    },
    secretboxOpen(boxed, nonce, key) {
      if (boxed.length < SECRETBOX_OVERHEAD) return null;
      const out = new Uint8Array(boxed.length - SECRETBOX_OVERHEAD);
      return openInto(out, boxed, nonce, key) ? out : null;
    },
    sipHash24(key, data) {
      const out = new Uint8Array(SIPHASH_OUTPUT_LENGTH);
      sodium.crypto_shorthash(out, data, key);
      return out;
    },
  };
}
