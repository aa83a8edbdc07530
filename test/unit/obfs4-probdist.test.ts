import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/index.js";
import { HashDrbg, type Int63 } from "../../src/shared/codec/obfs4/drbg.js";
import {
  MAX_PROBDIST_RANGE,
  PROBDIST_MAX_VALUES,
  WeightedDist,
  deriveIatSeed,
  type SamplingRand,
} from "../../src/shared/codec/obfs4/probdist.js";
import {
  CSRAND_POOL_BYTES,
  CsRandSource,
  createCsRand,
  csIntRange,
} from "../../src/shared/codec/obfs4/probdist-go-rand.js";
import { GoRand, type Int63Source } from "../../src/shared/codec/obfs4/probdist-go-rand.js";
import { createIatDist, createLengthDist } from "../../src/shared/codec/obfs4/iat.js";

/**
 * Expected values in this file were printed by Go 1.19 (Debian golang-go):
 * `rand.New(src)` over a Source reproducing obfs4proxy's HashDrbg with
 * github.com/dchest/siphash, and weighted_dist.go's algorithm (values,
 * weights, Vose tables) run on it. Floats are given as their IEEE-754 bits
 * (math.Float64bits) so the comparison is exact.
 */
const SEED = Uint8Array.from({ length: 24 }, (_, i) => 0x10 + i);

interface GoDist {
  values: number[];
  weights: string;
  prob: string;
  alias: number[];
}

function bits(x: number): string {
  const v = new DataView(new ArrayBuffer(8));
  v.setFloat64(0, x);
  return v.getBigUint64(0).toString(16).padStart(16, "0");
}

function expectDist(d: WeightedDist, go: GoDist): void {
  expect(d.values).toEqual(go.values);
  expect(d.weights.map(bits)).toEqual(go.weights.trim().split(/\s+/));
  expect(d.prob.map(bits)).toEqual(go.prob.trim().split(/\s+/));
  expect(d.alias).toEqual(go.alias);
}

/** A source that replays scripted Int63 values given as [hi31, lo32]. */
function scripted(values: readonly (readonly [number, number])[]): Int63Source & { used: number } {
  const src = {
    used: 0,
    nextInt63(out: Int63): void {
      const v = values[src.used++];
      if (v === undefined) throw new Error("script exhausted");
      out.hi = v[0];
      out.lo = v[1];
    },
  };
  return src;
}

const LEN_UNIFORM: GoDist = {
  values: [
    1186, 455, 399, 1109, 605, 1349, 630, 570, 313, 1403, 400, 464, 545, 869, 176, 409, 103, 1105, 529, 1061, 1206,
    1162, 1045, 1178, 957, 261, 63, 672, 1444, 773, 1246, 482, 1106, 1165, 135, 1022, 1151,
  ],
  weights:
    "3fb3bc5bfe6b5861 3fced222fd315767 3fc19ca3c79b1323 3fd61a2541e285e3 3fec670093c83e0c 3fde031319c7eb29 " +
    "3fe89f58cb3c193c 3fe2d1496ddc9ce2 3fdd83a887912f9a 3fe25f1eb8e84df0 3fd1b887cc7f71d4 3fd0ba24c8ad858f " +
    "3fe85d944542c64f 3fea10c6c269275c 3febb18e31386d97 3fc14fed686a1bd7 3febb2170b04117d 3fe946d8253298ea " +
    "3fd7df6c8df57fe9 3feaf072f5b35007 3fd8896c1a5f8a09 3fa5eb490790a855 3fefd668011c11f9 3feabe79690512ff " +
    "3fe4548154f0665f 3fcdc295cfca16ad 3fc0b676889b2b11 3fefb26eb4b42247 3fded1af9a7bddbf 3fe5b1aef61d1a4d " +
    "3fe61676d8c2cf94 3fda1deeca126640 3fe0dc37dd420eb8 3fed269295556b81 3feabebc5b8de199 3fd6ef25673bb73b " +
    "3fdd31b81c5ecafd ",
  prob:
    "3fc223f306516313 3fdc54555e281881 3fd0302e7be2c77f 3fe450c43728d1f8 3fe8bf7b447fcaba 3feb960266290482 " +
    "3feb6dcabcd93b04 3fd55fb29557a0bc 3feb20e49112ab95 3fe616a5f67f8596 3fe049d15601d5d5 3fdebffd2566d53c " +
    "3fe8d86524e2ff3c 3feb0d821f4af960 3feea08b7efa0498 3fcfd3572e01a040 3fd9f385ba44df8c 3fe66c603406b092 " +
    "3fe5f1676ac55bc6 3fed8dfe94e2ffe2 3fe68da90a6e7624 3fb425b1b575a85c 3ff0000000000000 3fe3aec8a98e0e84 " +
    "3fe30cf591d3d230 3fdb5abba594dc0e 3fceb938fae7e19c 3fe5a215f8ff3320 3fec53eb4f396a75 3fe742602c18a7a8 " +
    "3fef3cc84c2a16fc 3fe80178d4d50aae 3feefea109a0d466 3fea6772e5e7a4bc 3feeda9ac65db5f0 3fe5148c8d0cab13 " +
    "3fead593c99481b4 ",
  alias: [
    4, 6, 7, 9, 13, 12, 14, 16, 13, 19, 14, 16, 33, 34, 30, 17, 33, 22, 19, 34, 22, 23, 0, 27, 29, 24, 27, 12, 29, 13,
    22, 30, 33, 22, 22, 34, 12,
  ],
};

