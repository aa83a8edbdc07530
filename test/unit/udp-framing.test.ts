import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../src/shared/errors.js";
import {
  MAX_UDP_DATAGRAM,
  UdpFrameDecoder,
  encodeUdpFrame,
  encodeUdpFrameHeader,
} from "../../src/shared/codec/framing/index.js";
import { decodeAll, decodeEverySplit } from "../helpers/chunking.js";

const h = (s: string): Uint8Array => fromHex(s);
const payload = (n: number, seed = 0): Uint8Array => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 0xff);

describe("encodeUdpFrame (seed 000 §3.3.5.4: two-byte length in network byte order)", () => {
  it("frames a 1400-byte datagram as 05 78 + payload (CONFORMANCE)", () => {
    const d = payload(1400);
    const frame = encodeUdpFrame(d);
    expect(frame.length).toBe(1402);
    expect(toHex(frame.subarray(0, 2))).toBe("0578"); // 0x0578 = 1400, big-endian
    expect(toHex(frame.subarray(2))).toBe(toHex(d));
  });

  const table: [string, Uint8Array, string][] = [
    ["empty datagram", new Uint8Array(0), "0000"],
    ["1 byte", h("ab"), "0001 ab"],
    ["256 bytes: high byte first", new Uint8Array(256), "0100" + "00".repeat(256)],
  ];
  it.each(table)("%s", (_label, d, want) => {
    expect(toHex(encodeUdpFrame(d))).toBe(toHex(h(want)));
  });

  it("never truncates: 65535 bytes is ff ff + the whole datagram, 65536 is a RangeError", () => {
    const d = payload(MAX_UDP_DATAGRAM, 3);
    const frame = encodeUdpFrame(d);
    expect(frame.length).toBe(65537);
    expect(toHex(frame.subarray(0, 2))).toBe("ffff");
    expect(toHex(frame.subarray(65530))).toBe(toHex(d.subarray(65528)));
    expect(() => encodeUdpFrame(new Uint8Array(65536))).toThrow(RangeError);
    expect(() => encodeUdpFrame([1, 2] as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("has a header-only form for writev", () => {
    expect(toHex(encodeUdpFrameHeader(1400))).toBe("0578");
    expect(toHex(encodeUdpFrameHeader(0))).toBe("0000");
    expect(() => encodeUdpFrameHeader(65536)).toThrow(RangeError);
    expect(() => encodeUdpFrameHeader(-1)).toThrow(RangeError);
    expect(() => encodeUdpFrameHeader(1.5)).toThrow(RangeError);
  });
});

describe("UdpFrameDecoder", () => {
  const streams: [string, string, string[]][] = [
    ["one datagram", "0003 616263", ["616263"]],
    ["empty datagrams are datagrams", "0000 0000 0001 ff", ["", "", "ff"]],
    ["three back to back", "0001 01 0002 0202 0003 030303", ["01", "0202", "030303"]],
  ];
  it.each(streams)("%s, at every split point and in 1-byte chunks", (_label, input, want) => {
    const got = decodeEverySplit(() => new UdpFrameDecoder(), h(input));
    expect(got.map(toHex)).toEqual(want);
  });

  it("decodes the 1400-byte KAT at every split point", () => {
    const d = payload(1400, 9);
    const got = decodeEverySplit(() => new UdpFrameDecoder(), concatBytes(encodeUdpFrame(d), fromHex("0001 ee")));
    expect(got.map(toHex)).toEqual([toHex(d), "ee"]);
  });

  it("reassembles a 65535-byte datagram split anywhere", () => {
    const d = payload(65535, 5);
    const frame = encodeUdpFrame(d);
    for (const at of [0, 1, 2, 3, 32768, 65536, 65537]) {
      const got = decodeAll(new UdpFrameDecoder(), [frame.subarray(0, at), frame.subarray(at)]);
      expect(got.length).toBe(1);
      expect(got[0]!.length).toBe(65535);
      expect(toHex(got[0]!.subarray(65000))).toBe(toHex(d.subarray(65000)));
    }
  });

  it("returns views into the pushed chunk when a frame lies within it", () => {
    const stream = h("0002 aabb");
    const [d] = new UdpFrameDecoder().push(stream);
    expect(d!.buffer).toBe(stream.buffer);
  });

  const truncated = ["00", "0005", "0005 0102", "0001 ff 00"];
  it.each(truncated)("throws UnexpectedEOFError when the stream ends inside %s", (input) => {
    const dec = new UdpFrameDecoder();
    dec.push(h(input));
    expect(dec.buffered).toBeGreaterThan(0);
    expect(() => dec.finish()).toThrow(UnexpectedEOFError);
  });

  it("keeps only the partial frame buffered", () => {
    const dec = new UdpFrameDecoder();
    expect(dec.push(h("0001 aa 0004 bbbb")).map(toHex)).toEqual(["aa"]);
    expect(dec.buffered).toBe(4);
    expect(dec.push(h("bbbb")).map(toHex)).toEqual(["bbbbbbbb"]);
    expect(dec.buffered).toBe(0);
    dec.finish();
  });

  it("enforces a lower maxDatagram when the prefix arrives, then stays poisoned", () => {
    const dec = new UdpFrameDecoder({ maxDatagram: 1500 });
    expect(dec.push(encodeUdpFrame(new Uint8Array(1500))).length).toBe(1);
    expect(() => dec.push(h("05"))).not.toThrow();
    expect(() => dec.push(h("dd"))).toThrow(LimitError); // 0x05dd = 1501
    expect(() => dec.push(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: "ERR_UDP_FRAME_TOO_LARGE", limit: 1500 }),
    );
    expect(() => dec.finish()).toThrow(LimitError);
    expect(() => new UdpFrameDecoder({ maxDatagram: 65536 })).toThrow(RangeError);
  });
});
