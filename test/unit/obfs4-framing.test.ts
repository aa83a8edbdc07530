import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/index.js";
import { WebptError } from "../../src/shared/errors.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import {
  FRAME_OVERHEAD,
  FRAMING_KEY_LENGTH,
  FrameDecoder,
  FrameEncoder,
  MAX_BOX_LENGTH,
  MAX_FRAME_DECODER_BUFFER,
  MAX_FRAME_LENGTH,
  MAX_FRAME_PAYLOAD,
  MIN_BOX_LENGTH,
} from "../../src/shared/codec/obfs4/framing.js";
import {
  ERR_OBFS4_BAD_FRAME_LENGTH,
  ERR_OBFS4_NONCE_EXHAUSTED,
  ERR_OBFS4_TAG_MISMATCH,
} from "../../src/shared/codec/obfs4/framing.js";
import { createFramers, type Obfs4Packet } from "../../src/shared/codec/obfs4/packet.js";
import { splits } from "../helpers/chunking.js";
import { FRAME_KEY_MATERIAL, GO_FRAMES } from "../helpers/obfs4-backend-compliance.js";

const KM = FRAME_KEY_MATERIAL;
/** Key material 0..71 is client->server, 72..143 server->client (obfs4.go clientHandshake/serverHandshake). */
const C2S = KM.subarray(0, 72);
const S2C = KM.subarray(72);
const SERVER_STREAM = fromHex(GO_FRAMES.server.map((f) => f.hex).join(""));
const zeros = (n: number): Uint8Array => new Uint8Array(n);

/** Parts of a direction's key: secretbox key, nonce prefix, SipHash key, IV. */
function parts(k: Uint8Array): { key: Uint8Array; prefix: Uint8Array; sipKey: Uint8Array; iv: Uint8Array } {
  return { key: k.subarray(0, 32), prefix: k.subarray(32, 48), sipKey: k.subarray(48, 64), iv: k.subarray(64, 72) };
}

function nonce(prefix: Uint8Array, counter: bigint): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix);
  new DataView(n.buffer).setBigUint64(16, counter);
  return n;
}

/** Merges adjacent payloads so outputs of different chunkings compare equal. */
function normalize(packets: readonly Obfs4Packet[]): { type: string; hex: string }[] {
  const out: { type: string; hex: string }[] = [];
  for (const p of packets) {
    const hex = toHex(p.type === "payload" ? p.data : p.seed);
    const last = out[out.length - 1];
    if (p.type === "payload" && last?.type === "payload") last.hex += hex;
    else out.push({ type: p.type, hex });
  }
  return out;
}

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    return e instanceof WebptError ? e.code : `not a WebptError: ${String(e)}`;
  }
  return undefined;
}

describe("obfs4 frame constants (framing.go)", () => {
  it("match obfs4proxy: 1448-byte segments, 18 bytes of overhead, 1430 of plaintext", () => {
    expect(MAX_FRAME_LENGTH).toBe(1500 - (40 + 12));
    expect(FRAME_OVERHEAD).toBe(18);
    expect(MAX_FRAME_PAYLOAD).toBe(1430);
    expect(MAX_BOX_LENGTH).toBe(1446);
    expect(MIN_BOX_LENGTH).toBe(16);
    expect(FRAMING_KEY_LENGTH).toBe(72);
    expect(MAX_FRAME_DECODER_BUFFER).toBe(1448);
  });
});

