import { chacha20poly1305, xchacha20poly1305 } from "@noble/ciphers/chacha.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { generateServerState, representativeToPublicKey } from "../../src/shared/codec/obfs4/index.js";
import {
  MAX_SDP_BYTES,
  MAX_SEALED_ANSWER_BYTES,
  MAX_SEALED_OFFER_BYTES,
  MAX_SIGNAL_PLAINTEXT_BYTES,
  MIN_SEALED_ANSWER_BYTES,
  MIN_SEALED_OFFER_BYTES,
  SIGNAL_MAX_CLOCK_SKEW_MS,
  SIGNAL_PAD_BLOCK,
  SignalingError,
  SignalingLimitError,
  decodeSignalPlaintext,
  encodeSignalPlaintext,
  openOffer,
  sealOffer,
} from "../../src/shared/codec/signaling/index.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  FIXED_NOW,
  deterministicRandom,
  fixedBridge,
  specKeys,
  specPlaintext,
  specSealOffer,
} from "./signaling-fixtures.js";

const bridge = fixedBridge();
const SDP = "v=0\r\no=- 0 0 IN IP4 127.0.0.1\r\n";

function fixedOffer(sdp = SDP, now = FIXED_NOW) {
  return sealOffer(sdp, bridge, { now, random: deterministicRandom("offer") });
}

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebptError);
    return (err as WebptError).code;
  }
  return "no error";
}

describe("limits", () => {
  it("are the documented sums", () => {
    expect(MAX_SIGNAL_PLAINTEXT_BYTES).toBe(16_384 + 1024);
    expect(MIN_SEALED_OFFER_BYTES).toBe(32 + 512 + 16);
    expect(MAX_SEALED_OFFER_BYTES).toBe(32 + 17_408 + 16);
    expect(MIN_SEALED_ANSWER_BYTES).toBe(24 + 512 + 16);
    expect(MAX_SEALED_ANSWER_BYTES).toBe(24 + 17_408 + 16);
    // The largest SDP, rounded up, plus the largest bucket offset, fits the plaintext limit.
    expect(
      Math.ceil((14 + MAX_SDP_BYTES) / SIGNAL_PAD_BLOCK) * SIGNAL_PAD_BLOCK + SIGNAL_PAD_BLOCK - 1,
    ).toBeLessThanOrEqual(MAX_SIGNAL_PLAINTEXT_BYTES);
  });
});

