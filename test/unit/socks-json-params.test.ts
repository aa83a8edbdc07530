import { describe, expect, it } from "vitest";
import { LimitError } from "../../src/shared/errors.js";
import { fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { Socks5Reply } from "../../src/shared/codec/socks/constants.js";
import { SocksError } from "../../src/shared/codec/socks/errors.js";
import { encodeJsonParamBlock, parseJsonParams, toJsonParams } from "../../src/shared/codec/socks/json-params.js";

const parse = (s: string): unknown => ({ ...parseJsonParams(utf8Encode(s)) });

describe("parseJsonParams (seed 001 §1.4, CONFORMANCE strict JSON)", () => {
  it("parses the spec's 57-byte example", () => {
    const body = `{"shared-secret": "rahasia", "secrets-file": "/tmp/blob"}`;
    expect(utf8Encode(body).length).toBe(0x39);
    expect(parse(body)).toEqual({ "shared-secret": "rahasia", "secrets-file": "/tmp/blob" });
  });

  it.each([
    ["{}", {}],
    [" \t\r\n{ } \n", {}],
    ['{"a":1,"b":-2.5e3,"c":0,"d":-0.0,"e":1E+2}', { a: 1, b: -2500, c: 0, d: -0, e: 100 }],
    ['{"t":true,"f":false}', { t: true, f: false }],
    ['{"":"empty key"}', { "": "empty key" }],
    ['{"esc":"\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00"}', { esc: '"\\/\b\f\n\r\té😀' }],
    ['{"ü":"ß"}', { ü: "ß" }],
    ['{"k" : "v" , "k2" : 2 }', { k: "v", k2: 2 }],
  ])("%s parses", (text, want) => {
    expect(parse(text)).toEqual(want);
  });

  it("keeps __proto__ as a plain key", () => {
    const p = parseJsonParams(utf8Encode('{"__proto__":"x","constructor":1}'));
    expect(Object.getPrototypeOf(p)).toBeNull();
    expect(Object.keys(p)).toEqual(["__proto__", "constructor"]);
    expect(p["__proto__"]).toBe("x");
  });

  it.each([
    ["", "empty body"],
    ["   ", "only whitespace"],
    ["not json", "not JSON"],
    ['{"a":1} trailing', "trailing garbage"],
    ['{"a":1}{"b":2}', "two objects"],
    ['{"a":1}\u0000', "a trailing NUL"],
    ['["a"]', "an array"],
    ['"a"', "a string"],
    ["null", "null"],
    ["1", "a number"],
    ['{"a":null}', "a null value"],
    ['{"a":{"b":1}}', "a nested object"],
    ['{"a":[1]}', "an array value"],
    ['{"a":1,"a":2}', "a repeated key"],
    ['{"a":1,}', "a trailing comma"],
    ['{,"a":1}', "a leading comma"],
    ['{"a" 1}', "a missing colon"],
    ['{"a":1 "b":2}', "a missing comma"],
    ["{a:1}", "an unquoted key"],
    ["{'a':1}", "single quotes"],
    ['{"a":01}', "a leading zero"],
    ['{"a":+1}', "a plus sign"],
    ['{"a":.5}', "a bare fraction"],
    ['{"a":1.}', "a bare point"],
    ['{"a":1e400}', "a number out of range"],
    ['{"a":NaN}', "NaN"],
    ['{"a":tru}', "a truncated literal"],
    ['{"a":"\\x"}', "a bad escape"],
    ['{"a":"\\u12"}', "a short unicode escape"],
    ['{"a":"line\nbreak"}', "a raw control character"],
    ['{"a":"open}', "an unterminated string"],
    ['{"a":1', "an unterminated object"],
    ['\u00a0{"a":1}', "non-JSON whitespace"],
    ['{"a":1}\u2028', "a trailing U+2028"],
  ])("%j (%s) is X'12'", (text) => {
    expect(() => parseJsonParams(utf8Encode(text))).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_SETTINGS_PARSE_ERROR", reply: Socks5Reply.SETTINGS_PARSE_ERROR }),
    );
  });

  it("refuses invalid UTF-8 and a byte-order mark with X'12'", () => {
    for (const hex of ["7b22613a22ff227d", "efbbbf7b7d", "7b22c0af223a317d"]) {
      expect(() => parseJsonParams(fromHex(hex))).toThrow(SocksError);
      expect(() => parseJsonParams(fromHex(hex))).toThrow(
        expect.objectContaining({ reply: Socks5Reply.SETTINGS_PARSE_ERROR }),
      );
    }
  });
});

describe("encodeJsonParamBlock", () => {
  it("prefixes the UTF-8 JSON with its 4-byte big-endian length", () => {
    const block = encodeJsonParamBlock({ "shared-secret": "rahasia", "secrets-file": "/tmp/blob" });
    // length 0x36 | {"shared-secret":"rahasia","secrets-file":"/tmp/blob"} (the example's 57 bytes less 3 spaces)
    expect(toHex(block)).toBe(
      toHex(fromHex("00000036")) + toHex(utf8Encode(`{"shared-secret":"rahasia","secrets-file":"/tmp/blob"}`)),
    );
    expect(parseJsonParams(block.subarray(4))).toEqual({ "shared-secret": "rahasia", "secrets-file": "/tmp/blob" });
  });

  it("counts bytes, not characters", () => {
    const block = encodeJsonParamBlock({ k: "€" }); // {"k":"€"}: 8 ASCII bytes + 3 for the euro sign
    expect(toHex(block.subarray(0, 4))).toBe("0000000b");
  });

  it("enforces the byte limit with a LimitError", () => {
    expect(() => encodeJsonParamBlock({ k: "x".repeat(100) }, 50)).toThrow(LimitError);
    expect(() => encodeJsonParamBlock({ k: "x".repeat(100) }, 50)).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_SETTINGS_TOO_LARGE", limit: 50 }),
    );
    expect(encodeJsonParamBlock({ k: "x".repeat(100) }, 108).length).toBe(4 + 108);
  });

  it("takes one scalar per key", () => {
    expect({ ...toJsonParams(new Map([["k", ["v"]]])) }).toEqual({ k: "v" });
    expect({ ...toJsonParams({ a: ["1"], b: 2, c: true }) }).toEqual({ a: "1", b: 2, c: true });
    expect(() => toJsonParams({ k: ["a", "b"] })).toThrow(TypeError);
    expect(() => toJsonParams({ k: Number.POSITIVE_INFINITY })).toThrow(TypeError);
    expect(() => toJsonParams({ k: null as unknown as string })).toThrow(TypeError);
  });
});
