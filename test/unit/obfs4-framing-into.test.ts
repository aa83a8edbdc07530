/**
 * The copy-free paths of the data phase: FrameDecoder.decodeInto (frames
 * opened straight into the caller's buffer), Obfs4Decoder's merged output
 * (each frame opened over the last three payload bytes, which are put back),
 * the backend allocator (uninitialised buffers must never leak), and the
 * nonce counter kept as two numbers.
 */
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { WebptError } from "../../src/shared/errors.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import type { Obfs4CryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend.js";
import {
  ERR_OBFS4_NONCE_EXHAUSTED,
  ERR_OBFS4_TAG_MISMATCH,
  FRAME_OVERHEAD,
  FrameDecoder,
  FrameEncoder,
  MAX_FRAME_PAYLOAD,
  plainView,
} from "../../src/shared/codec/obfs4/framing.js";
import { Obfs4Shaper } from "../../src/shared/codec/obfs4/iat.js";
import {
  PACKET_OVERHEAD,
  PACKET_TYPE_PAYLOAD,
  PACKET_TYPE_PRNG_SEED,
  createFramers,
  type Obfs4Packet,
} from "../../src/shared/codec/obfs4/packet.js";
import { splits } from "../helpers/chunking.js";
import { FRAME_KEY_MATERIAL } from "../helpers/obfs4-backend-compliance.js";

const KM = FRAME_KEY_MATERIAL;
const C2S = KM.subarray(0, 72);
const bytes = (n: number, salt = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 7 + salt) & 0xff);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof WebptError ? e.code : `not a WebptError: ${String(e)}`;
  }
  return undefined;
}

/** The shared JS backend's primitives, without its allocator (a class instance does not spread). */
function jsPrimitives(name: string): Obfs4CryptoBackend {
  const js = jsCryptoBackend;
  return {
    name,
    secretboxSeal: (m, n, k) => js.secretboxSeal(m, n, k),
    secretboxOpen: (b, n, k) => js.secretboxOpen(b, n, k),
    sipHash24: (k, d) => js.sipHash24(k, d),
    secretboxSealInto: (o, m, n, k) => js.secretboxSealInto(o, m, n, k),
    secretboxOpenInto: (o, b, n, k) => js.secretboxOpenInto(o, b, n, k),
  };
}

/** A backend whose allocator hands out 0xa5-filled memory and records the sizes asked for. */
function garbageBackend(): Obfs4CryptoBackend & { sizes: number[] } {
  const sizes: number[] = [];
  return {
    ...jsPrimitives("js with a dirty allocator"),
    sizes,
    allocate: (n) => {
      sizes.push(n);
      return new Uint8Array(n).fill(0xa5);
    },
  };
}

