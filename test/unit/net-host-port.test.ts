// Ports, host names and `host:port` (src/shared/net): the shared strict rules,
// and each relaxation a caller asks for (PT IPC, ExtORPort, settings, SOCKS).
import { describe, expect, it } from "vitest";
import {
  AddressError,
  MAX_DOMAIN_LABEL_LENGTH,
  MAX_DOMAIN_NAME_LENGTH,
  formatHost,
  formatHostPort,
  isDomainName,
  parseHost,
  parseHostPort,
  parsePort,
  splitHostPort,
  tryParseHostPort,
} from "../../src/shared/net/index.js";

describe("parsePort", () => {
  it.each([
    // [text, canonical, padded, decimal] (port 0 allowed where it parses)
    ["1", 1, 1, 1],
    ["443", 443, 443, 443],
    ["65535", 65535, 65535, 65535],
    ["0", 0, 0, 0],
    ["0443", undefined, 443, 443],
    ["00080", undefined, 80, 80],
    ["000080", undefined, undefined, 80], // more than five digits: only goptlib's ParseUint reads it
    ["65536", undefined, undefined, undefined],
    ["99999", undefined, undefined, undefined],
    ["123456", undefined, undefined, undefined],
    ["+1", undefined, undefined, undefined],
    ["-1", undefined, undefined, undefined],
    ["", undefined, undefined, undefined],
    ["1e3", undefined, undefined, undefined],
    ["0x50", undefined, undefined, undefined],
    ["http", undefined, undefined, undefined],
    [" 80", undefined, undefined, undefined],
    ["80\0", undefined, undefined, undefined],
  ] as const)("%j → %s / %s / %s", (text, canonical, padded, decimal) => {
    expect(parsePort(text, { allowZero: true })).toBe(canonical);
    expect(parsePort(text, { syntax: "padded", allowZero: true })).toBe(padded);
    expect(parsePort(text, { syntax: "decimal", allowZero: true })).toBe(decimal);
  });

  it("refuses port 0 unless allowed", () => {
    expect(parsePort("0")).toBeUndefined();
    expect(parsePort("00000", { syntax: "decimal" })).toBeUndefined();
    expect(parsePort("1")).toBe(1);
  });
});

describe("isDomainName", () => {
  it.each(["example.com", "localhost", "a-b.c_d.org", "xn--bcher-kva.example", "a", `${"a".repeat(63)}.com`])(
    "accepts %j",
    (name) => expect(isDomainName(name)).toBe(true),
  );
  it.each([
    "",
    ".",
    "a.",
    "-a.com", // RFC 1123 §2.1: no hyphen at a label's edge
    "a-.com",
    "a..com",
    "a b",
    "bücher.example", // must be punycode
    "1.2.3.256",
    "1.2.3",
    "a.123", // ends in a number: a browser reads an IPv4 address
    "example.0x1f",
    `${"a".repeat(64)}.com`,
  ])("refuses %j", (name) => expect(isDomainName(name)).toBe(false));

  it(`bounds labels at ${MAX_DOMAIN_LABEL_LENGTH} and names at ${MAX_DOMAIN_NAME_LENGTH} characters`, () => {
    // Three 63-character labels and a last one that makes the name n characters long.
    const name = (n: number): string => `${"a".repeat(63)}.`.repeat(3) + "b".repeat(n - 192);
    expect(name(MAX_DOMAIN_NAME_LENGTH)).toHaveLength(MAX_DOMAIN_NAME_LENGTH);
    expect(isDomainName(name(MAX_DOMAIN_NAME_LENGTH))).toBe(true);
    expect(isDomainName(name(MAX_DOMAIN_NAME_LENGTH + 1))).toBe(false);
    expect(isDomainName(`${name(MAX_DOMAIN_NAME_LENGTH)}.`, { trailingDot: true })).toBe(true);
  });

  // PT IPC (-target, 2.x ORPort): the root dot and numeric last labels, as Go resolves them.
  const pt = { trailingDot: true, numericLastLabel: true };
  it.each(["example.com", "localhost", "a-b.c_d.org.", "xn--bcher-kva.example", "a.123", "a.0x1f"])(
    "with the PT IPC options accepts %j",
    (name) => expect(isDomainName(name, pt)).toBe(true),
  );
  it.each(["", ".", "-a.com", "a-.com", "a..com", "1.2.3.256", "1.2.3", "a b", `${"a".repeat(64)}.com`, "a.."])(
    "with the PT IPC options refuses %j",
    (name) => expect(isDomainName(name, pt)).toBe(false),
  );

  // Settings URLs: what browsers resolve, canonicalized to lower case by parseHost.
  const url = (text: string): string | undefined => {
    const host = parseHost(text, false, { allowDomain: true, domain: { edgeHyphens: true } });
    return host?.type === "domain" ? host.host : undefined;
  };
  it.each([
    ["Example.COM", "example.com"],
    ["a-b_c.example", "a-b_c.example"],
    ["-a-.example", "-a-.example"],
    ["localhost", "localhost"],
    ["xn--bcher-kva.example", "xn--bcher-kva.example"],
    ["", undefined],
    ["a..b", undefined],
    ["a.", undefined],
    ["bücher.example", undefined],
    ["1.2.3", undefined],
    ["example.0x1f", undefined],
    ["a".repeat(64) + ".example", undefined],
    ["a b", undefined],
  ] as const)("as a URL host %j → %s", (text, want) => {
    expect(url(text)).toBe(want);
  });
});