describe("sealOffer: wire layout against the specification", () => {
  it("is a frozen vector for fixed keys, clock and randomness", () => {
    const { bytes } = fixedOffer();
    // R (32) | ciphertext (549 = 512 + bucket offset 37) | tag (16)
    expect(bytes.length).toBe(597);
    expect(toHex(bytes.subarray(0, 32))).toBe("88639f013e8d138ec1873b37715bf5d3f60126b3467c9d107ff5069d536607b3");
    expect(toHex(sha256(bytes))).toBe("ff3fe7b948c29305e0b86ad41c4929767de10612d34c8639cf8c0a96873bb8f9");
  });

  it("opens with keys derived independently from the header's key schedule, header bytes exact", () => {
    const { bytes } = fixedOffer();
    const R = bytes.subarray(0, 32);
    const { offerKey } = specKeys(bridge, R);
    const pt = chacha20poly1305(offerKey, new Uint8Array(12), R).decrypt(bytes.subarray(32));
    const sdp = utf8Encode(SDP);
    expect(toHex(pt.subarray(0, 14))).toBe(
      "01" + // version 1
        "01" + // kind: offer
        "000001977420dc00" + // timestamp 1 750 000 000 000 ms, u64 BE
        "0000001f", // SDP length 31, u32 BE
    );
    expect(pt.subarray(14, 14 + sdp.length)).toEqual(sdp);
    expect(pt.subarray(14 + sdp.length).every((b) => b === 0)).toBe(true);
    expect(pt.length).toBe(549);
  });

  it("binds R's free top bits: the same point with other top bits does not open", () => {
    const { bytes } = fixedOffer();
    for (const mask of [0x40, 0x80, 0xc0]) {
      const other = new Uint8Array(bytes);
      other[31]! ^= mask;
      expect(representativeToPublicKey(other.subarray(0, 32))).toEqual(
        representativeToPublicKey(bytes.subarray(0, 32)),
      );
      expect(codeOf(() => openOffer(other, bridge, { now: FIXED_NOW }))).toBe("ERR_SIGNAL_BAD_SEAL");
    }
  });

  it("pads to the 512-byte bucket plus a uniform offset taken from the random source", () => {
    const keys = deterministicRandom("k");
    const lengths = (sdpLen: number, r: [number, number]) => {
      // Only the 2-byte draw (the bucket offset) is fixed; key generation retries need fresh bytes.
      const random = (n: number) => (n === 2 ? Uint8Array.from(r) : keys(n));
      return sealOffer("v=0" + "x".repeat(sdpLen - 3), bridge, { now: FIXED_NOW, random }).bytes.length - 48;
    };
    expect(lengths(3, [0, 0])).toBe(512); // 14 + 3 → one block, offset 0
    expect(lengths(3, [0xff, 0xff])).toBe(512 + 511); // 65535 mod 512
    expect(lengths(498, [0, 0])).toBe(512); // 14 + 498 = 512 exactly
    expect(lengths(499, [0, 0])).toBe(1024); // one byte over: next block
    expect(lengths(499, [0x01, 0x05])).toBe(1024 + 261); // 0x0105 mod 512
    expect(lengths(MAX_SDP_BYTES, [0xff, 0xff])).toBe(16_896 + 511);
  });

  it("refuses an SDP over MAX_SDP_BYTES with a limit error, and seals one of exactly MAX_SDP_BYTES", () => {
    const big = "v=0" + "a".repeat(MAX_SDP_BYTES - 3);
    expect(sealOffer(big, bridge).bytes.length).toBeLessThanOrEqual(MAX_SEALED_OFFER_BYTES);
    const err = (() => {
      try {
        sealOffer(big + "a", bridge);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SignalingLimitError);
    expect(err).toMatchObject({ code: "ERR_SIGNAL_SDP_TOO_LARGE", limit: MAX_SDP_BYTES });
  });

  it("counts the SDP limit in UTF-8 bytes, not characters", () => {
    const sdp = "v=0" + "é".repeat((MAX_SDP_BYTES - 3) / 2); // 2 bytes each
    expect(() => sealOffer(sdp, bridge)).not.toThrow();
    expect(() => sealOffer(sdp + "é", bridge)).toThrow(SignalingLimitError);
  });

  it("rejects bad keys and clocks as programmer errors", () => {
    expect(() => sealOffer(SDP, { nodeId: new Uint8Array(19), publicKey: bridge.publicKey })).toThrow(RangeError);
    expect(() => sealOffer(SDP, { nodeId: bridge.nodeId, publicKey: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => sealOffer(SDP, bridge, { now: -1 })).toThrow(RangeError);
    expect(() => sealOffer(SDP, bridge, { now: 1.5 })).toThrow(RangeError);
  });

  it("makes a fresh ephemeral key per offer", () => {
    const a = sealOffer(SDP, bridge).bytes;
    const b = sealOffer(SDP, bridge).bytes;
    expect(toHex(a.subarray(0, 32))).not.toBe(toHex(b.subarray(0, 32)));
  });
});

describe("openOffer", () => {
  it("round-trips SDP and timestamp, and names the exchange by X", () => {
    const { bytes } = fixedOffer();
    const opened = openOffer(bytes, bridge, { now: FIXED_NOW });
    expect(opened.sdp).toBe(SDP);
    expect(opened.timestamp).toBe(FIXED_NOW);
    expect(opened.replayKey).toBe(toHex(representativeToPublicKey(bytes.subarray(0, 32))));
  });

  it.each([
    ["empty", 0, "ERR_SIGNAL_TOO_SHORT"],
    ["one byte short", MIN_SEALED_OFFER_BYTES - 1, "ERR_SIGNAL_TOO_SHORT"],
    ["one byte over", MAX_SEALED_OFFER_BYTES + 1, "ERR_SIGNAL_TOO_LARGE"],
  ])("refuses a body of the wrong size before any crypto: %s", (_name, size, code) => {
    expect(codeOf(() => openOffer(new Uint8Array(size), bridge))).toBe(code);
  });

  it("reports the size limit as a LimitError carrying it", () => {
    expect(() => openOffer(new Uint8Array(MAX_SEALED_OFFER_BYTES + 1), bridge)).toThrow(
      expect.objectContaining({ name: "SignalingLimitError", limit: MAX_SEALED_OFFER_BYTES }),
    );
  });

  it("refuses any flipped bit in R, ciphertext or tag", () => {
    const { bytes } = fixedOffer();
    for (const at of [0, 17, 31, 32, 100, bytes.length - 17, bytes.length - 1]) {
      const bad = new Uint8Array(bytes);
      bad[at]! ^= 0x01;
      expect(codeOf(() => openOffer(bad, bridge, { now: FIXED_NOW }))).toBe("ERR_SIGNAL_BAD_SEAL");
    }
  });

  it("refuses an offer sealed to another bridge (the wrong-cert probe)", () => {
    const other = generateServerState();
    const { bytes } = sealOffer(SDP, { nodeId: other.nodeId, publicKey: other.publicKey }, { now: FIXED_NOW });
    expect(codeOf(() => openOffer(bytes, bridge, { now: FIXED_NOW }))).toBe("ERR_SIGNAL_BAD_SEAL");
    // Same key, other node ID: the node ID is in the key schedule.
    const sameKey = sealOffer(SDP, { nodeId: new Uint8Array(20), publicKey: bridge.publicKey }, { now: FIXED_NOW });
    expect(codeOf(() => openOffer(sameKey.bytes, bridge, { now: FIXED_NOW }))).toBe("ERR_SIGNAL_BAD_SEAL");
  });

  it("refuses a low-order X (R = 0 maps to u = 0) as a bad seal, not a library error", () => {
    const bytes = new Uint8Array(MIN_SEALED_OFFER_BYTES); // R = 0…0
    expect(codeOf(() => openOffer(bytes, bridge))).toBe("ERR_SIGNAL_BAD_SEAL");
    const throwing = () => {
      throw new TypeError("boom");
    };
    expect(codeOf(() => openOffer(fixedOffer().bytes, bridge, { now: FIXED_NOW, x25519: throwing }))).toBe(
      "ERR_SIGNAL_BAD_SEAL",
    );
    expect(
      codeOf(() => openOffer(fixedOffer().bytes, bridge, { now: FIXED_NOW, x25519: () => new Uint8Array(32) })),
    ).toBe("ERR_SIGNAL_BAD_SEAL");
  });

  it.each([
    ["exactly the skew old", SIGNAL_MAX_CLOCK_SKEW_MS, "ok"],
    ["one ms older", SIGNAL_MAX_CLOCK_SKEW_MS + 1, "ERR_SIGNAL_STALE"],
    ["exactly the skew ahead", -SIGNAL_MAX_CLOCK_SKEW_MS, "ok"],
    ["one ms further ahead", -SIGNAL_MAX_CLOCK_SKEW_MS - 1, "ERR_SIGNAL_STALE"],
    ["a day old", 86_400_000, "ERR_SIGNAL_STALE"],
  ])("applies the ±5 min window: %s", (_name, age, code) => {
    const { bytes } = fixedOffer();
    const result = (() => {
      try {
        openOffer(bytes, bridge, { now: FIXED_NOW + age });
        return "ok";
      } catch (err) {
        return (err as WebptError).code;
      }
    })();
    expect(result).toBe(code);
  });

  it("takes a wider window when asked (manual signaling)", () => {
    const { bytes } = fixedOffer();
    expect(openOffer(bytes, bridge, { now: FIXED_NOW + 3_600_000, maxAgeMs: 86_400_000 }).sdp).toBe(SDP);
  });
});

describe("authentic envelopes with bad plaintexts", () => {
  const R = fixedOffer().bytes.slice(0, 32);
  const open = (pt: Uint8Array) => codeOf(() => openOffer(specSealOffer(bridge, R, pt), bridge, { now: FIXED_NOW }));

  it("opens a hand-made plaintext (the independent implementation agrees)", () => {
    expect(open(specPlaintext({}))).toBe("no error");
    expect(openOffer(specSealOffer(bridge, R, specPlaintext({})), bridge, { now: FIXED_NOW }).sdp).toBe("v=0\r\n");
  });

  it.each([
    ["version 0", { version: 0 }, "ERR_SIGNAL_BAD_VERSION"],
    ["version 2", { version: 2 }, "ERR_SIGNAL_BAD_VERSION"],
    ["kind answer", { kind: 2 }, "ERR_SIGNAL_BAD_KIND"],
    ["kind 0", { kind: 0 }, "ERR_SIGNAL_BAD_KIND"],
    ["length past the end", { length: 512 - 14 + 1 }, "ERR_SIGNAL_BAD_LENGTH"],
    ["length 2^32-1", { length: 0xffffffff }, "ERR_SIGNAL_BAD_LENGTH"],
    ["length over MAX_SDP_BYTES", { length: MAX_SDP_BYTES + 1, total: 17_408 }, "ERR_SIGNAL_BAD_LENGTH"],
    ["non-zero padding", { padByte: 0x01 }, "ERR_SIGNAL_BAD_PADDING"],
    ["plaintext under one block", { total: 511 }, "ERR_SIGNAL_TOO_SHORT"],
    ["invalid UTF-8", { sdp: fromHex("763d30ff") }, "ERR_SIGNAL_BAD_SDP"],
    ["not v=0", { sdp: utf8Encode("o=- 0 0\r\n") }, "ERR_SIGNAL_BAD_SDP"],
    ["empty SDP", { sdp: new Uint8Array(0) }, "ERR_SIGNAL_BAD_SDP"],
    ["timestamp 0", { timestamp: 0 }, "ERR_SIGNAL_STALE"],
    ["timestamp 2^64-1", { timestamp: Number.MAX_SAFE_INTEGER }, "ERR_SIGNAL_STALE"],
  ])("%s → %s", (_name, fields, code) => {
    expect(open(specPlaintext(fields))).toBe(code);
  });

  it("reads a timestamp above 2^53 as far future, never a wrong small number", () => {
    const pt = specPlaintext({});
    pt.set(fromHex("ffffffffffffffff"), 2);
    expect(open(pt)).toBe("ERR_SIGNAL_STALE");
    expect(decodeSignalPlaintext(pt, 1).timestamp).toBe(Number.MAX_SAFE_INTEGER);
  });
});

describe("answers", () => {
  it("round-trip, only to the offerer, with a fresh random nonce each", () => {
    const offer = fixedOffer();
    const opened = openOffer(offer.bytes, bridge, { now: FIXED_NOW });
    const a1 = opened.sealAnswer("v=0\r\nanswer\r\n", { now: FIXED_NOW + 1 });
    const a2 = opened.sealAnswer("v=0\r\nanswer\r\n", { now: FIXED_NOW + 1 });
    expect(toHex(a1.subarray(0, 24))).not.toBe(toHex(a2.subarray(0, 24)));
    expect(offer.openAnswer(a1)).toEqual({ sdp: "v=0\r\nanswer\r\n", timestamp: FIXED_NOW + 1 });
    expect(offer.openAnswer(a2).sdp).toBe("v=0\r\nanswer\r\n");
    const stranger = sealOffer(SDP, bridge);
    expect(codeOf(() => stranger.openAnswer(a1))).toBe("ERR_SIGNAL_BAD_SEAL");
  });

  it("is N | XChaCha20-Poly1305(K_answer, N, aad = R) as specified, a frozen vector", () => {
    const offer = fixedOffer();
    const opened = openOffer(offer.bytes, bridge, { now: FIXED_NOW });
    const a = opened.sealAnswer("v=0\r\nanswer\r\n", { now: FIXED_NOW + 1, random: deterministicRandom("answer") });
    expect(a.length).toBe(741);
    expect(toHex(sha256(a))).toBe("794bcabfb44746ba5af6b577dd5d378f8abc6f634bb9b5688fbe0beccd25e8cc");
    const R = offer.bytes.subarray(0, 32);
    const { answerKey } = specKeys(bridge, R);
    const pt = xchacha20poly1305(answerKey, a.subarray(0, 24), R).decrypt(a.subarray(24));
    expect(toHex(pt.subarray(0, 14))).toBe("01" + "02" + "000001977420dc01" + "0000000d");
  });

  it("refuses tampering, wrong sizes and an offer fed as an answer", () => {
    const offer = fixedOffer();
    const a = openOffer(offer.bytes, bridge, { now: FIXED_NOW }).sealAnswer("v=0\r\n");
    for (const at of [0, 23, 24, a.length - 1]) {
      const bad = new Uint8Array(a);
      bad[at]! ^= 0x80;
      expect(codeOf(() => offer.openAnswer(bad))).toBe("ERR_SIGNAL_BAD_SEAL");
    }
    expect(codeOf(() => offer.openAnswer(a.subarray(0, MIN_SEALED_ANSWER_BYTES - 1)))).toBe("ERR_SIGNAL_TOO_SHORT");
    expect(codeOf(() => offer.openAnswer(new Uint8Array(MAX_SEALED_ANSWER_BYTES + 1)))).toBe("ERR_SIGNAL_TOO_LARGE");
    expect(codeOf(() => offer.openAnswer(offer.bytes))).toBe("ERR_SIGNAL_BAD_SEAL");
  });

  it("refuses an authentic answer whose kind says offer", () => {
    const offer = fixedOffer();
    const R = offer.bytes.subarray(0, 32);
    const { answerKey } = specKeys(bridge, R);
    const nonce = new Uint8Array(24);
    const forged = concatBytes(nonce, xchacha20poly1305(answerKey, nonce, R).encrypt(specPlaintext({ kind: 1 })));
    expect(codeOf(() => offer.openAnswer(forged))).toBe("ERR_SIGNAL_BAD_KIND");
  });
});

describe("encodeSignalPlaintext / decodeSignalPlaintext", () => {
  it("round-trip and lay the header out as specified", () => {
    const pt = encodeSignalPlaintext(2, 2 ** 40 + 5, "v=0", () => new Uint8Array(2));
    expect(toHex(pt.subarray(0, 17))).toBe("01" + "02" + "0000010000000005" + "00000003" + "763d30");
    expect(pt.length).toBe(512);
    expect(decodeSignalPlaintext(pt, 2)).toEqual({ sdp: "v=0", timestamp: 2 ** 40 + 5 });
  });

  it("errors are SignalingErrors with stable codes", () => {
    const err = (() => {
      try {
        decodeSignalPlaintext(new Uint8Array(512), 1);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(SignalingError);
    expect((err as SignalingError).toJSON()).toEqual({
      name: "SignalingError",
      code: "ERR_SIGNAL_BAD_VERSION",
      message: "unknown signaling version 0",
    });
  });
});
