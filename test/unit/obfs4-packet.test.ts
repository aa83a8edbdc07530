import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/index.js";
import { UnexpectedEOFError, WebptError } from "../../src/shared/errors.js";
import { jsCryptoBackend } from "../../src/shared/codec/obfs4/crypto-backend-js.js";
import { HashDrbg } from "../../src/shared/codec/obfs4/drbg.js";
import { FrameEncoder, MAX_FRAME_DECODER_BUFFER } from "../../src/shared/codec/obfs4/framing.js";
import {
  ERR_OBFS4_BAD_PACKET_LENGTH,
  ERR_OBFS4_BAD_PAYLOAD_LENGTH,
  ERR_OBFS4_TAG_MISMATCH,
} from "../../src/shared/codec/obfs4/framing.js";
import {
  INLINE_SEED_FRAME_LENGTH,
  MAX_PACKET_PADDING,
  MAX_PACKET_PAYLOAD,
  PACKET_FRAME_OVERHEAD,
  PACKET_OVERHEAD,
  PACKET_TYPE_PAYLOAD,
  PACKET_TYPE_PRNG_SEED,
  PRNG_SEED_LENGTH,
  SESSION_KEY_MATERIAL_LENGTH,
  createFramers,
  encodedLength,
  type Obfs4Packet,
} from "../../src/shared/codec/obfs4/packet.js";
import { splits } from "../helpers/chunking.js";
import { FRAME_KEY_MATERIAL, GO_FRAMES } from "../helpers/obfs4-backend-compliance.js";

const KM = FRAME_KEY_MATERIAL;
const C2S = KM.subarray(0, 72);
const SEED = Uint8Array.from({ length: 24 }, (_, i) => 0xa0 + i);
const bytes = (n: number, start = 0): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);

function nonce(prefix: Uint8Array, counter: bigint): Uint8Array {
  const n = new Uint8Array(24);
  n.set(prefix);
  new DataView(n.buffer).setBigUint64(16, counter);
  return n;
}

/**
 * Opens every frame of a client->server stream with the raw backend: lengths
 * unmasked with a DRBG of the direction's seed, nonces counted from 1.
 */
function openAll(stream: Uint8Array): Uint8Array[] {
  const drbg = new HashDrbg(C2S.slice(48, 72));
  const out: Uint8Array[] = [];
  let off = 0;
  let ctr = 1n;
  while (off < stream.length) {
    const boxLen = ((stream[off]! << 8) | stream[off + 1]!) ^ drbg.nextLengthMask();
    const box = stream.subarray(off + 2, off + 2 + boxLen);
    const plain = jsCryptoBackend.secretboxOpen(box, nonce(C2S.subarray(32, 48), ctr++), C2S.subarray(0, 32));
    expect(plain).not.toBeNull();
    out.push(plain!);
    off += 2 + boxLen;
  }
  expect(off).toBe(stream.length);
  return out;
}

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

describe("packet constants (packet.go, obfs4.go)", () => {
  it("match obfs4proxy", () => {
    expect(PACKET_OVERHEAD).toBe(3);
    expect(MAX_PACKET_PAYLOAD).toBe(1427);
    expect(MAX_PACKET_PADDING).toBe(1427);
    expect(PACKET_FRAME_OVERHEAD).toBe(21); // obfs4.go headerLength
    expect([PACKET_TYPE_PAYLOAD, PACKET_TYPE_PRNG_SEED]).toEqual([0, 1]);
    expect(PRNG_SEED_LENGTH).toBe(24);
    expect(INLINE_SEED_FRAME_LENGTH).toBe(45); // spec §4 InlineSeedFrameLength
    expect(SESSION_KEY_MATERIAL_LENGTH).toBe(144);
  });
});

