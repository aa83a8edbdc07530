import { ED25519_TORSION_SUBGROUP, ed25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it } from "vitest";
import {
  dirtyScalarBaseMult,
  elligatorScalarBaseMult,
  lowOrderPointAffine,
  publicKeyToRepresentative,
  representativeToPublicKey,
} from "../../src/shared/codec/obfs4/elligator2.js";
import { generateRepresentableKeypair } from "../../src/shared/codec/obfs4/ntor.js";
import { detRng, hex, nodeSha512, nodeX25519, unhex, vectorJson } from "./obfs4-handshake-fixtures.js";

interface ElligatorVectors {
  direct: { representative: string; publicKey: string }[];
  inverse: {
    publicKey: string;
    tweak: number;
    representable: boolean;
    representative: string | null;
    x25519ell2Differs?: boolean;
  }[];
}
interface GoKats {
  scalarBaseMult: {
    privateKey: string;
    tweak: number;
    representable: boolean;
    publicKey?: string;
    representative?: string;
  }[];
  representativeToPublicKey: { representative: string; publicKey: string }[];
}

const vectors = vectorJson<ElligatorVectors>("obfs4-elligator2-vectors.json");
const goKats = vectorJson<GoKats>("obfs4-x25519ell2-ntor-kats.json");

// Independent field helpers for the checks below (plain bigint, not the library under test).
const P = 2n ** 255n - 19n;
const A = 486662n;
const modp = (x: bigint): bigint => ((x % P) + P) % P;
function powmod(b: bigint, e: bigint): bigint {
  let r = 1n;
  b = modp(b);
  while (e > 0n) {
    if (e & 1n) r = (r * b) % P;
    b = (b * b) % P;
    e >>= 1n;
  }
  return r;
}
const leToBig = (b: Uint8Array): bigint => b.reduceRight((acc, v) => (acc << 8n) | BigInt(v), 0n);
const isSquare = (x: bigint): boolean => modp(x) === 0n || powmod(x, (P - 1n) / 2n) === 1n;

describe("representativeToPublicKey (Elligator 2 forward map)", () => {
  it.each(vectors.direct.map((v, i) => [i, v] as const))("Monocypher vector %i", (_i, v) => {
    expect(hex(representativeToPublicKey(unhex(v.representative)))).toBe(v.publicKey);
  });

  it.each(goKats.representativeToPublicKey.map((v, i) => [i, v] as const))(
    "matches obfs4proxy's x25519ell2 on random input %i (top bits set or not)",
    (_i, v) => {
      expect(hex(representativeToPublicKey(unhex(v.representative)))).toBe(v.publicKey);
    },
  );

  it("ignores the two padding bits and always lands on the curve (u³ + Au² + u is a square)", () => {
    const rng = detRng("forward-map");
    for (let i = 0; i < 32; i++) {
      const r = rng(32);
      const outs = [0x00, 0x40, 0x80, 0xc0].map((top) => {
        const v = r.slice();
        v[31] = (v[31]! & 0x3f) | top;
        return hex(representativeToPublicKey(v));
      });
      expect(new Set(outs).size).toBe(1);
      const u = leToBig(unhex(outs[0]!));
      expect(u < P).toBe(true);
      expect(isSquare(u * u * u + A * u * u + u)).toBe(true);
    }
  });

  it("does not modify its input", () => {
    const r = new Uint8Array(32).fill(0xff);
    representativeToPublicKey(r);
    expect(r.every((b) => b === 0xff)).toBe(true);
  });

  it.each([31, 33, 0])("rejects a %i-byte representative with RangeError", (n) => {
    expect(() => representativeToPublicKey(new Uint8Array(n))).toThrow(RangeError);
  });
});

describe("publicKeyToRepresentative (Elligator 2 inverse map)", () => {
  it.each(vectors.inverse.map((v, i) => [i, v] as const))("Monocypher vector %i", (_i, v) => {
    const got = publicKeyToRepresentative(unhex(v.publicKey), v.tweak);
    if (v.x25519ell2Differs === true) {
      // u = 0: Monocypher says r = 0; x25519ell2 (whose behaviour we follow) finds no representative.
      expect(got).toBeNull();
    } else if (v.representable) {
      expect(got === null ? null : hex(got)).toBe(v.representative);
    } else {
      expect(got).toBeNull();
    }
  });

  it("u = -A has no representative either (x25519ell2: -2u(u+A) = 0 is not a square)", () => {
    const minusA = new Uint8Array(32);
    let v = P - A;
    for (let i = 0; i < 32; i++, v >>= 8n) minusA[i] = Number(v & 0xffn);
    expect(publicKeyToRepresentative(minusA, 0)).toBeNull();
    expect(publicKeyToRepresentative(minusA, 1)).toBeNull();
  });

  it("puts tweak bits 6-7 in the top of the last byte and picks the root in [0, (p-1)/2]", () => {
    const pub = unhex("46951964003c940878063ccfd0348af42150ca16d2646f2c5856e8338377d800");
    for (const tweak of [0x00, 0x40, 0x80, 0xc0, 0x41, 0xff]) {
      const r = publicKeyToRepresentative(pub, tweak)!;
      expect(r[31]! & 0xc0).toBe(tweak & 0xc0);
      const masked = r.slice();
      masked[31] = masked[31]! & 0x3f;
      expect(leToBig(masked) <= (P - 1n) / 2n).toBe(true);
      expect(hex(representativeToPublicKey(r))).toBe(hex(pub));
    }
  });
});

