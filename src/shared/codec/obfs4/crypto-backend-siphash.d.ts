// Minimal typings for jedisct1's `siphash` npm package (CommonJS, ships no
// types). Only the one-shot SipHash-2-4 entry point is used, by
// crypto-backend-js.ts. The key is four 32-bit words: the 16 key bytes read
// as little-endian uint32s (word 0 = bytes 0..3), which is how the package's
// own `string16_to_key` builds it. The result is the 64-bit hash split into
// its high (`h`) and low (`l`) 32-bit halves.
declare module "siphash" {
  interface SipHashResult {
    h: number;
    l: number;
  }
  interface SipHashModule {
    hash(key: Uint32Array, message: Uint8Array): SipHashResult;
  }
  const SipHash: SipHashModule;
  export = SipHash;
}
