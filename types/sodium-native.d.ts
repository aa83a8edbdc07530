// The few sodium-native functions webpt uses (the package ships no types).
declare module "sodium-native" {
  export function crypto_secretbox_easy(c: Uint8Array, m: Uint8Array, n: Uint8Array, k: Uint8Array): void;
  export function crypto_secretbox_open_easy(m: Uint8Array, c: Uint8Array, n: Uint8Array, k: Uint8Array): boolean;
  export function crypto_shorthash(out: Uint8Array, input: Uint8Array, k: Uint8Array): void;
}
