/**
 * Elligator 2 for Curve25519 as obfs4proxy >= 0.0.12 uses it (its `internal/x25519ell2`, itself derived from
 * Monocypher): obfs4 spec §4 sends every ephemeral public key as a 32-byte "representative" that looks like
 * uniform random bytes.
 *
 * - The forward map (representative → public key) is the standard Elligator 2 map with the non-square 2. The top
 *   two bits of the representative are random padding and are cleared before decoding (x25519ell2
 *   `RepresentativeToPublicKey`).
 * - Key generation uses a "dirty" public key: the clean X25519 point plus a low-order point chosen by the low three
 *   bits of the private key. Without it every public key would lie in the prime-order subgroup and the
 *   representatives would be distinguishable from random. ECDH with a clamped scalar (a multiple of 8) kills the
 *   low-order part, so the dirty key agrees with the clean one.
 * - The inverse map takes a tweak byte: bit 0 picks which of the two preimages is sent, bits 6–7 are copied into
 *   the representative's unused top bits.
 *
 * All field arithmetic is @noble/curves' (ed25519.Point.Fp); nothing here re-implements it. Like the rest of noble's
 * bigint code this is not constant-time; obfs4proxy (Go, constant-time) has the same rejection-sampling timing
 * leak that it hides by generating keys before reading from the peer, and so do our handshakes.
 */
import type { EdwardsPoint } from "@noble/curves/abstract/edwards.js";
import { FpLegendre } from "@noble/curves/abstract/modular.js";
import { ed25519 } from "@noble/curves/ed25519.js";
import { bytesToNumberLE, numberToBytesLE } from "@noble/curves/utils.js";

/** Length of an Elligator 2 representative on the wire (obfs4 spec §4 RepresentativeLength). */
export const REPRESENTATIVE_LENGTH = 32;
/** Length of a Curve25519 public key (little-endian u-coordinate). */
export const PUBLIC_KEY_LENGTH = 32;
/** Length of a Curve25519 private key. */
export const PRIVATE_KEY_LENGTH = 32;

const Point = ed25519.Point;
const Fp = Point.Fp;
const P = Fp.ORDER;
const HALF_P = (P - 1n) / 2n;
/** Montgomery A for Curve25519 (RFC 7748 §4.1). */
const MONTGOMERY_A = 486662n;

/**
 * An Edwards point of order 8 (x25519ell2 `feLopX`/`feLopY`: x = sqrt((sqrt(d+1)+1)/d), y = -x·sqrt(-1)); the
 * unit tests re-derive it. x25519ell2 picks the low-order component as a constant-time table lookup on bits 0–2 of
 * the private key; that table is exactly [k]·LOP for k = 0…7 (checked in the unit tests), so it is built here by
 * multiplication.
 */
const LOP_X = feFromHexLE("4ad145c54646a1de38e2e513703c195cbb4ade38329933e9284a3906a0b9d51f");
const LOP_Y = feFromHexLE("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05");
const LOW_ORDER_POINTS: readonly EdwardsPoint[] = (() => {
  const lop = Point.fromAffine({ x: LOP_X, y: LOP_Y });
  const out: EdwardsPoint[] = [Point.ZERO];
  for (let k = 1n; k < 8n; k++) out.push(lop.multiplyUnsafe(k));
  return out;
})();

function feFromHexLE(hex: string): bigint {
  let x = 0n;
  for (let i = hex.length - 2; i >= 0; i -= 2) x = (x << 8n) | BigInt(parseInt(hex.slice(i, i + 2), 16));
  return x;
}

