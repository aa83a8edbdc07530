/**
 * Trusted proxies and X-Forwarded-For: the client address that becomes
 * ExtORPort USERADDR. Tables of good and bad configuration, the right-to-left
 * walk, and a fuzz proving hostile headers never throw or invent addresses.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  MAX_FORWARDED_FOR_ENTRIES,
  MAX_TRUSTED_PROXIES,
  TrustedProxies,
  resolveClientAddress,
} from "../../src/server/carriers/websocket/index.js";
import { parseIp } from "../../src/shared/net/index.js";
import { fcParams } from "../helpers/fc.js";

describe("TrustedProxies.parse", () => {
  const good = ["127.0.0.1", "10.0.0.0/8", "0.0.0.0/0", "192.0.2.1/32", "::1", "fd00::/8", "::/0", "2001:db8::/128"];
  for (const entry of good) {
    it(`accepts ${entry}`, () => expect(TrustedProxies.parse([entry]).size).toBe(1));
  }
  const bad = [
    "",
    "localhost",
    "10.0.0.0/33",
    "::/129",
    "10.0.0.0/",
    "10.0.0.0/08",
    "10.0.0.0/-1",
    "010.0.0.1",
    "1.2.3.4:80",
    "[::1]",
    "fe80::1%eth0",
    "10.0.0.0/8/8",
    " 10.0.0.1",
    "1.2.3",
  ];
  for (const entry of bad) {
    it(`refuses ${JSON.stringify(entry)} with ERR_WS_TRUSTED_PROXIES`, () =>
      expect(() => TrustedProxies.parse([entry])).toThrow(expect.objectContaining({ code: "ERR_WS_TRUSTED_PROXIES" })));
  }
  it(`refuses more than MAX_TRUSTED_PROXIES (${MAX_TRUSTED_PROXIES}) entries`, () => {
    expect(TrustedProxies.parse(Array<string>(MAX_TRUSTED_PROXIES).fill("::1")).size).toBe(MAX_TRUSTED_PROXIES);
    expect(() => TrustedProxies.parse(Array<string>(MAX_TRUSTED_PROXIES + 1).fill("::1"))).toThrow(
      expect.objectContaining({ code: "ERR_WS_TRUSTED_PROXIES" }),
    );
  });
});

describe("TrustedProxies.has", () => {
  const table: [string[], string, boolean][] = [
    [["10.0.0.0/9"], "10.127.255.255", true],
    [["10.0.0.0/9"], "10.128.0.0", false], // the 9th bit differs
    [["10.0.0.0/8"], "11.0.0.0", false],
    [["192.0.2.7"], "192.0.2.7", true],
    [["192.0.2.7"], "192.0.2.8", false],
    [["127.0.0.0/8"], "::ffff:127.0.0.1", true], // a dual-stack socket's IPv4 peer
    [["0.0.0.0/0"], "203.0.113.1", true],
    [["0.0.0.0/0"], "::1", false], // families never match each other
    [["::/0"], "10.0.0.1", false],
    [["fd00::/8"], "fdff::1", true],
    [["fd00::/8"], "fe00::1", false],
    [["fe80::/10"], "fe80::1%eth0", true], // zone dropped
    [["fe80::/10"], "febf::1", true],
    [["fe80::/10"], "fec0::1", false],
    [["::1"], "0:0:0:0:0:0:0:1", true],
    [["::1"], "not an ip", false],
    [[], "127.0.0.1", false],
  ];
  for (const [entries, addr, want] of table) {
    it(`${JSON.stringify(entries)} ${want ? "contains" : "does not contain"} ${addr}`, () =>
      expect(TrustedProxies.parse(entries).has(addr)).toBe(want));
  }
});

describe("resolveClientAddress", () => {
  const trusted = TrustedProxies.parse(["127.0.0.0/8", "10.0.0.0/8", "::1"]);
  const table: [string, string, string | string[] | undefined, string | undefined, boolean][] = [
    // [what, peer, X-Forwarded-For, client, forwarded]
    ["no header", "127.0.0.1", undefined, "127.0.0.1", false],
    ["untrusted peer's header is ignored", "198.51.100.9", "203.0.113.7", "198.51.100.9", false],
    ["one hop", "127.0.0.1", "203.0.113.7", "203.0.113.7", true],
    ["rightmost untrusted wins over a forged left part", "127.0.0.1", "6.6.6.6, 203.0.113.7", "203.0.113.7", true],
    ["trusted hops are skipped", "127.0.0.1", "203.0.113.7, 10.1.2.3, 127.0.0.2", "203.0.113.7", true],
    ["all trusted: the leftmost", "127.0.0.1", "10.0.0.1, 10.0.0.2", "10.0.0.1", true],
    ["IPv6 client, canonicalised", "::1", "2001:DB8:0:0:0:0:0:1", "2001:db8::1", true],
    ["bracketed IPv6", "::1", "[2001:db8::1]", "2001:db8::1", true],
    ["IPv4-mapped peer is unmapped", "::ffff:127.0.0.1", "203.0.113.7", "203.0.113.7", true],
    ["several header lines", "127.0.0.1", ["198.51.100.1", "203.0.113.7"], "203.0.113.7", true],
    ["empty header", "127.0.0.1", " ", "127.0.0.1", false],
    ["garbage entry: unknown", "127.0.0.1", "unknown", undefined, true],
    ["entry with a port: unknown", "127.0.0.1", "203.0.113.7:4000", undefined, true],
    ["garbage right of the client: unknown", "127.0.0.1", "203.0.113.7, bogus", undefined, true],
    ["garbage left of the client is never reached", "127.0.0.1", "bogus, 203.0.113.7", "203.0.113.7", true],
    ["empty entry: unknown", "127.0.0.1", "203.0.113.7,", undefined, true],
  ];
  for (const [what, peer, xff, client, forwarded] of table) {
    it(what, () => {
      const info = resolveClientAddress(peer, 4242, xff, trusted);
      expect(info.remoteAddress).toBe(client);
      expect(info.forwarded).toBe(forwarded);
      expect(info.peerAddress).toBe(parseIp(peer, { unmapIPv4: true })!.host);
      expect(info.peerPort).toBe(4242);
      // A forwarded address has no port; a direct one keeps the peer's.
      expect(info.remotePort).toBe(forwarded ? undefined : 4242);
    });
  }

  it(`examines at most MAX_FORWARDED_FOR_ENTRIES (${MAX_FORWARDED_FOR_ENTRIES}) entries from the right`, () => {
    const hops = Array<string>(MAX_FORWARDED_FOR_ENTRIES).fill("10.0.0.1");
    const info = resolveClientAddress("127.0.0.1", 1, ["203.0.113.7", ...hops].join(","), trusted);
    // The real client is one past the limit: we stop at the leftmost examined (trusted) hop.
    expect(info.remoteAddress).toBe("10.0.0.1");
  });

  it("an unknown peer stays unknown", () => {
    expect(resolveClientAddress(undefined, undefined, "203.0.113.7", trusted)).toEqual({
      remoteAddress: undefined,
      remotePort: undefined,
      peerAddress: undefined,
      peerPort: undefined,
      forwarded: false,
    });
  });

  it("fuzz: any header from a trusted peer yields an IP that appears in it, or undefined; never throws", () => {
    const entry = fc.oneof(
      fc.ipV4(),
      fc.ipV6(),
      fc.constantFrom("10.0.0.1", "127.0.0.1", "::1", "unknown", "", " "),
      fc.string({ maxLength: 12 }),
    );
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), fc.boolean(), (entries, spaced) => {
        const header = entries.join(spaced ? ", " : ",");
        const info = resolveClientAddress("127.0.0.1", 9, header, trusted);
        if (info.remoteAddress === undefined) return;
        expect(parseIp(info.remoteAddress)).toBeDefined();
        if (info.forwarded) {
          const seen = entries.map((e) => parseIp(e.trim(), { brackets: true, unmapIPv4: true })?.host);
          expect(seen).toContain(info.remoteAddress);
        }
      }),
      fcParams(10_000),
    );
  });
});
