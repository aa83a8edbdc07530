import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { WebptError } from "../../src/shared/errors.js";
import { MAX_FRAME_DECODER_BUFFER } from "../../src/shared/codec/obfs4/framing.js";
import { IAT_MODE_NONE, IAT_MODE_PARANOID, Obfs4Shaper, type IatMode } from "../../src/shared/codec/obfs4/iat.js";
import {
  MAX_PACKET_PADDING,
  createFramers,
  type Obfs4Decoder,
  type Obfs4Packet,
  type Obfs4Role,
} from "../../src/shared/codec/obfs4/packet.js";
import { fcParams } from "../helpers/fc.js";

const KM = Uint8Array.from({ length: 144 }, (_, i) => (i * 13 + 5) & 0xff);
const other = (r: Obfs4Role): Obfs4Role => (r === "client" ? "server" : "client");

/** Cuts `bytes` at the given fractions (sorted, deduplicated). */
function cut(bytes: Uint8Array, points: readonly number[]): Uint8Array[] {
  const at = [...new Set(points.map((p) => Math.floor(p * bytes.length)))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const a of at) {
    out.push(bytes.subarray(prev, a));
    prev = a;
  }
  out.push(bytes.subarray(prev));
  return out;
}

/** Feeds chunks, checking the buffer bound after each; returns the payload bytes and seeds. */
function drain(dec: Obfs4Decoder, chunks: readonly Uint8Array[]): { payload: Uint8Array; seeds: string[] } {
  const packets: Obfs4Packet[] = [];
  for (const c of chunks) {
    packets.push(...dec.push(c));
    expect(dec.bufferedBytes).toBeLessThanOrEqual(MAX_FRAME_DECODER_BUFFER);
  }
  return {
    payload: concatBytes(...packets.map((p) => (p.type === "payload" ? p.data : new Uint8Array(0)))),
    seeds: packets.flatMap((p) => (p.type === "prng-seed" ? [toHex(p.seed)] : [])),
  };
}

const write = fc.record({
  data: fc.uint8Array({ maxLength: 4000 }),
  padLen: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_PACKET_PADDING })),
});

describe("obfs4 framing properties", () => {
  it("decode(encode(writes)) = writes, both directions, any chunking", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Obfs4Role>("client", "server"),
        fc.array(write, { maxLength: 6 }),
        fc.option(fc.uint8Array({ minLength: 24, maxLength: 24 }), { nil: undefined }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 8 }),
        (role, writes, seed, points) => {
          const { encoder } = createFramers(KM, role);
          const parts = seed === undefined ? [] : [encoder.encodePrngSeedPacket(seed)];
          for (const w of writes) parts.push(encoder.encode(w.data, w.padLen));
          const { decoder } = createFramers(KM, other(role));
          const got = drain(decoder, cut(concatBytes(...parts), points));
          decoder.finish();
          expect(toHex(got.payload)).toBe(toHex(concatBytes(...writes.map((w) => w.data))));
          expect(got.seeds).toEqual(seed === undefined ? [] : [toHex(seed)]);
          expect(decoder.framesDecoded).toBe(encoder.framesEncoded);
        },
      ),
      fcParams(300),
    );
  });

  it("shaped writes decode to the payload in every iat-mode, and the chunks cover the data", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<IatMode>(0, 1, 2),
        fc.array(fc.uint8Array({ maxLength: 5000 }), { minLength: 1, maxLength: 4 }),
        fc.uint8Array({ minLength: 24, maxLength: 24 }),
        (iatMode, writes, lengthSeed) => {
          const { encoder } = createFramers(KM, "server");
          const shaper = new Obfs4Shaper({ encoder, role: "server", iatMode, lengthSeed });
          const { decoder } = createFramers(KM, "client");
          const out: Uint8Array[] = [];
          for (const w of writes) {
            const shaped = shaper.shape(w);
            expect(shaped.chunks.reduce((a, c) => a + c.length, 0)).toBe(shaped.data.length);
            for (const c of shaped.chunks) expect(c.length).toBeGreaterThan(0);
            if (iatMode === IAT_MODE_NONE) expect(shaped.chunks.every((c) => c.delayMicros === 0)).toBe(true);
            if (iatMode === IAT_MODE_PARANOID && w.length === 0) expect(shaped.data.length).toBe(0);
            out.push(drain(decoder, [shaped.data]).payload);
          }
          decoder.finish();
          expect(toHex(concatBytes(...out))).toBe(toHex(concatBytes(...writes)));
        },
      ),
      fcParams(150),
    );
  });

  it("random bytes: only WebptErrors, never more than one frame buffered, poisoned after an error", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Obfs4Role>("client", "server"),
        fc.array(fc.uint8Array({ maxLength: 1600 }), { maxLength: 5 }),
        (role, chunks) => {
          const { decoder } = createFramers(KM, role);
          let error: unknown;
          try {
            drain(decoder, chunks);
            decoder.finish();
          } catch (e) {
            error = e;
          }
          if (error !== undefined) {
            expect(error).toBeInstanceOf(WebptError);
            expect(() => decoder.push(new Uint8Array(1))).toThrow(WebptError);
          }
        },
      ),
      fcParams(10_000),
    );
  });

  it("a tampered stream never yields forged bytes: output is a prefix of the real payload", () => {
    const { encoder } = createFramers(KM, "client");
    const real = Uint8Array.from({ length: 3000 }, (_, i) => (i * 31) & 0xff);
    const stream = concatBytes(encoder.encode(real.subarray(0, 1000), 10), encoder.encode(real.subarray(1000)));
    fc.assert(
      fc.property(
        fc.array(fc.record({ at: fc.nat({ max: stream.length - 1 }), xor: fc.integer({ min: 1, max: 255 }) }), {
          minLength: 1,
          maxLength: 3,
        }),
        fc.option(fc.nat({ max: stream.length }), { nil: undefined }),
        fc.array(fc.double({ min: 0, max: 1, noNaN: true }), { maxLength: 4 }),
        (flips, truncate, points) => {
          const tampered = stream.slice(0, truncate);
          for (const f of flips) if (f.at < tampered.length) tampered[f.at]! ^= f.xor;
          const { decoder } = createFramers(KM, "server");
          const got: Uint8Array[] = [];
          let error: unknown;
          try {
            for (const c of cut(tampered, points)) {
              for (const p of decoder.push(c)) if (p.type === "payload") got.push(p.data);
            }
            decoder.finish();
          } catch (e) {
            error = e;
          }
          const out = concatBytes(...got);
          expect(toHex(real.subarray(0, out.length))).toBe(toHex(out));
          if (error !== undefined) expect(error).toBeInstanceOf(WebptError);
          // An untruncated stream with a real change must fail somewhere.
          const changed = flips.some((f) => f.at < tampered.length);
          if (truncate === undefined && changed) expect(error).toBeDefined();
        },
      ),
      fcParams(10_000),
    );
  });
});
