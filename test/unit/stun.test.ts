import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../src/shared/errors.js";
import {
  MAX_STUN_MESSAGE,
  STUN_MAGIC_COOKIE,
  StunError,
  StunStreamDecoder,
  checkStunDatagram,
  encodeStunFrame,
  isChannelData,
  isStunMessage,
  parseChannelDataHeader,
  parseStunHeader,
  stunMessageKind,
} from "../../src/shared/codec/stun/index.js";
import { decodeEverySplit } from "../helpers/chunking.js";

const h = (s: string): Uint8Array => fromHex(s);

// RFC 5769 §2.1 sample request, header and first attribute (SOFTWARE) only, length patched to 16:
const BINDING_REQUEST = h(
  "0001 0010" + // Binding request (method 0x001, class request), length 16
    "2112a442" + // magic cookie
    "b7e7a701bc34d686fa87dfae" + // transaction ID
    "8022 000c" + // SOFTWARE attribute, 12-byte value
    "5354554e2074657374202020", // "STUN test   "
);
// A Binding success response with no attributes.
const BINDING_SUCCESS = h("0101 0000 2112a442 000102030405060708090a0b");
// A Send indication (method 0x006, class indication: type 0x0016) with 4 bytes of attributes.
const SEND_INDICATION = h("0016 0004 2112a442 0c0b0a090807060504030201 deadbeef");
// TURN ChannelData on channel 0x4000 carrying 5 bytes, unpadded (as over UDP), and padded (as over TCP).
const CHANNEL_DATA = h("4000 0005 68656c6c6f");
const CHANNEL_DATA_PADDED = h("4000 0005 68656c6c6f 000000");

describe("parseStunHeader (RFC 5389 §6)", () => {
  it("decodes type, method, class, length and transaction ID", () => {
    expect(STUN_MAGIC_COOKIE).toBe(0x2112a442);
    expect(parseStunHeader(BINDING_REQUEST)).toEqual({
      type: 0x0001,
      method: 0x001,
      class: "request",
      length: 16,
      transactionId: h("b7e7a701bc34d686fa87dfae"),
    });
    expect(parseStunHeader(BINDING_SUCCESS)).toMatchObject({ method: 1, class: "success-response", length: 0 });
    expect(parseStunHeader(SEND_INDICATION)).toMatchObject({ method: 6, class: "indication", length: 4 });
    // 0x0113: Binding error response (C1 = bit 8, C0 = bit 4).
    expect(parseStunHeader(h("0111 0000 2112a442" + "00".repeat(12)))).toMatchObject({
      method: 1,
      class: "error-response",
    });
    // 0x3eef: every method bit set → method 0xfff.
    expect(parseStunHeader(h("3eef 0000 2112a442" + "00".repeat(12)))).toMatchObject({
      method: 0xfff,
      class: "request",
    });
  });

  const bad: [string, Uint8Array, string][] = [
    ["a short header", BINDING_SUCCESS.subarray(0, 19), "ERR_STUN_TRUNCATED"],
    ["top bits 01", h("4001 0000 2112a442" + "00".repeat(12)), "ERR_STUN_BAD_PREFIX"],
    ["top bits 10 (RTP)", h("8001 0000 2112a442" + "00".repeat(12)), "ERR_STUN_BAD_PREFIX"],
    ["length 3", h("0001 0003 2112a442" + "00".repeat(12)), "ERR_STUN_BAD_LENGTH"],
    ["no magic cookie (RFC 3489)", h("0001 0000 00000000" + "00".repeat(12)), "ERR_STUN_BAD_MAGIC_COOKIE"],
    ["byte-swapped cookie", h("0001 0000 42a41221" + "00".repeat(12)), "ERR_STUN_BAD_MAGIC_COOKIE"],
  ];
  it.each(bad)("rejects %s", (_label, bytes, code) => {
    expect(() => parseStunHeader(bytes)).toThrow(StunError);
    expect(() => parseStunHeader(bytes)).toThrow(expect.objectContaining({ code }));
  });
});

