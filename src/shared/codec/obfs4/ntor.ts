/**
 * The ntor handshake (tor proposal 216) exactly as obfs4proxy's `common/ntor` computes it, which differs from the
 * proposal in three ways that matter on the wire (obfs4 spec §4 only says "the ntor handshake"):
 *
 * - t_verify is PROTOID | ":key_verify" (the proposal says ":verify").
 * - secret_input = EXP(·,·) | EXP(·,·) | B | B | X | Y | PROTOID | ID: the server identity key B is written twice
 *   and ID comes last (obfs4proxy builds a shared suffix from a buffer that already holds B).
 * - auth_input = verify | B | B | X | Y | PROTOID | ID | "Server" (the same suffix; X before Y).
 *
 * KEY_SEED = HMAC-SHA256(key = t_key, secret_input) and AUTH = HMAC-SHA256(key = t_mac, auth_input). Key material is
 * then HKDF(KEY_SEED) — see kdf.ts. Keys here are X25519 u-coordinates; X and Y are the (dirty) public keys exactly
 * as derived from the representatives on the wire.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { hmac } from "@noble/hashes/hmac.js";
import { sha256, sha512 } from "@noble/hashes/sha2.js";
import { randomBytes } from "@noble/hashes/utils.js";
import { concatBytes, constantTimeEqual, utf8Encode } from "../../bytes/index.js";
import { PRIVATE_KEY_LENGTH, PUBLIC_KEY_LENGTH, elligatorScalarBaseMult } from "./elligator2.js";
import { Obfs4HandshakeError } from "./handshake-errors.js";

/** Length of an obfs4 Node ID (obfs4 spec §4 NODEID). */
export const NODE_ID_LENGTH = 20;
/** Length of KEY_SEED (SHA-256 output). */
export const KEY_SEED_LENGTH = 32;
/** Length of the ntor AUTH tag (obfs4 spec §4 AuthLength). */
export const AUTH_LENGTH = 32;

/** PROTOID and the HMAC keys ("tweaks") of proposal 216 as obfs4proxy spells them. */
export const NTOR_PROTOID = "ntor-curve25519-sha256-1";
export const NTOR_T_MAC = `${NTOR_PROTOID}:mac`;
export const NTOR_T_KEY = `${NTOR_PROTOID}:key_extract`;
export const NTOR_T_VERIFY = `${NTOR_PROTOID}:key_verify`;
export const NTOR_M_EXPAND = `${NTOR_PROTOID}:key_expand`;

const PROTOID_BYTES = utf8Encode(NTOR_PROTOID);
const T_MAC = utf8Encode(NTOR_T_MAC);
const T_KEY = utf8Encode(NTOR_T_KEY);
const T_VERIFY = utf8Encode(NTOR_T_VERIFY);
const SERVER_STRING = utf8Encode("Server");

/** Fills a buffer with cryptographically secure random bytes; injectable so tests can be deterministic. */
export type RandomSource = (length: number) => Uint8Array;

/** The default random source: the platform CSPRNG (crypto.getRandomValues) through @noble/hashes. */
export const defaultRandomSource: RandomSource = (length) => randomBytes(length);

/** A Curve25519 keypair (u-coordinate public key). */
export interface Keypair {
  readonly privateKey: Uint8Array;
  readonly publicKey: Uint8Array;
}

/** An ephemeral keypair whose (dirty) public key has an Elligator 2 representative. */
export interface RepresentableKeypair extends Keypair {
  readonly representative: Uint8Array;
}

/** What both sides derive: KEY_SEED (fed to the KDF) and AUTH (sent by the server, checked by the client). */
export interface NtorResult {
  readonly keySeed: Uint8Array;
  readonly auth: Uint8Array;
}

/** obfs4proxy runs the CSPRNG output through SHA-512 and keeps the first 32 bytes, unclamped (ntor.NewKeypair). */
function privateKeyFromRandom(rng: RandomSource): { privateKey: Uint8Array; digest: Uint8Array } {
  const raw = rng(PRIVATE_KEY_LENGTH);
  if (raw.length !== PRIVATE_KEY_LENGTH) throw new RangeError(`random source returned ${raw.length} bytes`);
  const digest = sha512(raw);
  return { privateKey: digest.slice(0, PRIVATE_KEY_LENGTH), digest };
}

/**
 * A new ephemeral keypair with a representative (ntor.NewKeypair(true)): private key = SHA-512(random)[0:32],
 * tweak = SHA-512(random)[63]; retried until the dirty public key is representable (about two tries on average).
 */
export function generateRepresentableKeypair(rng: RandomSource = defaultRandomSource): RepresentableKeypair {
  for (;;) {
    const { privateKey, digest } = privateKeyFromRandom(rng);
    const kp = elligatorScalarBaseMult(privateKey, digest[63]!);
    if (kp !== null) return { privateKey, publicKey: kp.publicKey, representative: kp.representative };
  }
}

/** A new long-term identity keypair (ntor.NewKeypair(false)): a clean X25519 key, as written to obfs4_state.json. */
export function generateKeypair(rng: RandomSource = defaultRandomSource): Keypair {
  return keypairFromPrivateKey(privateKeyFromRandom(rng).privateKey);
}