describe("elligatorScalarBaseMult (x25519ell2.ScalarBaseMult)", () => {
  it.each(goKats.scalarBaseMult.map((v, i) => [i, v] as const))(
    "matches obfs4proxy's own output for key %i",
    (_i, v) => {
      const got = elligatorScalarBaseMult(unhex(v.privateKey), v.tweak);
      expect(got !== null).toBe(v.representable);
      if (got !== null) {
        expect(hex(got.publicKey)).toBe(v.publicKey);
        expect(hex(got.representative)).toBe(v.representative);
      }
    },
  );

  it("the dirty public key gives the same X25519 shared secret as the clean one (checked with OpenSSL)", () => {
    const rng = detRng("dirty-ecdh");
    for (let i = 0; i < 16; i++) {
      const sk = rng(32);
      const peer = rng(32);
      const dirty = dirtyScalarBaseMult(sk);
      const clean = nodeX25519(sk, unhex("0900000000000000000000000000000000000000000000000000000000000000"))!;
      expect(hex(nodeX25519(peer, dirty)!)).toBe(hex(nodeX25519(peer, clean)!));
      if ((sk[0]! & 7) !== 0) expect(hex(dirty)).not.toBe(hex(clean));
    }
  });
});

describe("low-order points", () => {
  // d = -121665/121666; lop_x = sqrt((sqrt(d + 1) + 1) / d); lop_y = -lop_x * sqrt(-1): x25519ell2's constants.
  const Fp = ed25519.Point.Fp;
  const d = Fp.neg(Fp.div(121665n, 121666n));
  const sqrtM1 = leToBig(unhex("b0a00e4a271beec478e42fad0618432fa7d7fb3d99004d2b0bdfc14f8024832b"));
  const lopX = leToBig(unhex("4ad145c54646a1de38e2e513703c195cbb4ade38329933e9284a3906a0b9d51f"));
  const lopY = leToBig(unhex("26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05"));

  it("the constants are what x25519ell2's tests derive", () => {
    expect(modp(sqrtM1 * sqrtM1)).toBe(P - 1n);
    // x25519ell2's test takes the non-negative square roots; accept either sign of each root here.
    const s = Fp.sqrt(Fp.add(d, 1n));
    const roots = [s, Fp.neg(s)].flatMap((t) => {
      const q = Fp.div(Fp.add(t, 1n), d);
      return isSquare(q) ? [Fp.sqrt(q), Fp.neg(Fp.sqrt(q))] : [];
    });
    expect(roots).toContain(lopX);
    expect(lopY).toBe(modp(-lopX * sqrtM1));
  });

  it("[k]·LOP is the table x25519ell2 selects with bits 0-2 of the private key", () => {
    // selectLowOrderPoint(x = lopX | sqrtM1, cofactor = k) and (y = lopY | 1, cofactor = k + 2), spelled out:
    const n = (v: bigint): bigint => modp(-v);
    const table: [bigint, bigint][] = [
      [0n, 1n],
      [lopX, lopY],
      [sqrtM1, 0n],
      [lopX, n(lopY)],
      [0n, n(1n)],
      [n(lopX), n(lopY)],
      [n(sqrtM1), 0n],
      [n(lopX), lopY],
    ];
    table.forEach(([x, y], k) => {
      expect(lowOrderPointAffine(k)).toEqual({ x, y });
    });
    // And the order-8 point is one of noble's published torsion points.
    expect(ED25519_TORSION_SUBGROUP).toContain(ed25519.Point.fromAffine({ x: lopX, y: lopY }).toHex());
  });

  it("generated public keys carry every kind of low-order component (representatives look uniform)", () => {
    // obfs4proxy TestPublicKeySubgroup: [L]·P for the public key's Edwards point must hit all torsion classes.
    // From u alone we see y = (u-1)/(u+1), so classes are y ∈ {1, -1, 0, lop_y, -lop_y}.
    const rng = detRng("subgroup");
    const L = ed25519.Point.Fn.ORDER;
    const seen = new Set<string>();
    for (let i = 0; i < 64 && seen.size < 5; i++) {
      const { publicKey } = generateRepresentableKeypair(rng);
      const u = leToBig(publicKey);
      const y = Fp.div(Fp.sub(u, 1n), Fp.add(u, 1n));
      const yBytes = unhex(y.toString(16).padStart(64, "0")).reverse();
      const point = ed25519.Point.fromBytes(yBytes);
      const torsion = point
        .multiplyUnsafe(L - 1n)
        .add(point)
        .toAffine();
      seen.add(torsion.y.toString(16));
    }
    expect([...seen].sort()).toEqual([1n, P - 1n, 0n, lopY, P - lopY].map((v) => v.toString(16)).sort());
  });
});

describe("generateRepresentableKeypair (ntor.NewKeypair(true))", () => {
  it("private key = SHA-512(random)[0:32] unclamped, tweak = SHA-512(random)[63], retrying until representable", () => {
    const seed = "keygen-derivation";
    const kp = generateRepresentableKeypair(detRng(seed));
    // Replay the same stream by hand with node:crypto's SHA-512.
    const rng = detRng(seed);
    for (;;) {
      const digest = nodeSha512(rng(32));
      const expected = elligatorScalarBaseMult(digest.slice(0, 32), digest[63]!);
      if (expected === null) continue;
      expect(hex(kp.privateKey)).toBe(hex(digest.slice(0, 32)));
      expect(hex(kp.publicKey)).toBe(hex(expected.publicKey));
      expect(hex(kp.representative)).toBe(hex(expected.representative));
      break;
    }
  });
});
