import { describe, expect, it } from "vitest";
import {
  DEFAULT_DENIED_PORTS,
  DEFAULT_POLICY,
  MAX_POLICY_CIDRS,
  MAX_POLICY_PORT_RANGES,
  PolicyError,
  SPECIAL_PURPOSE_RANGES,
  checkAddress,
  checkPort,
  describePolicy,
  makePolicy,
  ownAddressSet,
  parseCidr,
  parsePortRange,
} from "../../src/server/standalone/policy.js";

describe("parseCidr", () => {
  it.each([
    ["10.0.0.0/8", 4, 8, "10.0.0.0/8"],
    ["127.0.0.1", 4, 32, "127.0.0.1/32"],
    ["0.0.0.0/0", 4, 0, "0.0.0.0/0"],
    ["fc00::/7", 6, 7, "fc00::/7"],
    ["FE80:0:0::/10", 6, 10, "fe80::/10"],
    ["::1", 6, 128, "::1/128"],
    ["::/0", 6, 0, "::/0"],
    // IPv4-mapped networks of /96 or longer mean the IPv4 network (mapped addresses are judged as IPv4).
    ["::ffff:10.0.0.0/104", 4, 8, "10.0.0.0/8"],
    ["::ffff:0:0/96", 4, 0, "0.0.0.0/0"],
    ["::ffff:7f00:1", 4, 32, "127.0.0.1/32"],
  ])("%s → IPv%d /%d %s", (text, family, prefix, canonical) => {
    const c = parseCidr(text);
    expect([c.family, c.prefix, c.text]).toEqual([family, prefix, canonical]);
  });

  it.each([
    ["10.1.2.3/8", /host bits set \(did you mean 10\.0\.0\.0\/8\?\)/],
    ["fe80::1/10", /did you mean fe80::\/10/],
    ["10.0.0.0/33", /prefix length that is not 0-32/],
    ["::/129", /not 0-128/],
    ["10.0.0.0/08", /prefix length/],
    ["10.0.0.0/", /prefix length/],
    ["10.0.0.0/-1", /prefix length/],
    ["010.0.0.0/8", /not an IPv4 or IPv6/],
    ["localhost", /not an IPv4 or IPv6/],
    ["[::1]/128", /not an IPv4 or IPv6/],
    ["fe80::1%eth0", /not an IPv4 or IPv6/],
    ["", /not an IPv4 or IPv6/],
  ])("refuses %j", (text, message) => {
    expect(() => parseCidr(text, "/allow/0")).toThrow(message);
    expect(() => parseCidr(text, "/allow/0")).toThrow(
      expect.objectContaining({ name: "PolicyError", code: "ERR_POLICY_BAD_CIDR", pointer: "/allow/0" }),
    );
    expect(() => parseCidr(text)).toThrow(PolicyError);
  });
});

describe("parsePortRange", () => {
  it.each([
    [80, { from: 80, to: 80 }],
    ["443", { from: 443, to: 443 }],
    ["8000-8999", { from: 8000, to: 8999 }],
    ["1-65535", { from: 1, to: 65535 }],
    [65535, { from: 65535, to: 65535 }],
  ])("%j", (item, range) => expect(parsePortRange(item)).toEqual(range));

  it.each([0, 65536, 1.5, -1, "0", "080", "9-8", "1-65536", "a", "", " 80", "80-", "-80", "1-2-3"])(
    "refuses %j",
    (item) => expect(() => parsePortRange(item, "/ports/2")).toThrow(/is not a port/),
  );
});

