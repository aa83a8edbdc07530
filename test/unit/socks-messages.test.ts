import { describe, expect, it } from "vitest";
import { UnexpectedEOFError } from "../../src/shared/errors.js";
import { fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import type { StreamDecoder } from "../../src/shared/codec/decoder.js";
import { AuthMethod, MAX_SOCKS4_USERID_BYTES } from "../../src/shared/codec/socks/constants.js";
import {
  greetingDecoder,
  methodSelectionDecoder,
  paramBlockDecoder,
  socks4ReplyDecoder,
  socks4RequestDecoder,
  socks5ReplyDecoder,
  socks5RequestDecoder,
  userPassReplyDecoder,
  userPassRequestDecoder,
} from "../../src/shared/codec/socks/decoders.js";
import {
  encodeGreeting,
  encodeMethodSelection,
  encodeSocks5Reply,
  encodeSocks5Request,
  encodeUserPassReply,
  encodeUserPassRequest,
} from "../../src/shared/codec/socks/messages.js";
import { encodeSocks4Reply, encodeSocks4Request } from "../../src/shared/codec/socks/socks4.js";
import { decodeAll, decodeEverySplit, splits } from "../helpers/chunking.js";

const hex = (s: string): Uint8Array => fromHex(s);
const ascii = (s: string): string => toHex(utf8Encode(s));

/** Every split of `bytes` makes the decoder throw an error with this code (and reply byte). */
function expectEverySplitThrows<T>(make: () => StreamDecoder<T>, bytes: Uint8Array, want: object): void {
  for (const { chunks } of splits(bytes)) {
    expect(() => decodeAll(make(), chunks)).toThrow(expect.objectContaining(want));
  }
}

describe("SOCKS5 greeting and method selection (RFC 1928 §3)", () => {
  it.each([
    ["05 01 02", [2]], // VER | NMETHODS=1 | USERNAME/PASSWORD
    ["05 02 00 02", [0, 2]], // what tor sends when it has PT args
    ["05 03 00 01 02", [0, 1, 2]],
    ["05 00", []], // NMETHODS=0: parsed; the server answers 05 FF
  ])("greeting %s", (h, methods) => {
    expect(decodeEverySplit(greetingDecoder, hex(h))).toEqual([{ methods }]);
    expect(toHex(encodeGreeting(methods.length > 0 ? methods : [0]))).toBe(
      methods.length > 0 ? toHex(hex(h)) : "050100",
    );
  });

  it("decodes back-to-back messages and reports a cut one at finish()", () => {
    expect(decodeEverySplit(methodSelectionDecoder, hex("0502 05ff"))).toEqual([{ method: 2 }, { method: 0xff }]);
    expect(() => decodeAll(greetingDecoder(), [hex("05 02 00")])).toThrow(UnexpectedEOFError);
  });

  it("fails on the first byte of another version", () => {
    expect(() => greetingDecoder().push(hex("04"))).toThrow(expect.objectContaining({ code: "ERR_SOCKS_BAD_VERSION" }));
    expectEverySplitThrows(methodSelectionDecoder, hex("0100"), { code: "ERR_SOCKS_BAD_VERSION" });
  });

  it("encodes the method selection and refuses bad counts", () => {
    expect(toHex(encodeMethodSelection(AuthMethod.JSON_PARAMETER_BLOCK))).toBe("0509");
    expect(() => encodeGreeting([])).toThrow(RangeError);
    expect(() => encodeGreeting(new Array<number>(256).fill(0))).toThrow(RangeError);
    expect(() => encodeMethodSelection(256)).toThrow(RangeError);
  });
});

describe("RFC 1929 username/password", () => {
  it("decodes the CONFORMANCE request: 01 | ULEN=9 | key=value | PLEN=1 | NUL", () => {
    const [m] = decodeEverySplit(userPassRequestDecoder, hex(`01 09 ${ascii("key=value")} 01 00`));
    expect(toHex(m!.username)).toBe(ascii("key=value"));
    expect(toHex(m!.password)).toBe("00");
    expect(toHex(encodeUserPassRequest("key=value", hex("00")))).toBe(`0109${ascii("key=value")}0100`);
  });

  it.each([
    ["03 05 4142434445 05 6162636465", "ERR_SOCKS_BAD_VERSION"], // VER=03
    ["01 00 05 6162636465", "ERR_SOCKS_AUTH_FAILED"], // ULEN=0
    ["01 05 4142434445 00", "ERR_SOCKS_AUTH_FAILED"], // PLEN=0
  ])("refuses %s", (h, code) => {
    expectEverySplitThrows(userPassRequestDecoder, hex(h), { code });
  });

  it("refuses ULEN=0 without waiting for the rest", () => {
    expect(() => userPassRequestDecoder().push(hex("0100"))).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_AUTH_FAILED" }),
    );
  });

  it("decodes and encodes the status reply", () => {
    expect(decodeEverySplit(userPassReplyDecoder, hex("0100 0101"))).toEqual([{ status: 0 }, { status: 1 }]);
    expect(toHex(encodeUserPassReply(1))).toBe("0101");
    expectEverySplitThrows(userPassReplyDecoder, hex("0500"), { code: "ERR_SOCKS_BAD_VERSION" });
  });

  it("refuses an empty user name and over-long fields when encoding; an empty password is PLEN 0", () => {
    expect(() => encodeUserPassRequest("", "p")).toThrow(RangeError);
    expect(() => encodeUserPassRequest("u".repeat(256), "p")).toThrow(RangeError);
    expect(() => encodeUserPassRequest("u", "p".repeat(256))).toThrow(RangeError);
    expect(toHex(encodeUserPassRequest("u", ""))).toBe("01017500"); // VER | ULEN=1 | "u" | PLEN=0
  });
});

