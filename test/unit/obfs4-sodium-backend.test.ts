import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/index.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import { createFramers } from "../../src/shared/codec/obfs4/packet.js";
import { loadSodiumBackend } from "../../src/server/crypto/sodium-backend.js";
import { describeObfs4BackendCompliance } from "../helpers/obfs4-backend-compliance.js";

// The native backend must load here (sodium-native ships prebuilds for this
// platform); a silent fall-back to pure JS would hide a 10× slowdown.
it("sodium-native loads", () => {
  expect(loadSodiumBackend()?.name).toBe("sodium-native");
});

describeObfs4BackendCompliance("sodium-native", () => {
  const b = loadSodiumBackend();
  if (b === null) throw new Error("sodium-native did not load");
  return b;
});

describe("sodium-native backend on the frame path", () => {
  const sodium = loadSodiumBackend()!;
  const KM = Uint8Array.from({ length: 144 }, (_, i) => (i * 11 + 1) & 0xff);
  const key = new Uint8Array(32).fill(1);
  const nonce = new Uint8Array(24).fill(2);

  it("interoperates with the pure-JS backend both ways, through the framers", () => {
    const payload = Uint8Array.from({ length: 10_000 }, (_, i) => (i * 5) & 0xff);
    for (const [enc, dec] of [
      [sodium, jsCryptoBackend],
      [jsCryptoBackend, sodium],
    ] as const) {
      const wire = createFramers(KM, "client", { backend: enc }).encoder.encode(payload, 77);
      const got = createFramers(KM, "server", { backend: dec }).decoder.push(wire);
      expect(got.map((p) => (p.type === "payload" ? toHex(p.data) : p.type))).toEqual([toHex(payload)]);
    }
  });

  // The frame path calls the native binding without sodium-native's own JS checks, where a wrong
  // length would hit a C assert or overrun: our checks must stop it first, as exceptions or false.
  it.each([
    [
      "sealInto, out one byte short",
      () => sodium.secretboxSealInto(new Uint8Array(20), new Uint8Array(5), nonce, key),
      RangeError,
    ],
    [
      "sealInto, out one byte long",
      () => sodium.secretboxSealInto(new Uint8Array(22), new Uint8Array(5), nonce, key),
      RangeError,
    ],
    [
      "sealInto, short nonce",
      () => sodium.secretboxSealInto(new Uint8Array(21), new Uint8Array(5), nonce.subarray(1), key),
      RangeError,
    ],
    [
      "sealInto, short key",
      () => sodium.secretboxSealInto(new Uint8Array(21), new Uint8Array(5), nonce, key.subarray(1)),
      RangeError,
    ],
    [
      "sealInto, msg not bytes",
      () => sodium.secretboxSealInto(new Uint8Array(21), [1, 2, 3, 4, 5] as unknown as Uint8Array, nonce, key),
      TypeError,
    ],
    [
      "openInto, out not bytes",
      () => sodium.secretboxOpenInto({ length: 5 } as unknown as Uint8Array, new Uint8Array(21), nonce, key),
      TypeError,
    ],
  ])("%s throws before reaching libsodium", (_label, fn, type) => {
    expect(fn).toThrow(type);
  });

  it("openInto reports mismatched or short buffers as a failed open", () => {
    const box = sodium.secretboxSeal(new Uint8Array(5), nonce, key);
    expect(sodium.secretboxOpenInto(new Uint8Array(4), box, nonce, key)).toBe(false);
    expect(sodium.secretboxOpenInto(new Uint8Array(0), new Uint8Array(15), nonce, key)).toBe(false);
    const out = new Uint8Array(5).fill(9);
    expect(sodium.secretboxOpenInto(out, box, nonce, key)).toBe(true);
    expect(toHex(out)).toBe("0000000000");
  });

  it("allocates unzeroed Node Buffers of the asked length, each with its own memory", () => {
    const a = sodium.allocate(70_000);
    const b = sodium.allocate(70_000);
    expect(Buffer.isBuffer(a) && a.length).toBe(70_000);
    expect(a.buffer).not.toBe(b.buffer);
    expect(sodium.allocate(10).byteLength).toBe(10);
  });
});
