import Ajv from "ajv";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import { formatBridgeLine } from "../../src/shared/settings/bridge-line.js";
import { SETTINGS_SOURCES } from "../../src/shared/settings/coerce.js";
import { validateSchema, type JsonSchema } from "../../src/shared/settings/json-schema.js";
import { MAX_ICE_URLS } from "../../src/shared/settings/limits.js";
import { SETTINGS_SCHEMAS, TRANSPORTS, type TransportName } from "../../src/shared/settings/schemas.js";
import {
  parseSettings,
  settingsToArgs,
  settingsToObject,
  type TransportSettings,
} from "../../src/shared/settings/settings.js";
import { fcParams } from "../helpers/fc.js";

const hex = (b: Uint8Array): string => Buffer.from(b).toString("hex");
const noSpace = fc.string({
  unit: fc.integer({ min: 0x21, max: 0x7e }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 16,
});
const chars = (alphabet: string, min: number, max: number): fc.Arbitrary<string> =>
  fc.string({ unit: fc.constantFrom(...alphabet), minLength: min, maxLength: max });
// Our own generators: fc.domain() and fc.webSegment() are valid but slow to generate.
const domainArb = fc
  .tuple(
    fc.array(chars("abcdefghijklmnopqrstuvwxyz0123456789-_", 1, 10), { minLength: 1, maxLength: 3 }),
    chars("abcdefghijklmnopqrstuvwxyz", 2, 6),
  )
  .map(([labels, tld]) => [...labels, tld].join("."));
// RFC 3986 pchar: unreserved, sub-delims, ":", "@", or a percent-encoded byte.
const segmentArb = fc
  .array(
    fc.oneof(
      { arbitrary: chars("ABCXYZabcxyz0189-._~!$&'()*+,;=:@", 1, 1), weight: 5 },
      { arbitrary: chars("0123456789ABCDEFabcdef", 2, 2).map((h) => "%" + h), weight: 1 },
    ),
    { minLength: 1, maxLength: 12 },
  )
  .map((parts) => parts.join(""));
/** [as written, as normalized]: scheme and host case folded, a default port dropped. */
const urlArb = (schemes: readonly (readonly [string, number])[]): fc.Arbitrary<[string, string]> =>
  fc
    .record({
      scheme: fc.constantFrom(...schemes),
      upper: fc.boolean(),
      host: domainArb,
      port: fc.option(fc.integer({ min: 1, max: 65535 }), { nil: null }),
      segments: fc.array(segmentArb, { minLength: 1, maxLength: 3 }),
    })
    .map(({ scheme: [scheme, defaultPort], upper, host, port, segments }): [string, string] => {
      const path = "/" + segments.join("/");
      const written = port === null ? "" : `:${port}`;
      const normal = port === null || port === defaultPort ? "" : `:${port}`;
      const fold = (x: string): string => (upper ? x.toUpperCase() : x);
      return [`${fold(scheme)}://${fold(host)}${written}${path}`, `${scheme}://${host}${normal}${path}`];
    });
const iceArb: fc.Arbitrary<string> = fc
  .tuple(fc.constantFrom("stun", "turn", "turns"), domainArb, fc.option(fc.integer({ min: 1, max: 65535 })))
  .map(([s, h, p]) => `${s}:${h}${p === null ? "" : ":" + p}`);

interface Case {
  input: Record<string, unknown>;
  expected: TransportSettings;
}

const caseArb: fc.Arbitrary<Case> = fc
  .record({
    transport: fc.constantFrom(...TRANSPORTS),
    key: fc.uint8Array({ minLength: 52, maxLength: 52 }),
    oldForm: fc.boolean(),
    iat: fc.option(fc.constantFrom(0, 1, 2) as fc.Arbitrary<0 | 1 | 2>, { nil: null }),
    ws: urlArb([
      ["ws", 80],
      ["wss", 443],
    ]),
    signal: urlArb([
      ["http", 80],
      ["https", 443],
    ]),
    ice: fc.array(iceArb, { maxLength: MAX_ICE_URLS }),
    username: noSpace,
    credential: noSpace,
  })
  .map((r) => {
    const cert = Buffer.from(r.key).toString("base64").replace(/=+$/, "");
    const keys = r.oldForm ? { "node-id": hex(r.key.slice(0, 20)), "public-key": hex(r.key.slice(20)) } : { cert };
    const input: Record<string, unknown> = { ...keys, ...(r.iat === null ? {} : { "iat-mode": r.iat }) };
    const base = { cert, nodeId: r.key.slice(0, 20), publicKey: r.key.slice(20), iatMode: r.iat ?? 0 };
    if (r.transport === "obfs4") return { input, expected: { transport: "obfs4", ...base } };
    if (r.transport === "websocket") {
      return { input: { ...input, url: r.ws[0] }, expected: { transport: "websocket", ...base, url: r.ws[1] } };
    }
    const turn = r.ice.some((u) => u.startsWith("turn"));
    const creds = turn ? { "ice-username": r.username, "ice-credential": r.credential } : {};
    return {
      input: { ...input, signal: r.signal[0], ...(r.ice.length > 0 ? { ice: r.ice } : {}), ...creds },
      expected: {
        transport: "webrtc",
        ...base,
        signal: r.signal[1],
        ice: r.ice,
        iceUsername: turn ? r.username : null,
        iceCredential: turn ? r.credential : null,
      },
    };
  });

describe("parseSettings: properties", () => {
  it("parses valid settings from every source to the same typed value", () => {
    fc.assert(
      fc.property(caseArb, ({ input, expected }) => {
        const t = expected.transport;
        const s = parseSettings(t, input, "json");
        expect(s).toEqual(expected);
        expect(parseSettings(t, settingsToObject(s), "storage")).toEqual(s);
        const pairs = settingsToArgs(s);
        expect(parseSettings(t, Object.fromEntries(pairs.map(([k, v]) => [k, [v]])), "args")).toEqual(s);
        const line = formatBridgeLine({ transport: t, host: "192.0.2.3", port: 80, args: pairs });
        expect(parseSettings(t, line, "bridge")).toEqual(s);
      }),
      fcParams(1_000),
    );
  });

  const knownKeys = [
    ...new Set(Object.values(SETTINGS_SCHEMAS).flatMap((s) => Object.keys(s.properties ?? {}))),
    "__proto__",
    "constructor",
  ];
  const CERT = "HszPy3vWfjsESCEOo9ZBkRv6zQ/1mGHzc8arF0y2SpwFr3WhsMu8rK0zyaoyERfbz3ddFw";
  const valueArb = fc.oneof(
    fc.constantFrom(CERT, CERT + "==", "0", "1", "3", "wss://h.example/s", "https://h.example/s", "stun:a.example"),
    fc.constantFrom("turn:t.example", "stun:a.example,turn:b.example", "1ecccfcb7bd67e3b0448210ea3d641911bfacd0f"),
    fc.string({ maxLength: 40 }),
    fc.string({ unit: "binary", maxLength: 40 }),
    fc.integer({ min: -3, max: 5 }),
    fc.array(fc.oneof(fc.string({ maxLength: 20 }), fc.constantFrom("stun:a.example", "turn:t.example")), {
      maxLength: 10,
    }),
    fc.jsonValue({ maxDepth: 2 }),
  );
  const objectArb = fc.dictionary(fc.oneof(fc.constantFrom(...knownKeys), fc.string({ maxLength: 8 })), valueArb, {
    maxKeys: 20,
  });
  const argsArb = fc.dictionary(
    fc.oneof(fc.constantFrom(...knownKeys), fc.string({ maxLength: 8 })),
    fc.array(
      valueArb.map((v) => (typeof v === "string" ? v : JSON.stringify(v))),
      { minLength: 1, maxLength: 10 },
    ),
    { maxKeys: 20 },
  );
  const inputArb = fc.oneof(objectArb, argsArb, fc.jsonValue({ maxDepth: 3 }), fc.string({ maxLength: 200 }));

  it("fuzz: any input for any transport and source parses or throws a WebptError", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...TRANSPORTS),
        fc.constantFrom(...SETTINGS_SOURCES),
        inputArb,
        (t, source, input) => {
          try {
            parseSettings(t, input, source);
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
          }
        },
      ),
      fcParams(10_000),
    );
  });

  // ajv 6 (draft-07, reached through eslint) as an independent oracle for the
  // subset: draft-07 spells dependentRequired "dependencies" and knows no 2020-12 $schema.
  function forAjv(schema: JsonSchema): object {
    return JSON.parse(
      JSON.stringify(schema, (k, v: unknown) => (k === "$schema" ? undefined : v)).replace(
        /"dependentRequired":/g,
        '"dependencies":',
      ),
    ) as object;
  }
  const ajv = new Ajv({ allErrors: false });
  const oracles = Object.fromEntries(TRANSPORTS.map((t) => [t, ajv.compile(forAjv(SETTINGS_SCHEMAS[t]))])) as Record<
    TransportName,
    (v: unknown) => boolean
  >;

  it("the validator agrees with ajv on the transport schemas", () => {
    fc.assert(
      fc.property(fc.constantFrom(...TRANSPORTS), fc.oneof(objectArb, fc.jsonValue({ maxDepth: 2 })), (t, v) => {
        const ours = validateSchema(SETTINGS_SCHEMAS[t], v).length === 0;
        expect(ours).toBe(oracles[t](v));
      }),
      fcParams(5_000),
    );
  });
});