describe("splitHostPort (Go's net.SplitHostPort shapes)", () => {
  it.each([
    ["1.2.3.4:80", { host: "1.2.3.4", port: "80", bracketed: false }],
    ["[::1]:80", { host: "::1", port: "80", bracketed: true }],
    ["example.com", { host: "example.com", port: undefined, bracketed: false }],
    ["[::1]", { host: "::1", port: undefined, bracketed: true }],
    [":80", { host: "", port: "80", bracketed: false }],
    ["1.2.3.4:", { host: "1.2.3.4", port: "", bracketed: false }],
    ["h:8]0", { host: "h", port: "8]0", bracketed: false }], // the port is judged by parsePort
  ])("%j → %j", (text, want) => {
    expect(splitHostPort(text)).toEqual(want);
  });

  it.each([
    ["[::1", "missing-bracket", "host"],
    ["[::1]x80", "junk-after-bracket", "port"],
    ["[[::1]:80", "unexpected-bracket", "host"],
    ["1:2::3:4:80", "too-many-colons", "host"],
    ["1.2.3.4]:80", "unexpected-bracket", "host"],
  ])("%j → %s in the %s", (text, problem, field) => {
    expect(splitHostPort(text)).toMatchObject({ problem, field });
  });
});

describe("parseHostPort", () => {
  it.each([
    ["1.2.3.4:9999", { host: "1.2.3.4", port: 9999, type: "ipv4" }],
    ["[1:2::3:4]:9999", { host: "1:2::3:4", port: 9999, type: "ipv6" }],
    ["[2001:0DB8::0001]:443", { host: "2001:db8::1", port: 443, type: "ipv6" }], // canonical by default
    ["255.255.255.255:65535", { host: "255.255.255.255", port: 65535, type: "ipv4" }],
  ])("accepts %j", (text, want) => {
    expect(parseHostPort(text)).toEqual(want);
  });

  // Strict defaults, and the first fault left to right: the host before the port.
  it.each([
    ["", "missing-port", "port"],
    ["1.2.3.4", "missing-port", "port"],
    ["[::1]", "missing-port", "port"],
    ["1.2.3.4:", "missing-port", "port"],
    [":80", "missing-host", "host"],
    ["[]:80", "missing-host", "host"],
    ["example.com:80", "bad-host", "host"],
    ["example.com:http", "bad-host", "host"],
    ["[1.2.3.4]:80", "bad-host", "host"],
    ["[example.com]:80", "bad-host", "host"],
    ["1:2::3:4:80", "too-many-colons", "host"],
    ["[::1:80", "missing-bracket", "host"],
    ["[::1]x:80", "junk-after-bracket", "port"],
    ["1.2.3.4:http", "bad-port", "port"],
    ["1.2.3.4:080", "bad-port", "port"],
    ["1.2.3.4:65536", "bad-port", "port"],
    ["1.2.3.4:0", "zero-port", "port"],
  ])("refuses %j: %s in the %s", (text, problem, field) => {
    expect(tryParseHostPort(text)).toMatchObject({ problem, field });
    expect(() => parseHostPort(text)).toThrow(AddressError);
    expect(() => parseHostPort(text)).toThrow(expect.objectContaining({ code: "ERR_NET_BAD_ADDRESS", problem, field }));
  });

  it.each([
    // [text, options, result]
    ["1.2.3.4:0", { allowZeroPort: true }, { host: "1.2.3.4", port: 0, type: "ipv4" }],
    ["1.2.3.4:00080", { portSyntax: "padded" }, { host: "1.2.3.4", port: 80, type: "ipv4" }],
    ["1.2.3.4:000080", { portSyntax: "decimal" }, { host: "1.2.3.4", port: 80, type: "ipv4" }],
    ["Example.COM:80", { allowDomain: true }, { host: "example.com", port: 80, type: "domain" }],
    ["Example.COM:80", { allowDomain: true, keepHostText: true }, { host: "Example.COM", port: 80, type: "domain" }],
    ["[1.2.3.4]:80", { allowBracketedIPv4: true }, { host: "1.2.3.4", port: 80, type: "ipv4" }],
    ["1:2::3:4:9999", { allowUnbracketedIPv6: true }, { host: "1:2::3:4", port: 9999, type: "ipv6" }],
    ["[::0001]:1", { keepHostText: true }, { host: "::0001", port: 1, type: "ipv6" }],
    [
      "example.com.:1",
      { allowDomain: true, domain: { trailingDot: true } },
      { host: "example.com.", port: 1, type: "domain" },
    ],
  ] as const)("%j with %j → %j", (text, options, want) => {
    expect(parseHostPort(text, options)).toEqual(want);
  });

  it("never takes a bracketed name, even when names are allowed", () => {
    expect(() => parseHostPort("[example.com]:80", { allowDomain: true })).toThrow(AddressError);
  });

  it("says what it refused, quoted and shortened, as data", () => {
    const e = (() => {
      try {
        return parseHostPort(`${"x".repeat(100)}:1`);
      } catch (err) {
        return err;
      }
    })() as AddressError;
    expect(e).toBeInstanceOf(AddressError);
    expect(e.message.length).toBeLessThan(200);
    expect(e.toJSON()).toMatchObject({ name: "AddressError", code: "ERR_NET_BAD_ADDRESS", problem: "bad-host" });
  });
});

describe("formatHost / formatHostPort", () => {
  it("brackets IPv6 only", () => {
    expect(formatHostPort({ type: "ipv4", host: "1.2.3.4", port: 80 })).toBe("1.2.3.4:80");
    expect(formatHostPort({ type: "ipv6", host: "::1", port: 80 })).toBe("[::1]:80");
    expect(formatHostPort({ type: "ipv6", host: "1:2::3:4", port: 9999 })).toBe("[1:2::3:4]:9999");
    expect(formatHostPort({ type: "domain", host: "example.com", port: 4660 })).toBe("example.com:4660");
    expect(formatHostPort({ family: 6, host: "2001:db8::1", port: 443 })).toBe("[2001:db8::1]:443");
    expect(formatHost({ family: 4, host: "192.0.2.1" })).toBe("192.0.2.1");
    expect(formatHost({ type: "ipv6", host: "::" })).toBe("[::]");
  });

  it("round-trips through parseHostPort", () => {
    for (const text of ["1.2.3.4:9999", "[1:2::3:4]:9999", "[::ffff:1.2.3.4]:443"]) {
      expect(formatHostPort(parseHostPort(text))).toBe(text);
    }
  });
});
