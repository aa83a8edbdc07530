import { describe, expect, it } from "vitest";
import {
  MAX_RESOLVED_ADDRESSES,
  interfaceAddresses,
  vetDestination,
  type Resolver,
} from "../../src/server/standalone/destination.js";
import { DEFAULT_POLICY, makePolicy } from "../../src/server/standalone/policy.js";

/** A resolver from a table, recording every name it was asked. */
function fakeResolver(table: Record<string, readonly string[] | Error>): Resolver & { asked: string[] } {
  const asked: string[] = [];
  const r = async (host: string): Promise<readonly string[]> => {
    asked.push(host);
    const v = table[host];
    if (v === undefined) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: "ENOTFOUND" });
    if (v instanceof Error) throw v;
    return v;
  };
  return Object.assign(r, { asked });
}

describe("vetDestination", () => {
  it("judges an IP literal without asking the resolver", async () => {
    const resolver = fakeResolver({});
    expect(await vetDestination(DEFAULT_POLICY, { host: "8.8.8.8", port: 53 }, { resolver })).toEqual({
      kind: "allowed",
      addresses: ["8.8.8.8"],
    });
    const refused = await vetDestination(DEFAULT_POLICY, { host: "127.0.0.1", port: 80 }, { resolver });
    expect(refused).toMatchObject({ kind: "refused", decision: { basis: "special-purpose" } });
    expect(await vetDestination(DEFAULT_POLICY, { host: "[::1]", port: 80 }, { resolver })).toMatchObject({
      kind: "refused",
    });
    expect(await vetDestination(DEFAULT_POLICY, { host: "::ffff:1.1.1.1", port: 80 }, { resolver })).toEqual({
      kind: "allowed",
      addresses: ["1.1.1.1"],
    });
    expect(resolver.asked).toEqual([]);
  });

  it("judges the port first, so a refused port costs no DNS query", async () => {
    const resolver = fakeResolver({ "mail.example": ["93.184.216.34"] });
    const v = await vetDestination(DEFAULT_POLICY, { host: "mail.example", port: 25 }, { resolver });
    expect(v).toMatchObject({ kind: "refused", decision: { basis: "port" } });
    expect(resolver.asked).toEqual([]);
  });

  it("refuses a name whose every address is refused (DNS pointing at loopback or the LAN)", async () => {
    const resolver = fakeResolver({
      "evil.example": ["127.0.0.1", "::1"],
      "lan.example": ["192.168.1.10"],
      "meta.example": ["169.254.169.254"],
      "mapped.example": ["::ffff:10.0.0.1"],
      "scoped.example": ["fe80::1%eth0"],
    });
    for (const [name, range] of [
      ["evil.example", "127.0.0.0/8"],
      ["lan.example", "192.168.0.0/16"],
      ["meta.example", "169.254.0.0/16"],
      ["mapped.example", "10.0.0.0/8"],
      ["scoped.example", "fe80::/10"],
    ] as const) {
      const v = await vetDestination(DEFAULT_POLICY, { host: name, port: 443 }, { resolver });
      expect(v.kind, name).toBe("refused");
      expect(v.kind === "refused" && v.decision.detail, name).toContain(range);
    }
  });

  it("keeps only the allowed addresses of a mixed answer, in order, without duplicates", async () => {
    const resolver = fakeResolver({ "mixed.example": ["10.0.0.1", "1.1.1.1", "::ffff:1.1.1.1", "::1", "1.0.0.1"] });
    expect(await vetDestination(DEFAULT_POLICY, { host: "mixed.example", port: 443 }, { resolver })).toEqual({
      kind: "allowed",
      addresses: ["1.1.1.1", "1.0.0.1"],
    });
  });

  it("the operator's allow rule applies to resolved addresses", async () => {
    const resolver = fakeResolver({ localhost: ["127.0.0.1", "::1"] });
    const v = await vetDestination(makePolicy({ allow: ["127.0.0.1"] }), { host: "localhost", port: 80 }, { resolver });
    expect(v).toEqual({ kind: "allowed", addresses: ["127.0.0.1"] });
  });

  it("reports a name that does not resolve, resolves to nothing usable, or takes too long", async () => {
    const resolver = fakeResolver({ "empty.example": [], "junk.example": ["not-an-ip"] });
    for (const host of ["nx.example", "empty.example", "junk.example"]) {
      expect((await vetDestination(DEFAULT_POLICY, { host, port: 80 }, { resolver })).kind, host).toBe("unresolved");
    }
    const slow: Resolver = () => new Promise(() => undefined);
    const v = await vetDestination(
      DEFAULT_POLICY,
      { host: "slow.example", port: 80 },
      {
        resolver: slow,
        resolveTimeoutMs: 20,
      },
    );
    expect(v).toMatchObject({ kind: "unresolved", error: { code: "ERR_TIMEOUT" } });
  });

  it("refuses this host's own addresses, asked for on every request", async () => {
    const resolver = fakeResolver({ "me.example": ["93.184.216.34", "2606:4700::1111"] });
    let asked = 0;
    const ownAddresses = (): string[] => (asked++, ["93.184.216.34", "2606:4700::1111"]);
    const v = await vetDestination(DEFAULT_POLICY, { host: "me.example", port: 22 }, { resolver, ownAddresses });
    expect(v).toMatchObject({ kind: "refused", decision: { basis: "this-host" } });
    const lit = await vetDestination(DEFAULT_POLICY, { host: "93.184.216.34", port: 22 }, { ownAddresses });
    expect(lit.kind).toBe("refused");
    expect(asked).toBe(2);
    // By default the interfaces' addresses are used: loopback is among them.
    expect(interfaceAddresses()).toContain("127.0.0.1");
  });

  it(`judges at most MAX_RESOLVED_ADDRESSES (${MAX_RESOLVED_ADDRESSES}) addresses of one name`, async () => {
    const many = [...Array.from({ length: MAX_RESOLVED_ADDRESSES }, (_, i) => `10.0.0.${i}`), "1.1.1.1"];
    const resolver = fakeResolver({ "many.example": many });
    const v = await vetDestination(DEFAULT_POLICY, { host: "many.example", port: 80 }, { resolver });
    expect(v.kind).toBe("refused");
    const fewer = fakeResolver({ "many.example": many.slice(1) });
    expect(await vetDestination(DEFAULT_POLICY, { host: "many.example", port: 80 }, { resolver: fewer })).toEqual({
      kind: "allowed",
      addresses: ["1.1.1.1"],
    });
  });
});
