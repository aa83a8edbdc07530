import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes/index.js";
import {
  SECRETBOX_OVERHEAD,
  completeBackend,
  type Obfs4CryptoBackend,
} from "../../src/shared/codec/obfs4/crypto-backend.js";
import { createJsCryptoBackend, jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import {
  NACL_BOX,
  NACL_KEY,
  NACL_MESSAGE,
  NACL_NONCE,
  checkObfs4Backend,
  describeObfs4BackendCompliance,
} from "../helpers/obfs4-backend-compliance.js";

describeObfs4BackendCompliance("js (shared default)", () => jsCryptoBackend);
describeObfs4BackendCompliance("js (fresh instance)", createJsCryptoBackend);

/** A backend with only the three required methods, counting calls. */
function minimalBackend(): Obfs4CryptoBackend & { calls: Record<string, number> } {
  const calls: Record<string, number> = { seal: 0, open: 0 };
  return {
    name: "minimal",
    calls,
    secretboxSeal: (m, n, k) => (calls.seal!++, jsCryptoBackend.secretboxSeal(m, n, k)),
    secretboxOpen: (b, n, k) => (calls.open!++, jsCryptoBackend.secretboxOpen(b, n, k)),
    sipHash24: (k, d) => jsCryptoBackend.sipHash24(k, d),
  };
}

describe("completeBackend", () => {
  it("derives the …Into methods from the allocating ones", () => {
    const base = minimalBackend();
    const full = completeBackend(base);
    checkObfs4Backend(full);
    const out = new Uint8Array(NACL_BOX.length);
    const before = base.calls.seal!;
    full.secretboxSealInto(out, NACL_MESSAGE, NACL_NONCE, NACL_KEY);
    expect(base.calls.seal).toBe(before + 1);
    expect(toHex(out)).toBe(toHex(NACL_BOX));
  });

  it("keeps a backend's own …Into methods", () => {
    let used = 0;
    const own: Obfs4CryptoBackend = {
      ...minimalBackend(),
      secretboxSealInto: (out, m, n, k) => {
        used++;
        jsCryptoBackend.secretboxSealInto(out, m, n, k);
      },
    };
    completeBackend(own).secretboxSealInto(new Uint8Array(NACL_BOX.length), NACL_MESSAGE, NACL_NONCE, NACL_KEY);
    expect(used).toBe(1);
  });
});

describe("js backend argument checks", () => {
  const b = createJsCryptoBackend();
  it.each([
    ["short nonce", () => b.secretboxSeal(NACL_MESSAGE, NACL_NONCE.subarray(1), NACL_KEY), RangeError],
    ["short key", () => b.secretboxOpen(NACL_BOX, NACL_NONCE, NACL_KEY.subarray(1)), RangeError],
    ["non-bytes key", () => b.secretboxSeal(NACL_MESSAGE, NACL_NONCE, "k" as unknown as Uint8Array), TypeError],
    ["15-byte SipHash key", () => b.sipHash24(new Uint8Array(15), new Uint8Array(1)), RangeError],
    [
      "sealInto, wrong out size",
      () => b.secretboxSealInto(new Uint8Array(10), NACL_MESSAGE, NACL_NONCE, NACL_KEY),
      RangeError,
    ],
    [
      "openInto, wrong out size",
      () => b.secretboxOpenInto(new Uint8Array(10), NACL_BOX, NACL_NONCE, NACL_KEY),
      RangeError,
    ],
  ])("%s throws", (_label, fn, type) => {
    expect(fn).toThrow(type);
  });

  it("openInto reports a short box as a failure, not an exception", () => {
    expect(b.secretboxOpenInto(new Uint8Array(0), new Uint8Array(SECRETBOX_OVERHEAD - 1), NACL_NONCE, NACL_KEY)).toBe(
      false,
    );
  });

  it("grows its scratch for boxes larger than the initial 2 KiB", () => {
    const big = Uint8Array.from({ length: 5000 }, (_, i) => i & 0xff);
    const boxed = b.secretboxSeal(big, NACL_NONCE, NACL_KEY);
    const into = new Uint8Array(boxed.length);
    b.secretboxSealInto(into, big, NACL_NONCE, NACL_KEY);
    expect(toHex(into)).toBe(toHex(boxed));
    const back = new Uint8Array(big.length);
    expect(b.secretboxOpenInto(back, boxed, NACL_NONCE, NACL_KEY)).toBe(true);
    expect(toHex(back)).toBe(toHex(big));
  });

  it("SipHash output is the 64-bit value little-endian (paper: 0xa129ca6149be45e5)", () => {
    const key = fromHex("000102030405060708090a0b0c0d0e0f");
    const msg = fromHex("000102030405060708090a0b0c0d0e");
    expect(toHex(b.sipHash24(key, msg))).toBe("e545be4961ca29a1");
  });
});
