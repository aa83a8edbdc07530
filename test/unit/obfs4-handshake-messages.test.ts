import { describe, expect, it } from "vitest";
import { EPOCH_HOUR_MS, epochHour, epochHourString } from "../../src/shared/codec/obfs4/epoch.js";
import {
  CLIENT_MARK_SEARCH_START,
  CLIENT_MAX_PAD_LENGTH,
  CLIENT_MIN_HANDSHAKE_LENGTH,
  CLIENT_MIN_PAD_LENGTH,
  INLINE_SEED_FRAME_LENGTH,
  MAC_LENGTH,
  MARK_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  SERVER_MARK_SEARCH_START,
  SERVER_MAX_PAD_LENGTH,
  SERVER_MIN_HANDSHAKE_LENGTH,
  SERVER_MIN_PAD_LENGTH,
  computeMac,
  computeMark,
  encodeClientRequest,
  encodeServerResponse,
  findMark,
  handshakeMacKey,
  randomIntInclusive,
} from "../../src/shared/codec/obfs4/handshake-messages.js";
import { detRng, hex, nodeHmac, unhex } from "./obfs4-handshake-fixtures.js";

const B = unhex("d0418e81ceb5bc4b4db0a70672dac3a55d8b257acaf14c0b98a15dfe02628127"); // obfs4-proxy-state.txt
const NODE_ID = unhex("d6c84290865bddfcf694b2484eee8d38ee8a058f");
const KEY = handshakeMacKey(B, NODE_ID);

describe("handshake constants (obfs4proxy handshake_ntor.go)", () => {
  it.each([
    ["MAX_HANDSHAKE_LENGTH", MAX_HANDSHAKE_LENGTH, 8192],
    ["MARK_LENGTH", MARK_LENGTH, 16],
    ["MAC_LENGTH", MAC_LENGTH, 16],
    ["INLINE_SEED_FRAME_LENGTH (2 + 16 + 3 + 24)", INLINE_SEED_FRAME_LENGTH, 45],
    ["CLIENT_MIN_HANDSHAKE_LENGTH (32 + 16 + 16)", CLIENT_MIN_HANDSHAKE_LENGTH, 64],
    ["SERVER_MIN_HANDSHAKE_LENGTH (32 + 32 + 16 + 16)", SERVER_MIN_HANDSHAKE_LENGTH, 96],
    // Spec §4 prints 85, but its formula (96 + 45) - 64 is 77, and 77 is what obfs4proxy uses.
    ["CLIENT_MIN_PAD_LENGTH ((96 + 45) - 64)", CLIENT_MIN_PAD_LENGTH, 77],
    ["CLIENT_MAX_PAD_LENGTH (8192 - 64)", CLIENT_MAX_PAD_LENGTH, 8128],
    ["SERVER_MIN_PAD_LENGTH (seed frame inline)", SERVER_MIN_PAD_LENGTH, 0],
    ["SERVER_MAX_PAD_LENGTH (8192 - (96 + 45))", SERVER_MAX_PAD_LENGTH, 8051],
    ["CLIENT_MARK_SEARCH_START (32 + 77)", CLIENT_MARK_SEARCH_START, 109],
    ["SERVER_MARK_SEARCH_START (32 + 32 + 0)", SERVER_MARK_SEARCH_START, 64],
  ])("%s = %i", (_name, value, expected) => {
    expect(value).toBe(expected);
  });
});

describe("epoch hour (obfs4proxy getEpochHour)", () => {
  it.each([
    [0, 0, "0"],
    [EPOCH_HOUR_MS - 1, 0, "0"],
    [EPOCH_HOUR_MS, 1, "1"],
    [1_700_000_000_000, 472222, "472222"], // 2023-11-14T22:13:20Z
    [1_700_000_399_999, 472222, "472222"],
    [1_700_002_800_000, 472223, "472223"],
    [-1, 0, "0"], // Go: Unix() = -1 s, -1 / 3600 truncates to 0
    [-3_600_000, -1, "-1"],
  ])("at %i ms → hour %i → %j", (ms, hour, text) => {
    expect(epochHour(ms)).toBe(hour);
    expect(epochHourString(epochHour(ms))).toBe(text);
  });

  it("rejects a broken clock", () => {
    expect(() => epochHour(Number.NaN)).toThrow(RangeError);
  });
});

describe("mark and MAC", () => {
  it("M = HMAC-SHA256(B | NODEID, X')[0:16]", () => {
    const repr = detRng("repr")(32);
    expect(hex(KEY)).toBe(hex(B) + hex(NODE_ID));
    expect(hex(computeMark(KEY, repr))).toBe(hex(nodeHmac(KEY, repr).subarray(0, 16)));
  });

  it("MAC = HMAC-SHA256(B | NODEID, message | decimal epoch hour)[0:16]", () => {
    const msg = detRng("msg")(150);
    expect(hex(computeMac(KEY, msg, 472222))).toBe(hex(nodeHmac(KEY, msg, "472222").subarray(0, 16)));
  });
});