describe("obfs4 frames on the wire", () => {
  it("the length field is the box length XOR the first 2 bytes of SipHash(K, IV0)", () => {
    const { sipKey, iv } = parts(S2C);
    const mask = jsCryptoBackend.sipHash24(sipKey, iv);
    const first = fromHex(GO_FRAMES.server[0].hex);
    // 05d2 ^ mask = 0x002b = 43 = 16 (tag) + 1 (type) + 2 (length) + 24 (seed).
    expect(((first[0]! ^ mask[0]!) << 8) | (first[1]! ^ mask[1]!)).toBe(43);
    expect(first.length).toBe(45);
  });

  it("the nonce is prefix || 64-bit big-endian counter starting at 1", () => {
    const { key, prefix } = parts(S2C);
    const f1 = fromHex(GO_FRAMES.server[0].hex).subarray(2);
    const f2 = fromHex(GO_FRAMES.server[1].hex).subarray(2);
    // Frame 1 plaintext: type 01, length 0018, seed a0..b7.
    expect(toHex(jsCryptoBackend.secretboxOpen(f1, nonce(prefix, 1n), key)!)).toBe(
      "01" + "0018" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7",
    );
    expect(jsCryptoBackend.secretboxOpen(f1, nonce(prefix, 0n), key)).toBeNull();
    expect(jsCryptoBackend.secretboxOpen(f1, nonce(prefix, 1n << 56n), key)).toBeNull(); // not little-endian
    // Frame 2: type 00, length 0005, "hello".
    expect(toHex(jsCryptoBackend.secretboxOpen(f2, nonce(prefix, 2n), key)!)).toBe("00" + "0005" + "68656c6c6f");
  });

  it("FrameEncoder reproduces obfs4proxy's frames byte for byte", () => {
    const enc = new FrameEncoder(S2C);
    const seedPkt = fromHex("01" + "0018" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7");
    expect(toHex(enc.encodeFrame(seedPkt))).toBe(GO_FRAMES.server[0].hex);
    expect(toHex(enc.encodeFrame(fromHex("00" + "0005" + "68656c6c6f")))).toBe(GO_FRAMES.server[1].hex);
    expect(enc.framesEncoded).toBe(2n);
  });

  it("sealInPlace writes only its frame's bytes and returns the end offset", () => {
    const enc = new FrameEncoder(S2C);
    const buf = new Uint8Array(4 + 45 + 3).fill(0xee);
    buf.set(fromHex("01" + "0018" + "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7"), 4 + FRAME_OVERHEAD);
    expect(enc.sealInPlace(buf, 4, 27)).toBe(49);
    expect(toHex(buf)).toBe("eeeeeeee" + GO_FRAMES.server[0].hex + "eeeeee");
  });
});

describe("nonce counter", () => {
  it("carries across the 32-bit boundary", () => {
    const { key, prefix } = parts(C2S);
    const enc = new FrameEncoder(C2S, { initialNonceCounter: 0xffffffffn });
    const a = enc.encodeFrame(fromHex("000000")).subarray(2);
    const b = enc.encodeFrame(fromHex("000000")).subarray(2);
    expect(jsCryptoBackend.secretboxOpen(a, nonce(prefix, 0xffffffffn), key)).not.toBeNull();
    expect(jsCryptoBackend.secretboxOpen(b, nonce(prefix, 0x100000000n), key)).not.toBeNull();
  });

  it("uses 2^64 - 1 once, then refuses to encode (obfs4proxy ErrNonceCounterWrapped)", () => {
    const enc = createFramers(KM, "client", { initialNonceCounter: (1n << 64n) - 1n }).encoder;
    // Go oracle frame: counter ffffffffffffffff, payload "x".
    expect(toHex(enc.encode(fromHex("78")))).toBe("477f" + "92f8213a0e69daa14707a68f03ee763b" + "3e4b2de1");
    expect(codeOf(() => enc.encode(fromHex("78")))).toBe(ERR_OBFS4_NONCE_EXHAUSTED);
    expect(codeOf(() => enc.encodePacket(0, zeros(0)))).toBe(ERR_OBFS4_NONCE_EXHAUSTED);
  });

  it("the decoder opens the last counter value, then refuses the next frame", () => {
    const dec = createFramers(KM, "server", { initialNonceCounter: (1n << 64n) - 1n }).decoder;
    const last = fromHex("477f" + "92f8213a0e69daa14707a68f03ee763b" + "3e4b2de1");
    expect(normalize(dec.push(last))).toEqual([{ type: "payload", hex: "78" }]);
    expect(codeOf(() => dec.push(fromHex("0000")))).toBe(ERR_OBFS4_NONCE_EXHAUSTED);
  });

  it.each([0n, 1n << 64n, -1n])("rejects initialNonceCounter %s", (c) => {
    expect(() => new FrameEncoder(C2S, { initialNonceCounter: c })).toThrow(RangeError);
  });
});

describe("FrameDecoder", () => {
  it("decodes obfs4proxy's frames at every split point and in 1-byte chunks, buffering at most one frame", () => {
    for (const { label, chunks } of splits(SERVER_STREAM)) {
      const dec = new FrameDecoder(S2C);
      const plains: string[] = [];
      for (const c of chunks) {
        dec.decode(c, (p) => plains.push(toHex(p)));
        expect(dec.bufferedBytes).toBeLessThanOrEqual(MAX_FRAME_DECODER_BUFFER);
      }
      expect(plains, label).toEqual([
        "010018a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7",
        "00000568656c6c6f",
        "000000" + "00".repeat(10),
      ]);
      expect(dec.bufferedBytes).toBe(0);
      expect(dec.framesDecoded).toBe(3n);
    }
  });

  it("an out-of-range length fails only after a random valid length's worth of bytes", () => {
    const { sipKey, iv } = parts(S2C);
    const mask = jsCryptoBackend.sipHash24(sipKey, iv);
    // Length field that de-obfuscates to 0 (< MIN_BOX_LENGTH). With an all-zero CSPRNG the
    // fake length is csrand.IntRange(16, 1446) = Intn(1431) + 16 = 16.
    const bad = Uint8Array.of(mask[0]!, mask[1]!);
    const dec = new FrameDecoder(S2C, { random: zeros });
    dec.decode(concatBytes(bad, zeros(15)), () => undefined);
    expect(dec.bufferedBytes).toBe(17);
    expect(codeOf(() => dec.decode(zeros(1), () => undefined))).toBe(ERR_OBFS4_BAD_FRAME_LENGTH);
  });

  it.each([
    ["15 (shorter than a tag)", 15],
    ["1447 (longer than a segment allows)", 1447],
    ["65535", 0xffff],
  ])("treats a length of %s as invalid", (_label, len) => {
    const { sipKey, iv } = parts(S2C);
    const mask = jsCryptoBackend.sipHash24(sipKey, iv);
    const field = Uint8Array.of((len >> 8) ^ mask[0]!, (len & 0xff) ^ mask[1]!);
    const dec = new FrameDecoder(S2C, { random: zeros });
    expect(codeOf(() => dec.decode(concatBytes(field, zeros(16)), () => undefined))).toBe(ERR_OBFS4_BAD_FRAME_LENGTH);
  });

  it("detects every single-bit flip in every frame", () => {
    const frameStarts = [0, 45, 71, 102];
    for (let bit = 0; bit < SERVER_STREAM.length * 8; bit++) {
      const tampered = SERVER_STREAM.slice();
      tampered[bit >> 3] = tampered[bit >> 3]! ^ (1 << (bit & 7));
      const frame = frameStarts.findIndex((s) => s > bit >> 3) - 1;
      const dec = new FrameDecoder(S2C, { random: zeros });
      let opened = 0;
      const code = codeOf(() => dec.decode(tampered, () => opened++));
      // Flips that enlarge the length may leave the decoder waiting: end of stream then.
      const final = code ?? (dec.bufferedBytes > 0 ? "ERR_UNEXPECTED_EOF" : undefined);
      expect([ERR_OBFS4_TAG_MISMATCH, ERR_OBFS4_BAD_FRAME_LENGTH, "ERR_UNEXPECTED_EOF"], `bit ${bit}`).toContain(final);
      expect(opened, `bit ${bit}`).toBe(frame);
    }
  });

  it("is poisoned by its first error", () => {
    const tampered = SERVER_STREAM.slice();
    tampered[10] = tampered[10]! ^ 1;
    const dec = new FrameDecoder(S2C);
    let first: unknown;
    try {
      dec.decode(tampered, () => undefined);
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(WebptError);
    expect(dec.error).toBe(first);
    expect(() => dec.decode(SERVER_STREAM, () => undefined)).toThrow(first as Error);
  });

  it("reports the failing frame's index", () => {
    const tampered = SERVER_STREAM.slice();
    tampered[80] = tampered[80]! ^ 1; // inside frame 2 (0-based)
    const dec = new FrameDecoder(S2C);
    let err: unknown;
    try {
      dec.decode(tampered, () => undefined);
    } catch (e) {
      err = e;
    }
    expect((err as { frameIndex: bigint }).frameIndex).toBe(2n);
    expect((err as WebptError).toJSON()).toMatchObject({ code: ERR_OBFS4_TAG_MISMATCH, frameIndex: "2" });
  });

  it("does not open frames meant for the other direction", () => {
    const dec = new FrameDecoder(C2S, { random: zeros });
    const code = codeOf(() => dec.decode(concatBytes(SERVER_STREAM, zeros(2000)), () => undefined));
    expect([ERR_OBFS4_TAG_MISMATCH, ERR_OBFS4_BAD_FRAME_LENGTH]).toContain(code);
  });
});

describe("framing argument checks", () => {
  it.each([
    ["a 71-byte key", () => new FrameEncoder(new Uint8Array(71)), RangeError],
    ["a non-bytes key", () => new FrameDecoder("x" as unknown as Uint8Array), TypeError],
    ["1431 bytes of plaintext", () => new FrameEncoder(C2S).encodeFrame(new Uint8Array(1431)), RangeError],
    ["a frame past the buffer", () => new FrameEncoder(C2S).sealInPlace(new Uint8Array(30), 20, 0), RangeError],
  ])("rejects %s", (_label, fn, type) => {
    expect(fn).toThrow(type);
  });

  it("a 1430-byte plaintext makes a maximum, 1448-byte frame", () => {
    const frame = new FrameEncoder(C2S).encodeFrame(new Uint8Array(MAX_FRAME_PAYLOAD));
    expect(frame.length).toBe(MAX_FRAME_LENGTH);
    const got: number[] = [];
    new FrameDecoder(C2S).decode(frame, (p) => got.push(p.length));
    expect(got).toEqual([1430]);
  });
});

describe("FrameDecoder with normalize()", () => {
  it("normalize merges only adjacent payloads", () => {
    const p = (hex: string): Obfs4Packet => ({ type: "payload", data: fromHex(hex) });
    const s: Obfs4Packet = { type: "prng-seed", seed: fromHex("ff") };
    expect(normalize([p("01"), p("02"), s, p("03")])).toEqual([
      { type: "payload", hex: "0102" },
      { type: "prng-seed", hex: "ff" },
      { type: "payload", hex: "03" },
    ]);
  });
});
