import { jsCryptoBackend, type Obfs4CryptoBackend } from "../../shared/codec/obfs4/index.js";
import { loadSodiumBackend } from "./sodium-backend.js";

let cached: Obfs4CryptoBackend | undefined;

/** The fastest obfs4 crypto backend this Node can load: sodium-native, else the shared pure-JS one. */
export function nodeCryptoBackend(): Obfs4CryptoBackend {
  cached ??= loadSodiumBackend() ?? jsCryptoBackend;
  return cached;
}
