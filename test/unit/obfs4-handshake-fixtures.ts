/**
 * Shared fixtures for the obfs4 handshake tests: the recorded vectors under test/vectors/obfs4-*, a deterministic
 * random source (the one the transcripts were recorded with), and independent re-computations with node:crypto
 * and @noble/ciphers so that tests do not check our code against itself.
 */
import { createHash, createHmac, createPrivateKey, createPublicKey, diffieHellman, hkdfSync } from "node:crypto";
import { readFileSync } from "node:fs";
import { xsalsa20poly1305 } from "@noble/ciphers/salsa.js";

export function vectorText(name: string): string {
  return readFileSync(new URL(`../vectors/${name}`, import.meta.url), "utf8");
}

export function vectorJson<T>(name: string): T {
  return JSON.parse(vectorText(name)) as T;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "hex"));
export const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, "latin1"));

/** SHA-256(seed + "/" + 0) | SHA-256(seed + "/" + 1) | … consumed in order (how the transcripts were recorded). */
export function detRng(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    const out = new Uint8Array(n);
    let off = 0;
    while (off < n) {
      if (pool.length === 0) pool = createHash("sha256").update(`${seed}/${counter++}`).digest();
      const take = Math.min(pool.length, n - off);
      out.set(pool.subarray(0, take), off);
      pool = pool.subarray(take);
      off += take;
    }
    return out;
  };
}

/** HMAC-SHA256 by node:crypto. */
export function nodeHmac(key: Uint8Array | string, ...parts: (Uint8Array | string)[]): Uint8Array {
  const h = createHmac("sha256", key);
  for (const p of parts) h.update(p);
  return h.digest();
}

export function nodeSha512(data: Uint8Array): Uint8Array {
  return createHash("sha512").update(data).digest();
}

/** HKDF-SHA256 by node:crypto. */
export function nodeHkdf(ikm: Uint8Array, salt: string, info: string, length: number): Uint8Array {
  return new Uint8Array(hkdfSync("sha256", ikm, salt, info, length));
}

const b64url = (b: Uint8Array): string => Buffer.from(b).toString("base64url");

/** X25519 by node:crypto (OpenSSL); null when OpenSSL refuses (an all-zero result). */
export function nodeX25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  const pub = createPublicKey({ key: { kty: "OKP", crv: "X25519", x: b64url(publicKey) }, format: "jwk" });
  // OpenSSL derives x itself from d; the x given here only has to be well-formed.
  const priv = createPrivateKey({
    key: { kty: "OKP", crv: "X25519", d: b64url(privateKey), x: b64url(publicKey) },
    format: "jwk",
  });
  try {
    return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: pub }));
  } catch {
    return null;
  }
}

/**
 * Opens one obfs4 frame body (tag | ciphertext) with a 72-byte framing key block (secretbox key 32 | nonce prefix
 * 16 | SipHash key 16 | IV 8) and the frame counter: an independent check of which key bytes a direction uses.
 */
export function openFrame(keys72: Uint8Array, counter: number, box: Uint8Array): Uint8Array | null {
  const nonce = new Uint8Array(24);
  nonce.set(keys72.subarray(32, 48), 0);
  new DataView(nonce.buffer).setBigUint64(16, BigInt(counter));
  try {
    return xsalsa20poly1305(keys72.subarray(0, 32), nonce).decrypt(box);
  } catch {
    return null;
  }
}

export interface ServerTranscript {
  nowMs: number;
  rngSeed: string;
  request: string;
  response: string;
}

export interface ClientTranscript {
  nowMs: number;
  identityRngSeed: string;
  serverRngSeed: string;
  stateJson: string;
  request: string;
  response: string;
  firstClientFrame: string;
  payload: string;
}

export interface InteropTranscripts {
  obfs4proxySmethod: string;
  obfs4proxyServer: ServerTranscript[];
  obfs4proxyClient: ClientTranscript[];
}

export const transcripts = (): InteropTranscripts => vectorJson<InteropTranscripts>("obfs4-interop-transcripts.json");
