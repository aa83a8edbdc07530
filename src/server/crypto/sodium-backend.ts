import { createRequire } from "node:module";
import type * as SodiumNative from "sodium-native";
import {
  SECRETBOX_OVERHEAD,
  SIPHASH_OUTPUT_LENGTH,
  checkSecretboxArgs,
  type CompleteObfs4CryptoBackend,
} from "../../shared/codec/obfs4/crypto-backend.js";

type Sodium = typeof SodiumNative;

/** The two per-frame calls, as both sodium-native's wrapper and its raw binding export them. */
interface SecretboxCalls {
  crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): unknown;
  crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
}

/**
 * sodium-native's exported functions are JS wrappers that re-check every
 * argument (ArrayBuffer.isView and lengths read off a dictionary-mode
 * object) before calling the native binding: ~100 ns per call, 5% of a
 * 1430-byte frame's seal. We check the same lengths ourselves before every
 * call (the binding must never see a short buffer), so the frame path calls
 * the binding directly when the package exposes it (`binding.js`, shipped in
 * its files list), and the public wrapper otherwise.
 */
function secretboxCalls(require: NodeJS.Require, sodium: Sodium): SecretboxCalls {
  try {
    const raw = require("sodium-native/binding.js") as Partial<SecretboxCalls> | null;
    if (typeof raw?.crypto_secretbox_easy === "function" && typeof raw.crypto_secretbox_open_easy === "function") {
      return raw as SecretboxCalls;
    }
  } catch {
    // A future layout without binding.js: the wrapper is correct, only slower.
  }
  return sodium;
}

/**
 * obfs4's primitives from libsodium (sodium-native ships prebuilt binaries in
 * its npm package): XSalsa20-Poly1305 and SipHash-2-4 in C, sealing in place.
 * Returns null when the native module cannot load, so the caller falls back
 * to the pure-JS backend from src/shared.
 */
export function loadSodiumBackend(): CompleteObfs4CryptoBackend | null {
  const require = createRequire(import.meta.url);
  let sodium: Sodium;
  try {
    sodium = require("sodium-native") as Sodium;
  } catch {
    return null;
  }
  // Held as locals: property loads on the binding's exports (a dictionary-mode object of ~1000 entries) are slow.
  const { crypto_secretbox_easy: seal, crypto_secretbox_open_easy: open } = secretboxCalls(require, sodium);
  const sealInto = (out: Uint8Array, msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): void => {
    checkSecretboxArgs(nonce, key);
    if (!(out instanceof Uint8Array) || !(msg instanceof Uint8Array)) throw new TypeError("secretbox buffers");
    if (out.length !== msg.length + SECRETBOX_OVERHEAD) throw new RangeError("secretbox output length mismatch");
    // The binding returns libsodium's status (0), the wrapper undefined (it throws itself).
    const status = seal(out, msg, nonce, key);
    if (status !== 0 && status !== undefined) throw new Error(`crypto_secretbox_easy failed: ${String(status)}`);
  };
  const openInto = (out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean => {
    checkSecretboxArgs(nonce, key);
    if (!(out instanceof Uint8Array) || !(boxed instanceof Uint8Array)) throw new TypeError("secretbox buffers");
    if (boxed.length < SECRETBOX_OVERHEAD || out.length !== boxed.length - SECRETBOX_OVERHEAD) return false;
    return open(out, boxed, nonce, key);
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
    // Framing writes every byte it hands out of these (see the interface), so skip the zeroing.
    allocate: (length) => Buffer.allocUnsafeSlow(length),
    sipHash24(key, data) {
      const out = new Uint8Array(SIPHASH_OUTPUT_LENGTH);
      sodium.crypto_shorthash(out, data, key);
      return out;
    },
  };
}
