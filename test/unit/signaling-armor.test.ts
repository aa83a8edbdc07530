import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/shared/bytes/bytes.js";
import {
  MAX_ARMORED_SIGNAL_CHARS,
  MAX_SEALED_ANSWER_BYTES,
  MAX_SEALED_OFFER_BYTES,
  SIGNAL_ARMOR_LINE_LENGTH,
  SignalReplayCache,
  armorSignal,
  dearmorSignal,
  signalKindOf,
} from "../../src/shared/codec/signaling/index.js";
import { WebptError } from "../../src/shared/errors.js";

const BYTES = fromHex("00f0ff7e3e3f10"); // base64url APD_fj4_EA: '_' where standard base64 has '/'

function codeOf(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(WebptError);
    return (err as WebptError).code;
  }
  return "no error";
}

describe("armorSignal", () => {
  it("writes the prefix, then base64url without padding", () => {
    expect(armorSignal("offer", BYTES, { lineLength: 0 })).toBe("webpt-offer:APD_fj4_EA");
    expect(armorSignal("answer", fromHex("fbff"), { lineLength: 0 })).toBe("webpt-answer:-_8");
  });

  it("wraps at the line length with the prefix on its own line", () => {
    const text = armorSignal("offer", new Uint8Array(100));
    const lines = text.split("\n");
    expect(lines[0]).toBe("webpt-offer:");
    // 100 bytes are 134 base64url characters: 64 + 64 + 6.
    expect(lines.slice(1).map((l) => l.length)).toEqual([SIGNAL_ARMOR_LINE_LENGTH, SIGNAL_ARMOR_LINE_LENGTH, 6]);
    expect(armorSignal("offer", new Uint8Array(3), { lineLength: 2 })).toBe("webpt-offer:\nAA\nAA");
  });

  it("rejects a bad line length", () => {
    expect(() => armorSignal("offer", BYTES, { lineLength: -1 })).toThrow(RangeError);
    expect(() => armorSignal("offer", BYTES, { lineLength: 1.5 })).toThrow(RangeError);
  });

  it("has room for the largest sealed message, wrapped with CRLF and indented", () => {
    const text = armorSignal("offer", new Uint8Array(MAX_SEALED_OFFER_BYTES)).replace(/\n/g, "\r\n    ");
    expect(text.length).toBeLessThanOrEqual(MAX_ARMORED_SIGNAL_CHARS);
    expect(dearmorSignal("offer", text).length).toBe(MAX_SEALED_OFFER_BYTES);
  });
});