describe("makePolicy", () => {
  it("builds canonical rules and reports the pointer of the first bad one", () => {
    const p = makePolicy({ allow: ["127.0.0.1", "fd00::/8"], deny: ["10.1.0.0/16"], ports: [80, "8000-8080"] });
    expect(p.allow.map((c) => c.text)).toEqual(["127.0.0.1/32", "fd00::/8"]);
    expect(p.deny.map((c) => c.text)).toEqual(["10.1.0.0/16"]);
    expect(p.ports).toEqual([
      { from: 80, to: 80 },
      { from: 8000, to: 8080 },
    ]);
    expect(() => makePolicy({ deny: ["1.2.3.0/24", "nope"] })).toThrow(
      expect.objectContaining({ code: "ERR_POLICY_BAD_CIDR", pointer: "/deny/1" }),
    );
    expect(() => makePolicy({ ports: [80, "x"] })).toThrow(
      expect.objectContaining({ code: "ERR_POLICY_BAD_PORTS", pointer: "/ports/1" }),
    );
  });

  it("enforces MAX_POLICY_CIDRS and MAX_POLICY_PORT_RANGES", () => {
    const cidrs = Array.from({ length: MAX_POLICY_CIDRS }, (_, i) => `10.${i >> 8}.${i & 255}.0/24`);
    expect(makePolicy({ allow: cidrs }).allow).toHaveLength(MAX_POLICY_CIDRS);
    expect(() => makePolicy({ allow: [...cidrs, "1.1.1.1"] })).toThrow(
      expect.objectContaining({ code: "ERR_POLICY_TOO_MANY", pointer: "/allow" }),
    );
    const ports = Array.from({ length: MAX_POLICY_PORT_RANGES + 1 }, (_, i) => i + 1);
    expect(() => makePolicy({ ports })).toThrow(expect.objectContaining({ code: "ERR_POLICY_TOO_MANY" }));
    expect(makePolicy({ ports: ports.slice(1) }).ports).toHaveLength(MAX_POLICY_PORT_RANGES);
  });

  it("without rules is the default policy", () => {
    expect(makePolicy({})).toEqual(DEFAULT_POLICY);
    expect(DEFAULT_POLICY).toEqual({ allow: [], deny: [], ports: undefined });
  });
});

/**
 * Every default-deny range at its edges: the first and last address refused
 * (with the range named), and the addresses just outside allowed where no
 * other range covers them.
 */