describe("Obfs4Encoder", () => {
  it("lays a packet out as type, big-endian length, payload, zero padding", () => {
    const enc = createFramers(KM, "client").encoder;
    const frame = enc.encodePacket(PACKET_TYPE_PAYLOAD, fromHex("616263"), 4);
    expect(frame.length).toBe(21 + 3 + 4);
    const plain = jsCryptoBackend.secretboxOpen(
      frame.subarray(2),
      nonce(C2S.subarray(32, 48), 1n),
      C2S.subarray(0, 32),
    );
    expect(toHex(plain!)).toBe("00" + "0003" + "616263" + "00000000");
  });

  it("encodePrngSeedPacket is the unpadded 45-byte seed frame obfs4proxy's server sends first", () => {
    const enc = createFramers(KM, "server").encoder;
    const frame = enc.encodePrngSeedPacket(SEED);
    expect(frame.length).toBe(INLINE_SEED_FRAME_LENGTH);
    expect(toHex(frame)).toBe(GO_FRAMES.server[0].hex);
    expect(() => enc.encodePrngSeedPacket(new Uint8Array(23))).toThrow(RangeError);
  });

  // [payload bytes, padLen, frame sizes]; 21 = frame + packet overhead.
  it.each([
    [0, 0, []],
    [0, 5, [26]],
    [1, 0, [22]],
    [1, 5, [27]], // padding fits the last packet
    [1423, 4, [1448]], // exactly fills it
    [1423, 5, [1444, 26]], // does not fit: one more payload-less packet
    [1427, 0, [1448]],
    [1427, 5, [1448, 26]],
    [1428, 0, [1448, 22]],
    [2854, 0, [1448, 1448]],
    [3000, 1427, [1448, 1448, 167, 1448]],
  ] as const)("encode(%i bytes, padLen %i) makes frames of %j", (n, padLen, sizes) => {
    const enc = createFramers(KM, "client").encoder;
    const payload = bytes(n);
    const out = enc.encode(payload, padLen);
    expect(out.length).toBe(sizes.reduce((a, b) => a + b, 0));
    expect(encodedLength(n, padLen)).toBe(out.length);
    expect(enc.framesEncoded).toBe(BigInt(sizes.length));
    const plains = sizes.length > 0 ? openAll(out) : [];
    expect(plains.map((p) => p.length + 18)).toEqual([...sizes]);
    const carried = concatBytes(...plains.map((p) => p.subarray(3, 3 + ((p[1]! << 8) | p[2]!))));
    expect(toHex(carried)).toBe(toHex(payload));
  });

  it("encodePadding makes payload-less packets of the planned sizes", () => {
    const enc = createFramers(KM, "client").encoder;
    const out = enc.encodePadding([MAX_PACKET_PADDING, 0, 7]);
    expect(out.length).toBe(1448 + 21 + 28);
    expect(openAll(out).map((p) => toHex(p.subarray(0, 3)))).toEqual(["000000", "000000", "000000"]);
  });

  it.each([
    ["padding over 1427", () => createFramers(KM, "client").encoder.encode(bytes(1), 1428)],
    ["negative padding", () => createFramers(KM, "client").encoder.encode(bytes(1), -1)],
    ["data + padding over 1427", () => createFramers(KM, "client").encoder.encodePacket(0, bytes(1000), 428)],
    ["a packet type of 256", () => createFramers(KM, "client").encoder.encodePacket(256, bytes(1))],
    ["a short output buffer", () => createFramers(KM, "client").encoder.encodeInto(new Uint8Array(10), 0, bytes(5))],
  ])("rejects %s", (_label, fn) => {
    expect(fn).toThrow(RangeError);
  });
});

