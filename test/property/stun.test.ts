import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex, writeU16BE, writeU32BE } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  MAX_STUN_MESSAGE,
  STUN_MAGIC_COOKIE,
  StunStreamDecoder,
  checkStunDatagram,
  encodeStunFrame,
  isChannelData,
  isStunMessage,
  parseStunHeader,
} from "../../src/shared/codec/stun/index.js";
import { fcParams } from "../helpers/fc.js";
import { cutAt } from "../helpers/chunking.js";

/** A well-formed STUN message: top bits 00, length a multiple of 4, magic cookie. */
const stunMessage = fc
  .record({
    type: fc.integer({ min: 0, max: 0x3fff }),
    txid: fc.uint8Array({ minLength: 12, maxLength: 12 }),
    words: fc.integer({ min: 0, max: 100 }),
    fill: fc.integer({ min: 0, max: 255 }),
  })
  .map(({ type, txid, words, fill }) => {
    const m = new Uint8Array(20 + 4 * words).fill(fill);
    writeU16BE(m, 0, type);
    writeU16BE(m, 2, 4 * words);
    writeU32BE(m, 4, STUN_MAGIC_COOKIE);
    m.set(txid, 8);
    return m;
  });

/** A TURN ChannelData message as a client sends it over UDP: unpadded. */
const channelData = fc
  .record({ channel: fc.integer({ min: 0x4000, max: 0x7fff }), data: fc.uint8Array({ maxLength: 300 }) })
  .map(({ channel, data }) => {
    const m = new Uint8Array(4 + data.length);
    writeU16BE(m, 0, channel);
    writeU16BE(m, 2, data.length);
    m.set(data, 4);
    return m;
  });

describe("STUN-aware framing properties", () => {
  it("decode(encode(messages)) = messages for any chunking (ChannelData arrives unpadded)", () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(stunMessage, channelData), { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (messages, offsets) => {
          for (const m of messages) expect(isStunMessage(m) || isChannelData(m)).toBe(true);
          const stream = concatBytes(...messages.map((m) => encodeStunFrame(m)));
          expect(stream.length % 4).toBe(0); // every message keeps the stream 4-byte aligned
          const dec = new StunStreamDecoder();
          const got = cutAt(stream, offsets).flatMap((c) => dec.push(c));
          dec.finish();
          expect(got.map(toHex)).toEqual(messages.map(toHex));
        },
      ),
      fcParams(2_000),
    );
  });

  it("parseStunHeader reads back what was generated", () => {
    fc.assert(
      fc.property(stunMessage, (m) => {
        const hdr = parseStunHeader(m);
        expect(hdr.length).toBe(m.length - 20);
        expect(hdr.type).toBe((m[0]! << 8) | m[1]!);
        expect(hdr.method).toBeLessThanOrEqual(0xfff);
      }),
      fcParams(1_000),
    );
  });

  // Random bytes rarely get past the magic cookie; mutated valid streams reach the later states too.
  const hostile = fc.oneof(
    fc.uint8Array({ maxLength: 300 }),
    fc
      .tuple(fc.array(fc.oneof(stunMessage, channelData), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 }))
      .map(([ms, flips]) => {
        const s = concatBytes(...ms.map((m) => encodeStunFrame(m)));
        for (const f of flips) {
          const i = f % Math.max(1, s.length);
          if (i < s.length) s[i] = s[i]! ^ (1 << (f % 8));
        }
        return s;
      }),
  );

  it("random and mutated bytes: only project errors, at most one partial message buffered (10,000 runs)", () => {
    fc.assert(
      fc.property(
        hostile,
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.boolean(),
        fc.option(fc.integer({ min: 20, max: 200 }), { nil: undefined }),
        (bytes, offsets, channel, maxMessage) => {
          const opts = maxMessage === undefined ? { channelData: channel } : { channelData: channel, maxMessage };
          const dec = new StunStreamDecoder(opts);
          const limit = (maxMessage ?? MAX_STUN_MESSAGE) + 3;
          try {
            for (const c of cutAt(bytes, offsets)) {
              for (const m of dec.push(c)) expect(checkStunDatagram(m, opts)).toBeDefined(); // every output is valid
              expect(dec.buffered).toBeLessThanOrEqual(limit);
            }
            dec.finish();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
          }
        },
      ),
      fcParams(10_000),
    );
  });

  it("the datagram checks throw only project errors (10,000 runs)", () => {
    fc.assert(
      fc.property(hostile, fc.boolean(), (d, channel) => {
        expect(typeof isStunMessage(d)).toBe("boolean");
        expect(typeof isChannelData(d)).toBe("boolean");
        try {
          const framed = encodeStunFrame(d, { channelData: channel });
          // What the client accepts, the server's decoder splits back into exactly one message.
          const dec = new StunStreamDecoder({ channelData: channel });
          expect(dec.push(framed).length).toBe(1);
          dec.finish();
        } catch (e) {
          if (!(e instanceof WebptError)) throw e;
        }
      }),
      fcParams(10_000),
    );
  });
});
