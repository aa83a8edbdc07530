// Properties of the shared address code (src/shared/net), gathered from the
// SOCKS, PT IPC and settings suites that each tested their own copy: text ↔
// bytes round trips, agreement with independent oracles (node:net and the
// WHATWG URL parser), and hostile-input fuzzing (10,000 runs, fixed seed).
import { isIPv4 as nodeIsIPv4, isIPv6 as nodeIsIPv6 } from "node:net";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  AddressError,
  type HostPort,
  formatHostPort,
  formatIPv4,
  formatIPv6,
  isDomainName,
  isIPv4,
  isIPv6,
  parseHostPort,
  parseIPv4,
  parseIPv6,
  parseIp,
  parsePort,
  splitHostPort,
} from "../../src/shared/net/index.js";
import { fcParams } from "../helpers/fc.js";

const RUNS = 10_000;

/** Strings built from `tokens`: IP-shaped text with the usual mistakes in it. */
function shaped(tokens: string[], maxLength: number): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...tokens), { maxLength }).map((parts) => parts.join(""));
}

/** Node's WHATWG URL parser as an independent oracle for IPv6 canonical text (RFC 5952 §4). */
function whatwgIPv6(text: string): string {
  return new URL(`http://[${text}]/`).hostname.slice(1, -1);
}

describe("IP round trips", () => {
  it("IPv4 and IPv6 bytes survive text and back; the text is canonical", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 4, maxLength: 4 }),
        fc.uint8Array({ minLength: 16, maxLength: 16 }),
        (v4, v6) => {
          expect(toHex(parseIPv4(formatIPv4(v4))!)).toBe(toHex(v4));
          const text = formatIPv6(v6);
          expect(toHex(parseIPv6(text)!)).toBe(toHex(v6));
          expect(formatIPv6(parseIPv6(text.toUpperCase())!)).toBe(text);
          expect(parseIp(`[${text}]`, { brackets: true })).toEqual({ host: text, family: 6 });
        },
      ),
      fcParams(1_000),
    );
  });

  it("canonical host:port text is a fixed point of parseHostPort", () => {
    const hostPort: fc.Arbitrary<HostPort> = fc.oneof(
      fc.record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }), type: fc.constant("ipv4" as const) }),
      fc
        .tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.integer({ min: 1, max: 65535 }))
        .map(([b, port]) => ({ host: formatIPv6(b), port, type: "ipv6" as const })),
    );
    fc.assert(
      fc.property(hostPort, (hp) => {
        expect(parseHostPort(formatHostPort(hp))).toEqual(hp);
      }),
      fcParams(RUNS),
    );
  });
});

describe("oracles", () => {
  it("isIPv4/isIPv6 agree with node:net on IP-shaped strings", () => {
    const text = fc.oneof(
      shaped(["0", "1", "9", "25", "255", "256", "a", "F", ".", ":", "::"], 24),
      fc.ipV4(),
      fc.ipV6(),
      fc.ipV4Extended(),
    );
    fc.assert(
      fc.property(text, (s) => {
        expect(isIPv4(s)).toBe(nodeIsIPv4(s));
        // node also accepts zone ids (fe80::1%eth0), which we refuse unless asked to drop them.
        if (!s.includes("%")) expect(isIPv6(s)).toBe(nodeIsIPv6(s));
      }),
      fcParams(RUNS),
    );
  });

  it("canonical IPv6 text agrees with the WHATWG URL parser (RFC 5952), but for IPv4-mapped", () => {
    fc.assert(
      fc.property(fc.ipV6(), (v6) => {
        const ours = parseIp(v6);
        expect(ours).toBeDefined();
        const oracle = whatwgIPv6(v6);
        if (oracle.startsWith("::ffff:") && oracle.split(":").length === 5) {
          expect(ours!.host).toMatch(/^::ffff:\d+\.\d+\.\d+\.\d+$/); // RFC 5952 §5 keeps the dotted quad
        } else {
          expect(ours!.host).toBe(oracle);
        }
      }),
      fcParams(3_000),
    );
  });
});

describe("hostile input", () => {
  const hostile = fc.oneof(
    shaped(["1", "2", "5", "0", ".", ":", "[", "]", "::", "ff", "%", "-", "a", "x", " ", "\0", "é", "65536"], 30),
    fc.string({ unit: "binary", maxLength: 60 }),
  );
  const options = fc.record(
    {
      allowDomain: fc.boolean(),
      allowZeroPort: fc.boolean(),
      allowUnbracketedIPv6: fc.boolean(),
      allowBracketedIPv4: fc.boolean(),
      keepHostText: fc.boolean(),
      portSyntax: fc.constantFrom("canonical" as const, "padded" as const, "decimal" as const),
      domain: fc.record(
        { trailingDot: fc.boolean(), edgeHyphens: fc.boolean(), numericLastLabel: fc.boolean() },
        { requiredKeys: [] },
      ),
    },
    { requiredKeys: [] },
  );

  it("parsers return undefined or throw only AddressError, never a TypeError", () => {
    fc.assert(
      fc.property(hostile, options, (s, o) => {
        parseIPv4(s);
        parseIPv6(s);
        parseIp(s, { brackets: true, allowBracketedIPv4: true, dropZone: true, unmapIPv4: true });
        isDomainName(s, o.domain);
        parsePort(s, { syntax: "decimal", allowZero: true });
        splitHostPort(s);
        try {
          const hp = parseHostPort(s, o);
          // What parses is well-formed: a port in range and a host without brackets.
          expect(hp.port).toBeGreaterThanOrEqual(o.allowZeroPort === true ? 0 : 1);
          expect(hp.port).toBeLessThanOrEqual(65535);
          expect(hp.host).not.toMatch(/[[\]\s\0]/);
        } catch (e) {
          if (!(e instanceof AddressError)) throw e;
        }
      }),
      fcParams(RUNS),
    );
  });

  it("AddressError is a WebptError whose message stays short however long the input", () => {
    fc.assert(
      fc.property(fc.string({ minLength: 200, maxLength: 2000 }), (s) => {
        let error: unknown;
        try {
          parseHostPort(`${s}:x`);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(WebptError);
        expect((error as Error).message.length).toBeLessThan(400);
      }),
      fcParams(1_000),
    );
  });
});
