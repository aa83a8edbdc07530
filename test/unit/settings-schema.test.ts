import { describe, expect, it } from "vitest";
import {
  SUPPORTED_KEYWORDS,
  assertSupportedSchema,
  validateSchema,
  type JsonSchema,
} from "../../src/shared/settings/json-schema.js";
import { MAX_ICE_URLS, MAX_SETTINGS_VALUE_LENGTH } from "../../src/shared/settings/limits.js";
import {
  OBFS4_SETTINGS_SCHEMA,
  SETTINGS_SCHEMAS,
  TRANSPORTS,
  WEBRTC_SETTINGS_SCHEMA,
  WEBSOCKET_SETTINGS_SCHEMA,
} from "../../src/shared/settings/schemas.js";

const valid = (schema: JsonSchema, v: unknown): boolean => validateSchema(schema, v).length === 0;
const label = (v: unknown): string => (typeof v === "number" ? String(v) : JSON.stringify(v));

/**
 * One table per supported keyword: a schema using it, instances it must
 * accept and instances it must refuse (with the keyword reported). The
 * coverage test below fails if a keyword is added to SUPPORTED_KEYWORDS
 * without a row here.
 */
const KEYWORD_CASES: Record<string, { schema: JsonSchema; good: unknown[]; bad: unknown[] }> = {
  type: {
    schema: { type: "integer" },
    good: [0, -3, 1.0, 2 ** 53],
    bad: [1.5, "1", null, true, [], {}, Number.NaN, Number.POSITIVE_INFINITY],
  },
  enum: {
    schema: { enum: [0, "a", null, { x: [1, 2] }] },
    good: [0, "a", null, { x: [1, 2] }],
    bad: [1, "A", false, { x: [2, 1] }, { x: [1, 2], y: 0 }, [0]],
  },
  pattern: {
    // Unanchored (Validation §6.3.3), ECMA-262 with the u flag: "." matches one astral code point.
    schema: { pattern: "b|^.$" },
    good: ["abc", "b", "😀", "x"],
    bad: ["ac", "", "😀😀"],
  },
  minLength: { schema: { minLength: 2 }, good: ["ab", "😀😀", "abc"], bad: ["", "a", "😀"] },
  maxLength: { schema: { maxLength: 2 }, good: ["", "ab", "😀😀"], bad: ["abc", "😀😀😀"] },
  minimum: { schema: { minimum: 0 }, good: [0, 0.5, 7], bad: [-1, -0.001] },
  maximum: { schema: { maximum: 2 }, good: [2, 1.99, -5], bad: [2.01, 3] },
  properties: {
    schema: { properties: { a: { type: "string" } } },
    good: [{}, { a: "x" }, { b: 1 }],
    bad: [{ a: 1 }],
  },
  required: { schema: { required: ["a", "b"] }, good: [{ a: 1, b: null }], bad: [{}, { a: 1 }, { b: 1 }] },
  additionalProperties: {
    schema: { properties: { a: {} }, additionalProperties: false },
    good: [{}, { a: 1 }],
    bad: [{ b: 1 }, { a: 1, c: 2 }],
  },
  dependentRequired: {
    schema: { dependentRequired: { a: ["b"] } },
    good: [{}, { b: 1 }, { a: 1, b: 2 }],
    bad: [{ a: 1 }],
  },
  items: { schema: { items: { type: "string" } }, good: [[], ["a", "b"]], bad: [[1], ["a", null]] },
  minItems: { schema: { minItems: 1 }, good: [[1], [1, 2]], bad: [[]] },
  maxItems: { schema: { maxItems: 1 }, good: [[], [1]], bad: [[1, 2]] },
  anyOf: {
    schema: { anyOf: [{ type: "string" }, { minimum: 3 }] },
    good: ["x", 3, 10],
    bad: [2, -1],
  },
};

const ANNOTATIONS = ["$schema", "$id", "title", "description", "default", "examples"];

