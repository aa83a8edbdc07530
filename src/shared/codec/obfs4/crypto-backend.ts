/**
 * The primitives obfs4 framing needs, behind a small injected interface
 * (STYLE principle 2: platform services come in through an interface). The
 * browser and the default Node build use the pure-JS backend in
 * crypto-backend-js.ts; the Node server may inject a libsodium one
 * (`crypto_secretbox_easy` / `crypto_secretbox_open_easy` /
 * `crypto_shorthash`), which has exactly these semantics. Any backend must
 * pass test/helpers/obfs4-backend-compliance.ts.
 *
 * obfs4-spec.txt §5: frames are NaCl `crypto_secretbox_xsalsa20poly1305`
 * boxes; lengths are masked with SipHash-2-4 output.
 */

/** NaCl secretbox key length (`crypto_secretbox_KEYBYTES`). */
export const SECRETBOX_KEY_LENGTH = 32;
/** NaCl secretbox nonce length (`crypto_secretbox_NONCEBYTES`). */
export const SECRETBOX_NONCE_LENGTH = 24;
/** Poly1305 tag length prepended to every box (`crypto_secretbox_MACBYTES`). */
export const SECRETBOX_OVERHEAD = 16;
/** SipHash-2-4 key length (`crypto_shorthash_KEYBYTES`). */
export const SIPHASH_KEY_LENGTH = 16;
/** SipHash-2-4 output length (`crypto_shorthash_BYTES`). */
export const SIPHASH_OUTPUT_LENGTH = 8;

export interface Obfs4CryptoBackend {
  /** A short label for logs and benchmarks ("js", "sodium-native", ...). */
  readonly name: string;

  /**
   * `crypto_secretbox_easy`: returns tag (16 bytes) || ciphertext, a new
   * array of `msg.length + 16` bytes.
   */
  secretboxSeal(msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array;

  /**
   * `crypto_secretbox_open_easy`: returns the plaintext (a new array of
   * `boxed.length - 16` bytes), or null if the tag does not verify or the box
   * is shorter than a tag. Never throws on bad input bytes.
   */
  secretboxOpen(boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): Uint8Array | null;

  /**
   * SipHash-2-4 of `data` under a 16-byte key: the 64-bit result as 8
   * little-endian bytes (the reference implementation's and libsodium's
   * `crypto_shorthash` byte order).
   */
  sipHash24(key: Uint8Array, data: Uint8Array): Uint8Array;

  /**
   * Optional copy-light form of secretboxSeal: writes tag || ciphertext into
   * `out`, which is exactly `msg.length + 16` bytes. `msg` may be the view
   * `out.subarray(16)` (in-place sealing, as libsodium allows) but must not
   * overlap `out` in any other way.
   */
  secretboxSealInto?(out: Uint8Array, msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): void;

  /**
   * Optional copy-light form of secretboxOpen: writes the plaintext into
   * `out` (exactly `boxed.length - 16` bytes, not overlapping `boxed`) and
   * returns true, or returns false (contents of `out` unspecified) when the
   * tag does not verify.
   */
  secretboxOpenInto?(out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean;

  /**
   * Optional platform allocator for the framing layer's output buffers (one
   * per decoded chunk, one per shaped write): `length` bytes whose initial
   * contents do not matter, because framing writes every byte it hands out
   * before handing it out. Default `new Uint8Array(length)`, which zeroes
   * first; Node can skip that (Buffer.allocUnsafeSlow), worth ~3% of a PT
   * process's CPU at 64 KiB per buffer. The bytes of the underlying
   * ArrayBuffer outside the returned views are never written and may hold
   * stale process memory, as Node's own unsafe Buffers do.
   */
  allocate?(length: number): Uint8Array;
}

/** A backend with the optional methods present (filled in by {@link completeBackend}). */
export type CompleteObfs4CryptoBackend = Obfs4CryptoBackend &
  Required<Pick<Obfs4CryptoBackend, "secretboxSealInto" | "secretboxOpenInto" | "allocate">>;

/** The default allocator: zeroed, like any fresh typed array. */
export function allocateZeroed(length: number): Uint8Array {
  return new Uint8Array(length);
}

/**
 * Returns a backend whose `…Into` methods and allocator exist: the
 * backend's own when it has them, else ones built on the allocating forms
 * (one extra copy) and `new Uint8Array`. Done once per framer so the
 * per-frame path has no feature tests.
 */
export function completeBackend(backend: Obfs4CryptoBackend): CompleteObfs4CryptoBackend {
  const sealInto =
    backend.secretboxSealInto?.bind(backend) ??
    ((out: Uint8Array, msg: Uint8Array, nonce: Uint8Array, key: Uint8Array): void => {
      out.set(backend.secretboxSeal(msg, nonce, key));
    });
  const openInto =
    backend.secretboxOpenInto?.bind(backend) ??
    ((out: Uint8Array, boxed: Uint8Array, nonce: Uint8Array, key: Uint8Array): boolean => {
      const plain = backend.secretboxOpen(boxed, nonce, key);
      if (plain === null) return false;
      out.set(plain);
      return true;
    });
  return {
    name: backend.name,
    secretboxSeal: backend.secretboxSeal.bind(backend),
    secretboxOpen: backend.secretboxOpen.bind(backend),
    sipHash24: backend.sipHash24.bind(backend),
    secretboxSealInto: sealInto,
    secretboxOpenInto: openInto,
    allocate: backend.allocate?.bind(backend) ?? allocateZeroed,
  };
}

/** Argument checks shared by backends: programmer errors, so TypeError/RangeError. */
export function checkSecretboxArgs(nonce: Uint8Array, key: Uint8Array): void {
  if (!(nonce instanceof Uint8Array) || !(key instanceof Uint8Array)) {
    throw new TypeError("secretbox nonce and key must be Uint8Arrays");
  }
  if (nonce.length !== SECRETBOX_NONCE_LENGTH) {
    throw new RangeError(`secretbox nonce must be ${SECRETBOX_NONCE_LENGTH} bytes, got ${nonce.length}`);
  }
  if (key.length !== SECRETBOX_KEY_LENGTH) {
    throw new RangeError(`secretbox key must be ${SECRETBOX_KEY_LENGTH} bytes, got ${key.length}`);
  }
}