const LEN_BIASED: GoDist = {
  values: [
    1186, 455, 399, 1109, 605, 1349, 630, 570, 313, 1403, 400, 464, 545, 869, 176, 409, 103, 1105, 529, 1061, 1206,
    1162, 1045, 1178, 957, 261, 63, 672, 1444, 773, 1246, 482, 1106, 1165, 135, 1022, 1151,
  ],
  weights:
    "3fb3bc5bfe6b5861 3fcc71dcff60e27e 3fb8ae3f7d6fe17d 3fcab6226c8b62f5 3fd678ac8a6d7298 3f955b40ae103657 " +
    "3f929c1967f98a14 3f6a3b48922f2d2e 3f50f2ea12d70510 3f46bd3852437ec0 3f22aec086cc7af7 3f19811064ffccca " +
    "3f2b70dcc13b4f67 3f0c039b3c7519ef 3ee6143d8766e899 3e8db82f4d3edf0d 3eb48e98245b9e55 3e843063c70e88ce " +
    "3e50064b9d7f2c92 3e56acf68995f5db 3e1a2163943eb604 3ddcc96a6e1ba0b5 3e2402ec38d9cd43 3da5d97964c2bb43 " +
    "3d75d2f715fe50e5 3d474d0a2be0ca21 3d34164d974fff53 3d608f7956e91ce9 3ce3be547ef75a0e 3cdc7935a3063285 " +
    "3cc353a7fdaa75a2 3c9a1deeca126640 3c90dc37dd420eb8 0000000000000000 0000000000000000 0000000000000000 " +
    "0000000000000000 ",
  prob:
    "3fe423f18da64918 3fecbf960756a7b4 3fe62ff7cbbecca8 3fe85e7f96b68a62 3ff0000000000000 3fe8b182c942bed5 " +
    "3fe5847d603887a7 3fbe548be9068c3d 3fa398dea5c89dda 3f9a4ac91f1e0a8e 3f759a0e9bdc6e2e 3f6d7d3af4c7c4ca " +
    "3f7fba7f3f6c93cf 3f603215bef3b2fe 3f398767248efcf1 3ee12e7b58a858f4 3f07c4dfea09ef12 3ed757f35e28ce2e " +
    "3ea287476e1b0b89 3eaa37fd0f156445 3e6e369b23688275 3e30a47187a7f8e9 3e77236121bbd555 3df943745c812885 " +
    "3dc93bedb16e0d89 3d9af113c2bbe9b6 3d8739c9b6f47f38 3db325e44c7d896d 3d36d411b2ce0020 3d307613023f9535 " +
    "3d1658ba3d4d1803 3cee329c19a5463a 3ce37ea097d46105 0000000000000000 0000000000000000 0000000000000000 " +
    "0000000000000000 ",
  alias: [
    4, 4, 4, 4, 0, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 0, 1, 2, 3, 4, 1, 3, 4, 1, 3, 4, 1, 3, 4, 1, 3, 4, 1, 4, 4, 4, 4,
  ],
};

