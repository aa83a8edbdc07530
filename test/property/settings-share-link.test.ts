import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import { formatBridgeLine, parseBridgeLine, type BridgeLineInit } from "../../src/shared/settings/bridge-line.js";
import { ShareLinkError } from "../../src/shared/settings/errors.js";
import { MAX_BRIDGE_ARGS, MAX_SHARE_LABEL_BYTES, SHARE_LINK_PREFIX } from "../../src/shared/settings/limits.js";
import { formatShareLink, parseShareLink } from "../../src/shared/settings/share-link.js";
import { fcParams } from "../helpers/fc.js";

const printable = (min: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: 20,
  });
const initArb: fc.Arbitrary<BridgeLineInit> = fc.record({
  transport: fc.stringMatching(/^[a-z_][a-z0-9_]{0,10}$/).filter((t) => t !== "bridge"),
  host: fc.oneof(fc.ipV4(), fc.ipV6()),
  port: fc.integer({ min: 1, max: 65535 }),
  fingerprint: fc.option(fc.stringMatching(/^[0-9A-F]{40}$/), { nil: null }),
  args: fc.array(
    fc.tuple(
      printable(1).filter((k) => !k.includes("=")),
      printable(0),
    ),
    { maxLength: MAX_BRIDGE_ARGS },
  ),
});
// Labels people write: letters, digits, punctuation, spaces inside, emoji; within the byte limit.
const labelArb = fc
  .string({ unit: "grapheme", maxLength: 40 })
  .map((s) => s.trim())
  .filter(
    (s) =>
      new TextEncoder().encode(s).length <= MAX_SHARE_LABEL_BYTES &&
      // eslint-disable-next-line no-control-regex -- excluding what the format forbids
      !/[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]/.test(s),
  );

/** A link around any payload body with a correct checksum (node:crypto, independent of the code under test). */
function linkFor(body: Uint8Array): string {
  const sum = createHash("sha256").update(body).digest().subarray(0, 4);
  return SHARE_LINK_PREFIX + Buffer.concat([body, sum]).toString("base64url");
}

function onlyWebptErrors(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WebptError)) throw e;
  }
}

describe("share links: properties", () => {
  it("round-trip: parseShareLink(formatShareLink(line, label)) gives the line and label back", () => {
    fc.assert(
      fc.property(initArb, fc.option(labelArb, { nil: null }), (init, label) => {
        const link = formatShareLink(init, label);
        expect(link.slice(SHARE_LINK_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
        expect(parseShareLink(link)).toEqual({
          bridge: parseBridgeLine(formatBridgeLine(init)),
          label: label === "" ? null : label,
        });
      }),
      fcParams(1_000),
    );
  });

  it("any single-character change or cut of a valid link is refused", () => {
    const linkArb = fc.tuple(initArb, fc.option(labelArb, { nil: null })).map(([i, l]) => formatShareLink(i, l));
    fc.assert(
      fc.property(linkArb, fc.nat(), fc.constantFrom(..."AZaz09-_Q"), fc.boolean(), (link, at, ch, cut) => {
        const data = link.slice(SHARE_LINK_PREFIX.length);
        const i = at % data.length;
        const changed = cut ? data.slice(0, i) : data.slice(0, i) + ch + data.slice(i + 1);
        if (changed === data) return;
        expect(() => parseShareLink(SHARE_LINK_PREFIX + changed)).toThrow(ShareLinkError);
      }),
      fcParams(2_000),
    );
  });

  const b64url = fc.string({
    unit: fc.constantFrom(..."ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"),
    maxLength: 200,
  });
  // Payloads with a valid checksum reach the version, label and line checks.
  const payloadBody = fc.oneof(
    fc.uint8Array({ maxLength: 120 }),
    fc
      .tuple(
        fc.constantFrom(1, 1, 1, 0, 2, 255),
        fc.nat(140),
        fc.uint8Array({ maxLength: 20 }),
        fc.string({ unit: "binary", maxLength: 80 }),
      )
      .map(([v, n, label, line]) => Uint8Array.of(v, n, ...label, ...new TextEncoder().encode(line))),
  );
  const anyText = fc.oneof(
    fc.string({ unit: "binary", maxLength: 300 }),
    b64url.map((d) => SHARE_LINK_PREFIX + d),
    fc
      .tuple(
        fc.constantFrom("web+webpt://bridge/", "WEB+webpt://Bridge/", " web+webpt://bridge/"),
        b64url,
        fc.string({ maxLength: 4 }),
      )
      .map((p) => p.join("")),
    payloadBody.map(linkFor),
  );

  it("fuzz: any text parses or throws a WebptError", () => {
    fc.assert(
      fc.property(anyText, (text) => onlyWebptErrors(() => parseShareLink(text))),
      fcParams(10_000),
    );
  });
});
