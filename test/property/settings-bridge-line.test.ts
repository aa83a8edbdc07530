import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import { parseIp } from "../../src/shared/net/index.js";
import {
  formatBridgeLine,
  parseBridgeLine,
  type BridgeArg,
  type BridgeLineInit,
} from "../../src/shared/settings/bridge-line.js";
import { MAX_BRIDGE_ARGS } from "../../src/shared/settings/limits.js";
import { fcParams } from "../helpers/fc.js";

const FP = "2B280B23E1107BB62ABFC40DDCC8824814F80A72";

const transportArb = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/).filter((t) => t.toLowerCase() !== "bridge");
const printable = (min: number): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
    minLength: min,
    maxLength: 24,
  });
const argArb: fc.Arbitrary<BridgeArg> = fc.tuple(
  printable(1).filter((k) => !k.includes("=")),
  printable(0),
);
const hostArb = fc.oneof(fc.ipV4(), fc.ipV6());
const initArb: fc.Arbitrary<BridgeLineInit> = fc.record({
  transport: transportArb,
  host: hostArb,
  port: fc.integer({ min: 1, max: 65535 }),
  fingerprint: fc.option(fc.stringMatching(/^[0-9A-Fa-f]{40}$/), { nil: null }),
  args: fc.array(argArb, { maxLength: MAX_BRIDGE_ARGS }),
});

describe("bridge lines: properties", () => {
  it("round-trip: parse(format(x)) is x, canonicalized", () => {
    fc.assert(
      fc.property(initArb, fc.boolean(), (init, prefix) => {
        const text = formatBridgeLine(init, { prefix });
        const parsed = parseBridgeLine(text);
        expect(parsed).toEqual({
          transport: init.transport,
          known: ["obfs4", "websocket", "webrtc"].includes(init.transport),
          host: parseIp(init.host)!.host,
          family: init.host.includes(":") ? 6 : 4,
          port: init.port,
          fingerprint: init.fingerprint?.toUpperCase() ?? null,
          args: init.args,
        });
        // Canonical text is a fixed point.
        expect(formatBridgeLine(parsed, { prefix })).toBe(text);
      }),
      fcParams(1_000),
    );
  });

  // Lines shaped like bridge lines, each part usually valid and sometimes junk,
  // so that every branch of the parser (not just the first check) gets hit.
  const separator = fc.constantFrom(" ", "  ", "\t", " \t ");
  const junk = fc.oneof(
    fc.constantFrom("", "=", "=v", "[::1", "1.2.3.4:0", "1.2.3.4", "::1:1", "host.example:1", "x".repeat(41), FP + "0"),
    fc.constantFrom("\u00e9", "\n", "\r", "\u0000", "bridge", "Bridge", "k=v w"),
    printable(0),
    fc.string({ unit: "binary", maxLength: 6 }),
  );
  const often = <T>(valid: fc.Arbitrary<T>, bad: fc.Arbitrary<T>): fc.Arbitrary<T> =>
    fc.oneof({ arbitrary: valid, weight: 6 }, { arbitrary: bad, weight: 1 });
  const addrArb = fc.oneof(
    fc.tuple(fc.ipV4(), fc.integer({ min: 0, max: 70000 })).map(([h, p]) => `${h}:${p}`),
    fc.tuple(fc.ipV6(), fc.integer({ min: 1, max: 65535 })).map(([h, p]) => `[${h}]:${p}`),
  );
  const structured = fc
    .tuple(
      fc.option(fc.constantFrom("Bridge", "bridge", "BRIDGE"), { nil: "" }),
      often(fc.oneof(fc.constantFrom("obfs4", "webrtc", "websocket"), transportArb), junk),
      often(addrArb, junk),
      fc.option(often(fc.constantFrom(FP, FP.toLowerCase()), junk), { nil: "" }),
      fc.array(
        often(
          argArb.map(([k, v]) => `${k}=${v}`),
          junk,
        ),
        { maxLength: MAX_BRIDGE_ARGS + 2 },
      ),
      fc.array(separator, { minLength: 24, maxLength: 24 }),
    )
    .map(([bridge, transport, addr, fp, args, seps]) =>
      [bridge, transport, addr, fp, ...args].map((t, i) => t + seps[i % seps.length]!).join(""),
    );
  const anyText = fc.oneof(
    { arbitrary: structured, weight: 4 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 300 }), weight: 1 },
    { arbitrary: printable(0), weight: 1 },
  );

  it("fuzz: any text parses or throws a WebptError, and what parses re-parses identically", () => {
    fc.assert(
      fc.property(anyText, (text) => {
        let parsed;
        try {
          parsed = parseBridgeLine(text);
        } catch (e) {
          if (!(e instanceof WebptError)) throw e;
          return;
        }
        expect(parsed.args.length).toBeLessThanOrEqual(MAX_BRIDGE_ARGS);
        expect(parseBridgeLine(formatBridgeLine(parsed))).toEqual(parsed);
      }),
      fcParams(10_000),
    );
  });
});
