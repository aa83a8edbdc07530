import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { MAX_FRAME_LENGTH } from "../../src/shared/codec/obfs4/framing.js";
import {
  IAT_DELAY_UNIT_MICROS,
  IAT_MODE_ENABLED,
  IAT_MODE_NONE,
  IAT_MODE_PARANOID,
  MAX_IAT_DELAY,
  MAX_PARANOID_ZERO_DRAWS,
  Obfs4Shaper,
  createIatDist,
  createLengthDist,
  padBurstPlan,
  paddingPlanLength,
  type IatMode,
  type ShapedWrite,
  type ShapingDist,
} from "../../src/shared/codec/obfs4/iat.js";
import { createFramers, encodedLength, type Obfs4Packet } from "../../src/shared/codec/obfs4/packet.js";
import type { WeightedDist } from "../../src/shared/codec/obfs4/probdist.js";
import { createCsRand, type RandomBytesFn } from "../../src/shared/codec/obfs4/probdist-go-rand.js";
import { FRAME_KEY_MATERIAL } from "../helpers/obfs4-backend-compliance.js";

const KM = FRAME_KEY_MATERIAL;
const SERVER_SEED = Uint8Array.from({ length: 24 }, (_, i) => 0x10 + i);

/** A deterministic byte stream (xorshift32) standing in for the CSPRNG. */
function seededRandom(seed: number): RandomBytesFn {
  let x = seed | 0 || 1;
  return (n) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x ^= x >>> 17;
      x ^= x << 5;
      out[i] = x & 0xff;
    }
    return out;
  };
}

/** A distribution that replays fixed samples (then repeats the last). */
function fixedDist(samples: number[]): ShapingDist & { resets: number } {
  let i = 0;
  return {
    resets: 0,
    sample: () => samples[Math.min(i++, samples.length - 1)]!,
    reset() {
      this.resets++;
    },
  };
}

function decodePayload(write: ShapedWrite, dec = createFramers(KM, "server").decoder): Uint8Array {
  const packets: Obfs4Packet[] = dec.push(write.data);
  dec.finish();
  return concatBytes(...packets.map((p) => (p.type === "payload" ? p.data : new Uint8Array(0))));
}

function shaper(iatMode: IatMode, extra: Partial<ConstructorParameters<typeof Obfs4Shaper>[0]> = {}): Obfs4Shaper {
  return new Obfs4Shaper({
    encoder: createFramers(KM, "client").encoder,
    role: "client",
    iatMode,
    lengthSeed: SERVER_SEED,
    random: seededRandom(7),
    ...extra,
  });
}

describe("padBurstPlan (obfs4.go padBurst)", () => {
  // [burst bytes, target tail, padding packets' padLens]; a padding packet costs 21 + padLen bytes.
  it.each([
    [0, 0, []],
    [0, 100, [79]],
    [0, 22, [1]],
    [0, 21, [1427, 21]], // gap of 21: too small for one frame -> full frame + (21 + 21)
    [0, 1, [1427, 1]],
    [100, 100, []],
    [100, 50, [1377]], // wraps into the next segment: 1448 - 100 + 50 - 21
    [1448, 10, [1427, 10]],
    [1500, 1448, [1375]],
    [1447, 1448, [1427, 1]],
    [0, 1448, [1427]],
  ])("burst %i, pad to %i -> %j", (burst, target, plan) => {
    expect(padBurstPlan(burst, target)).toEqual(plan);
  });

  it("ends the burst at the target, or 21 bytes past it when the gap is 1..21 (obfs4proxy's quirk)", () => {
    for (let burst = 0; burst < 3000; burst += 37) {
      for (let target = 0; target <= MAX_FRAME_LENGTH; target += 13) {
        const plan = padBurstPlan(burst, target);
        const end = (burst + paddingPlanLength(plan)) % MAX_FRAME_LENGTH;
        const gap = (target - (burst % MAX_FRAME_LENGTH) + MAX_FRAME_LENGTH) % MAX_FRAME_LENGTH;
        const want = gap === 0 && target === MAX_FRAME_LENGTH ? 0 : gap >= 1 && gap <= 21 ? target + 21 : target;
        expect(end, `burst ${burst} target ${target}`).toBe(want % MAX_FRAME_LENGTH);
      }
    }
  });

  it.each([
    [0, 1449],
    [0, -1],
    [-1, 0],
    [1.5, 0],
  ])("rejects burst %s, target %s", (burst, target) => {
    expect(() => padBurstPlan(burst, target)).toThrow(RangeError);
  });
});

