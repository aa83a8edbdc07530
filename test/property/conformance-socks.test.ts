// Round trips through the SOCKS message decoders that the module's own
// property tests leave out (method selection, the RFC 1929 status reply, and
// the 0x09 parameter block read by its stream decoder rather than by
// parseJsonParams directly), each at random chunkings. Mapping:
// /work/notes/conformance-map.md.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/shared/bytes/index.js";
import {
  encodeJsonParamBlock,
  encodeMethodSelection,
  encodeParamBlock,
  encodeUserPassReply,
  methodSelectionDecoder,
  paramBlockDecoder,
  userPassReplyDecoder,
} from "../../src/shared/codec/socks/index.js";
import { decodeAll, cutAt } from "../helpers/chunking.js";
import { fcParams } from "../helpers/fc.js";

/** Cuts `bytes` at the given offsets (taken modulo length + 1, sorted, deduplicated). */
const cutsArb = fc.array(fc.nat(), { maxLength: 6 });

describe("SOCKS decode(encode(x)) = x for the remaining messages, at any chunking", () => {
  it("method selections and RFC 1929 replies, back to back", () => {
    fc.assert(
      fc.property(fc.array(fc.nat(255), { minLength: 1, maxLength: 5 }), cutsArb, (codes, cuts) => {
        const selections = concatBytes(...codes.map((m) => encodeMethodSelection(m)));
        expect(decodeAll(methodSelectionDecoder(), cutAt(selections, cuts))).toEqual(
          codes.map((method) => ({ method })),
        );
        const replies = concatBytes(...codes.map((s) => encodeUserPassReply(s)));
        expect(decodeAll(userPassReplyDecoder(), cutAt(replies, cuts))).toEqual(codes.map((status) => ({ status })));
      }),
      fcParams(1_000),
    );
  });

  it("0x09 parameter blocks through paramBlockDecoder (seed 001 §1.4)", () => {
    const key = fc.string({ maxLength: 12 });
    const scalar = fc.oneof(
      fc.string({ maxLength: 24 }),
      fc.boolean(),
      fc.integer(),
      fc
        .double({ noNaN: true, noDefaultInfinity: true })
        // JSON has no -0: JSON.stringify(-0) is "0" (RFC 8259 §6 leaves it to the implementation).
        .map((d) => (Object.is(d, -0) ? 0 : d)),
    );
    fc.assert(
      fc.property(
        fc.array(fc.dictionary(key, scalar, { maxKeys: 5 }), { minLength: 1, maxLength: 3 }),
        cutsArb,
        (blocks, cuts) => {
          const stream = concatBytes(...blocks.map((b) => encodeJsonParamBlock(b)));
          const got = decodeAll(paramBlockDecoder(), cutAt(stream, cuts));
          expect(got.map((p) => ({ ...p }))).toEqual(blocks);
        },
      ),
      fcParams(1_000),
    );
  });

  it("a block of exactly the limit is read; one byte more is X'10' as soon as the length is in", () => {
    fc.assert(
      fc.property(fc.integer({ min: 8, max: 64 }), cutsArb, (limit, cuts) => {
        const body = new TextEncoder().encode(`{"k":"${"v".repeat(limit - 8)}"}`);
        expect(body.length).toBe(limit);
        expect(decodeAll(paramBlockDecoder(limit), cutAt(encodeParamBlock(body), cuts)).length).toBe(1);
        const over = encodeParamBlock(new Uint8Array(limit + 1)).subarray(0, 4);
        expect(() => decodeAll(paramBlockDecoder(limit), cutAt(over, cuts))).toThrow(
          expect.objectContaining({ code: "ERR_SOCKS_SETTINGS_TOO_LARGE", reply: 0x10, limit }),
        );
      }),
      fcParams(500),
    );
  });
});