describe("Obfs4Decoder", () => {
  /** A server->client stream: seed, "hello", 10 bytes of padding (Go), then more frames of ours. */
  function serverStream(): { stream: Uint8Array; expected: { type: string; hex: string }[] } {
    const enc = createFramers(KM, "server").encoder;
    const parts = [
      enc.encodePrngSeedPacket(SEED),
      enc.encode(new TextEncoder().encode("hello")),
      enc.encode(new Uint8Array(0), 10),
      enc.encode(bytes(1600, 7), 5),
      enc.encodePacket(7, bytes(4)), // unknown type: authenticated, ignored
      enc.encodePacket(PACKET_TYPE_PRNG_SEED, bytes(23)), // seed of the wrong size: ignored
      enc.encodePacket(PACKET_TYPE_PRNG_SEED, bytes(24, 0x30), 9),
      enc.encode(fromHex("ffee")),
    ];
    expect(toHex(concatBytes(...parts.slice(0, 3)))).toBe(GO_FRAMES.server.map((f) => f.hex).join(""));
    return {
      stream: concatBytes(...parts),
      expected: [
        { type: "prng-seed", hex: toHex(SEED) },
        { type: "payload", hex: toHex(new TextEncoder().encode("hello")) + toHex(bytes(1600, 7)) },
        { type: "prng-seed", hex: toHex(bytes(24, 0x30)) },
        { type: "payload", hex: "ffee" },
      ],
    };
  }

  it("yields seeds and merged payloads in order, at every split point and in 1-byte chunks", () => {
    const { stream, expected } = serverStream();
    for (const { label, chunks } of splits(stream)) {
      const dec = createFramers(KM, "client").decoder;
      const got: Obfs4Packet[] = [];
      for (const c of chunks) {
        got.push(...dec.push(c));
        expect(dec.bufferedBytes).toBeLessThanOrEqual(MAX_FRAME_DECODER_BUFFER);
      }
      dec.finish();
      expect(normalize(got), label).toEqual(expected);
    }
  });

  it("merges the payloads of one push into one view", () => {
    const { stream } = serverStream();
    const got = createFramers(KM, "client").decoder.push(stream);
    expect(got.map((p) => p.type)).toEqual(["prng-seed", "payload", "prng-seed", "payload"]);
    const second = got[1]!;
    expect(second.type === "payload" && second.data.length).toBe(1605);
  });

  it("yields nothing for padding-only and empty packets", () => {
    const enc = createFramers(KM, "client").encoder;
    const dec = createFramers(KM, "server").decoder;
    expect(dec.push(concatBytes(enc.encode(new Uint8Array(0), 100), enc.encodePacket(0, new Uint8Array(0))))).toEqual(
      [],
    );
    expect(dec.framesDecoded).toBe(2n);
  });

  it("client and server framers talk to each other in both directions; not to themselves", () => {
    const client = createFramers(KM, "client");
    const server = createFramers(KM, "server");
    expect(normalize(server.decoder.push(client.encoder.encode(fromHex("0102"))))).toEqual([
      { type: "payload", hex: "0102" },
    ]);
    expect(normalize(client.decoder.push(server.encoder.encode(fromHex("0304"))))).toEqual([
      { type: "payload", hex: "0304" },
    ]);
    const self = createFramers(KM, "client");
    const frame = self.encoder.encode(bytes(100));
    expect(codeOf(() => self.decoder.push(concatBytes(frame, new Uint8Array(1500))))).toMatch(/^ERR_OBFS4_/);
  });

  it("rejects an authenticated frame too short for a packet header", () => {
    for (const plain of [new Uint8Array(0), fromHex("0000")]) {
      const dec = createFramers(KM, "server", { random: (n) => new Uint8Array(n) }).decoder;
      expect(codeOf(() => dec.push(new FrameEncoder(C2S).encodeFrame(plain)))).toBe(ERR_OBFS4_BAD_PACKET_LENGTH);
    }
  });

  it("rejects a payload length past the end of the frame, accepts one that reaches it", () => {
    const enc = new FrameEncoder(C2S);
    const ok = enc.encodeFrame(fromHex("00" + "0002" + "6162"));
    const bad = enc.encodeFrame(fromHex("00" + "0003" + "6162"));
    const dec = createFramers(KM, "server").decoder;
    expect(normalize(dec.push(ok))).toEqual([{ type: "payload", hex: "6162" }]);
    expect(codeOf(() => dec.push(bad))).toBe(ERR_OBFS4_BAD_PAYLOAD_LENGTH);
    expect(codeOf(() => dec.push(new Uint8Array(0)))).toBe(ERR_OBFS4_BAD_PAYLOAD_LENGTH); // poisoned
    expect(codeOf(() => dec.finish())).toBe(ERR_OBFS4_BAD_PAYLOAD_LENGTH);
  });

  it("an unknown packet type is still authenticated", () => {
    const frame = createFramers(KM, "client").encoder.encodePacket(0x42, bytes(5));
    frame[frame.length - 1] = frame[frame.length - 1]! ^ 0x80;
    expect(codeOf(() => createFramers(KM, "server").decoder.push(frame))).toBe(ERR_OBFS4_TAG_MISMATCH);
  });

  it("finish() throws UnexpectedEOFError with the bytes of the partial frame, and stays failed", () => {
    const frame = createFramers(KM, "client").encoder.encode(bytes(10));
    const remainingAfter = (n: number): number | undefined => {
      const dec = createFramers(KM, "server").decoder;
      dec.push(frame.subarray(0, n));
      try {
        dec.finish();
      } catch (e) {
        expect(e).toBeInstanceOf(UnexpectedEOFError);
        expect(() => dec.push(frame.subarray(n))).toThrow(e as Error);
        return (e as UnexpectedEOFError).remaining;
      }
      return undefined;
    };
    expect(remainingAfter(1)).toBe(1); // half a length field
    expect(remainingAfter(2)).toBe(2); // a length field, no box yet
    expect(remainingAfter(20)).toBe(20);
    expect(remainingAfter(frame.length - 1)).toBe(frame.length - 1);
    expect(remainingAfter(frame.length)).toBeUndefined();
  });
});

describe("createFramers", () => {
  it("gives the client bytes 0..71 to encode and the server bytes 72..143 (obfs4.go)", () => {
    const c = createFramers(KM, "client").encoder.encode(fromHex("78"));
    const viaFirstHalf = new FrameEncoder(KM.subarray(0, 72)).encodeFrame(fromHex("000001" + "78"));
    expect(toHex(c)).toBe(toHex(viaFirstHalf));
    const s = createFramers(KM, "server").encoder.encode(fromHex("78"));
    expect(toHex(s)).toBe(toHex(new FrameEncoder(KM.subarray(72)).encodeFrame(fromHex("000001" + "78"))));
  });

  it.each([
    ["143 bytes", () => createFramers(new Uint8Array(143), "client"), RangeError],
    ["not bytes", () => createFramers("k" as unknown as Uint8Array, "client"), TypeError],
    ["a bad role", () => createFramers(KM, "peer" as "client"), TypeError],
  ])("rejects %s", (_label, fn, type) => {
    expect(fn).toThrow(type);
  });
});