describe("dearmorSignal", () => {
  it.each([
    ["one line", "webpt-offer:APD_fj4_EA"],
    ["wrapped", "webpt-offer:\nAPD_f\nj4_EA\n"],
    ["CRLF, indentation, tabs", "  webpt-offer:\r\n\tAPD_\r\n   fj4_EA  \r\n"],
    ["prefix in capitals", "WEBPT-OFFER:APD_fj4_EA"],
    ["whitespace inside the prefix (a mail client's wrap)", "webpt-\noffer:APD_fj4_EA"],
    ["= padding", "webpt-offer:APD_fj4_EA=="],
  ])("is forgiving: %s", (_name, text) => {
    expect(dearmorSignal("offer", text)).toEqual(BYTES);
  });

  it.each([
    ["no prefix", "APD_fj4_EA", "ERR_SIGNAL_ARMOR"],
    ["the other kind", "webpt-answer:APD_fj4_EA", "ERR_SIGNAL_ARMOR"],
    ["standard base64 alphabet", "webpt-offer:APD/fj4/EA", "ERR_SIGNAL_ARMOR"],
    ["impossible length", "webpt-offer:A", "ERR_SIGNAL_ARMOR"],
    ["wrong padding", "webpt-offer:APD_fj4_EA=", "ERR_SIGNAL_ARMOR"],
    ["non-ASCII", "webpt-offer:APD_fj4_Eé", "ERR_SIGNAL_ARMOR"],
    ["empty", "", "ERR_SIGNAL_ARMOR"],
  ])("refuses %s", (_name, text, code) => {
    expect(codeOf(() => dearmorSignal("offer", text))).toBe(code);
  });

  it("says which kind a mismatched paste is", () => {
    expect(() => dearmorSignal("offer", "webpt-answer:AAAA")).toThrow(/this is an answer, not an offer/);
    expect(() => dearmorSignal("answer", "webpt-offer:AAAA")).toThrow(/this is an offer, not an answer/);
  });

  it("refuses text over MAX_ARMORED_SIGNAL_CHARS before looking at it, and bytes over the kind's limit", () => {
    expect(codeOf(() => dearmorSignal("offer", " ".repeat(MAX_ARMORED_SIGNAL_CHARS + 1)))).toBe("ERR_SIGNAL_TOO_LARGE");
    const tooBig = armorSignal("answer", new Uint8Array(MAX_SEALED_ANSWER_BYTES + 1));
    expect(() => dearmorSignal("answer", tooBig)).toThrow(
      expect.objectContaining({ code: "ERR_SIGNAL_TOO_LARGE", limit: MAX_SEALED_ANSWER_BYTES }),
    );
  });

  it("round-trips through armorSignal for every length 0..200 and both kinds", () => {
    for (let n = 0; n <= 200; n++) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
      for (const kind of ["offer", "answer"] as const) {
        expect(dearmorSignal(kind, armorSignal(kind, bytes, { lineLength: (n % 7) * 10 }))).toEqual(bytes);
      }
    }
  });
});

describe("signalKindOf", () => {
  it.each([
    ["webpt-offer:AAAA", "offer"],
    [" \n WEBPT-ANSWER:\nAAAA", "answer"],
    ["hello", undefined],
    ["", undefined],
  ])("%j → %s", (text, kind) => {
    expect(signalKindOf(text)).toBe(kind);
  });
});

describe("SignalReplayCache", () => {
  it("refuses a key it remembers, until the entry expires", () => {
    const c = new SignalReplayCache({ ttlMs: 1000 });
    c.remember("a", 0);
    expect(codeOf(() => c.remember("a", 999))).toBe("ERR_SIGNAL_REPLAY");
    expect(c.has("a", 999)).toBe(true);
    expect(c.has("a", 1000)).toBe(false);
    c.remember("a", 1000); // expired at 1000: a fresh entry
    expect(c.size).toBe(1);
  });

  it("is fail-closed when full: refuses new keys rather than forgetting unexpired ones", () => {
    const c = new SignalReplayCache({ ttlMs: 1000, maxEntries: 3 });
    c.remember("a", 0);
    c.remember("b", 10);
    c.remember("c", 20);
    expect(codeOf(() => c.remember("d", 500))).toBe("ERR_SIGNAL_REPLAY_CACHE_FULL");
    expect(codeOf(() => c.remember("a", 500))).toBe("ERR_SIGNAL_REPLAY"); // still remembered
    c.remember("d", 1000); // "a" expired at 1000 and was pruned
    expect(c.size).toBe(3);
    expect(c.has("a", 1000)).toBe(false);
  });

  it("prunes from the front in expiry order and stays within maxEntries", () => {
    const c = new SignalReplayCache({ ttlMs: 40, maxEntries: 50 });
    for (let t = 0; t < 10_000; t++) c.remember(`k${t}`, t);
    expect(c.size).toBe(40); // only the last ttl's worth is kept
    expect(c.has("k9999", 9999)).toBe(true);
    expect(c.has("k9000", 9999)).toBe(false);
  });

  it("rejects bad sizes", () => {
    expect(() => new SignalReplayCache({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new SignalReplayCache({ ttlMs: 10, maxEntries: 0 })).toThrow(RangeError);
  });
});
