/**
 * The policy's CIDR matching against a plain integer reference: for random
 * IPv4 addresses and random operator rules, checkAddress agrees with a
 * longest-prefix match computed on numbers; an IPv4-mapped address always
 * gets the IPv4 decision; canonical CIDR text parses back to itself.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  SPECIAL_PURPOSE_RANGES,
  checkAddress,
  makePolicy,
  parseCidr,
  type Cidr,
} from "../../src/server/standalone/policy.js";
import { fcParams } from "../helpers/fc.js";

const toInt = (b: Uint8Array): number => ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
const text = (n: number): string => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join(".");
const mask = (prefix: number): number => (prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
const inRange = (n: number, c: Cidr): boolean => (n & mask(c.prefix)) >>> 0 === toInt(c.bytes);

const V4_SPECIAL = SPECIAL_PURPOSE_RANGES.filter((r) => r.cidr.family === 4);

/** The reference decision, on integers. */
function reference(n: number, allow: Cidr[], deny: Cidr[]): boolean {
  if (V4_SPECIAL.some((r) => r.always && inRange(n, r.cidr))) return false;
  let best: { prefix: number; allow: boolean } | undefined;
  for (const c of deny)
    if (inRange(n, c) && (best === undefined || c.prefix > best.prefix)) best = { prefix: c.prefix, allow: false };
  for (const c of allow)
    if (inRange(n, c) && (best === undefined || c.prefix > best.prefix)) best = { prefix: c.prefix, allow: true };
  if (best !== undefined) return best.allow;
  return !V4_SPECIAL.some((r) => inRange(n, r.cidr));
}

const cidrArb = fc
  .tuple(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 32 }))
  .map(([n, p]) => `${text((n & mask(p)) >>> 0)}/${p}`);

describe("policy properties", () => {
  it("checkAddress agrees with an integer longest-prefix reference, mapped or not", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0xffffffff }),
        fc.array(cidrArb, { maxLength: 6 }),
        fc.array(cidrArb, { maxLength: 6 }),
        (n, allow, deny) => {
          const policy = makePolicy({ allow, deny });
          const want = reference(n, [...policy.allow], [...policy.deny]);
          const d = checkAddress(policy, text(n));
          expect(d.allowed).toBe(want);
          expect(d.address).toBe(text(n));
          const mapped = checkAddress(policy, `::ffff:${text(n)}`);
          expect([mapped.allowed, mapped.address]).toEqual([want, text(n)]);
        },
      ),
      fcParams(10_000),
    );
  });

  it("canonical CIDR text parses back to the same network", () => {
    fc.assert(
      fc.property(cidrArb, (c) => {
        const parsed = parseCidr(c);
        expect(parsed.text).toBe(c);
        expect(parseCidr(parsed.text)).toEqual(parsed);
      }),
      fcParams(10_000),
    );
  });
});
