import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import { MAX_UDP_DATAGRAM, UdpFrameDecoder, encodeUdpFrame } from "../../src/shared/codec/framing/index.js";
import { fcParams } from "../helpers/fc.js";
import { cutAt } from "../helpers/chunking.js";

/** Cuts `bytes` at the given (sorted, clamped) offsets. */

describe("UDP transparent framing properties", () => {
  it("decode(encode(datagrams)) = datagrams for any chunking", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 1500 }), { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (datagrams, offsets) => {
          const stream = concatBytes(...datagrams.map(encodeUdpFrame));
          const dec = new UdpFrameDecoder();
          const got: Uint8Array[] = [];
          for (const c of cutAt(stream, offsets)) got.push(...dec.push(c));
          dec.finish();
          expect(got.map(toHex)).toEqual(datagrams.map(toHex));
        },
      ),
      fcParams(2_000),
    );
  });

  it("round-trips datagrams up to the 65535-byte maximum without truncation", () => {
    fc.assert(
      fc.property(fc.integer({ min: 60_000, max: MAX_UDP_DATAGRAM }), fc.nat(), (length, at) => {
        const d = new Uint8Array(length).fill(length & 0xff);
        d[length - 1] = 0x5a;
        const stream = encodeUdpFrame(d);
        const dec = new UdpFrameDecoder();
        const got = [...cutAt(stream, [at])].flatMap((c) => dec.push(c));
        dec.finish();
        expect(got.length).toBe(1);
        expect(got[0]!.length).toBe(length);
        expect(got[0]![length - 1]).toBe(0x5a);
      }),
      fcParams(50),
    );
  });

  it("random bytes: only project errors, and at most one partial frame buffered (10,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 64 }), { nil: undefined }),
        (bytes, offsets, maxDatagram) => {
          const dec = new UdpFrameDecoder(maxDatagram === undefined ? {} : { maxDatagram });
          const limit = 2 + (maxDatagram ?? MAX_UDP_DATAGRAM);
          let out = 0;
          try {
            for (const c of cutAt(bytes, offsets)) {
              for (const d of dec.push(c)) out += 2 + d.length;
              expect(dec.buffered).toBeLessThanOrEqual(limit);
            }
            dec.finish();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
            return;
          }
          expect(out).toBe(bytes.length); // nothing invented, nothing lost
        },
      ),
      fcParams(10_000),
    );
  });
});
