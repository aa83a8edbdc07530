/**
 * The signaling envelope under random input. What a prober controls is the
 * body of a POST and what an operator pastes: for any bytes or text, opening
 * either succeeds or throws the project's own error (a WebptError), never a
 * library's TypeError or an exception from noble. Also round trips and
 * tamper resistance over random SDPs.
 *
 * The 10,000-run open() fuzz uses the server's X25519 (Node's OpenSSL,
 * node-x25519.ts), as the signaling endpoint does; a shorter run repeats it
 * with @noble/curves, the default every runtime has.
 */
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_SEALED_OFFER_BYTES,
  MIN_SEALED_OFFER_BYTES,
  SIGNAL_PAD_BLOCK,
  armorSignal,
  dearmorSignal,
  decodeSignalPlaintext,
  openOffer,
  sealOffer,
} from "../../src/shared/codec/signaling/index.js";
import { concatBytes } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import { nodeX25519For } from "../../src/server/carriers/webrtc/node-x25519.js";
import { fcParams } from "../helpers/fc.js";
import { FIXED_NOW, fixedBridge, specKeys } from "../unit/signaling-fixtures.js";

const bridge = fixedBridge();
const x25519 = nodeX25519For(bridge.privateKey);

/** Runs `fn`; true when it returned, false when it threw a WebptError; rethrows anything else. */
function projectErrorsOnly(fn: () => unknown): boolean {
  try {
    fn();
    return true;
  } catch (err) {
    if (err instanceof WebptError) return false;
    throw err;
  }
}

/** Lengths spread over the interesting range: below the minimum, around it, up to past the maximum. */
const bodies = fc.oneof(
  fc.uint8Array({ maxLength: MIN_SEALED_OFFER_BYTES + 64 }),
  fc.integer({ min: MIN_SEALED_OFFER_BYTES, max: MAX_SEALED_OFFER_BYTES + 8 }).chain((n) =>
    fc.tuple(fc.uint8Array({ minLength: 32, maxLength: 32 }), fc.integer({ min: 0, max: 255 })).map(([head, fill]) => {
      const out = new Uint8Array(n).fill(fill);
      out.set(head);
      return out;
    }),
  ),
);

const sdps = fc.string({ unit: "grapheme", maxLength: 600 }).map((s) => "v=0\r\n" + s);

describe("openOffer on random bytes", () => {
  it("only ever throws WebptError (10,000 runs, the server's X25519)", () => {
    fc.assert(
      fc.property(bodies, (body) => {
        expect(projectErrorsOnly(() => openOffer(body, bridge, { now: FIXED_NOW, x25519 }))).toBe(false);
      }),
      fcParams(10_000),
    );
  });

  it("only ever throws WebptError with the default @noble/curves X25519 too", () => {
    fc.assert(
      fc.property(bodies, (body) => {
        expect(projectErrorsOnly(() => openOffer(body, bridge, { now: FIXED_NOW }))).toBe(false);
      }),
      fcParams(500),
    );
  });
});

describe("authentic envelopes around random plaintexts", () => {
  const R = sealOffer("v=0", bridge, { now: FIXED_NOW }).bytes.slice(0, 32);
  const { offerKey } = specKeys(bridge, R); // once: R is fixed, only the plaintext varies
  const seal = (pt: Uint8Array): Uint8Array =>
    concatBytes(R, chacha20poly1305(offerKey, new Uint8Array(12), R).encrypt(pt));

  it("decodeSignalPlaintext only ever throws WebptError (10,000 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2 * SIGNAL_PAD_BLOCK }), fc.integer({ min: 0, max: 3 }), (pt, kind) => {
        projectErrorsOnly(() => decodeSignalPlaintext(pt, kind));
      }),
      fcParams(10_000),
    );
  });

  it("openOffer of a sealed random plaintext only throws WebptError (2,000 runs)", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 14, maxLength: 1100 }), fc.constantFrom(0, 1, 2), (pt, version) => {
        pt[0] = version; // reach past the version check most of the time
        pt[1] = 1;
        projectErrorsOnly(() => openOffer(seal(pt), bridge, { now: FIXED_NOW, x25519 }));
      }),
      fcParams(2_000),
    );
  });
});

describe("round trips", () => {
  it("openOffer(sealOffer(sdp)) = sdp, and the answer opens for the offerer only", () => {
    fc.assert(
      fc.property(sdps, sdps, (offerSdp, answerSdp) => {
        const offer = sealOffer(offerSdp, bridge, { now: FIXED_NOW });
        const opened = openOffer(offer.bytes, bridge, { now: FIXED_NOW, x25519 });
        expect(opened.sdp).toBe(offerSdp);
        expect(offer.openAnswer(opened.sealAnswer(answerSdp)).sdp).toBe(answerSdp);
        // Sealed length hides the SDP length to the padding bucket.
        const c = offer.bytes.length - 48;
        expect(c % SIGNAL_PAD_BLOCK).toBeLessThan(SIGNAL_PAD_BLOCK);
        expect(c).toBeGreaterThanOrEqual(
          Math.ceil((14 + new TextEncoder().encode(offerSdp).length) / SIGNAL_PAD_BLOCK) * SIGNAL_PAD_BLOCK,
        );
      }),
      fcParams(100),
    );
  });

  it("any single flipped bit makes the offer fail to open", () => {
    const offer = sealOffer("v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\n", bridge, { now: FIXED_NOW });
    fc.assert(
      fc.property(fc.nat({ max: offer.bytes.length * 8 - 1 }), (bit) => {
        const bad = new Uint8Array(offer.bytes);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(() => openOffer(bad, bridge, { now: FIXED_NOW, x25519 })).toThrow(
          expect.objectContaining({ code: "ERR_SIGNAL_BAD_SEAL" }),
        );
      }),
      fcParams(1_000),
    );
  });
});

describe("armor", () => {
  it("dearmorSignal on random text only ever throws WebptError (10,000 runs)", () => {
    const texts = fc.oneof(
      fc.string({ maxLength: 200 }),
      fc.string({ unit: "binary", maxLength: 200 }).map((s) => "webpt-offer:" + s),
      fc.stringMatching(/^[A-Za-z0-9_\- \n=]{0,300}$/).map((s) => "webpt-offer:" + s),
    );
    fc.assert(
      fc.property(texts, (text) => {
        projectErrorsOnly(() => dearmorSignal("offer", text));
      }),
      fcParams(10_000),
    );
  });

  it("survives re-wrapping: whitespace inserted anywhere is ignored", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.tuple(fc.nat(), fc.constantFrom(" ", "\n", "\r\n", "\t", "\n    ")), { maxLength: 20 }),
        (bytes, inserts) => {
          let text = armorSignal("answer", bytes, { lineLength: 0 });
          for (const [at, ws] of inserts) {
            const i = at % (text.length + 1);
            text = text.slice(0, i) + ws + text.slice(i);
          }
          expect(dearmorSignal("answer", text)).toEqual(bytes);
        },
      ),
      fcParams(1_000),
    );
  });
});
