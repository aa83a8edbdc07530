// IP literals (src/shared/net/ip.ts): the tables the SOCKS, ExtORPort, PT IPC
// and settings modules each kept for their own copy, merged here case for case.
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/bytes.js";
import {
  MAX_IPV6_TEXT_LENGTH,
  formatIPv4,
  formatIPv6,
  isIPv4,
  isIPv4Mapped,
  isIPv6,
  parseIPv4,
  parseIPv6,
  parseIp,
} from "../../src/shared/net/index.js";

describe("parseIPv4 (dotted quad, no leading zeros)", () => {
  it.each([
    ["1.2.3.4", "01020304"],
    ["0.0.0.0", "00000000"],
    ["255.255.255.255", "ffffffff"],
    ["127.0.0.1", "7f000001"],
    ["192.0.2.1", "c0000201"],
  ])("%s → %s", (text, hex) => {
    expect(toHex(parseIPv4(text)!)).toBe(hex);
    expect(isIPv4(text)).toBe(true);
    expect(formatIPv4(parseIPv4(text)!)).toBe(text);
  });

  it.each([
    "",
    "1.2.3",
    "1.2.3.4.5",
    "256.0.0.1",
    "256.1.1.1",
    "01.2.3.4", // leading zero: octal to inet_aton
    "01.1.1.1",
    "1.2.3.04",
    "1.2.3.-4",
    "1.2.3.-1",
    "+1.2.3.4",
    "1.2.3.4 ",
    "a.b.c.d",
    "1..2.3",
    "1.2.3.",
    "0x1.2.3.4",
  ])("refuses %j", (text) => {
    expect(parseIPv4(text)).toBeUndefined();
    expect(isIPv4(text)).toBe(false);
    expect(parseIp(text)).toBeUndefined();
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
    ["2001:db8::ff00:42:8329", "20010db8000000000000ff0000428329"],
    ["0102:0304:0506:0708:090a:0b0c:0d0e:0f10", "0102030405060708090a0b0c0d0e0f10"],
    ["1:2:3:4:5:6:7:8", "00010002000300040005000600070008"],
    ["1:2:3:4:5:6::8", "00010002000300040005000600000008"],
    ["::1:2:3:4:5:6:7", "00000001000200030004000500060007"], // "::" standing for one group
    ["1:2:3:4:5:6:7::", "00010002000300040005000600070000"],
    ["::ffff:1.2.3.4", "00000000000000000000ffff01020304"],
    ["::ffff:192.0.2.1", "00000000000000000000ffffc0000201"],
    ["64:ff9b::192.0.2.33", "0064ff9b0000000000000000c0000221"],
    ["1:2:3:4:5:6:1.2.3.4", "00010002000300040005000601020304"],
    ["::1.2.3.4", "00000000000000000000000001020304"],
    ["fe80::1:2", "fe800000000000000000000000010002"],
    ["FFFF::", "ffff0000000000000000000000000000"],
  ])("%s → %s", (text, hex) => {
    expect(toHex(parseIPv6(text)!)).toBe(hex);
    expect(isIPv6(text)).toBe(true);
  });

  it.each([
    "",
    ":",
    ":::",
    "1:::2",
    "1::2::3",
    "12345::",
    ":1::",
    ":1:2:3:4:5:6:7",
    "1::2:",
    "::1:",
    "1:2:3:4:5:6:7:",
    "1:2:3:4:5:6:7",
    "1:2:3:4:5:6:7:8:9",
    "1:2:3:4:5:6:7:8::",
    "::1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7:1.2.3.4",
    "::1.2.3",
    "::1.2.3.4.5",
    "::256.0.0.1",
    "::ffff:01.2.3.4",
    "::1.2.3.4:1",
    "::1.2.3.4:5",
    "1.2.3.4::", // a dotted quad may only end the literal
    "fe80::1%eth0", // zone IDs mean nothing off the host
    "[::1]",
    "g::",
    "g::1",
    "1.2.3.4",
    " ::1",
    `${"0".repeat(40)}::1`, // longer than any IPv6 text: refused before splitting
  ])("refuses %j", (text) => {
    expect(parseIPv6(text)).toBeUndefined();
    expect(isIPv6(text)).toBe(false);
    expect(parseIp(text)?.family).not.toBe(6);
  });

  it(`reads text up to ${MAX_IPV6_TEXT_LENGTH} characters, the longest form`, () => {
    const longest = "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255";
    expect(longest.length).toBe(MAX_IPV6_TEXT_LENGTH);
    expect(toHex(parseIPv6(longest)!)).toBe("ff".repeat(16));
    expect(parseIPv6(`0${longest}`)).toBeUndefined();
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
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // §4.2.2 a lone zero group stays
    ["1:0:1:0:1:0:1:0", "1:0:1:0:1:0:1:0"],
    ["1:2:3:4:5:6:7:0", "1:2:3:4:5:6:7:0"],
    ["0:1:2:3:4:5:6:7", "0:1:2:3:4:5:6:7"],
    ["ABCD:EF01::", "abcd:ef01::"],
    ["0:0:0:0:0:ffff:102:304", "::ffff:1.2.3.4"], // §5 IPv4-mapped in mixed notation
    ["::1.2.3.4", "::102:304"], // deprecated IPv4-compatible: plain hex
    ["0102:0304:0506:0708:090a:0b0c:0d0e:0f10", "102:304:506:708:90a:b0c:d0e:f10"],
  ])("%s → %s", (text, canonical) => {
    expect(formatIPv6(parseIPv6(text)!)).toBe(canonical);
  });
});