describe("recognising a STUN message in a datagram", () => {
  it("demultiplexes on the first two bits (RFC 7983)", () => {
    expect(stunMessageKind(0x00)).toBe("stun");
    expect(stunMessageKind(0x3f)).toBe("stun");
    expect(stunMessageKind(0x40)).toBe("channel-data");
    expect(stunMessageKind(0x7f)).toBe("channel-data");
    expect(stunMessageKind(0x80)).toBeUndefined();
    expect(stunMessageKind(0x16)).toBe("stun"); // DTLS would be 20..63: the full check rejects it below
  });

  const datagrams: [string, boolean, boolean, Uint8Array][] = [
    ["Binding request", true, false, BINDING_REQUEST],
    ["Binding success", true, false, BINDING_SUCCESS],
    ["Send indication", true, false, SEND_INDICATION],
    ["ChannelData unpadded", false, true, CHANNEL_DATA],
    ["ChannelData padded", false, true, CHANNEL_DATA_PADDED],
    ["ChannelData, empty", false, true, h("4fff 0000")],
    ["STUN truncated", false, false, BINDING_REQUEST.subarray(0, 30)],
    ["STUN with a trailing byte", false, false, concatBytes(BINDING_SUCCESS, h("00"))],
    ["ChannelData truncated", false, false, CHANNEL_DATA.subarray(0, 8)],
    ["ChannelData with more than its padding", false, false, concatBytes(CHANNEL_DATA_PADDED, h("00"))],
    ["DTLS ClientHello", false, false, h("16fefd0000000000000000")],
    ["RTP", false, false, h("80e0 0001 00000000 00000000")],
    ["empty", false, false, new Uint8Array(0)],
  ];
  it.each(datagrams)("%s: isStunMessage %s, isChannelData %s", (_label, stun, channel, d) => {
    expect(isStunMessage(d)).toBe(stun);
    expect(isChannelData(d)).toBe(channel);
  });

  it("explains a rejection with a code", () => {
    expect(() => checkStunDatagram(BINDING_REQUEST.subarray(0, 30))).toThrow(
      expect.objectContaining({ code: "ERR_STUN_TRUNCATED" }),
    );
    expect(() => checkStunDatagram(concatBytes(BINDING_SUCCESS, h("00")))).toThrow(
      expect.objectContaining({ code: "ERR_STUN_TRAILING_BYTES" }),
    );
    expect(() => checkStunDatagram(h("80"))).toThrow(expect.objectContaining({ code: "ERR_STUN_BAD_PREFIX" }));
    expect(() => checkStunDatagram(CHANNEL_DATA, { channelData: false })).toThrow(
      expect.objectContaining({ code: "ERR_STUN_BAD_PREFIX" }),
    );
    expect(() => checkStunDatagram(h("4000 0011" + "00".repeat(17)), { maxMessage: 20 })).toThrow(LimitError);
    expect(checkStunDatagram(h("4000 0010" + "00".repeat(16)), { maxMessage: 20 })).toBe("channel-data");
    expect(() => checkStunDatagram(CHANNEL_DATA, { maxMessage: 19 })).toThrow(RangeError);
  });

  it("parses the ChannelData header (RFC 5766 §11.4)", () => {
    expect(parseChannelDataHeader(CHANNEL_DATA)).toEqual({ channel: 0x4000, length: 5 });
    expect(() => parseChannelDataHeader(h("3fff 0000"))).toThrow(StunError);
    expect(() => parseChannelDataHeader(h("40"))).toThrow(expect.objectContaining({ code: "ERR_STUN_TRUNCATED" }));
  });
});

describe("encodeStunFrame", () => {
  it("passes STUN messages through unchanged (no extra framing, seed 000 §3.3.5.4)", () => {
    expect(encodeStunFrame(BINDING_REQUEST)).toBe(BINDING_REQUEST);
  });

  it("pads ChannelData to a multiple of 4 for the stream (RFC 5766 §11.5)", () => {
    expect(toHex(encodeStunFrame(CHANNEL_DATA))).toBe(toHex(CHANNEL_DATA_PADDED));
    expect(encodeStunFrame(CHANNEL_DATA_PADDED)).toBe(CHANNEL_DATA_PADDED);
    expect(toHex(encodeStunFrame(h("4001 0004 01020304")))).toBe("4001000401020304");
  });

  it("refuses what is not one message, so the client drops it", () => {
    expect(() => encodeStunFrame(h("80e0 0001"))).toThrow(StunError);
    expect(() => encodeStunFrame(CHANNEL_DATA, { channelData: false })).toThrow(StunError);
  });
});

