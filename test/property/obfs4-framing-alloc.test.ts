/**
 * The decoder opens frames straight into one output buffer per push (over
 * the previous payload's last bytes, which it restores), and takes that
 * buffer from the backend's allocator uninitialised. Whatever the chunking
 * and whatever the allocator left in memory, the payload that comes out is
 * exactly the payload that went in, and the wire bytes do not depend on it.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import type { Obfs4CryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend.js";
import { MAX_PACKET_PADDING, createFramers, type Obfs4Role } from "../../src/shared/codec/obfs4/packet.js";
import { fcParams } from "../helpers/fc.js";
import { cutAt } from "../helpers/chunking.js";

const KM = Uint8Array.from({ length: 144 }, (_, i) => (i * 29 + 3) & 0xff);

/** The JS primitives with an allocator that fills each buffer with `fill`. */
function dirty(fill: number): Obfs4CryptoBackend {
  const js = jsCryptoBackend;
  return {
    name: "dirty",
    secretboxSeal: (m, n, k) => js.secretboxSeal(m, n, k),
    secretboxOpen: (b, n, k) => js.secretboxOpen(b, n, k),
    sipHash24: (k, d) => js.sipHash24(k, d),
    secretboxSealInto: (o, m, n, k) => js.secretboxSealInto(o, m, n, k),
    secretboxOpenInto: (o, b, n, k) => js.secretboxOpenInto(o, b, n, k),
    allocate: (n) => new Uint8Array(n).fill(fill),
  };
}

/** Cuts `bytes` at the given offsets. */

describe("obfs4 framing with an uninitialised allocator", () => {
  it("decode(encode(writes)) = writes for any chunking, and the wire bytes match a zeroing allocator's", () => {
    fc.assert(
      fc.property(
        fc.constantFrom<Obfs4Role>("client", "server"),
        fc.array(
          fc.record({
            data: fc.uint8Array({ maxLength: 5000 }),
            padLen: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: MAX_PACKET_PADDING })),
            seed: fc.option(fc.uint8Array({ minLength: 24, maxLength: 24 }), { nil: undefined }),
          }),
          { maxLength: 5 },
        ),
        fc.integer({ min: 0, max: 255 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (role, writes, fill, points) => {
          const wire = (backend: Obfs4CryptoBackend): Uint8Array => {
            const { encoder } = createFramers(KM, role, { backend });
            return concatBytes(
              ...writes.flatMap((w) => [
                ...(w.seed === undefined ? [] : [encoder.encodePrngSeedPacket(w.seed)]),
                encoder.encode(w.data, w.padLen),
              ]),
            );
          };
          const stream = wire(dirty(fill));
          expect(toHex(stream)).toBe(toHex(wire(jsCryptoBackend)));
          const { decoder } = createFramers(KM, role === "client" ? "server" : "client", {
            backend: dirty(fill ^ 0xff),
          });
          const payload: Uint8Array[] = [];
          const seeds: string[] = [];
          for (const c of cutAt(stream, points)) {
            for (const p of decoder.push(c)) {
              if (p.type === "payload") payload.push(p.data);
              else seeds.push(toHex(p.seed));
            }
          }
          decoder.finish();
          expect(toHex(concatBytes(...payload))).toBe(toHex(concatBytes(...writes.map((w) => w.data))));
          expect(seeds).toEqual(writes.flatMap((w) => (w.seed === undefined ? [] : [toHex(w.seed)])));
        },
      ),
      fcParams(300),
    );
  });
});