describe("Obfs4Shaper", () => {
  const payload = Uint8Array.from({ length: 5000 }, (_, i) => (i * 7) & 0xff);

  it("iat-mode 0: payload frames, then padding to a length-distribution sample; one write", () => {
    const s = shaper(IAT_MODE_NONE, { random: seededRandom(11) });
    // The same sampler stream, replayed by hand.
    const target = createLengthDist(SERVER_SEED).sample(createCsRand(seededRandom(11)));
    const w = s.shape(payload);
    const framed = encodedLength(payload.length);
    expect(w.data.length).toBe(framed + paddingPlanLength(padBurstPlan(framed, target)));
    expect(w.chunks).toEqual([{ length: w.data.length, delayMicros: 0 }]);
    expect(toHex(decodePayload(w))).toBe(toHex(payload));
    expect(s.iatDist).toBeNull();
  });

  it("iat-mode 1: the same bytes in 1448-byte writes, each followed by an IAT delay", () => {
    const w = shaper(IAT_MODE_ENABLED).shape(payload);
    const iatValues = (createIatDist(SERVER_SEED) as WeightedDist).values;
    expect(w.chunks.slice(0, -1).every((c) => c.length === MAX_FRAME_LENGTH)).toBe(true);
    expect(w.chunks.reduce((a, c) => a + c.length, 0)).toBe(w.data.length);
    expect(w.chunks.length).toBe(Math.ceil(w.data.length / MAX_FRAME_LENGTH));
    for (const c of w.chunks) {
      expect(c.delayMicros % IAT_DELAY_UNIT_MICROS).toBe(0);
      expect(iatValues).toContain(c.delayMicros / IAT_DELAY_UNIT_MICROS);
      expect(c.delayMicros).toBeLessThanOrEqual(MAX_IAT_DELAY * IAT_DELAY_UNIT_MICROS);
    }
    expect(toHex(decodePayload(w))).toBe(toHex(payload));
  });

  it("iat-mode 2: every write's length is a length-distribution sample; padding fills the last", () => {
    const lenValues = (createLengthDist(SERVER_SEED) as WeightedDist).values;
    const s = shaper(IAT_MODE_PARANOID);
    const dec = createFramers(KM, "server").decoder;
    for (const n of [0, 1, 100, 5000]) {
      const w = s.shape(payload.subarray(0, n));
      expect(w.chunks.reduce((a, c) => a + c.length, 0)).toBe(w.data.length);
      for (const c of w.chunks) expect(lenValues).toContain(c.length);
      expect(toHex(decodePayload(w, dec))).toBe(toHex(payload.subarray(0, n)));
      if (n === 0) expect(w.data.length).toBe(0); // obfs4proxy sends nothing for an empty paranoid write
    }
  });

  it("iat-mode 2: draws again when padding overshoots (a gap of 1..21 bytes)", () => {
    // 100 payload bytes = 121 wire bytes; target 130 leaves a gap of 9: padding adds 1448 + 30,
    // 1599 bytes remain, so the next draws (1000, 599) are written as drawn.
    const s = shaper(IAT_MODE_PARANOID, { lengthDist: fixedDist([130, 1000, 599]), iatDist: fixedDist([3]) });
    const w = s.shape(payload.subarray(0, 100));
    expect(w.chunks).toEqual([
      { length: 1000, delayMicros: 300 },
      { length: 599, delayMicros: 300 },
    ]);
    expect(toHex(decodePayload(w))).toBe(toHex(payload.subarray(0, 100)));
  });

  it("iat-mode 2: a drawn 0 is drawn again; after MAX_PARANOID_ZERO_DRAWS zeros a full segment is written", () => {
    const once = shaper(IAT_MODE_PARANOID, { lengthDist: fixedDist([0, 121]), iatDist: fixedDist([0]) });
    expect(once.shape(payload.subarray(0, 100)).chunks).toEqual([{ length: 121, delayMicros: 0 }]);
    const stuck = shaper(IAT_MODE_PARANOID, { lengthDist: fixedDist([0]), iatDist: fixedDist([1]) });
    const w = stuck.shape(payload.subarray(0, 3000));
    expect(w.chunks.every((c) => c.length === MAX_FRAME_LENGTH)).toBe(true);
    expect(toHex(decodePayload(w))).toBe(toHex(payload.subarray(0, 3000)));
    expect(MAX_PARANOID_ZERO_DRAWS).toBeGreaterThan(1);
  });

  it("a client takes the server's seed for both distributions; a server ignores seeds", () => {
    const client = new Obfs4Shaper({
      encoder: createFramers(KM, "client").encoder,
      role: "client",
      iatMode: IAT_MODE_ENABLED,
      random: seededRandom(3),
    });
    expect((client.lengthDist as WeightedDist).values).not.toEqual(
      (createLengthDist(SERVER_SEED) as WeightedDist).values,
    );
    expect(client.onPrngSeed(SERVER_SEED)).toBe(true);
    expect((client.lengthDist as WeightedDist).values).toEqual(createLengthDist(SERVER_SEED).values);
    expect((client.iatDist as WeightedDist).values).toEqual(createIatDist(SERVER_SEED).values);

    const lengthDist = fixedDist([5]);
    const server = new Obfs4Shaper({
      encoder: createFramers(KM, "server").encoder,
      role: "server",
      iatMode: IAT_MODE_NONE,
      lengthSeed: SERVER_SEED,
      lengthDist,
    });
    expect(server.onPrngSeed(SERVER_SEED)).toBe(false);
    expect(lengthDist.resets).toBe(0);
  });

  it.each([
    ["a server without its drbg-seed", { role: "server" as const, lengthSeed: undefined }, TypeError],
    ["iat-mode 3", { iatMode: 3 as IatMode }, RangeError],
    ["a 16-byte seed", { lengthSeed: new Uint8Array(16) }, RangeError],
  ])("rejects %s", (_label, extra, type) => {
    const opts = {
      encoder: createFramers(KM, "client").encoder,
      role: "client" as const,
      iatMode: IAT_MODE_NONE as IatMode,
    };
    expect(() => new Obfs4Shaper({ ...opts, ...extra } as ConstructorParameters<typeof Obfs4Shaper>[0])).toThrow(type);
  });
});
