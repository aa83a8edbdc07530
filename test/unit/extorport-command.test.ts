import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../src/shared/errors.js";
import {
  EXTOR_CMD_CONTROL,
  EXTOR_CMD_DENY,
  EXTOR_CMD_DONE,
  EXTOR_CMD_OKAY,
  EXTOR_CMD_TRANSPORT,
  EXTOR_CMD_USERADDR,
  ExtOrCommandDecoder,
  MAX_EXTOR_BODY,
  encodeDeny,
  encodeDone,
  encodeExtOrCommand,
  encodeOkay,
  encodeTransport,
  encodeUserAddr,
  extOrCommandName,
} from "../../src/shared/codec/extorport/index.js";
import { decodeAll, decodeEverySplit } from "../helpers/chunking.js";

const hex = (s: string): Uint8Array => fromHex(s);

describe("ExtORPort command codes (§3.1)", () => {
  it("have the spec's values", () => {
    expect([EXTOR_CMD_DONE, EXTOR_CMD_USERADDR, EXTOR_CMD_TRANSPORT]).toEqual([0x0000, 0x0001, 0x0002]);
    expect([EXTOR_CMD_OKAY, EXTOR_CMD_DENY, EXTOR_CMD_CONTROL]).toEqual([0x1000, 0x1001, 0x1002]);
    expect(extOrCommandName(0x1001)).toBe("DENY");
    expect(extOrCommandName(0x1234)).toBeUndefined();
  });
});

describe("encodeExtOrCommand", () => {
  // goptlib TestExtOrSendCommand / TestExtOrPortSendTransport / SendDone.
  const good: [string, Uint8Array, string][] = [
    ["DONE", encodeDone(), "0000 0000"], // cmd 0x0000, len 0
    ["OKAY", encodeOkay(), "1000 0000"],
    ["DENY", encodeDeny(), "1001 0000"],
    ["cmd 5, empty", encodeExtOrCommand(5), "0005 0000"],
    ["cmd 0xfffe", encodeExtOrCommand(0xfffe), "fffe 0000"],
    ["cmd 0xffff", encodeExtOrCommand(0xffff, new Uint8Array(0)), "ffff 0000"],
    ["cmd 0x1234 hello", encodeExtOrCommand(0x1234, utf8Encode("hello")), "1234 0005 68656c6c6f"],
    ["TRANSPORT a", encodeTransport("a"), "0002 0001 61"],
    ["TRANSPORT alpha", encodeTransport("alpha"), "0002 0005 616c706861"], // CONFORMANCE KAT
    // cmd 0x0001 USERADDR, len 12, "1.2.3.4:5678"
    ["USERADDR v4", encodeUserAddr("1.2.3.4:5678"), "0001 000c 312e322e332e343a35363738"],
    // cmd 0x0001, len 15, "[1:2::3:4]:5678"
    ["USERADDR v6", encodeUserAddr("[1:2::3:4]:5678"), "0001 000f 5b313a323a3a333a345d3a35363738"],
  ];
  it.each(good)("%s", (_label, got, want) => {
    expect(toHex(got)).toBe(toHex(hex(want)));
  });

  it("accepts a 65535-byte body", () => {
    const frame = encodeExtOrCommand(0x1234, new Uint8Array(MAX_EXTOR_BODY).fill(7));
    expect(frame.length).toBe(4 + 65535);
    expect(toHex(frame.subarray(0, 4))).toBe("1234ffff");
    expect(frame[frame.length - 1]).toBe(7);
  });

  it("rejects a 65536-byte body, a bad code and a non-byte body", () => {
    expect(() => encodeExtOrCommand(0, new Uint8Array(65536))).toThrow(RangeError);
    expect(() => encodeExtOrCommand(0x10000)).toThrow(RangeError);
    expect(() => encodeExtOrCommand(-1)).toThrow(RangeError);
    expect(() => encodeExtOrCommand(1.5)).toThrow(RangeError);
    expect(() => encodeExtOrCommand(1, "x" as unknown as Uint8Array)).toThrow(TypeError);
  });

  it("refuses to send a TRANSPORT that is not a C identifier or a USERADDR in another format", () => {
    for (const name of ["", "1abc", "obfs-4", "a b", "é", "a\x00"])
      expect(() => encodeTransport(name)).toThrow(TypeError);
    for (const addr of ["1.2.3.4", "localhost:80", "1:2::3:4:80", "[1.2.3.4]:80", "1.2.3.4:65536", "1.2.3.4:http"]) {
      expect(() => encodeUserAddr(addr)).toThrow(TypeError);
    }
  });
});

