import { describe, expect, it } from "vitest";
import { utf8Encode } from "../../src/shared/bytes/bytes.js";
import {
  ExtOrError,
  formatUserAddr,
  parseTransportBody,
  parseUserAddr,
  parseUserAddrBody,
} from "../../src/shared/codec/extorport/index.js";
import { isPtTransportName } from "../../src/shared/codec/pt-ipc/index.js";

// The IP literal tables that were here are in net-ip.test.ts (one parser now).

describe("formatUserAddr (CONFORMANCE: only 1.2.3.4:5678 or [1:2::3:4]:5678)", () => {
  const good: [string | undefined, number | undefined, string][] = [
    ["1.2.3.4", 5678, "1.2.3.4:5678"],
    ["0.0.0.0", 0, "0.0.0.0:0"], // goptlib TestExtOrSendUserAddr
    ["255.255.255.255", 65535, "255.255.255.255:65535"],
    ["1:2::3:4", 5678, "[1:2::3:4]:5678"],
    ["::", 0, "[::]:0"],
    ["[2001:db8::1]", 443, "[2001:db8::1]:443"], // already bracketed
    ["2001:0DB8:0000:0000:0000:0000:0000:0001", 443, "[2001:db8::1]:443"], // canonicalised (RFC 5952)
    ["fe80::1%eth0", 9000, "[fe80::1]:9000"], // zone dropped: tor cannot parse it
    ["::ffff:1.2.3.4", 5678, "1.2.3.4:5678"], // dual-stack socket reporting an IPv4 peer
    ["::ffff:102:304", 5678, "1.2.3.4:5678"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 63335, "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:63335"],
  ];
  it.each(good)("%s port %s → %s", (host, port, want) => {
    expect(formatUserAddr(host, port)).toBe(want);
    // What we format, a bridge parses (§3.2.1).
    expect(() => parseUserAddr(want)).not.toThrow();
  });

  const unusable: [string | undefined, number | undefined][] = [
    [undefined, 80], // destroyed Node socket
    ["1.2.3.4", undefined],
    ["", 80],
    ["localhost", 80],
    ["example.com", 443],
    ["1.2.3.4", -1],
    ["1.2.3.4", 65536],
    ["1.2.3.4", 80.5],
    ["1.2.3.4", Number.NaN],
    ["01.2.3.4", 80], // octal-looking
    ["1.2.3", 80],
    ["1.2.3.4.5", 80],
    ["256.1.1.1", 80],
    ["1:2:3:4:5:6:7:8:9", 80],
    ["1::2::3", 80],
    ["12345::", 80],
    ["g::1", 80],
    ["1.2.3.4:80", 80], // host with a port already in it
  ];
  it.each(unusable)("%s port %s is unusable: no USERADDR", (host, port) => {
    expect(formatUserAddr(host, port)).toBeUndefined();
  });
});

describe("parseUserAddr (§3.2.1, the bridge side)", () => {
  const good: [string, { host: string; port: number; family: 4 | 6 }][] = [
    ["1.2.3.4:5678", { host: "1.2.3.4", port: 5678, family: 4 }],
    ["[1:2::3:4]:5678", { host: "1:2::3:4", port: 5678, family: 6 }],
    ["[::]:0", { host: "::", port: 0, family: 6 }],
    ["[::FFFF:1.2.3.4]:1", { host: "::ffff:1.2.3.4", port: 1, family: 6 }],
    ["255.255.255.255:65535", { host: "255.255.255.255", port: 65535, family: 4 }],
    ["127.0.0.1:40000", { host: "127.0.0.1", port: 40000, family: 4 }],
  ];
  it.each(good)("%s", (text, want) => {
    expect(parseUserAddr(text)).toEqual(want);
    expect(parseUserAddrBody(utf8Encode(text))).toEqual(want);
  });

  const bad = [
    "",
    "1.2.3.4",
    "1.2.3.4:",
    ":80",
    "1.2.3.4:http",
    "1.2.3.4:65536",
    "1.2.3.4:123456",
    "1.2.3.4:-1",
    "1.2.3.4: 80",
    "localhost:9999",
    "1:2::3:4:5678", // IPv6 needs brackets
    "[1:2::3:4]",
    "[1:2::3:4]:",
    "[1.2.3.4]:80",
    "[fe80::1%eth0]:80",
    "[1:2::3:4:5678",
    "1.2.3.4:80\x00",
    " 1.2.3.4:80",
  ];
  it.each(bad)("rejects %j with ERR_EXTOR_BAD_USERADDR", (text) => {
    expect(() => parseUserAddr(text)).toThrow(ExtOrError);
    expect(() => parseUserAddr(text)).toThrow(expect.objectContaining({ code: "ERR_EXTOR_BAD_USERADDR" }));
  });

  it("rejects non-ASCII bodies", () => {
    expect(() => parseUserAddrBody(Uint8Array.of(0x31, 0xff, 0x3a, 0x38))).toThrow(
      expect.objectContaining({ code: "ERR_EXTOR_BAD_USERADDR" }),
    );
  });
});

describe("TRANSPORT names (§3.2.2: C identifiers)", () => {
  it.each(["obfs4", "a", "_x", "meek_lite", "webtunnel", "A1_b2"])("accepts %s", (name) => {
    expect(isPtTransportName(name)).toBe(true);
    expect(parseTransportBody(utf8Encode(name))).toBe(name);
  });
  it.each(["", "4obfs", "obfs-4", "a b", "a.b", "snowflake\x00", "é"])("rejects %j", (name) => {
    expect(isPtTransportName(name)).toBe(false);
    expect(() => parseTransportBody(utf8Encode(name))).toThrow(
      expect.objectContaining({ code: "ERR_EXTOR_BAD_TRANSPORT" }),
    );
  });
});
