import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  elligatorScalarBaseMult,
  publicKeyToRepresentative,
  representativeToPublicKey,
} from "../../src/shared/codec/obfs4/elligator2.js";
import { fcParams } from "../helpers/fc.js";
import { hex, nodeX25519 } from "../unit/obfs4-handshake-fixtures.js";

const P = 2n ** 255n - 19n;
const A = 486662n;
const BASEPOINT = new Uint8Array(32);
BASEPOINT[0] = 9;
const leToBig = (b: Uint8Array): bigint => b.reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
function isSquare(x: bigint): boolean {
  // Euler's criterion by plain square-and-multiply (independent of the library under test).
  let r = 1n;
  let b = ((x % P) + P) % P;
  if (b === 0n) return true;
  for (let e = (P - 1n) / 2n; e > 0n; e >>= 1n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
  }
  return r === 1n;
}

const bytes32 = fc.uint8Array({ minLength: 32, maxLength: 32 });

describe("Elligator 2 properties", () => {
  it("generated keypairs: the representative maps back to the public key, and the dirty key agrees in ECDH", () => {
    fc.assert(
      fc.property(bytes32, fc.integer({ min: 0, max: 255 }), bytes32, (sk, tweak, peer) => {
        const kp = elligatorScalarBaseMult(sk, tweak);
        if (kp === null) return; // about half of all keys have no representative
        expect(hex(representativeToPublicKey(kp.representative))).toBe(hex(kp.publicKey));
        expect(kp.representative[31]! & 0xc0).toBe(tweak & 0xc0);
        const clean = nodeX25519(sk, BASEPOINT)!;
        expect(hex(nodeX25519(peer, kp.publicKey)!)).toBe(hex(nodeX25519(peer, clean)!));
      }),
      fcParams(200),
    );
  });

  it("the forward map sends any 32 bytes to a canonical point on the curve", () => {
    fc.assert(
      fc.property(bytes32, (r) => {
        const u = leToBig(representativeToPublicKey(r));
        expect(u < P).toBe(true);
        expect(isSquare(u * u * u + A * u * u + u)).toBe(true);
      }),
      fcParams(500),
    );
  });

  it("inverse then forward is the identity on representable points of the curve", () => {
    fc.assert(
      fc.property(bytes32, fc.integer({ min: 0, max: 255 }), (bytes, tweak) => {
        const u = leToBig(bytes.map((b, i) => (i === 31 ? b & 0x7f : b))) % P;
        if (!isSquare(u * u * u + A * u * u + u)) return; // on the twist: not a public key we would ever map
        const r = publicKeyToRepresentative(bytes, tweak);
        if (r === null) return;
        expect(leToBig(representativeToPublicKey(r))).toBe(u);
      }),
      fcParams(500),
    );
  });
});