function checkLength(name: string, b: Uint8Array, length: number): void {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${name} must be a Uint8Array`);
  if (b.length !== length) throw new RangeError(`${name} must be ${length} bytes, got ${b.length}`);
}

function encodeFe(x: bigint): Uint8Array {
  return numberToBytesLE(x, 32);
}

/** Legendre symbol of x: 1 for a non-zero square, -1 for a non-square, 0 for zero. */
function legendre(x: bigint): -1 | 0 | 1 {
  return FpLegendre(Fp, x);
}

/**
 * The Elligator 2 forward map (x25519ell2 `RepresentativeToPublicKey`): the top two bits are padding and are
 * ignored; the remaining 254 bits are the field element r, which is always canonical (< p).
 *   w = -A / (1 + 2r²);  u = w if w³ + Aw² + w is a square (or zero), else u = -w - A.
 * Every 32-byte string maps to some public key, so this never fails.
 */
export function representativeToPublicKey(representative: Uint8Array): Uint8Array {
  checkLength("representative", representative, REPRESENTATIVE_LENGTH);
  const clamped = new Uint8Array(representative); // a copy even for a Node Buffer, whose slice() is a view
  clamped[31] = clamped[31]! & 0x3f;
  const r = bytesToNumberLE(clamped);
  // 1 + 2r² is never zero: -1/2 is not a square mod p (p ≡ 5 mod 8).
  const w = Fp.neg(Fp.div(MONTGOMERY_A, Fp.add(Fp.ONE, Fp.mul(Fp.sqr(r), 2n))));
  const curve = Fp.mul(w, Fp.add(Fp.add(Fp.sqr(w), Fp.mul(w, MONTGOMERY_A)), Fp.ONE));
  const u = legendre(curve) === -1 ? Fp.sub(Fp.neg(w), MONTGOMERY_A) : w;
  return encodeFe(u);
}

/**
 * The Elligator 2 inverse map (x25519ell2 `uToRepresentative`): returns null when u has no representative (about
 * half of all points), otherwise r with r² = -t/(2·t') where (t, t') = (u, u+A) or (u+A, u) by tweak bit 0, taking
 * the root in [0, (p-1)/2] so that it fits in 254 bits, then ORs tweak bits 6–7 into the top of the last byte.
 * Like x25519ell2 (and unlike Monocypher) u = 0 and u = -A are treated as unrepresentable. `publicKey` must be a
 * point of the curve (as every output of dirtyScalarBaseMult is); for a point of the twist the result is meaningless.
 */
export function publicKeyToRepresentative(publicKey: Uint8Array, tweak: number): Uint8Array | null {
  checkLength("publicKey", publicKey, PUBLIC_KEY_LENGTH);
  const masked = new Uint8Array(publicKey);
  masked[31] = masked[31]! & 0x7f;
  const u = Fp.create(bytesToNumberLE(masked));
  const uPlusA = Fp.add(u, MONTGOMERY_A);
  const denominator = Fp.mul(Fp.mul(u, uPlusA), Fp.neg(2n));
  if (legendre(denominator) !== 1) return null;
  const top = (tweak & 1) === 1 ? uPlusA : u;
  let r = Fp.sqrt(Fp.div(Fp.sqr(top), denominator));
  if (r > HALF_P) r = Fp.neg(r);
  const out = encodeFe(r);
  out[31] = out[31]! | (tweak & 0xc0);
  return out;
}

/**
 * The "dirty" X25519 base-point multiplication (x25519ell2 `scalarBaseMultDirty`): [clamp(sk)]·B plus the
 * low-order point [sk[0] & 7]·LOP, returned as the Montgomery u-coordinate (1 + y)/(1 - y). The result differs
 * from x25519.getPublicKey(sk) but gives the same shared secret with any clamped peer scalar.
 */
export function dirtyScalarBaseMult(privateKey: Uint8Array): Uint8Array {
  checkLength("privateKey", privateKey, PRIVATE_KEY_LENGTH);
  const clamped = new Uint8Array(privateKey);
  clamped[0] = clamped[0]! & 248;
  clamped[31] = (clamped[31]! & 127) | 64;
  const scalar = bytesToNumberLE(clamped) % Point.Fn.ORDER;
  const main = scalar === 0n ? Point.ZERO : Point.BASE.multiply(scalar);
  const dirty = main.add(LOW_ORDER_POINTS[privateKey[0]! & 7]!);
  const { y } = dirty.toAffine();
  const denominator = Fp.sub(Fp.ONE, y);
  // x25519ell2 inverts with Invert(0) = 0, so the identity maps to u = 0; unreachable for real keys.
  const u = Fp.is0(denominator) ? 0n : Fp.div(Fp.add(Fp.ONE, y), denominator);
  return encodeFe(u);
}

/** A public key together with its representative. */
export interface RepresentablePublicKey {
  readonly publicKey: Uint8Array;
  readonly representative: Uint8Array;
}

/**
 * x25519ell2 `ScalarBaseMult`: the dirty public key of `privateKey` and its representative under `tweak`, or
 * null when that public key has no representative (about half of all private keys).
 */
export function elligatorScalarBaseMult(privateKey: Uint8Array, tweak: number): RepresentablePublicKey | null {
  const publicKey = dirtyScalarBaseMult(privateKey);
  const representative = publicKeyToRepresentative(publicKey, tweak);
  return representative === null ? null : { publicKey, representative };
}

/** Exposed for tests: the [k]·LOP table in affine coordinates. */
export function lowOrderPointAffine(k: number): { x: bigint; y: bigint } {
  const p = LOW_ORDER_POINTS[k & 7]!;
  return p.toAffine();
}