describe("validateSchema: every supported keyword", () => {
  it("has a table row for every keyword it claims, and nothing else", () => {
    const covered = [...Object.keys(KEYWORD_CASES), ...ANNOTATIONS].sort();
    expect(covered).toEqual([...SUPPORTED_KEYWORDS].sort());
  });

  for (const [keyword, { schema, good, bad }] of Object.entries(KEYWORD_CASES)) {
    it.each(good.map((v) => [label(v), v]))(`${keyword} accepts %s`, (_label, v) => {
      expect(validateSchema(schema, v)).toEqual([]);
    });
    it.each(bad.map((v) => [label(v), v]))(`${keyword} refuses %s`, (_label, v) => {
      const violations = validateSchema(schema, v);
      expect(violations.length).toBeGreaterThan(0);
      // anyOf reports the closest branch's own keyword; properties report their subschema's.
      // (anyOf: both branches fail once, and a tie goes to the first branch.)
      const expected = { anyOf: "type", properties: "type", items: "type" }[keyword] ?? keyword;
      expect(violations[0]!.keyword).toBe(expected);
    });
  }

  it("treats annotations as annotations: they never constrain", () => {
    const schema: JsonSchema = {
      $schema: "https://json-schema.org/draft/2020-12/schema",
      $id: "urn:test",
      title: "t",
      description: "d",
      default: 5,
      examples: [1],
    };
    for (const v of [null, 0, "x", [], {}, true]) expect(valid(schema, v)).toBe(true);
  });

  it("applies type-specific keywords only to their types (Validation §6)", () => {
    const schema: JsonSchema = { minLength: 5, minimum: 5, minItems: 5, required: ["a"], items: { type: "string" } };
    for (const v of [null, true, "abcde", 7, [1, 2, 3, 4, 5].map(String), { a: 1 }])
      expect(valid(schema, v)).toBe(true);
  });

  it("knows objects, arrays and the other JSON types apart", () => {
    const obj: JsonSchema = { type: "object" };
    expect(valid(obj, {})).toBe(true);
    expect(valid(obj, Object.create(null))).toBe(true);
    for (const v of [[], null, new Date(0), new Uint8Array(1), new Map()]) expect(valid(obj, v)).toBe(false);
    expect(valid({ type: "number" }, 1.5)).toBe(true);
    expect(valid({ type: ["string", "null"] }, null)).toBe(true);
    expect(valid({ type: ["string", "null"] }, 0)).toBe(false);
    expect(valid({ type: "array" }, {})).toBe(false);
    expect(valid({ type: "boolean" }, 0)).toBe(false);
    expect(valid({ type: "null" }, undefined)).toBe(false);
  });

  it("reports RFC 6901 pointers, escaping ~ and /", () => {
    const schema: JsonSchema = {
      properties: { "a/b": { type: "string" }, list: { items: { maxLength: 1 } } },
      required: ["m~n"],
      additionalProperties: false,
    };
    const v = validateSchema(schema, { "a/b": 1, list: ["x", "yy"], "x~y/z": 0 });
    expect(v.map((x) => [x.pointer, x.keyword])).toEqual([
      ["/m~0n", "required"],
      ["/a~1b", "type"],
      ["/list/1", "maxLength"],
      ["/x~0y~1z", "additionalProperties"],
    ]);
  });

  it("stops at a type mismatch instead of piling up complaints", () => {
    expect(validateSchema({ type: "string", minLength: 3, pattern: "x" }, 5)).toEqual([
      { pointer: "", keyword: "type", message: "must be a string" },
    ]);
  });

  it("reports the closest anyOf alternative with its description", () => {
    const schema: JsonSchema = {
      anyOf: [{ description: "a, or b and c", required: ["a"] }, { required: ["b", "c"] }],
    };
    expect(validateSchema(schema, {})).toEqual([
      { pointer: "/a", keyword: "required", message: "is required (a, or b and c)" },
    ]);
    // {b} misses one key of branch 2 and one of branch 1: a tie goes to the first.
    expect(validateSchema(schema, { b: 1 })[0]!.pointer).toBe("/a");
    expect(valid(schema, { b: 1, c: 1 })).toBe(true);
  });

  it("never evaluates code: a hostile pattern is just a pattern", () => {
    expect(valid({ pattern: "constructor" }, "constructor")).toBe(true);
    expect(valid({ required: ["__proto__"] }, JSON.parse('{"__proto__": 1}'))).toBe(true);
    expect(valid({ required: ["toString"] }, {})).toBe(false);
  });
});

