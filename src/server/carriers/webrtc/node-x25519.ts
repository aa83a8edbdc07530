/**
 * X25519 through Node's crypto (OpenSSL) for the signaling envelope's server
 * side: opening an offer costs one X25519 with the bridge's private key, and
 * every probe of the signaling endpoint with a body of the right size makes
 * the server pay it. OpenSSL does it in ~0.05 ms where @noble/curves takes
 * ~1.5 ms, which bounds what a flood of random bodies can cost. Behaviour
 * matches RFC 7748 §5 (scalar clamped, top bit of u masked); a result of all
 * zeros (a low-order u) makes OpenSSL throw, which the envelope treats as a
 * bad seal, as it does noble's refusal.
 */
import { createPrivateKey, createPublicKey, diffieHellman, type KeyObject } from "node:crypto";
import type { X25519Function } from "../../../shared/codec/signaling/index.js";

/** DER prefixes of RFC 8410 PKCS#8 and SPKI structures for an X25519 key (OID 1.3.101.110); the key follows. */
const PKCS8_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");
const SPKI_PREFIX = Buffer.from("302a300506032b656e032100", "hex");

function privateKeyObject(privateKey: Uint8Array): KeyObject {
  return createPrivateKey({ key: Buffer.concat([PKCS8_PREFIX, privateKey]), format: "der", type: "pkcs8" });
}

/**
 * An X25519Function for one private key (the bridge identity's), with its
 * KeyObject made once. Called with any other private key it falls back to a
 * one-off KeyObject, so it is correct for every input.
 */
export function nodeX25519For(privateKey: Uint8Array): X25519Function {
  const own = Buffer.from(privateKey);
  const ownKey = privateKeyObject(own);
  return (priv, pub) => {
    const key =
      Buffer.compare(Buffer.from(priv.buffer, priv.byteOffset, priv.byteLength), own) === 0
        ? ownKey
        : privateKeyObject(priv);
    const publicKey = createPublicKey({ key: Buffer.concat([SPKI_PREFIX, pub]), format: "der", type: "spki" });
    return new Uint8Array(diffieHellman({ privateKey: key, publicKey }));
  };
}
