import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import {
  encodeAddress,
  formatHostPort,
  formatIPv6,
  parseIPv4,
  parseIPv6,
  toSocksAddress,
} from "../../src/shared/codec/socks/address.js";

describe("parseIPv4", () => {
  it.each([
    ["1.2.3.4", "01020304"],
    ["0.0.0.0", "00000000"],
    ["255.255.255.255", "ffffffff"],
    ["127.0.0.1", "7f000001"],
  ])("%s → %s", (text, hex) => {
    expect(toHex(parseIPv4(text)!)).toBe(hex);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "01.2.3.4",
    "1.2.3.-4",
    "1.2.3.4 ",
    "a.b.c.d",
    "1..2.3",
    "0x1.2.3.4",
  ])("refuses %j", (text) => {
    expect(parseIPv4(text)).toBeUndefined();
  });
});

describe("parseIPv6 (RFC 4291 §2.2)", () => {
  it.each([
    ["::", "00000000000000000000000000000000"],
    ["::1", "00000000000000000000000000000001"],
    ["1::", "00010000000000000000000000000000"],
    ["1::2", "00010000000000000000000000000002"],
    ["2001:db8::1", "20010db8000000000000000000000001"],
    ["2001:DB8:0:0:8:800:200C:417A", "20010db80000000000080800200c417a"],
    ["0102:0304:0506:0708:090a:0b0c:0d0e:0f10", "0102030405060708090a0b0c0d0e0f10"],
    ["::1:2:3:4:5:6:7", "00000001000200030004000500060007"], // "::" standing for one group
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["::1.2.3.4", "00000000000000000000000001020304"],
  ])("%s → %s", (text, hex) => {
    expect(toHex(parseIPv6(text)!)).toBe(hex);
  });

  it.each([
    "",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "12345::",
    ":1::",
    "1::2:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3.4.5",
    "::ffff:01.2.3.4",
    "::1.2.3.4:1",
    "fe80::1%eth0",
    "[::1]",
    "g::1",
    "1.2.3.4",
    " ::1",
  ])("refuses %j", (text) => {
    expect(parseIPv6(text)).toBeUndefined();
  });
});

describe("formatIPv6 (RFC 5952)", () => {
  it.each([
    ["0:0:0:0:0:0:0:0", "::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["1:0:0:0:0:0:0:0", "1::"],
    ["2001:DB8:0:0:0:0:0:A", "2001:db8::a"], // §4.3 lower case, §4.1 no leading zeros
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1"], // §4.2.3 first of two equal runs
    ["2001:0:0:1:0:0:0:1", "2001:0:0:1::1"], // §4.2.3 the longest run
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"], // §4.2.2 a single 0 group stays
    ["1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"],
    ["0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"],
    ["0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"], // §5 IPv4-mapped in mixed notation
    ["::1.2.3.4", "::102:304"], // deprecated IPv4-compatible: plain hex
    ["0102:0304:0506:0708:090a:0b0c:0d0e:0f10", "102:304:506:708:90a:b0c:d0e:f10"],
  ])("%s → %s", (text, canonical) => {
    expect(formatIPv6(parseIPv6(text)!)).toBe(canonical);
  });
});

describe("toSocksAddress", () => {
  it.each([
    ["1.2.3.4", { type: "ipv4", host: "1.2.3.4" }],
    ["::1", { type: "ipv6", host: "::1" }],
    ["[2001:DB8::1]", { type: "ipv6", host: "2001:db8::1" }],
    ["example.com", { type: "domain", host: "example.com" }],
    ["bücher.example", { type: "domain", host: "bücher.example" }],
    ["a".repeat(255), { type: "domain", host: "a".repeat(255) }],
  ])("classifies %s", (host, want) => {
    expect(toSocksAddress({ host, port: 443 })).toEqual({ ...want, port: 443 });
  });

  it.each([
    ["", RangeError],
    ["a".repeat(256), RangeError],
    ["ü".repeat(128), RangeError], // 256 UTF-8 bytes
    ["1.2.3.256", TypeError],
    ["01.2.3.4", TypeError],
    ["1:2", TypeError],
    ["[::1", TypeError],
    ["fe80::1%eth0", TypeError],
    ["a\0b", TypeError],
  ])("refuses host %j", (host, type) => {
    expect(() => toSocksAddress({ host, port: 1 })).toThrow(type);
  });

  it.each([-1, 65536, 1.5, Number.NaN])("refuses port %d", (port) => {
    expect(() => toSocksAddress({ host: "1.2.3.4", port })).toThrow(RangeError);
  });
});

describe("encodeAddress (RFC 1928 §5)", () => {
  it.each([
    // ATYP=01 | 127.0.0.1 | port 9050
    [{ type: "ipv4", host: "127.0.0.1", port: 9050 }, "01 7f000001 235a"],
    // ATYP=04 | 16 bytes | port 9050
    [{ type: "ipv6", host: "102:304:506:708:90a:b0c:d0e:f10", port: 9050 }, "04 0102030405060708090a0b0c0d0e0f10 235a"],
    // ATYP=03 | LEN=11 | "example.com" | port 9050
    [{ type: "domain", host: "example.com", port: 9050 }, "03 0b 6578616d706c652e636f6d 235a"],
    // port 0 and 65535 are both expressible
    [{ type: "ipv4", host: "0.0.0.0", port: 0 }, "01 00000000 0000"],
    [{ type: "ipv4", host: "0.0.0.0", port: 65535 }, "01 00000000 ffff"],
  ] as const)("%j", (addr, hex) => {
    expect(toHex(encodeAddress(addr))).toBe(toHex(fromHex(hex)));
  });

  it("refuses a domain that does not fit the length byte, and a non-literal IP", () => {
    expect(() => encodeAddress({ type: "domain", host: "", port: 1 })).toThrow(RangeError);
    expect(() => encodeAddress({ type: "domain", host: "x".repeat(256), port: 1 })).toThrow(RangeError);
    expect(() => encodeAddress({ type: "ipv4", host: "example.com", port: 1 })).toThrow(TypeError);
    expect(() => encodeAddress({ type: "ipv6", host: "1.2.3.4", port: 1 })).toThrow(TypeError);
  });
});

describe("formatHostPort", () => {
  it("brackets IPv6 only", () => {
    expect(formatHostPort({ type: "ipv4", host: "1.2.3.4", port: 80 })).toBe("1.2.3.4:80");
    expect(formatHostPort({ type: "ipv6", host: "::1", port: 80 })).toBe("[::1]:80");
    expect(formatHostPort({ type: "domain", host: "example.com", port: 4660 })).toBe("example.com:4660");
  });
});