describe("ExtOrCommandDecoder", () => {
  // goptlib TestExtOrPortRecvCommand good cases, plus the CONFORMANCE KATs; leftovers checked below.
  const good: [string, string, { command: number; body: string }[]][] = [
    ["empty body", "1234 0000", [{ command: 0x1234, body: "" }]],
    ["4-byte body", "1234 0004 626f6479", [{ command: 0x1234, body: "626f6479" }]],
    ["TRANSPORT alpha", "0002 0005 616c706861", [{ command: 2, body: "616c706861" }]],
    ["DONE", "0000 0000", [{ command: 0, body: "" }]],
    [
      "USERADDR, TRANSPORT, unknown 0x7777, DONE",
      "0001 000c 312e322e332e343a35363738 0002 0001 61 7777 0002 abcd 0000 0000",
      [
        { command: 1, body: "312e322e332e343a35363738" },
        { command: 2, body: "61" },
        { command: 0x7777, body: "abcd" }, // unknown codes are surfaced, not dropped
        { command: 0, body: "" },
      ],
    ],
  ];
  it.each(good)("decodes %s at every split point", (_label, input, want) => {
    const got = decodeEverySplit(() => new ExtOrCommandDecoder(), hex(input));
    expect(got.map((c) => ({ command: c.command, body: toHex(c.body) }))).toEqual(want);
  });

  it("decodes a 65535-byte body across split points, and a long body in 1-byte chunks", () => {
    const body = new Uint8Array(65535).map((_, i) => i & 0xff);
    const frame = encodeExtOrCommand(0x0002, body);
    // Split points near the header and the end (every one of 65539 is slow and adds nothing).
    for (const at of [0, 1, 2, 3, 4, 5, 1000, 65537, 65538, 65539]) {
      const [c] = decodeAll(new ExtOrCommandDecoder(), [frame.subarray(0, at), frame.subarray(at)]);
      expect(c!.body.length).toBe(65535);
      expect(c!.body[65534]).toBe(65534 & 0xff);
    }
    // 1-byte chunks over an 8 KiB body (ByteQueue.skip is quadratic in the chunk count; see the report).
    const small = frame.subarray(0, 4 + 8192).slice();
    small[2] = 0x20;
    small[3] = 0x00;
    const dec = new ExtOrCommandDecoder();
    const got = [];
    for (let i = 0; i < small.length; i++) got.push(...dec.push(small.subarray(i, i + 1)));
    expect(got.length).toBe(1);
    expect(toHex(got[0]!.body)).toBe(toHex(body.subarray(0, 8192)));
    expect(dec.buffered).toBe(0);
  });

  // goptlib bad cases: truncated headers and bodies are an error at end of stream.
  const truncated = ["12", "1234", "123400", "12340001", "0002 0005 616c7068"];
  it.each(truncated)("throws UnexpectedEOFError when the stream ends inside %s", (input) => {
    const dec = new ExtOrCommandDecoder();
    expect(dec.push(hex(input))).toEqual([]);
    expect(() => dec.finish()).toThrow(UnexpectedEOFError);
    expect(() => dec.finish()).toThrow(expect.objectContaining({ code: "ERR_UNEXPECTED_EOF" }));
  });

  it("decodes one command at a time and hands back the rest", () => {
    const dec = new ExtOrCommandDecoder();
    dec.feed(hex("1000 0000 6d6f7265")); // OKAY then "more"
    expect(dec.next()).toMatchObject({ command: 0x1000 });
    expect(toHex(dec.takeRemaining())).toBe("6d6f7265");
    expect(dec.buffered).toBe(0);
    dec.finish();
  });

  it("enforces a lower maxBody as soon as the header arrives, then stays poisoned", () => {
    const dec = new ExtOrCommandDecoder({ maxBody: 16 });
    expect(dec.push(hex("0002 0010") /* 16: fine */)).toEqual([]);
    dec.push(new Uint8Array(16));
    expect(() => dec.push(hex("0002 0011"))).toThrow(LimitError);
    expect(() => dec.push(new Uint8Array(0))).toThrow(
      expect.objectContaining({ code: "ERR_EXTOR_BODY_TOO_LONG", limit: 16 }),
    );
    expect(() => dec.finish()).toThrow(LimitError);
    expect(() => new ExtOrCommandDecoder({ maxBody: 65536 })).toThrow(RangeError);
  });

  it("keeps at most one partial command buffered", () => {
    const dec = new ExtOrCommandDecoder();
    const stream = concatBytes(encodeDone(), encodeTransport("alpha"), hex("0001 0010 0102"));
    expect(dec.push(stream).length).toBe(2);
    expect(dec.buffered).toBe(6);
  });
});