describe("SOCKS5 request (RFC 1928 §4; goptlib's fixtures)", () => {
  it.each([
    // VER | CMD=CONNECT | RSV | ATYP=1 | 127.0.0.1 | 9050
    ["05 01 00 01 7f000001 235a", 1, { type: "ipv4", host: "127.0.0.1", port: 9050 }],
    // ATYP=4 | 0102:0304:…:0f10 | 9050
    [
      "05 01 00 04 0102030405060708090a0b0c0d0e0f10 235a",
      1,
      { type: "ipv6", host: "102:304:506:708:90a:b0c:d0e:f10", port: 9050 },
    ],
    // ATYP=4 | ::1 | 443
    ["05 01 00 04 00000000000000000000000000000001 01bb", 1, { type: "ipv6", host: "::1", port: 443 }],
    // ATYP=4 | ::ffff:192.0.2.1 | 80
    ["05 01 00 04 00000000000000000000ffffc0000201 0050", 1, { type: "ipv6", host: "::ffff:192.0.2.1", port: 80 }],
    // ATYP=3 | LEN=11 | example.com | 9050
    [`05 01 00 03 0b ${ascii("example.com")} 235a`, 1, { type: "domain", host: "example.com", port: 9050 }],
    // CMD=BIND is decoded as sent; refusing it is the server's business
    ["05 02 00 01 01020304 0000", 2, { type: "ipv4", host: "1.2.3.4", port: 0 }],
  ] as const)("%s", (h, command, address) => {
    expect(decodeEverySplit(socks5RequestDecoder, hex(h))).toEqual([{ command, address }]);
    expect(toHex(encodeSocks5Request(command, address))).toBe(toHex(hex(h)));
  });

  it.each([
    ["03 01 00 01 7f000001 235a", "ERR_SOCKS_BAD_VERSION", 0x01],
    ["05 01 30 01 7f000001 235a", "ERR_SOCKS_BAD_RESERVED", 0x01],
    ["05 01 00 05 7f000001 235a", "ERR_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED", 0x08],
    ["05 01 00 03 00 235a", "ERR_SOCKS_BAD_ADDRESS", 0x01], // a domain of length 0
    ["05 01 00 03 03 610062 235a", "ERR_SOCKS_BAD_ADDRESS", 0x01], // "a\0b"
    ["05 01 00 03 02 c0af 235a", "ERR_SOCKS_BAD_ADDRESS", 0x01], // overlong UTF-8
  ])("refuses %s with %s (REP %d)", (h, code, reply) => {
    expectEverySplitThrows(socks5RequestDecoder, hex(h), { code, reply });
  });
});