const IAT_UNIFORM: GoDist = {
  values: [
    23, 15, 27, 89, 45, 95, 37, 88, 18, 65, 41, 7, 29, 100, 50, 82, 87, 9, 52, 53, 16, 11, 24, 47, 94, 31, 36, 46, 2,
    68, 44, 21, 75, 58, 66, 76, 35, 20, 86, 59,
  ],
  weights:
    "3fd0a311959ab7c1 3fe139e2c157c116 3fc01b8b5773cdce 3fe72948dc35fa04 3fdb4ba240f4c99e 3fda710c82dc3808 " +
    "3fd3ceee171f9588 3fcfe757f5467d54 3fdcf96e7405029c 3fec7e994ff9089f 3fb05c48184e6187 3fc69eb6c994c41c " +
    "3fd77d75927445f1 3fc67b62dd17bb0d 3feed480eed8903d 3fe462a0a0ed81f4 3fd4e98f8dd22a81 3fea6a5b9bec6600 " +
    "3fd7bc4588f5d56f 3fe3d9c77a3abb29 3fc24f0ab117408f 3fe610f061fa430c 3fdcd9670b2a5a7c 3faf6d498ca0094e " +
    "3f9353451600530c 3fea389d1c5c8cb1 3fe8a335429a92ef 3fdf34bad1c60248 3fbe6c843676984b 3fa4e40193a04ee6 " +
    "3fe5580b98c845d9 3fd7002d7552f4c7 3fc82952bd15f189 3fe692ee6cc2f539 3f8ca9db54099e30 3fecdeb94276468d " +
    "3fd771838f70ea22 3fb2826680e34dfa 3fed9ec0d58b20c4 3fe746716e1869f1 ",
  prob:
    "3fe312c9691f14de 3fea922aca867c9a 3fd2776a612cce47 3fee56e6d5eca3ae 3fef4aef90619696 3fee50571b2c775f " +
    "3fe6b58a791805c2 3fe249b433eacf5f 3fdcb85a4c633de8 3fde123a72414ec8 3fc2c1a21ffcc877 3fd9eebbc289e1a5 " +
    "3feaee193ac964e1 3fd9c63b66bf29aa 3fee9c19d73b5a8c 3fc9561287805a10 3fe7f98fb7f35072 3febd3ea0a207402 " +
    "3feb361c049d603c 3fea7b53114c031a 3fd4fd6f2992b845 3fea37fab62422f8 3fdbec24af15d5b0 3fc203bd10138eb4 " +
    "3fa627c577c666a8 3ff0000000000000 3fee041c9f51a0d4 3fdc8ab5497cfc74 3fd1708d3eafaadd 3fb7f331800bbb9c " +
    "3fe57162e29f22e4 3fea5e78531288d4 3fdbb3218c627a5e 3fe524efacfdc8a8 3fa06e3938a87b0a 3fe92fbdf58da34a " +
    "3feae0676362aac9 3fc5385066cc0a94 3fec5a333bf1be78 3fe3ea924d6f8d0c ",
  alias: [
    1, 17, 3, 21, 8, 9, 14, 15, 9, 39, 17, 19, 21, 22, 21, 14, 25, 21, 26, 25, 27, 25, 26, 30, 33, 0, 25, 35, 35, 38,
    38, 39, 8, 39, 9, 25, 14, 15, 26, 21,
  ],
};