describe("StunStreamDecoder (seed 000 §3.3.5.5: length from the STUN header)", () => {
  it("splits concatenated STUN messages at every split point and in 1-byte chunks", () => {
    const stream = concatBytes(BINDING_REQUEST, BINDING_SUCCESS, SEND_INDICATION);
    const got = decodeEverySplit(() => new StunStreamDecoder(), stream);
    expect(got.map(toHex)).toEqual([BINDING_REQUEST, BINDING_SUCCESS, SEND_INDICATION].map(toHex));
  });

  it("passes ChannelData by default and strips its padding", () => {
    const stream = concatBytes(BINDING_SUCCESS, encodeStunFrame(CHANNEL_DATA), h("4001 0000"), SEND_INDICATION);
    const got = decodeEverySplit(() => new StunStreamDecoder(), stream);
    expect(got.map(toHex)).toEqual([toHex(BINDING_SUCCESS), toHex(CHANNEL_DATA), "40010000", toHex(SEND_INDICATION)]);
  });

  it("rejects ChannelData in strict STUN-only mode", () => {
    const dec = new StunStreamDecoder({ channelData: false });
    expect(dec.push(BINDING_SUCCESS).length).toBe(1);
    expect(() => dec.push(h("40"))).toThrow(expect.objectContaining({ code: "ERR_STUN_BAD_PREFIX" }));
  });

  // Each field is checked as soon as it arrives, so one bad byte fails before the message completes.
  const bad: [string, string, string, number][] = [
    ["top bits 10", "80", "ERR_STUN_BAD_PREFIX", 1],
    ["top bits 11", "c0", "ERR_STUN_BAD_PREFIX", 1],
    ["length not a multiple of 4", "0001 0002", "ERR_STUN_BAD_LENGTH", 4],
    ["bad magic cookie", "0001 0000 2112a443", "ERR_STUN_BAD_MAGIC_COOKIE", 8],
    ["garbage after a good message", "0101 0000 2112a442 000102030405060708090a0b ff", "ERR_STUN_BAD_PREFIX", 21],
  ];
  it.each(bad)("fails fast on %s, whatever the split", (_label, input, code, failAt) => {
    const bytes = h(input);
    // Fed one byte at a time, it throws at exactly byte `failAt`.
    const dec = new StunStreamDecoder();
    for (let i = 0; i < failAt - 1; i++) dec.push(bytes.subarray(i, i + 1));
    expect(() => dec.push(bytes.subarray(failAt - 1, failAt))).toThrow(StunError);
    expect(() => dec.push(new Uint8Array(0))).toThrow(expect.objectContaining({ code })); // poisoned
    // Fed whole, the same code.
    expect(() => new StunStreamDecoder().push(bytes)).toThrow(expect.objectContaining({ code }));
  });

  it("limits message size as soon as the length field arrives", () => {
    expect(MAX_STUN_MESSAGE).toBe(65535);
    // length 0xfffc: 20 + 65532 > 65535, the largest datagram.
    expect(() => new StunStreamDecoder().push(h("0001 fffc"))).toThrow(LimitError);
    expect(() => new StunStreamDecoder().push(h("4000 fffc"))).toThrow(
      expect.objectContaining({ code: "ERR_STUN_TOO_LARGE" }),
    );
    // 20 + 65512 = 65532 fits.
    const big = concatBytes(h("0017 ffe8 2112a442"), new Uint8Array(12 + 65512));
    expect(new StunStreamDecoder().push(big)[0]!.length).toBe(65532);
    const dec = new StunStreamDecoder({ maxMessage: 1500 });
    expect(() => dec.push(h("0001 05cc"))).toThrow(expect.objectContaining({ limit: 1500 })); // 20 + 1484
  });

  it("throws UnexpectedEOFError for a partial message at the end", () => {
    for (const cut of [1, 4, 8, 19, 35]) {
      const dec = new StunStreamDecoder();
      dec.push(BINDING_REQUEST.subarray(0, cut));
      expect(() => dec.finish()).toThrow(UnexpectedEOFError);
    }
    const dec = new StunStreamDecoder();
    dec.push(CHANNEL_DATA); // the padding has not arrived yet
    expect(dec.buffered).toBe(9);
    expect(() => dec.finish()).toThrow(UnexpectedEOFError);
  });

  it("returns views into the chunk when a message lies within it", () => {
    const [m] = new StunStreamDecoder().push(BINDING_SUCCESS);
    expect(m!.buffer).toBe(BINDING_SUCCESS.buffer);
  });
});