describe("encodeClientRequest", () => {
  it("lays out X' | P_C | M_C | MAC_C (shortest request: 141 bytes = 96 + 45)", () => {
    const rng = detRng("client-request");
    const repr = rng(32);
    const pad = rng(77);
    const req = encodeClientRequest({ macKey: KEY, representative: repr, padding: pad, epochHour: 472222 });
    expect(req.length).toBe(141);
    expect(hex(req.subarray(0, 32))).toBe(hex(repr)); //            X'
    expect(hex(req.subarray(32, 109))).toBe(hex(pad)); //           P_C
    const mark = nodeHmac(KEY, repr).subarray(0, 16);
    expect(hex(req.subarray(109, 125))).toBe(hex(mark)); //         M_C
    const mac = nodeHmac(KEY, req.subarray(0, 125), "472222").subarray(0, 16);
    expect(hex(req.subarray(125, 141))).toBe(hex(mac)); //          MAC_C over X' | P_C | M_C | E
  });

  it.each([76, 8129])("refuses %i bytes of padding", (n) => {
    const args = { macKey: KEY, representative: new Uint8Array(32), padding: new Uint8Array(n), epochHour: 1 };
    expect(() => encodeClientRequest(args)).toThrow(RangeError);
  });

  it("accepts the longest padding: an 8192-byte request", () => {
    const req = encodeClientRequest({
      macKey: KEY,
      representative: new Uint8Array(32),
      padding: new Uint8Array(8128),
      epochHour: 1,
    });
    expect(req.length).toBe(MAX_HANDSHAKE_LENGTH);
  });
});

describe("encodeServerResponse", () => {
  it("lays out Y' | AUTH | P_S | M_S | MAC_S (shortest response: 96 bytes)", () => {
    const rng = detRng("server-response");
    const repr = rng(32);
    const auth = rng(32);
    const res = encodeServerResponse({
      macKey: KEY,
      representative: repr,
      auth,
      padding: new Uint8Array(0),
      epochHour: 7,
    });
    expect(res.length).toBe(96);
    expect(hex(res.subarray(0, 32))).toBe(hex(repr)); //            Y'
    expect(hex(res.subarray(32, 64))).toBe(hex(auth)); //           AUTH
    expect(hex(res.subarray(64, 80))).toBe(hex(nodeHmac(KEY, repr).subarray(0, 16))); // M_S
    expect(hex(res.subarray(80, 96))).toBe(hex(nodeHmac(KEY, res.subarray(0, 80), "7").subarray(0, 16))); // MAC_S
  });

  it("allows up to 8051 bytes of padding (8147 + the 45-byte seed frame = 8192)", () => {
    const args = { macKey: KEY, representative: new Uint8Array(32), auth: new Uint8Array(32), epochHour: 7 };
    expect(encodeServerResponse({ ...args, padding: new Uint8Array(8051) }).length).toBe(8147);
    expect(() => encodeServerResponse({ ...args, padding: new Uint8Array(8052) })).toThrow(RangeError);
  });
});

describe("findMark", () => {
  const mark = unhex("00112233445566778899aabbccddeeff");
  const buf = new Uint8Array(200);
  buf.set(mark, 100);

  it.each([
    [0, 200, 100], // found
    [100, 200, 100], // found exactly at `from`
    [101, 200, -1], // searching starts after it
    [0, 132, 100], // mark + MAC end exactly at the limit
    [0, 131, -1], // the MAC would not fit before the limit
  ])("from %i with limit %i → %i", (from, limit, expected) => {
    expect(findMark(buf, mark, from, limit)).toBe(expected);
  });

  it("needs all 16 bytes to match", () => {
    const partial = buf.slice();
    partial[115] = 0;
    expect(findMark(partial, mark, 0, 200)).toBe(-1);
  });
});

describe("randomIntInclusive", () => {
  it("stays in range, reaches both ends, and rejects bad ranges", () => {
    const rng = detRng("ints");
    const seen = new Set<number>();
    for (let i = 0; i < 400; i++) {
      const v = randomIntInclusive(rng, 3, 6);
      expect(v >= 3 && v <= 6).toBe(true);
      seen.add(v);
    }
    expect([...seen].sort()).toEqual([3, 4, 5, 6]);
    expect(randomIntInclusive(rng, 5, 5)).toBe(5);
    expect(() => randomIntInclusive(rng, 6, 5)).toThrow(RangeError);
  });

  it("rejects biased words: 0xffffffff is redrawn for a span of 3", () => {
    const words = [unhex("ffffffff"), unhex("00000004")];
    const rng = (): Uint8Array => words.shift()!;
    expect(randomIntInclusive(rng, 0, 2)).toBe(1);
  });
});
