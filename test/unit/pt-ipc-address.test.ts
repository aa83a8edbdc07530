// Addresses and upstream proxies of the PT environment. The bind-address
// table is goptlib's pt_test.go TestResolveAddr; proxy cases are from
// CONFORMANCE.md and the spec examples (pt-spec 1.0 §3.2.2, 2.0 §3.3.1.2).
import { describe, expect, it } from "vitest";
import {
  ProxyUriError,
  formatProxyUri,
  parseBindAddr,
  parsePtAddress,
  parseProxyUri,
} from "../../src/shared/codec/pt-ipc/index.js";
import { AddressError, formatHostPort } from "../../src/shared/net/index.js";

// The IP literal and host-name tables that were here are in net-ip.test.ts and
// net-host-port.test.ts; this file keeps what PT IPC relaxes on top of them.

describe("bind addresses (goptlib resolveAddr)", () => {
  const bad = [
    "",
    "1.2.3.4",
    "1.2.3.4:",
    "9999",
    ":9999",
    "[1:2::3:4]",
    "[1:2::3:4]:",
    "[1::2::3:4]",
    "1:2::3:4::9999",
    "1:2:3:4::9999",
    "localhost:9999",
    "[localhost]:9999",
    "1.2.3.4:http",
    "1.2.3.4:0x50",
    "1.2.3.4:-65456",
    "1.2.3.4:65536",
    "1.2.3.4:80\x00",
    "1.2.3.4:80 ",
    " 1.2.3.4:80",
    "1.2.3.4 : 80",
    // Ours: leading zeros would be octal to some parsers.
    "01.2.3.4:80",
    "1.2.3.256:80",
  ];
  it.each(bad)("rejects %j", (input) => {
    expect(() => parseBindAddr(input)).toThrow(AddressError);
  });

  const good: [string, string, number, string][] = [
    ["1.2.3.4:9999", "1.2.3.4", 9999, "ipv4"],
    ["[1:2::3:4]:9999", "1:2::3:4", 9999, "ipv6"],
    // tor before bug #7011 wrote IPv6 without brackets.
    ["1:2::3:4:9999", "1:2::3:4", 9999, "ipv6"],
    // Port 0 means "pick one".
    ["0.0.0.0:0", "0.0.0.0", 0, "ipv4"],
    ["[::]:0", "::", 0, "ipv6"],
    ["127.0.0.1:00080", "127.0.0.1", 80, "ipv4"],
    ["[::ffff:1.2.3.4]:443", "::ffff:1.2.3.4", 443, "ipv6"],
  ];
  it.each(good)("accepts %j", (input, host, port, type) => {
    expect(parseBindAddr(input)).toEqual({ host, port, type });
  });

  it("formats IPv6 in brackets and round-trips", () => {
    for (const [input] of good) {
      const hp = parseBindAddr(input);
      expect(parseBindAddr(formatHostPort(hp))).toEqual(hp);
    }
    expect(formatHostPort({ host: "1:2::3:4", port: 9999, type: "ipv6" })).toBe("[1:2::3:4]:9999");
  });
});

describe("parsePtAddress options", () => {
  it("rejects port 0 and host names unless allowed", () => {
    expect(() => parsePtAddress("127.0.0.1:0")).toThrow(AddressError);
    expect(() => parsePtAddress("example.com:9922")).toThrow(AddressError);
    expect(() => parsePtAddress("1:2::3:4:9999")).toThrow(AddressError);
  });

  it("accepts the 2.1 -target examples with allowDomain", () => {
    const opts = { allowDomain: true };
    expect(parsePtAddress("93.184.216.34:9001", opts)).toEqual({ host: "93.184.216.34", port: 9001, type: "ipv4" });
    expect(parsePtAddress("[2001:0db8:85a3:0000:0000:8a2e:0370:7334]:1122", opts)).toEqual({
      host: "2001:0db8:85a3:0000:0000:8a2e:0370:7334",
      port: 1122,
      type: "ipv6",
    });
    expect(parsePtAddress("example.com:9922", opts)).toEqual({ host: "example.com", port: 9922, type: "domain" });
    expect(() => parsePtAddress("[example.com]:9922", opts)).toThrow(AddressError);
    expect(() => parsePtAddress("exa mple.com:9922", opts)).toThrow(AddressError);
  });

  it("reads what goptlib reads: any leading zeros, [IPv4], and the host as written", () => {
    expect(parsePtAddress("127.0.0.1:0000080")).toEqual({ host: "127.0.0.1", port: 80, type: "ipv4" });
    expect(parsePtAddress("[1.2.3.4]:80")).toEqual({ host: "1.2.3.4", port: 80, type: "ipv4" });
    expect(parsePtAddress("[::0001]:80")).toEqual({ host: "::0001", port: 80, type: "ipv6" });
    const opts = { allowDomain: true };
    expect(parsePtAddress("example.com.:1", opts)).toEqual({ host: "example.com.", port: 1, type: "domain" });
    expect(parsePtAddress("node.123:1", opts)).toEqual({ host: "node.123", port: 1, type: "domain" });
    expect(() => parsePtAddress("1.2.3:1", opts)).toThrow(AddressError); // digits and dots: a broken IPv4
    expect(() => parsePtAddress("-a.example:1", opts)).toThrow(AddressError);
  });
});