describe("GoRand: Go math/rand over obfs4proxy's DRBG source", () => {
  it("Perm, Intn, Int31n and Float64 match Go's value stream", () => {
    const r = new GoRand(new HashDrbg(SEED));
    expect(r.perm(10)).toEqual([5, 8, 6, 1, 0, 7, 9, 2, 3, 4]);
    expect([r.intn(1000), r.intn(1000), r.intn(1000), r.int31n(1 << 20), r.intn(7)]).toEqual([
      782, 935, 573, 233531, 4,
    ]);
    // 0.8817421333690815, 0.03254055386570999, 0.9293839520027048
    expect([r.float64(), r.float64(), r.float64()].map(bits)).toEqual([
      "3fec373b474a6a4b",
      "3fa0a927cd4b3d22",
      "3fedbd8369e8ec59",
    ]);
  });

  it("Int31n masks for powers of two and rejects the biased top range otherwise", () => {
    // n = 8: Int31() & 7, one draw.
    const pow = scripted([[0x7ffffffd, 0]]);
    expect(new GoRand(pow).int31n(8)).toBe(5);
    expect(pow.used).toBe(1);
    // n = 3: max = 2^31 - 1 - (2^31 mod 3) = 2147483645; 2147483646 is redrawn.
    const rej = scripted([
      [2147483646, 0],
      [2147483645, 0],
    ]);
    expect(new GoRand(rej).int31n(3)).toBe(2147483645 % 3);
    expect(rej.used).toBe(2);
  });

  it("Float64 draws again when the quotient rounds up to 1.0", () => {
    const src = scripted([
      [0x7fffffff, 0xffffffff], // (2^63 - 1) / 2^63 rounds to 1.0
      [0x40000000, 0], // 2^62 / 2^63
    ]);
    expect(new GoRand(src).float64()).toBe(0.5);
    expect(src.used).toBe(2);
  });

  it("Float64 rounds the 63-bit integer to nearest-even like Go's int64 -> float64", () => {
    // Doubles near 2^62 are 1024 apart: +512 is a tie that goes down to the even 2^62,
    // +1536 a tie that goes up to the even 2^62 + 2048, +768 simply rounds up.
    const src = scripted([
      [0x40000000, 0x200],
      [0x40000000, 0x600],
      [0x40000000, 0x300],
    ]);
    const r = new GoRand(src);
    expect(r.float64()).toBe(2 ** 62 / 2 ** 63);
    expect(r.float64()).toBe((2 ** 62 + 2048) / 2 ** 63);
    expect(r.float64()).toBe((2 ** 62 + 1024) / 2 ** 63);
  });

  it("Perm(1) still consumes one draw (Go keeps the useless i = 0 iteration)", () => {
    const src = scripted([[123, 0]]);
    expect(new GoRand(src).perm(1)).toEqual([0]);
    expect(src.used).toBe(1);
    expect(new GoRand(scripted([])).perm(0)).toEqual([]);
  });

  it.each([0, -1, 1.5, 2 ** 31])("rejects Intn(%s)", (n) => {
    expect(() => new GoRand(scripted([])).intn(n)).toThrow(RangeError);
  });
});