describe("FrameDecoder.decodeInto", () => {
  const plains = [bytes(5), bytes(MAX_FRAME_PAYLOAD, 1), bytes(0), bytes(300, 2)];
  const enc = new FrameEncoder(C2S);
  const stream = concatBytes(...plains.map((p) => enc.encodeFrame(p)));

  it("opens each frame where onFrame said, and touches nothing else", () => {
    const dec = new FrameDecoder(C2S);
    const out = new Uint8Array(4000).fill(0xee);
    const seen: [number, number][] = [];
    // Frame k goes 10 bytes past the end of frame k-1; the first at 7.
    dec.decodeInto(stream, out, 7, (buf, offset, length) => {
      expect(buf.buffer).toBe(out.buffer);
      seen.push([offset, length]);
      return offset + length + 10;
    });
    const expected = new Uint8Array(4000).fill(0xee);
    let at = 7;
    for (const p of plains) {
      expected.set(p, at);
      at += p.length + 10;
    }
    expect(seen).toEqual([
      [7, 5],
      [22, MAX_FRAME_PAYLOAD],
      [1462, 0],
      [1472, 300],
    ]);
    expect(toHex(out)).toBe(toHex(expected));
  });

  it("gives the same plaintexts at every split point and in 1-byte chunks", () => {
    for (const { label, chunks } of splits(stream)) {
      const dec = new FrameDecoder(C2S);
      const out = new Uint8Array(MAX_FRAME_PAYLOAD);
      const got: string[] = [];
      for (const c of chunks) {
        dec.decodeInto(c, out, 0, (buf, offset, length) => {
          got.push(toHex(buf.subarray(offset, offset + length)));
          return 0;
        });
      }
      expect(got, label).toEqual(plains.map(toHex));
      expect(dec.bufferedBytes, label).toBe(0);
    }
  });

  it("a plaintext that does not fit is a RangeError that poisons the decoder", () => {
    const dec = new FrameDecoder(C2S);
    const out = new Uint8Array(100);
    const err = ((): unknown => {
      try {
        dec.decodeInto(stream, out, 0, () => 96); // frame 0 (5 bytes) fits at 0; frame 1 (1430) does not at 96
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(RangeError);
    expect(dec.error).toBe(err);
    expect(dec.framesDecoded).toBe(1n);
    expect(() => dec.decodeInto(new Uint8Array(1), out, 0, () => 0)).toThrow(err as Error);
  });

  it("a negative offset is a RangeError before anything is opened", () => {
    const dec = new FrameDecoder(C2S);
    expect(() => dec.decodeInto(stream, new Uint8Array(2000), -1, () => 0)).toThrow(RangeError);
    expect(dec.framesDecoded).toBe(0n);
  });

  it("errors from onFrame poison the decoder", () => {
    const dec = new FrameDecoder(C2S);
    const boom = new Error("consumer failed");
    expect(() =>
      dec.decodeInto(stream, new Uint8Array(2000), 0, () => {
        throw boom;
      }),
    ).toThrow(boom);
    expect(() => dec.decode(new Uint8Array(0), () => undefined)).toThrow(boom);
  });

  it("accepts Buffer-like subclasses for input and output", () => {
    class Sub extends Uint8Array {}
    const input = new Sub(stream.length);
    input.set(stream);
    const out = new Sub(2000);
    const dec = new FrameDecoder(C2S);
    const got: string[] = [];
    dec.decodeInto(input, out, 0, (buf, offset, length) => {
      expect(Object.getPrototypeOf(buf)).toBe(Uint8Array.prototype);
      got.push(toHex(buf.subarray(offset, offset + length)));
      return 0;
    });
    expect(got).toEqual(plains.map(toHex));
  });
});

describe("plainView", () => {
  it("returns a plain Uint8Array unchanged and re-views a subclass over the same bytes", () => {
    const u = new Uint8Array(8);
    expect(plainView(u)).toBe(u);
    class Sub extends Uint8Array {}
    const base = new Sub(16);
    const s = base.subarray(3, 11);
    const v = plainView(s);
    expect(Object.getPrototypeOf(v)).toBe(Uint8Array.prototype);
    expect([v.buffer, v.byteOffset, v.length]).toEqual([base.buffer, 3, 8]);
  });
});

describe("Obfs4Decoder merged output", () => {
  /** One frame per packet, built by hand so types and lengths are exact. */
  function frames(enc: FrameEncoder, packets: readonly [number, Uint8Array, number][]): Uint8Array {
    return concatBytes(
      ...packets.map(([type, data, pad]) =>
        enc.encodeFrame(
          concatBytes(Uint8Array.of(type, data.length >> 8, data.length & 0xff), data, new Uint8Array(pad)),
        ),
      ),
    );
  }
  const a = bytes(1000, 3);
  const b = bytes(2, 4); // shorter than a packet header: its frame opens over a's last bytes and b's own
  const c = bytes(1427, 5);
  const seed = bytes(24, 6);
  const stream = frames(new FrameEncoder(C2S), [
    [PACKET_TYPE_PAYLOAD, a, 17],
    [PACKET_TYPE_PAYLOAD, b, 0],
    [PACKET_TYPE_PAYLOAD, new Uint8Array(0), 40], // padding only
    [7, bytes(30), 0], // unknown type: authenticated, then ignored
    [PACKET_TYPE_PRNG_SEED, seed, 0],
    [PACKET_TYPE_PRNG_SEED, bytes(23), 0], // wrong seed length: ignored
    [PACKET_TYPE_PAYLOAD, c, 0],
  ]);

  it("puts back the payload bytes each header was opened over", () => {
    const got = createFramers(KM, "server").decoder.push(stream);
    expect(got.map((p) => p.type)).toEqual(["payload", "prng-seed", "payload"]);
    const [first, second, third] = got as [Obfs4Packet, Obfs4Packet, Obfs4Packet];
    expect(first.type === "payload" && toHex(first.data)).toBe(toHex(concatBytes(a, b)));
    expect(second.type === "prng-seed" && toHex(second.seed)).toBe(toHex(seed));
    expect(third.type === "payload" && toHex(third.data)).toBe(toHex(c));
  });

  it("hands out views of one buffer, back to back, that later frames did not disturb", () => {
    const got = createFramers(KM, "server").decoder.push(stream);
    const [first, , third] = got as [Obfs4Packet, Obfs4Packet, Obfs4Packet];
    if (first.type !== "payload" || third.type !== "payload") throw new Error("unexpected packets");
    expect(first.data.buffer).toBe(third.data.buffer);
    expect(third.data.byteOffset).toBe(first.data.byteOffset + first.data.length);
  });

  it("decodes the same at every split point and in 1-byte chunks", () => {
    const want = toHex(concatBytes(a, b, c));
    for (const { label, chunks } of splits(stream)) {
      const dec = createFramers(KM, "server").decoder;
      const payload: Uint8Array[] = [];
      const seeds: string[] = [];
      for (const ch of chunks) {
        for (const p of dec.push(ch)) {
          if (p.type === "payload") payload.push(p.data);
          else seeds.push(toHex(p.seed));
        }
      }
      dec.finish();
      expect(toHex(concatBytes(...payload)), label).toBe(want);
      expect(seeds, label).toEqual([toHex(seed)]);
    }
  });

  it("never hands out a byte the allocator left behind", () => {
    const backend = garbageBackend();
    const dec = createFramers(KM, "server", { backend }).decoder;
    const got = dec.push(stream);
    const payload = concatBytes(...got.flatMap((p) => (p.type === "payload" ? [p.data] : [])));
    expect(toHex(payload)).toBe(toHex(concatBytes(a, b, c)));
    // One buffer per push: the input size plus the header headroom.
    expect(backend.sizes).toEqual([stream.length + PACKET_OVERHEAD]);
    // A push that cannot complete a frame allocates nothing.
    expect(dec.push(new Uint8Array(FRAME_OVERHEAD - 1))).toEqual([]);
    expect(backend.sizes).toHaveLength(1);
  });
});

describe("the backend allocator on the encoding side", () => {
  /** Deterministic CSPRNG so two shapers make identical choices. */
  const counting = (): ((n: number) => Uint8Array) => {
    let k = 0;
    return (n) => Uint8Array.from({ length: n }, () => (k = (k * 73 + 41) & 0xff));
  };

  it("produces the same wire bytes from dirty memory as from zeroed memory", () => {
    const shapeAll = (backend: Obfs4CryptoBackend): string => {
      const { encoder } = createFramers(KM, "client", { backend });
      const shaper = new Obfs4Shaper({
        encoder,
        role: "client",
        iatMode: 0,
        lengthSeed: bytes(24, 9),
        random: counting(),
      });
      const parts = [bytes(0), bytes(1), bytes(1427), bytes(5000, 1), bytes(65536, 2)].map((p) => shaper.shape(p).data);
      parts.push(
        encoder.encode(bytes(3000), 100),
        encoder.encodePacket(0, bytes(10), 5),
        encoder.encodePadding([0, 9]),
      );
      return toHex(concatBytes(...parts));
    };
    const dirty = garbageBackend();
    expect(shapeAll(dirty)).toBe(shapeAll(jsCryptoBackend));
    expect(dirty.sizes.length).toBeGreaterThanOrEqual(7);
  });

  it("a backend without an allocator gets zeroed arrays", () => {
    const { encoder } = createFramers(KM, "client", { backend: jsPrimitives("no allocator") });
    const buf = encoder.allocate(64);
    expect(buf).toBeInstanceOf(Uint8Array);
    expect(buf.every((x) => x === 0)).toBe(true);
  });
});

describe("the frame counter", () => {
  it("counts frames across the 32-bit carry of the nonce counter", () => {
    const enc = new FrameEncoder(C2S, { initialNonceCounter: 0xfffffffen });
    const dec = new FrameDecoder(C2S, { initialNonceCounter: 0xfffffffen });
    const stream = concatBytes(...[1, 2, 3, 4].map((n) => enc.encodeFrame(bytes(n))));
    expect(enc.framesEncoded).toBe(4n);
    let opened = 0;
    dec.decode(stream, () => opened++);
    expect([opened, dec.framesDecoded]).toEqual([4, 4n]);
  });

  it("counts the last counter value and then stays put", () => {
    const enc = new FrameEncoder(C2S, { initialNonceCounter: (1n << 64n) - 2n });
    enc.encodeFrame(bytes(1));
    enc.encodeFrame(bytes(1));
    expect(enc.framesEncoded).toBe(2n);
    expect(codeOf(() => enc.encodeFrame(bytes(1)))).toBe(ERR_OBFS4_NONCE_EXHAUSTED);
    expect(enc.framesEncoded).toBe(2n);
  });

  it("a tag failure reports the index of the failing frame", () => {
    const enc = new FrameEncoder(C2S, { initialNonceCounter: 0xffffffffn });
    const stream = concatBytes(enc.encodeFrame(bytes(9)), enc.encodeFrame(bytes(9)));
    stream[stream.length - 1]! ^= 1;
    const dec = new FrameDecoder(C2S, { initialNonceCounter: 0xffffffffn });
    const err = ((): unknown => {
      try {
        dec.decode(stream, () => undefined);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect((err as WebptError).code).toBe(ERR_OBFS4_TAG_MISMATCH);
    expect((err as { frameIndex: bigint }).frameIndex).toBe(1n);
  });
});