describe("SOCKS5 reply (RFC 1928 §6)", () => {
  it.each([
    // VER | REP=0 | RSV | ATYP=1 | 0.0.0.0 | 0: what goptlib always sends
    ["05 00 00 01 00000000 0000", 0, { type: "ipv4", host: "0.0.0.0", port: 0 }],
    ["05 05 00 01 00000000 0000", 5, { type: "ipv4", host: "0.0.0.0", port: 0 }],
    ["05 13 00 04 20010db8000000000000000000000001 1f90", 0x13, { type: "ipv6", host: "2001:db8::1", port: 8080 }],
    [`05 00 00 03 04 ${ascii("host")} 0016`, 0, { type: "domain", host: "host", port: 22 }],
  ] as const)("%s", (h, reply, bound) => {
    expect(decodeEverySplit(socks5ReplyDecoder, hex(h))).toEqual([{ reply, bound }]);
    expect(toHex(encodeSocks5Reply(reply, bound))).toBe(toHex(hex(h)));
  });

  it("defaults the bound address to 0.0.0.0:0 for every REP", () => {
    for (const rep of [0, 1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x11, 0x12, 0x13]) {
      expect(toHex(encodeSocks5Reply(rep))).toBe(`05${rep.toString(16).padStart(2, "0")}0001000000000000`);
    }
  });

  it.each([
    ["04 00 00 01 00000000 0000", "ERR_SOCKS_BAD_VERSION"],
    ["05 00 01 01 00000000 0000", "ERR_SOCKS_BAD_REPLY"],
    ["05 00 00 02 00000000 0000", "ERR_SOCKS_BAD_REPLY"],
    ["05 00 00 03 00 0000", "ERR_SOCKS_BAD_REPLY"],
  ])("refuses %s", (h, code) => {
    expectEverySplitThrows(socks5ReplyDecoder, hex(h), { code });
  });
});

describe("SOCKS4/4a request (goptlib's readSocks4aConnect fixtures)", () => {
  const kv = ascii("key=value");
  it.each([
    // VN=4 | CD=1 | port 0x1234 | 1.2.3.4 | USERID "key=value" | NUL
    [`04 01 1234 01020304 ${kv} 00`, { type: "ipv4", host: "1.2.3.4", port: 0x1234 }, kv],
    [`04 01 1234 01020304 00`, { type: "ipv4", host: "1.2.3.4", port: 0x1234 }, ""],
    // 4a: DSTIP 0.0.0.1 | USERID | NUL | "hostname" | NUL
    [`04 01 1234 00000001 ${kv} 00 ${ascii("hostname")} 00`, { type: "domain", host: "hostname", port: 4660 }, kv],
    [`04 01 1234 000000ff 00 ${ascii("hostname")} 00`, { type: "domain", host: "hostname", port: 4660 }, ""],
    // 0.0.0.0 is not the 4a marker (its last byte is zero): plain SOCKS4
    [`04 01 0050 00000000 00`, { type: "ipv4", host: "0.0.0.0", port: 80 }, ""],
  ] as const)("%s", (h, address, userId) => {
    const [m] = decodeEverySplit(socks4RequestDecoder, hex(h));
    expect(m!.command).toBe(1);
    expect(m!.address).toEqual(address);
    expect(toHex(m!.userId)).toBe(userId);
    // Re-encoding gives the same bytes, except that we always write 0.0.0.1 as the 4a marker.
    expect(toHex(encodeSocks4Request(1, address, fromHex(userId)))).toBe(toHex(hex(h.replace("000000ff", "00000001"))));
  });

  it.each([
    "04 01 1234 01020304", // missing USERID
    `04 01 1234 01020304 ${kv}`, // missing NUL after USERID
    `04 01 1234 00000001 ${kv} 00`, // missing host name
    `04 01 1234 00000001 ${kv} 00 ${ascii("hostname")}`, // missing NUL after host name
  ])("reports the cut request %s at finish()", (h) => {
    expect(() => decodeAll(socks4RequestDecoder(), [hex(h)])).toThrow(UnexpectedEOFError);
  });

  it.each([
    ["03 01 1234 01020304 00", "ERR_SOCKS_BAD_VERSION"],
    ["05 01 00", "ERR_SOCKS_BAD_VERSION"], // SOCKS5 bytes
    [`04 01 1234 00000001 ${kv} 00 00`, "ERR_SOCKS_BAD_ADDRESS"], // an empty 4a host (goptlib allows it)
    [`04 01 1234 00000001 00 c0af 00`, "ERR_SOCKS_BAD_ADDRESS"],
  ])("refuses %s with CD 0x5B", (h, code) => {
    expectEverySplitThrows(socks4RequestDecoder, hex(h), { code, reply: 0x5b, socksVersion: 4 });
  });

  it("caps USERID and the host name without waiting for their NUL", () => {
    const head = "04 01 1234 01020304";
    const d = socks4RequestDecoder();
    expect(d.push(hex(head + "61".repeat(MAX_SOCKS4_USERID_BYTES)))).toEqual([]);
    expect(() => d.push(hex("61"))).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_REQUEST_TOO_LARGE", limit: MAX_SOCKS4_USERID_BYTES }),
    );
    const withMax = decodeAll(socks4RequestDecoder(), [hex(`${head} ${"61".repeat(MAX_SOCKS4_USERID_BYTES)} 00`)]);
    expect(withMax[0]!.userId.length).toBe(MAX_SOCKS4_USERID_BYTES);
    expect(() => socks4RequestDecoder().push(hex(`04 01 1234 00000001 00 ${"61".repeat(256)}`))).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_REQUEST_TOO_LARGE", limit: 255 }),
    );
  });

  it("refuses what SOCKS4 cannot carry when encoding", () => {
    expect(() => encodeSocks4Request(1, { type: "ipv6", host: "::1", port: 1 })).toThrow(TypeError);
    expect(() => encodeSocks4Request(1, { type: "ipv4", host: "1.2.3.4", port: 1 }, hex("6100"))).toThrow(TypeError);
    const long = new Uint8Array(MAX_SOCKS4_USERID_BYTES + 1).fill(0x61);
    expect(() => encodeSocks4Request(1, { type: "ipv4", host: "1.2.3.4", port: 1 }, long)).toThrow(RangeError);
  });
});