describe("assertSupportedSchema", () => {
  it.each([
    [{ format: "uri" }, /"format"/],
    [{ properties: { a: { oneOf: [] } } }, /#\/properties\/a: .*"oneOf"/],
    [{ items: { const: 1 } }, /#\/items: .*"const"/],
    [{ anyOf: [{}, { $ref: "#" }] }, /#\/anyOf\/1: .*"\$ref"/],
    [{ additionalProperties: { not: {} } }, /additionalProperties: .*"not"/],
  ] as [JsonSchema, RegExp][])("refuses %j", (schema, msg) => {
    expect(() => assertSupportedSchema(schema)).toThrow(TypeError);
    expect(() => assertSupportedSchema(schema)).toThrow(msg);
  });

  it("refuses a pattern that is not a valid u-flag regex", () => {
    expect(() => assertSupportedSchema({ pattern: "\\q" })).toThrow(SyntaxError);
  });
});

describe("the transport schemas", () => {
  it.each(TRANSPORTS.map((t) => [t]))("%s is a complete, supported draft 2020-12 schema", (t) => {
    const schema = SETTINGS_SCHEMAS[t];
    expect(() => assertSupportedSchema(schema)).not.toThrow();
    expect(schema.$schema).toBe("https://json-schema.org/draft/2020-12/schema");
    expect(schema.$id).toBe(`urn:webpt:schema:settings:${t}:v1`);
    expect(schema.title).toMatch(t);
    expect(schema.description).toMatch(/Unknown keys are an error in 0x09 JSON .* ignored in PT 1\.0/);
    expect(schema.additionalProperties).toBe(false);
    for (const [key, sub] of Object.entries(schema.properties ?? {})) {
      expect(sub.description, key).toBeTruthy();
      expect(sub.title, key).toBeTruthy();
    }
    expect(Object.isFrozen(schema) && Object.isFrozen(schema.properties)).toBe(true);
  });

  it("share obfs4's keys and add their own", () => {
    expect(Object.keys(OBFS4_SETTINGS_SCHEMA.properties!)).toEqual(["cert", "node-id", "public-key", "iat-mode"]);
    expect(Object.keys(WEBSOCKET_SETTINGS_SCHEMA.properties!)).toEqual([
      "cert",
      "node-id",
      "public-key",
      "iat-mode",
      "url",
    ]);
    expect(Object.keys(WEBRTC_SETTINGS_SCHEMA.properties!)).toEqual([
      "cert",
      "node-id",
      "public-key",
      "iat-mode",
      "signal",
      "ice",
      "ice-username",
      "ice-credential",
    ]);
    expect(WEBSOCKET_SETTINGS_SCHEMA.required).toEqual(["url"]);
    expect(WEBRTC_SETTINGS_SCHEMA.required).toEqual(["signal"]);
    expect(WEBRTC_SETTINGS_SCHEMA.properties!.ice!.maxItems).toBe(MAX_ICE_URLS);
    expect(WEBSOCKET_SETTINGS_SCHEMA.properties!.url!.maxLength).toBe(MAX_SETTINGS_VALUE_LENGTH);
  });

  const cert = "HszPy3vWfjsESCEOo9ZBkRv6zQ/1mGHzc8arF0y2SpwFr3WhsMu8rK0zyaoyERfbz3ddFw";
  const nodeId = "1ecccfcb7bd67e3b0448210ea3d641911bfacd0f";
  const publicKey = "f59861f373c6ab174cb64a9c05af75a1b0cbbcacad33c9aa321117dbcf775d17";
  it.each([
    [{ cert }, true],
    [{ cert: cert + "==" }, true],
    [{ cert: cert + "=" }, false],
    [{ cert: cert.slice(1) }, false],
    [{ cert: cert.replace("/", "_") }, false], // standard alphabet, not base64url
    [{ "node-id": nodeId, "public-key": publicKey }, true],
    [{ "node-id": nodeId.toUpperCase(), "public-key": publicKey }, true],
    [{ "node-id": nodeId }, false],
    [{ "public-key": publicKey }, false],
    [{ "node-id": nodeId.slice(2), "public-key": publicKey }, false],
    [{ cert, "iat-mode": 0 }, true],
    [{ cert, "iat-mode": 2 }, true],
    [{ cert, "iat-mode": 3 }, false],
    [{ cert, "iat-mode": -1 }, false],
    [{ cert, "iat-mode": "0" }, false], // the canonical form is an integer
    [{}, false],
    [{ cert, extra: 1 }, false],
  ])("obfs4 %j -> %s", (instance, ok) => {
    expect(valid(OBFS4_SETTINGS_SCHEMA, instance)).toBe(ok);
  });

  it.each([
    [{ signal: "https://x.example/s" }, true],
    [{ signal: "wss://x.example/s" }, false],
    [{ signal: "https://x.example/s", ice: ["stun:a.example"] }, true],
    [{ signal: "https://x.example/s", ice: [] }, false],
    [{ signal: "https://x.example/s", ice: Array(MAX_ICE_URLS + 1).fill("stun:a.example") }, false],
    [{ signal: "https://x.example/s", ice: ["http://a.example"] }, false],
    [{ signal: "https://x.example/s", "ice-username": "u" }, false], // needs ice-credential
    [{ signal: "https://x.example/s", "ice-username": "u", "ice-credential": "p" }, true],
    [{ signal: "https://x.example/s", "ice-username": "", "ice-credential": "p" }, false],
    [{ signal: "https://x.example/s", "ice-username": "u\n", "ice-credential": "p" }, false],
  ])("webrtc (with cert) %j -> %s", (extra, ok) => {
    expect(valid(WEBRTC_SETTINGS_SCHEMA, { cert, ...extra })).toBe(ok);
  });
});