describe("upstream proxy URI (TOR_PT_PROXY)", () => {
  it("accepts the spec examples", () => {
    expect(parseProxyUri("socks5://tor:test1234@198.51.100.1:8000")).toEqual({
      scheme: "socks5",
      address: { host: "198.51.100.1", port: 8000, type: "ipv4" },
      username: "tor",
      password: "test1234",
    });
    expect(parseProxyUri("socks4a://198.51.100.2:8001")).toEqual({
      scheme: "socks4a",
      address: { host: "198.51.100.2", port: 8001, type: "ipv4" },
      username: undefined,
      password: undefined,
    });
    expect(parseProxyUri("http://198.51.100.3:443")).toMatchObject({ scheme: "http", address: { port: 443 } });
  });

  it("accepts IPv6, a trailing slash, an upper-case scheme, http credentials and socks4a user ids", () => {
    expect(parseProxyUri("SOCKS5://[2001:db8::1]:1080/")).toMatchObject({
      scheme: "socks5",
      address: { host: "2001:db8::1", port: 1080, type: "ipv6" },
    });
    expect(parseProxyUri("http://user:p%40ss%3Aword@127.0.0.1:3128")).toMatchObject({
      username: "user",
      password: "p@ss:word",
    });
    expect(parseProxyUri("http://user@127.0.0.1:3128")).toMatchObject({ username: "user", password: undefined });
    expect(parseProxyUri("socks4a://alice@127.0.0.1:1080")).toMatchObject({ username: "alice", password: undefined });
  });

  const bad = [
    "socks4a://u:p@198.51.100.2:8001", // socks4a carries no password
    "socks4a://:p@198.51.100.2:8001",
    "ftp://198.51.100.1:21", // unknown scheme
    "https://198.51.100.1:443",
    "socks://198.51.100.1:1080",
    "socks5://proxy.example.com:1080", // a host name instead of an IP
    "socks5://198.51.100.1", // missing port
    "socks5://198.51.100.1:",
    "socks5://198.51.100.1:0",
    "socks5://198.51.100.1:65536",
    "socks5://user@198.51.100.1:1080", // RFC 1929 needs a password
    "socks5://:pass@198.51.100.1:1080",
    "socks5://user:@198.51.100.1:1080",
    `socks5://${"u".repeat(256)}:p@198.51.100.1:1080`,
    "socks5://u:%zz@198.51.100.1:1080",
    "socks5://198.51.100.1:1080/path",
    "socks5://198.51.100.1:1080?q",
    "198.51.100.1:1080",
    "socks5:198.51.100.1:1080",
    "",
    "socks5://[::1:1080",
    "socks5://1:2::3:4:1080", // URIs need brackets around IPv6
  ];
  it.each(bad)("rejects %j", (input) => {
    expect(() => parseProxyUri(input)).toThrow(ProxyUriError);
  });

  it("formats back to a URI that parses to the same proxy", () => {
    for (const uri of [
      "socks5://tor:test1234@198.51.100.1:8000",
      "socks4a://198.51.100.2:8001",
      "http://us%20er:p%40ss@[::1]:443",
    ]) {
      const p = parseProxyUri(uri);
      expect(parseProxyUri(formatProxyUri(p))).toEqual(p);
    }
    expect(formatProxyUri(parseProxyUri("socks5://tor:test1234@198.51.100.1:8000"))).toBe(
      "socks5://tor:test1234@198.51.100.1:8000",
    );
  });
});