describe("parseIp (canonical text and family)", () => {
  it.each([
    ["192.0.2.1", "192.0.2.1", 4],
    ["0.0.0.0", "0.0.0.0", 4],
    ["255.255.255.255", "255.255.255.255", 4],
    ["2001:db8::1", "2001:db8::1", 6],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1", 6], // RFC 5952 §4.3 lowercase, §4.2.1 shorten
    ["2001:db8:0:0:1:0:0:1", "2001:db8::1:0:0:1", 6], // §4.2.3 leftmost of equal runs
    ["2001:0db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1", 6], // §4.2.2 a single zero group stays
    ["::", "::", 6],
    ["::1", "::1", 6],
    ["1::", "1::", 6],
    ["1:2:3:4:5:6:7::", "1:2:3:4:5:6:7:0", 6],
    ["::ffff:192.0.2.1", "::ffff:192.0.2.1", 6], // §5 IPv4-mapped keeps the dotted quad
    ["::FFFF:c000:0201", "::ffff:192.0.2.1", 6],
    ["64:ff9b::192.0.2.33", "64:ff9b::c000:221", 6],
    ["1:2:3:4:5:6:192.0.2.1", "1:2:3:4:5:6:c000:201", 6],
  ] as const)("parses %s as %s", (text, canonical, family) => {
    expect(parseIp(text)).toEqual({ host: canonical, family });
  });

  it("is strict by default: no brackets, zones or mapped-address rewriting", () => {
    expect(parseIp("[::1]")).toBeUndefined();
    expect(parseIp("fe80::1%eth0")).toBeUndefined();
    expect(parseIp("::ffff:1.2.3.4")).toEqual({ host: "::ffff:1.2.3.4", family: 6 });
  });

  it.each([
    // [text, options, result]
    ["[::1]", { brackets: true }, { host: "::1", family: 6 }],
    ["[2001:0DB8::1]", { brackets: true }, { host: "2001:db8::1", family: 6 }],
    ["[1.2.3.4]", { brackets: true }, undefined], // URLs and tor bracket only IPv6
    ["[1.2.3.4]", { brackets: true, allowBracketedIPv4: true }, { host: "1.2.3.4", family: 4 }],
    ["1.2.3.4", { brackets: true }, { host: "1.2.3.4", family: 4 }],
    ["[::1", { brackets: true }, undefined],
    ["[]", { brackets: true }, undefined],
    ["fe80::1%eth0", { dropZone: true }, { host: "fe80::1", family: 6 }],
    ["[fe80::1%25eth0]", { brackets: true, dropZone: true }, { host: "fe80::1", family: 6 }],
    ["1.2.3.4%eth0", { dropZone: true }, undefined], // zones exist only on IPv6 (RFC 4007)
    ["::ffff:1.2.3.4", { unmapIPv4: true }, { host: "1.2.3.4", family: 4 }],
    ["::ffff:102:304", { unmapIPv4: true }, { host: "1.2.3.4", family: 4 }],
    ["::1.2.3.4", { unmapIPv4: true }, { host: "::102:304", family: 6 }], // IPv4-compatible is not mapped
  ] as const)("%s with %j → %j", (text, options, want) => {
    expect(parseIp(text, options)).toEqual(want);
  });
});

describe("isIPv4Mapped (RFC 4291 §2.5.5.2)", () => {
  it.each([
    ["::ffff:1.2.3.4", true],
    ["::ffff:0.0.0.0", true],
    ["::1.2.3.4", false],
    ["1::ffff:1.2.3.4", false],
    ["::fffe:1.2.3.4", false],
    ["::", false],
  ] as const)("%s → %s", (text, want) => {
    expect(isIPv4Mapped(parseIPv6(text)!)).toBe(want);
  });
});