/** The clean X25519 public key of a private key (ntor.KeypairFromHex): what the state file's private-key yields. */
export function keypairFromPrivateKey(privateKey: Uint8Array): Keypair {
  checkKey("privateKey", privateKey);
  return { privateKey: new Uint8Array(privateKey), publicKey: x25519.getPublicKey(privateKey) };
}

function checkKey(name: string, key: Uint8Array): void {
  if (!(key instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (key.length !== PUBLIC_KEY_LENGTH) throw new RangeError(`${name} must be 32 bytes, got ${key.length}`);
}

function checkNodeId(nodeId: Uint8Array): void {
  if (!(nodeId instanceof Uint8Array)) throw new TypeError("nodeId must be a Uint8Array");
  if (nodeId.length !== NODE_ID_LENGTH) throw new RangeError(`nodeId must be 20 bytes, got ${nodeId.length}`);
}

/**
 * X25519 that reports a low-order peer key instead of throwing: obfs4proxy checks each EXP() for the all-zero
 * output (proposal 216: "none of the EXP() operations produced the point at infinity"); noble rejects exactly the
 * inputs that would produce it, before running the ladder.
 */
function exp(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array | null {
  try {
    return x25519.scalarMult(privateKey, publicKey);
  } catch {
    return null;
  }
}

function ntorCommon(
  exp1: Uint8Array | null,
  exp2: Uint8Array | null,
  nodeId: Uint8Array,
  identityPublicKey: Uint8Array,
  clientPublicKey: Uint8Array,
  serverPublicKey: Uint8Array,
): NtorResult {
  if (exp1 === null || exp2 === null) {
    throw new Obfs4HandshakeError("ERR_OBFS4_NTOR_FAILED", "ntor: a Diffie-Hellman result was the point at infinity");
  }
  const suffix = concatBytes(
    identityPublicKey,
    identityPublicKey,
    clientPublicKey,
    serverPublicKey,
    PROTOID_BYTES,
    nodeId,
  );
  const secretInput = concatBytes(exp1, exp2, suffix);
  const keySeed = hmac(sha256, T_KEY, secretInput);
  const verify = hmac(sha256, T_VERIFY, secretInput);
  const auth = hmac(sha256, T_MAC, concatBytes(verify, suffix, SERVER_STRING));
  return { keySeed, auth };
}

/**
 * Client side: EXP(Y, x) | EXP(B, x). `clientKeypair.publicKey` must be the public key whose representative was sent
 * (the dirty one); `serverPublicKey` is Y as decoded from the server's representative.
 * Throws Obfs4HandshakeError(ERR_OBFS4_NTOR_FAILED) when a DH output would be zero.
 */
export function ntorClient(args: {
  clientKeypair: Keypair;
  serverPublicKey: Uint8Array;
  identityPublicKey: Uint8Array;
  nodeId: Uint8Array;
}): NtorResult {
  const { clientKeypair, serverPublicKey, identityPublicKey, nodeId } = args;
  checkKey("clientKeypair.privateKey", clientKeypair.privateKey);
  checkKey("clientKeypair.publicKey", clientKeypair.publicKey);
  checkKey("serverPublicKey", serverPublicKey);
  checkKey("identityPublicKey", identityPublicKey);
  checkNodeId(nodeId);
  const exp1 = exp(clientKeypair.privateKey, serverPublicKey);
  const exp2 = exp(clientKeypair.privateKey, identityPublicKey);
  return ntorCommon(exp1, exp2, nodeId, identityPublicKey, clientKeypair.publicKey, serverPublicKey);
}

/**
 * Server side: EXP(X, y) | EXP(X, b). `clientPublicKey` is X as decoded from the client's representative.
 * Throws Obfs4HandshakeError(ERR_OBFS4_NTOR_FAILED) when a DH output would be zero.
 */
export function ntorServer(args: {
  clientPublicKey: Uint8Array;
  serverKeypair: Keypair;
  identityKeypair: Keypair;
  nodeId: Uint8Array;
}): NtorResult {
  const { clientPublicKey, serverKeypair, identityKeypair, nodeId } = args;
  checkKey("clientPublicKey", clientPublicKey);
  checkKey("serverKeypair.privateKey", serverKeypair.privateKey);
  checkKey("serverKeypair.publicKey", serverKeypair.publicKey);
  checkKey("identityKeypair.privateKey", identityKeypair.privateKey);
  checkKey("identityKeypair.publicKey", identityKeypair.publicKey);
  checkNodeId(nodeId);
  const exp1 = exp(serverKeypair.privateKey, clientPublicKey);
  const exp2 = exp(identityKeypair.privateKey, clientPublicKey);
  return ntorCommon(exp1, exp2, nodeId, identityKeypair.publicKey, clientPublicKey, serverKeypair.publicKey);
}

/** Constant-time AUTH comparison (ntor.CompareAuth). */
export function authEqual(a: Uint8Array, b: Uint8Array): boolean {
  return constantTimeEqual(a, b);
}
