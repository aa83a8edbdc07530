/**
 * Compliance suite for obfs4 crypto backends (the js-libp2p
 * "interface-compliance-tests" idea): every Obfs4CryptoBackend, the pure-JS
 * default and any injected one (e.g. the server's sodium-native backend),
 * must pass the same known answers.
 *
 * Usage, inside a test file:
 *
 *   import { describeObfs4BackendCompliance } from "../helpers/obfs4-backend-compliance.js";
 *   describeObfs4BackendCompliance("sodium-native", () => createSodiumBackend());
 *
 * or call `checkObfs4Backend(backend)` inside an `it()`.
 *
 * Sources of the known answers (each checked against two implementations
 * when the vectors were made: libsodium 1.0.18 via sodium-native and Go's
 * golang.org/x/crypto/nacl/secretbox + github.com/dchest/siphash, the
 * libraries obfs4proxy links):
 * - NaCl's tests/secretbox.c ("firstkey", its nonce and 131-byte message);
 * - the SipHash paper's key 00..0f over messages 00..(n-1);
 * - obfs4 frames produced by a Go program using obfs4proxy's libraries.
 */
import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes/index.js";
import type { Obfs4CryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend.js";
import { createFramers } from "../../src/shared/codec/obfs4/packet.js";

export const NACL_KEY = fromHex("1b27556473e985d462cd51197a9a46c76009549eac6474f206c4ee0844f68389");
export const NACL_NONCE = fromHex("69696ee955b62b73cd62bda875fc73d68219e0036b7a0b37");
export const NACL_MESSAGE = fromHex(
  "be075fc53c81f2d5cf141316ebeb0c7b5228c52a4c62cbd44b66849b64244ffce5ecbaaf33bd751a1ac728d45e6c6129" +
    "6cdc3c01233561f41db66cce314adb310e3be8250c46f06dceea3a7fa1348057e2f6556ad6b1318a024a838f21af1f" +
    "de048977eb48f59ffd4924ca1c60902e52f0a089bc76897040e082f937763848645e0705",
);
/** tag (16) || ciphertext (131): NaCl's expected secretbox output. */
export const NACL_BOX = fromHex(
  "f3ffc7703f9400e52a7dfb4b3d3305d9" + // Poly1305 tag
    "8e993b9f48681273c29650ba32fc76ce48332ea7164d96a4476fb8c531a1186ac0dfc17c98dce87b4da7f011ec48c972" +
    "71d2c20f9b928fe2270d6fb863d51738b48eeee314a7cc8ab932164548e526ae90224368517acfeabd6bb3732bc0e9da" +
    "99832b61ca01b6de56244a9e88d5f9b37973f622a43d14a6599b1f654cb45a74e355a5",
);

/** Key 0x80..0x9f, nonce 0xc0..0xd7, empty message: a bare tag. */
export const EMPTY_BOX = {
  key: Uint8Array.from({ length: 32 }, (_, i) => 0x80 + i),
  nonce: Uint8Array.from({ length: 24 }, (_, i) => 0xc0 + i),
  box: fromHex("02a164add76597537e2e5ef664476cb4"),
};

/** SipHash-2-4, key 00..0f, message 00..(n-1): n -> 8 output bytes (little-endian). */
export const SIPHASH_VECTORS: readonly (readonly [number, string])[] = [
  [0, "310e0edd47db6f72"],
  [1, "fd67dc93c539f874"],
  [7, "37d1018bf50002ab"],
  [8, "6224939a79f5f593"],
  [9, "b0e4a90bdf82009e"],
  [15, "e545be4961ca29a1"], // the paper's Appendix A example (0xa129ca6149be45e5)
  [16, "db9bc2577fcc2a3f"],
  [31, "42c341d8fa92d832"],
  [63, "724506eb4c328a95"],
];

/** Session key material 0x40, 0x41, ..., 0xcf used by the Go-generated frame fixtures. */
export const FRAME_KEY_MATERIAL = Uint8Array.from({ length: 144 }, (_, i) => 0x40 + i);

/** Frames from the Go oracle for FRAME_KEY_MATERIAL, in each encoder's order. */
export const GO_FRAMES = {
  server: [
    {
      what: "PRNG seed a0..b7, no padding (counter 1)",
      hex: "05d2" + "1e0b66428e4da5b36ebbab9ab5656ad4" + "1779f293ef371f8307d6600a11d6f29690fa80b0d140264d16d639",
    },
    { what: 'payload "hello" (counter 2)', hex: "b9ee" + "255a97d64ba9fe733242c11134a7adb6" + "3a92ba922863bb24" },
    {
      what: "10 bytes of padding, no payload (counter 3)",
      hex: "79aa" + "1737e3aad8a1c2fb9d5659d887ec09f6" + "d1158164cae8fdeb058797a575",
    },
  ],
  client: [
    {
      what: 'payload "hi obfs4" + 3 bytes of padding (counter 1)',
      hex: "4775" + "a113a4b13b01f7fb7cdb77be5c08678c" + "bba3eb21f4bd56d3f1afc0a2f84b",
    },
    { what: "empty payload packet (counter 2)", hex: "1ac6" + "2acbdb4d12423ab5e8f19d7d18a7835f" + "2b7c38" },
  ],
} as const;

/** Runs every known answer against `backend`; throws (vitest expect) on the first mismatch. */
export function checkObfs4Backend(backend: Obfs4CryptoBackend): void {
  // Secretbox: NaCl vector, both directions.
  expect(toHex(backend.secretboxSeal(NACL_MESSAGE, NACL_NONCE, NACL_KEY))).toBe(toHex(NACL_BOX));
  expect(toHex(backend.secretboxOpen(NACL_BOX, NACL_NONCE, NACL_KEY) ?? new Uint8Array())).toBe(toHex(NACL_MESSAGE));
  expect(toHex(backend.secretboxSeal(new Uint8Array(0), EMPTY_BOX.nonce, EMPTY_BOX.key))).toBe(toHex(EMPTY_BOX.box));
  expect(backend.secretboxOpen(EMPTY_BOX.box, EMPTY_BOX.nonce, EMPTY_BOX.key)?.length).toBe(0);

  // Rejections: every single-bit flip of the box, a wrong nonce, a wrong key, short boxes.
  const box = NACL_BOX.slice();
  for (let i = 0; i < box.length * 8; i++) {
    box[i >> 3] = box[i >> 3]! ^ (1 << (i & 7));
    expect(backend.secretboxOpen(box, NACL_NONCE, NACL_KEY)).toBeNull();
    box[i >> 3] = box[i >> 3]! ^ (1 << (i & 7));
  }
  const otherNonce = NACL_NONCE.slice();
  otherNonce[23] = otherNonce[23]! ^ 1;
  expect(backend.secretboxOpen(NACL_BOX, otherNonce, NACL_KEY)).toBeNull();
  const otherKey = NACL_KEY.slice();
  otherKey[0] = otherKey[0]! ^ 0x80;
  expect(backend.secretboxOpen(NACL_BOX, NACL_NONCE, otherKey)).toBeNull();
  for (const n of [0, 1, 15]) expect(backend.secretboxOpen(NACL_BOX.subarray(0, n), NACL_NONCE, NACL_KEY)).toBeNull();

  // Copy-light forms, when offered: into a separate buffer and in place.
  if (backend.secretboxSealInto !== undefined) {
    const out = new Uint8Array(NACL_BOX.length);
    backend.secretboxSealInto(out, NACL_MESSAGE, NACL_NONCE, NACL_KEY);
    expect(toHex(out)).toBe(toHex(NACL_BOX));
    const inPlace = new Uint8Array(NACL_BOX.length);
    inPlace.set(NACL_MESSAGE, 16);
    backend.secretboxSealInto(inPlace, inPlace.subarray(16), NACL_NONCE, NACL_KEY);
    expect(toHex(inPlace)).toBe(toHex(NACL_BOX));
  }
  if (backend.secretboxOpenInto !== undefined) {
    const out = new Uint8Array(NACL_MESSAGE.length);
    expect(backend.secretboxOpenInto(out, NACL_BOX, NACL_NONCE, NACL_KEY)).toBe(true);
    expect(toHex(out)).toBe(toHex(NACL_MESSAGE));
    const bad = NACL_BOX.slice();
    bad[bad.length - 1] = bad[bad.length - 1]! ^ 1;
    expect(backend.secretboxOpenInto(out, bad, NACL_NONCE, NACL_KEY)).toBe(false);
  }

  // SipHash-2-4.
  const sipKey = Uint8Array.from({ length: 16 }, (_, i) => i);
  for (const [n, hex] of SIPHASH_VECTORS) {
    const msg = Uint8Array.from({ length: n }, (_, i) => i);
    expect(toHex(backend.sipHash24(sipKey, msg)), `SipHash over ${n} bytes`).toBe(hex);
  }

  // The real path: obfs4 frames sealed and opened through this backend.
  for (const role of ["server", "client"] as const) {
    const { encoder } = createFramers(FRAME_KEY_MATERIAL, role, { backend });
    const frames = GO_FRAMES[role];
    const got = [
      role === "server" ? encoder.encodePrngSeedPacket(Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i)) : null,
      role === "server" ? encoder.encode(new TextEncoder().encode("hello")) : null,
      role === "server" ? encoder.encode(new Uint8Array(0), 10) : null,
      role === "client" ? encoder.encode(new TextEncoder().encode("hi obfs4"), 3) : null,
      role === "client" ? encoder.encodePacket(0, new Uint8Array(0)) : null,
    ].filter((f): f is Uint8Array => f !== null);
    expect(got.map(toHex)).toEqual(frames.map((f) => f.hex));
    const peer = createFramers(FRAME_KEY_MATERIAL, role === "server" ? "client" : "server", { backend });
    const all = fromHex(frames.map((f) => f.hex).join(""));
    expect(() => peer.decoder.push(all)).not.toThrow();
  }
}

/** Registers the compliance suite for one backend. */
export function describeObfs4BackendCompliance(label: string, makeBackend: () => Obfs4CryptoBackend): void {
  describe(`obfs4 crypto backend compliance: ${label}`, () => {
    it("passes the secretbox, SipHash and obfs4 frame known answers", () => {
      checkObfs4Backend(makeBackend());
    });
  });
}
