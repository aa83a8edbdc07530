import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, readU32BE, toHex } from "../../src/shared/bytes/index.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import { DRBG_BLOCK_LENGTH, DRBG_SEED_LENGTH, HashDrbg, newDrbgSeed } from "../../src/shared/codec/obfs4/drbg.js";
import { fcParams } from "../helpers/fc.js";

/** Seed 10 11 .. 27: SipHash key 10..1f, initial block 20..27. */
const SEED = Uint8Array.from({ length: 24 }, (_, i) => 0x10 + i);

/**
 * Blocks of obfs4proxy's HashDrbg for SEED, printed by a Go program calling
 * github.com/dchest/siphash exactly as common/drbg/hash_drbg.go does
 * (Write(ofb) then Sum(nil), never Reset). Block 32 is the first after the
 * absorbed-length byte wraps mod 256.
 */
const GO_BLOCKS: readonly (readonly [number, string])[] = [
  [1, "dbabc4fa93e54b32"],
  [2, "6fbb7a3b97ef70b2"],
  [3, "e449850c62945cf1"],
  [4, "535c08ddb11076bd"],
  [31, "282a3c1966efe746"],
  [32, "a690479eb285cc21"],
  [33, "06da4f63d054205f"],
  [40, "e0b8395cb673c436"],
];

describe("HashDrbg (obfs4proxy common/drbg)", () => {
  it("matches obfs4proxy's Go DRBG block for block", () => {
    const d = new HashDrbg(SEED);
    const blocks = Array.from({ length: 40 }, () => toHex(d.nextBlock()));
    for (const [n, hex] of GO_BLOCKS) expect(blocks[n - 1], `block ${n}`).toBe(hex);
  });

  it("block n = SipHash-2-4(key, IV0 || block1 || ... || block n-1), by the one-shot backend SipHash", () => {
    const key = SEED.subarray(0, 16);
    const d = new HashDrbg(SEED);
    let chain: Uint8Array = SEED.slice(16);
    for (let n = 1; n <= 70; n++) {
      const expected = jsCryptoBackend.sipHash24(key, chain);
      const got = d.nextBlock();
      expect(toHex(got), `block ${n}`).toBe(toHex(expected));
      chain = concatBytes(chain, got);
    }
  });

  it("random seeds, 300 blocks each: still SipHash-2-4 over the whole chain (checks every carry path)", () => {
    // The block function is hand-unrolled 64-bit arithmetic on int32 pairs; an
    // independent one-shot SipHash over the growing chain catches any slip.
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 24, maxLength: 24 }), (seed) => {
        const d = new HashDrbg(seed);
        const key = seed.subarray(0, 16);
        const chain = new Uint8Array(8 * 301);
        chain.set(seed.subarray(16));
        for (let n = 1; n <= 300; n++) {
          const got = d.nextBlock();
          expect(toHex(got)).toBe(toHex(jsCryptoBackend.sipHash24(key, chain.subarray(0, 8 * n))));
          chain.set(got, 8 * n);
        }
      }),
      fcParams(12),
    );
  });

  it("is not the spec's memoryless chain IV[n] = SipHash(K, IV[n-1]) (obfs4proxy never resets the hash)", () => {
    const d = new HashDrbg(SEED);
    const b1 = d.nextBlock();
    const b2 = d.nextBlock();
    expect(toHex(b1)).toBe(toHex(jsCryptoBackend.sipHash24(SEED.subarray(0, 16), SEED.subarray(16))));
    expect(toHex(b2)).not.toBe(toHex(jsCryptoBackend.sipHash24(SEED.subarray(0, 16), b1)));
  });

  it("length masks are the first two block bytes read big-endian", () => {
    const a = new HashDrbg(SEED);
    const b = new HashDrbg(SEED);
    // Block 1 is db ab c4 fa ...: mask 0xdbab.
    expect(a.nextLengthMask()).toBe(0xdbab);
    b.nextBlock();
    for (let i = 0; i < 50; i++) {
      const block = b.nextBlock();
      expect(a.nextLengthMask()).toBe((block[0]! << 8) | block[1]!);
    }
  });

  it("Int63 is the block read big-endian with the top bit cleared", () => {
    const a = new HashDrbg(SEED);
    const b = new HashDrbg(SEED);
    const v = { hi: 0, lo: 0 };
    for (let i = 0; i < 50; i++) {
      a.nextInt63(v);
      const block = b.nextBlock();
      expect(v.hi).toBe(readU32BE(block, 0) & 0x7fffffff);
      expect(v.lo).toBe(readU32BE(block, 4));
    }
    // Block 1 = db ab c4 fa 93 e5 4b 32: 0xdbabc4fa has its top bit set.
    const c = new HashDrbg(SEED);
    c.nextInt63(v);
    expect([v.hi, v.lo]).toEqual([0x5babc4fa, 0x93e54b32]);
  });

  it("nextBlockInto writes at the offset and touches nothing else", () => {
    const out = new Uint8Array(13).fill(0xee);
    new HashDrbg(SEED).nextBlockInto(out, 3);
    expect(toHex(out)).toBe("eeeeee" + "dbabc4fa93e54b32" + "eeee");
  });

  it("distinct seeds give distinct streams; the same seed the same stream", () => {
    const other = SEED.slice();
    other[23] = other[23]! ^ 1;
    expect(toHex(new HashDrbg(other).nextBlock())).not.toBe("dbabc4fa93e54b32");
    expect(toHex(new HashDrbg(SEED.slice()).nextBlock())).toBe("dbabc4fa93e54b32");
  });

  it("an all-zero seed works (key 0, IV 0)", () => {
    const zero = new Uint8Array(DRBG_SEED_LENGTH);
    // SipHash-2-4 with key 0 over 8 zero bytes, by the independent one-shot implementation.
    expect(toHex(new HashDrbg(zero).nextBlock())).toBe(
      toHex(jsCryptoBackend.sipHash24(new Uint8Array(16), new Uint8Array(8))),
    );
  });

  it.each([
    ["23 bytes", new Uint8Array(23), RangeError],
    ["25 bytes", new Uint8Array(25), RangeError],
    ["not bytes", [1, 2, 3] as unknown as Uint8Array, TypeError],
  ])("rejects a seed of %s", (_label, seed, type) => {
    expect(() => new HashDrbg(seed)).toThrow(type);
  });

  it("newDrbgSeed takes 24 bytes from the injected random source", () => {
    const seed = newDrbgSeed((n) => new Uint8Array(n).fill(7));
    expect(toHex(seed)).toBe("07".repeat(24));
    expect(newDrbgSeed().length).toBe(DRBG_SEED_LENGTH);
    expect(() => newDrbgSeed(() => new Uint8Array(3))).toThrow(RangeError);
    expect(DRBG_BLOCK_LENGTH).toBe(8);
  });
});