describe("SOCKS4 reply", () => {
  it.each([
    // VN=0 | CD | port | IP
    ["00 5a 1234 01020304", 0x5a, { type: "ipv4", host: "1.2.3.4", port: 0x1234 }],
    ["00 5b 0000 00000000", 0x5b, { type: "ipv4", host: "0.0.0.0", port: 0 }],
    ["00 5d 0000 00000000", 0x5d, { type: "ipv4", host: "0.0.0.0", port: 0 }],
  ] as const)("%s", (h, reply, bound) => {
    expect(decodeEverySplit(socks4ReplyDecoder, hex(h))).toEqual([{ reply, bound }]);
    expect(toHex(encodeSocks4Reply(reply, bound))).toBe(toHex(hex(h)));
  });

  it("sends zeros for a non-IPv4 bound address, as goptlib does", () => {
    expect(toHex(encodeSocks4Reply(0x5a, { type: "ipv6", host: "::1", port: 80 }))).toBe("005a005000000000");
  });

  it.each(["04 5a 0000 00000000", "00 00 0000 00000000", "00 5e 0000 00000000"])("refuses %s", (h) => {
    expectEverySplitThrows(socks4ReplyDecoder, hex(h), { code: "ERR_SOCKS_BAD_REPLY", socksVersion: 4 });
  });
});

describe("0x09 JSON parameter block (seed 001 §1.4)", () => {
  const example = `{"shared-secret": "rahasia", "secrets-file": "/tmp/blob"}`;

  it("decodes the 57-byte example: 00 00 00 39 + JSON", () => {
    const got = decodeEverySplit(paramBlockDecoder, hex(`00000039 ${ascii(example)}`));
    expect(got.map((p) => ({ ...p }))).toEqual([{ "shared-secret": "rahasia", "secrets-file": "/tmp/blob" }]);
  });

  it("refuses an over-limit length as soon as the 4 length bytes are in (X'10')", () => {
    const d = paramBlockDecoder(100);
    expect(d.push(hex("000000"))).toEqual([]);
    expect(() => d.push(hex("65"))).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_SETTINGS_TOO_LARGE", reply: 0x10, limit: 100 }),
    );
    expect(() => paramBlockDecoder().push(hex("ffffffff"))).toThrow(expect.objectContaining({ reply: 0x10 }));
    const atLimit = `{"k":"${"x".repeat(92)}"}`; // exactly 100 bytes
    expect(decodeAll(paramBlockDecoder(100), [hex(`00000064 ${ascii(atLimit)}`)])).toHaveLength(1);
  });

  it("refuses trailing garbage inside the block (X'12')", () => {
    const body = ascii(`{"a":"b"} x`);
    expectEverySplitThrows(paramBlockDecoder, hex(`0000000b ${body}`), {
      code: "ERR_SOCKS_SETTINGS_PARSE_ERROR",
      reply: 0x12,
    });
  });
});