const EDGES: readonly (readonly [range: string, inside: string[], outside: string[]])[] = [
  ["0.0.0.0/8", ["0.0.0.0", "0.255.255.255"], ["1.0.0.0"]],
  ["10.0.0.0/8", ["10.0.0.0", "10.255.255.255"], ["9.255.255.255", "11.0.0.0"]],
  ["100.64.0.0/10", ["100.64.0.0", "100.127.255.255"], ["100.63.255.255", "100.128.0.0"]],
  ["127.0.0.0/8", ["127.0.0.0", "127.0.0.1", "127.255.255.255"], ["126.255.255.255", "128.0.0.0"]],
  ["169.254.0.0/16", ["169.254.0.0", "169.254.169.254", "169.254.255.255"], ["169.253.255.255", "169.255.0.0"]],
  ["172.16.0.0/12", ["172.16.0.0", "172.31.255.255"], ["172.15.255.255", "172.32.0.0"]],
  ["192.0.0.0/24", ["192.0.0.0", "192.0.0.255"], ["191.255.255.255", "192.0.1.0"]],
  ["192.0.2.0/24", ["192.0.2.0", "192.0.2.255"], ["192.0.1.255", "192.0.3.0"]],
  ["192.88.99.0/24", ["192.88.99.0", "192.88.99.255"], ["192.88.98.255", "192.88.100.0"]],
  ["192.168.0.0/16", ["192.168.0.0", "192.168.255.255"], ["192.167.255.255", "192.169.0.0"]],
  ["198.18.0.0/15", ["198.18.0.0", "198.19.255.255"], ["198.17.255.255", "198.20.0.0"]],
  ["198.51.100.0/24", ["198.51.100.0", "198.51.100.255"], ["198.51.99.255", "198.51.101.0"]],
  ["203.0.113.0/24", ["203.0.113.0", "203.0.113.255"], ["203.0.112.255", "203.0.114.0"]],
  ["224.0.0.0/4", ["224.0.0.0", "239.255.255.255"], ["223.255.255.255"]],
  ["240.0.0.0/4", ["240.0.0.0", "255.255.255.254"], []],
  ["255.255.255.255/32", ["255.255.255.255"], []],
  ["::/128", ["::"], []],
  ["::1/128", ["::1"], []],
  ["::/96", ["::2", "::ffff:ffff", "::1.2.3.4"], ["0:0:0:0:0:1::"]],
  ["::ffff:0:0:0/96", ["::ffff:0:0:0", "::ffff:0:ffff:ffff"], []],
  ["64:ff9b:1::/48", ["64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff"], ["64:ff9b:2::1"]],
  ["100::/64", ["100::", "100::ffff:ffff:ffff:ffff"], ["100:0:0:1::", "ff::ffff"]],
  ["2001::/23", ["2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff"], ["2001:200::", "2000:ffff::1"]],
  ["2001:db8::/32", ["2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff"], ["2001:db9::", "2001:db7::1"]],
  ["3fff::/20", ["3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff"], ["3fff:1000::", "3ffe:ffff::1"]],
  ["5f00::/16", ["5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["5f01::", "5eff:ffff::1"]],
  ["fc00::/7", ["fc00::", "fd12:3456::1", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["fbff:ffff::1", "fe00::"]],
  ["fe80::/10", ["fe80::", "fe80::1", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["fe7f:ffff::1"]],
  ["fec0::/10", ["fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], []],
  ["ff00::/8", ["ff00::", "ff02::1", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"], ["feff::1:0:0:0"]],
];

describe("checkAddress: the default policy", () => {
  it("covers every special-purpose range in the table", () => {
    expect(EDGES.map(([r]) => r).sort()).toEqual(SPECIAL_PURPOSE_RANGES.map((r) => r.cidr.text).sort());
  });

  it.each(EDGES)("%s: refused at its edges, allowed just outside", (range, inside, outside) => {
    for (const ip of inside) {
      const d = checkAddress(DEFAULT_POLICY, ip);
      expect(d.allowed, ip).toBe(false);
      expect(d.detail, ip).toContain(range);
    }
    for (const ip of outside) {
      const d = checkAddress(DEFAULT_POLICY, ip);
      // feff::1:0:0:0 is in fec0::/10, 0:0:0:0:0:1:: is not special: only "not this range" is promised here.
      expect(d.detail.includes(range), ip).toBe(false);
    }
  });

  it.each(["1.1.1.1", "8.8.8.8", "93.184.216.34", "2606:4700::1111", "2a00:1450::1", "64:ff9b::808:808"])(
    "allows the public address %s",
    (ip) => expect(checkAddress(DEFAULT_POLICY, ip)).toMatchObject({ allowed: true, basis: "default" }),
  );

  it("names the range and its kind", () => {
    expect(checkAddress(DEFAULT_POLICY, "127.0.0.1")).toEqual({
      allowed: false,
      basis: "special-purpose",
      detail: "127.0.0.1: 127.0.0.0/8 (loopback)",
      address: "127.0.0.1",
    });
    expect(checkAddress(DEFAULT_POLICY, "0.0.0.0")).toMatchObject({ basis: "always-denied" });
    expect(checkAddress(DEFAULT_POLICY, "255.255.255.255")).toMatchObject({ basis: "always-denied" });
    expect(checkAddress(DEFAULT_POLICY, "240.0.0.1")).toMatchObject({ basis: "special-purpose" });
  });

  it("judges IPv4-mapped addresses as IPv4 and dials the IPv4 address", () => {
    expect(checkAddress(DEFAULT_POLICY, "::ffff:127.0.0.1")).toMatchObject({ allowed: false, address: "127.0.0.1" });
    expect(checkAddress(DEFAULT_POLICY, "::ffff:7f00:1")).toMatchObject({ allowed: false, address: "127.0.0.1" });
    expect(checkAddress(DEFAULT_POLICY, "::ffff:a9fe:a9fe")).toMatchObject({ allowed: false });
    expect(checkAddress(DEFAULT_POLICY, "::ffff:8.8.8.8")).toMatchObject({ allowed: true, address: "8.8.8.8" });
  });

  it("judges NAT64 and 6to4 addresses by the IPv4 address inside too", () => {
    expect(checkAddress(DEFAULT_POLICY, "64:ff9b::7f00:1")).toEqual({
      allowed: false,
      basis: "special-purpose",
      detail: "127.0.0.1 inside NAT64: 127.0.0.0/8 (loopback)",
      address: "64:ff9b::7f00:1",
    });
    expect(checkAddress(DEFAULT_POLICY, "64:ff9b::10.0.0.1").allowed).toBe(false);
    expect(checkAddress(DEFAULT_POLICY, "64:ff9b::0.0.0.0").basis).toBe("always-denied");
    expect(checkAddress(DEFAULT_POLICY, "64:ff9b::8.8.8.8")).toMatchObject({
      allowed: true,
      address: "64:ff9b::808:808",
    });
    expect(checkAddress(DEFAULT_POLICY, "2002:7f00:1::1").detail).toContain("inside 6to4");
    expect(checkAddress(DEFAULT_POLICY, "2002:c0a8:101::").allowed).toBe(false);
    expect(checkAddress(DEFAULT_POLICY, "2002:808:808::1").allowed).toBe(true);
  });

  it("refuses Teredo (inside 2001::/23)", () => {
    expect(checkAddress(DEFAULT_POLICY, "2001:0:4136:e378:8000:63bf:3fff:fdd2").allowed).toBe(false);
  });

  it("throws TypeError for anything but an IP literal", () => {
    for (const bad of ["localhost", "[::1]", "fe80::1%eth0", "127.1", "010.0.0.1", ""]) {
      expect(() => checkAddress(DEFAULT_POLICY, bad), bad).toThrow(TypeError);
    }
  });
});

describe("checkAddress: operator rules", () => {
  it("an allow rule lifts a default refusal, only as far as it reaches", () => {
    const p = makePolicy({ allow: ["127.0.0.1"] });
    expect(checkAddress(p, "127.0.0.1")).toMatchObject({ allowed: true, basis: "operator-allow" });
    expect(checkAddress(p, "::ffff:127.0.0.1")).toMatchObject({ allowed: true, address: "127.0.0.1" });
    expect(checkAddress(p, "127.0.0.2")).toMatchObject({ allowed: false, basis: "special-purpose" });
    expect(checkAddress(p, "::1").allowed).toBe(false);
  });

  it("the most specific rule decides", () => {
    const p = makePolicy({ allow: ["10.0.0.0/8"], deny: ["10.1.0.0/16"] });
    expect(checkAddress(p, "10.2.0.1")).toMatchObject({ allowed: true, detail: "10.2.0.1: allow 10.0.0.0/8" });
    expect(checkAddress(p, "10.1.0.1")).toMatchObject({ allowed: false, detail: "10.1.0.1: deny 10.1.0.0/16" });
    const list = makePolicy({ deny: ["0.0.0.0/0", "::/0"], allow: ["8.8.8.0/24"] });
    expect(checkAddress(list, "8.8.8.8").allowed).toBe(true);
    expect(checkAddress(list, "8.8.4.4")).toMatchObject({ allowed: false, basis: "operator-deny" });
    expect(checkAddress(list, "2606:4700::1111").allowed).toBe(false);
  });

  it("deny wins a tie", () => {
    const p = makePolicy({ allow: ["1.2.3.4/32", "5.0.0.0/8"], deny: ["1.2.3.4", "5.0.0.0/8"] });
    expect(checkAddress(p, "1.2.3.4").allowed).toBe(false);
    expect(checkAddress(p, "5.6.7.8").allowed).toBe(false);
  });

  it("never lifts the always-refused ranges", () => {
    const p = makePolicy({ allow: ["0.0.0.0/0", "::/0"] });
    expect(checkAddress(p, "10.0.0.1").allowed).toBe(true);
    expect(checkAddress(p, "::1").allowed).toBe(true);
    for (const ip of ["0.0.0.0", "0.1.2.3", "224.0.0.1", "255.255.255.255", "::", "ff02::1"]) {
      expect(checkAddress(p, ip), ip).toMatchObject({ allowed: false, basis: "always-denied" });
    }
  });

  it("a deny rule refuses a public address; IPv6 rules reach the NAT64 form", () => {
    expect(checkAddress(makePolicy({ deny: ["1.1.1.1"] }), "1.1.1.1").basis).toBe("operator-deny");
    expect(checkAddress(makePolicy({ deny: ["64:ff9b::/96"] }), "64:ff9b::808:808").allowed).toBe(false);
    expect(checkAddress(makePolicy({ deny: ["8.8.8.8"] }), "64:ff9b::808:808").allowed).toBe(false);
  });
});

describe("checkAddress: this host's own addresses", () => {
  const own = ownAddressSet(["93.184.216.34", "::ffff:1.1.1.1", "2606:4700:0::1111", "fe80::1%eth0", "junk"]);

  it("ownAddressSet keeps canonical text, IPv4 for mapped addresses, no zones", () => {
    expect([...own]).toEqual(["93.184.216.34", "1.1.1.1", "2606:4700::1111", "fe80::1"]);
  });

  it("refuses them unless an allow rule covers them; a deny rule still decides", () => {
    expect(checkAddress(DEFAULT_POLICY, "93.184.216.34", own)).toEqual({
      allowed: false,
      basis: "this-host",
      detail: "93.184.216.34: an address of this host",
      address: "93.184.216.34",
    });
    expect(checkAddress(DEFAULT_POLICY, "::ffff:93.184.216.34", own).basis).toBe("this-host");
    expect(checkAddress(DEFAULT_POLICY, "1.1.1.1", own).basis).toBe("this-host");
    expect(checkAddress(DEFAULT_POLICY, "2606:4700::1111", own).basis).toBe("this-host");
    expect(checkAddress(DEFAULT_POLICY, "64:ff9b::5db8:d822", own).detail).toContain("inside NAT64");
    expect(checkAddress(DEFAULT_POLICY, "93.184.216.35", own).allowed).toBe(true);
    expect(checkAddress(makePolicy({ allow: ["93.184.216.0/24"] }), "93.184.216.34", own).allowed).toBe(true);
    expect(checkAddress(DEFAULT_POLICY, "93.184.216.34").allowed).toBe(true);
  });
});

describe("checkPort", () => {
  it("by default allows every port but DEFAULT_DENIED_PORTS and never port 0", () => {
    expect(DEFAULT_DENIED_PORTS).toEqual([25]);
    expect(checkPort(DEFAULT_POLICY, 25)).toMatchObject({ allowed: false, basis: "port" });
    for (const p of [1, 22, 24, 26, 80, 443, 65535]) expect(checkPort(DEFAULT_POLICY, p).allowed, `${p}`).toBe(true);
    for (const p of [0, -1, 65536, 1.5]) expect(checkPort(DEFAULT_POLICY, p).allowed, `${p}`).toBe(false);
  });

  it("with `ports`, allows exactly those", () => {
    const p = makePolicy({ ports: [25, "443", "8000-8999"] });
    for (const port of [25, 443, 8000, 8500, 8999]) expect(checkPort(p, port).allowed, `${port}`).toBe(true);
    for (const port of [22, 80, 442, 444, 7999, 9000]) expect(checkPort(p, port).allowed, `${port}`).toBe(false);
  });
});

describe("describePolicy", () => {
  it("summarises the rules", () => {
    expect(describePolicy(makePolicy({ allow: ["127.0.0.1"], ports: [80, "8000-8999"] })).slice(1)).toEqual([
      "allow: 127.0.0.1/32",
      "deny: none",
      "ports: 80, 8000-8999",
    ]);
    expect(describePolicy(DEFAULT_POLICY)[3]).toBe("ports: any but 25");
  });
});