describe("WeightedDist (weighted_dist.go)", () => {
  it("builds obfs4proxy's length distribution bit-for-bit (uniform weights, the default)", () => {
    expectDist(createLengthDist(SEED), LEN_UNIFORM);
  });

  it("builds the ScrambleSuit-biased variant bit-for-bit (-obfs4-distBias)", () => {
    expectDist(createLengthDist(SEED, true), LEN_BIASED);
  });

  it("derives the IAT seed as SHA-256(seed)[0:24] and builds [0, 100] bit-for-bit", () => {
    expect(toHex(deriveIatSeed(SEED))).toBe("580360100575b30307c941865e789503b964d6ed91e534e6");
    expectDist(createIatDist(SEED), IAT_UNIFORM);
  });

  it("reset() rebuilds from a new seed exactly as a fresh distribution", () => {
    const other = SEED.map((b) => b ^ 0x5a);
    const d = createLengthDist(other);
    expect(d.values).not.toEqual(LEN_UNIFORM.values);
    d.reset(SEED);
    expectDist(d, LEN_UNIFORM);
  });

  it("keeps between 1 and 100 distinct values within [min, max]", () => {
    for (let s = 0; s < 40; s++) {
      const seed = Uint8Array.from({ length: 24 }, (_, i) => (i * 31 + s * 7) & 0xff);
      const d = new WeightedDist(seed, 5, 1000);
      expect(d.values.length).toBeGreaterThanOrEqual(1);
      expect(d.values.length).toBeLessThanOrEqual(PROBDIST_MAX_VALUES);
      expect(new Set(d.values).size).toBe(d.values.length);
      for (const v of d.values) expect(v >= 0 && v <= 995).toBe(true);
      for (const p of d.prob) expect(p >= 0 && p <= 1).toBe(true);
    }
  });

  it("sample() returns values[i] when the coin is under prob[i], else values[alias[i]]", () => {
    const d = createLengthDist(SEED);
    const fixed = (i: number, f: number): SamplingRand => ({ intn: () => i, float64: () => f });
    // Column 0: prob 0x3fc223f306516313 (about 0.1417), alias 4.
    expect(d.sample(fixed(0, 0.1))).toBe(1186);
    expect(d.sample(fixed(0, 0.5))).toBe(605);
    // Column 22 has prob 1.0: always itself.
    expect(d.sample(fixed(22, 0.999999))).toBe(1045);
    const shifted = new WeightedDist(SEED, 100, 1548);
    expect(shifted.sample(fixed(0, 0.1))).toBe(1286);
  });

  it("sampled frequencies follow the normalized weights", () => {
    const d = createIatDist(SEED);
    const rand = createCsRand();
    const counts = new Map<number, number>();
    const N = 200_000;
    for (let i = 0; i < N; i++) {
      const v = d.sample(rand);
      counts.set(v, (counts.get(v) ?? 0) + 1);
    }
    const sum = d.weights.reduce((a, b) => a + b, 0);
    d.values.forEach((v, i) => {
      const expected = (d.weights[i]! / sum) * N;
      // 6 standard deviations of a binomial count: fails only on a real bias.
      expect(Math.abs((counts.get(v) ?? 0) - expected)).toBeLessThan(6 * Math.sqrt(expected) + 1);
    });
    for (const v of counts.keys()) expect(d.values).toContain(v);
  });

  it.each([
    [0, 0],
    [5, 4],
    [0.5, 3],
    [0, MAX_PROBDIST_RANGE],
  ])("rejects min %s, max %s", (min, max) => {
    expect(() => new WeightedDist(SEED, min, max)).toThrow(RangeError);
  });

  it("rejects a seed that is not 24 bytes", () => {
    expect(() => new WeightedDist(new Uint8Array(16), 0, 10)).toThrow(RangeError);
    expect(() => deriveIatSeed(new Uint8Array(32))).toThrow(RangeError);
  });
});

describe("csrand (common/csrand)", () => {
  it("reads Int63 as 8 big-endian bytes with the top bit cleared, pooling the random calls", () => {
    let calls = 0;
    const src = new CsRandSource((n) => {
      calls++;
      return Uint8Array.from({ length: n }, (_, i) => (i % 8 === 0 ? 0xff : i & 0xff));
    });
    const v = { hi: 0, lo: 0 };
    src.nextInt63(v);
    expect([v.hi.toString(16), v.lo.toString(16)]).toEqual(["7f010203", "4050607"]);
    for (let i = 1; i < CSRAND_POOL_BYTES / 8; i++) src.nextInt63(v);
    expect(calls).toBe(1);
    src.nextInt63(v);
    expect(calls).toBe(2);
  });

  it("IntRange(min, max) is Intn(max + 1 - min) + min", () => {
    const zeros = createCsRand((n) => new Uint8Array(n));
    expect(csIntRange(zeros, 16, 1446)).toBe(16);
    const r = createCsRand();
    for (let i = 0; i < 1000; i++) {
      const v = csIntRange(r, 16, 1446);
      expect(v >= 16 && v <= 1446).toBe(true);
    }
    expect(() => csIntRange(r, 2, 1)).toThrow(RangeError);
  });

  it("rejects a random source that returns too few bytes", () => {
    expect(() => new CsRandSource(() => new Uint8Array(4)).nextInt63({ hi: 0, lo: 0 })).toThrow(RangeError);
  });
});
