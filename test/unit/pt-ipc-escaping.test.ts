// The three PT argument-escaping schemes. Input tables are goptlib's
// args_test.go (TestParseClientParameters, TestParseServerTransportOptions,
// TestEncodeSmethodArgs) plus the CONFORMANCE.md "IPC and env" cases.
import { describe, expect, it } from "vitest";
import {
  PtArgsError,
  PtArgsErrorCode,
  decodeClientArgs,
  decodeServerTransportOptions,
  decodeSmethodArgs,
  encodeClientArgs,
  encodeServerTransportOptions,
  encodeSmethodArgs,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { Args } from "../../src/shared/codec/pt-ipc/index.js";

const obj = (args: Args): Record<string, string[]> => Object.fromEntries(args);
const nested = (opts: Map<string, Args>): Record<string, Record<string, string[]>> =>
  Object.fromEntries([...opts].map(([t, a]) => [t, obj(a)]));

describe("client per-connection args (pt-spec 1.0 §3.5, goptlib parseClientParameters)", () => {
  // [input, expected error code]
  const bad: [string, string][] = [
    ["key", PtArgsErrorCode.NO_EQUALS],
    ["key\\", PtArgsErrorCode.TRAILING_ESCAPE],
    ["=value", PtArgsErrorCode.EMPTY_KEY],
    ["==value", PtArgsErrorCode.EMPTY_KEY],
    ["==key=value", PtArgsErrorCode.EMPTY_KEY],
    ["key=value\\", PtArgsErrorCode.TRAILING_ESCAPE],
    ["a=b;key=value\\", PtArgsErrorCode.TRAILING_ESCAPE],
    ["a;b=c", PtArgsErrorCode.NO_EQUALS],
    [";", PtArgsErrorCode.NO_EQUALS],
    ["key=value;", PtArgsErrorCode.NO_EQUALS],
    [";key=value", PtArgsErrorCode.NO_EQUALS],
    ["key\\=value", PtArgsErrorCode.NO_EQUALS],
  ];
  it.each(bad)("rejects %j with %s", (input, code) => {
    expect(() => decodeClientArgs(input)).toThrow(PtArgsError);
    expect(() => decodeClientArgs(input)).toThrow(expect.objectContaining({ code }));
  });

  const good: [string, Record<string, string[]>][] = [
    ["", {}],
    ["key=", { key: [""] }],
    ["key==", { key: ["="] }],
    ["key=value", { key: ["value"] }],
    ["a=b=c", { a: ["b=c"] }],
    ["a=bc==", { a: ["bc=="] }],
    ["key=a\nb", { key: ["a\nb"] }],
    ["key=value\\;", { key: ["value;"] }],
    ['key="value"', { key: ['"value"'] }],
    ['key=""value""', { key: ['""value""'] }],
    ['"key=value"', { '"key': ['value"'] }],
    ["key=value;key=value", { key: ["value", "value"] }],
    ["key=value1;key=value2", { key: ["value1", "value2"] }],
    ["key1=value1;key2=value2;key1=value3", { key1: ["value1", "value3"], key2: ["value2"] }],
    ["\\;=\\;;\\\\=\\;", { ";": [";"], "\\": [";"] }],
    ["a\\=b=c", { "a=b": ["c"] }],
    ["shared-secret=rahasia;secrets-file=/tmp/blob", { "shared-secret": ["rahasia"], "secrets-file": ["/tmp/blob"] }],
    ["rocks=20;height=5.6", { rocks: ["20"], height: ["5.6"] }],
  ];
  it.each(good)("decodes %j", (input, expected) => {
    expect(obj(decodeClientArgs(input))).toEqual(expected);
  });

  it("keeps values in order and keys in first-seen order", () => {
    const args = decodeClientArgs("b=1;a=2;b=3");
    expect([...args.keys()]).toEqual(["b", "a"]);
    expect(args.get("b")).toEqual(["1", "3"]);
  });

  it("encodes with \\ = ; escaped, keys in map order, values in order", () => {
    const args = new Map([
      ["shared-secret", ["rahasia"]],
      ["secrets-file", ["/tmp/blob"]],
    ]);
    expect(encodeClientArgs(args)).toBe("shared-secret=rahasia;secrets-file=/tmp/blob");
    expect(encodeClientArgs({ "a=b": ["c;d", "e\\f"] })).toBe("a\\=b=c\\;d;a\\=b=e\\\\f");
    expect(encodeClientArgs({ k: [] })).toBe("");
    expect(() => encodeClientArgs({ "": ["v"] })).toThrow(TypeError);
  });

  it("round-trips what it encodes", () => {
    const args = new Map([
      ["k;=\\", ["", "=", ";;", "\\"]],
      ["x", ["y"]],
    ]);
    expect(decodeClientArgs(encodeClientArgs(args))).toEqual(args);
  });
});

describe("server transport options (2.0 §3.3.1.3, goptlib parseServerTransportOptions)", () => {
  const bad = [
    "t\\",
    ":=",
    "t:=",
    ":k=",
    ":=v",
    "t:=v",
    "t:k\\",
    "t:k=v;",
    "abc",
    "t:",
    "key=value",
    "=value",
    "t:k=v\\",
    "t1:k=v;t2:k=v\\",
    "t:=key=value",
    "t:==key=value",
    "t:;key=value",
    "t:key\\=value",
  ];
  it.each(bad)("rejects %j", (input) => {
    expect(() => decodeServerTransportOptions(input)).toThrow(PtArgsError);
  });

  it("names the failure by code", () => {
    expect(() => decodeServerTransportOptions("abc")).toThrow(
      expect.objectContaining({ code: PtArgsErrorCode.NO_COLON }),
    );
    expect(() => decodeServerTransportOptions(":k=v")).toThrow(
      expect.objectContaining({ code: PtArgsErrorCode.EMPTY_TRANSPORT }),
    );
    expect(() => decodeServerTransportOptions("t:=v")).toThrow(
      expect.objectContaining({ code: PtArgsErrorCode.EMPTY_KEY }),
    );
  });

  const good: [string, Record<string, Record<string, string[]>>][] = [
    ["", {}],
    ["t:k=v", { t: { k: ["v"] } }],
    ["t:k=v=v", { t: { k: ["v=v"] } }],
    ["t:k=vv==", { t: { k: ["vv=="] } }],
    ["t1:k=v1;t2:k=v2;t1:k=v3", { t1: { k: ["v1", "v3"] }, t2: { k: ["v2"] } }],
    [
      "t\\:1:k=v;t\\=2:k=v;t\\;3:k=v;t\\\\4:k=v",
      { "t:1": { k: ["v"] }, "t=2": { k: ["v"] }, "t;3": { k: ["v"] }, "t\\4": { k: ["v"] } },
    ],
    ["t:k\\:1=v;t:k\\=2=v;t:k\\;3=v;t:k\\\\4=v", { t: { "k:1": ["v"], "k=2": ["v"], "k;3": ["v"], "k\\4": ["v"] } }],
    ["t:k=v\\:1;t:k=v\\=2;t:k=v\\;3;t:k=v\\\\4", { t: { k: ["v:1", "v=2", "v;3", "v\\4"] } }],
    [
      "trebuchet:secret=nou;trebuchet:cache=/tmp/cache;ballista:secret=yes",
      { trebuchet: { secret: ["nou"], cache: ["/tmp/cache"] }, ballista: { secret: ["yes"] } },
    ],
    // The 2.0 spec's own example.
    [
      "scramblesuit:key=banana;automata:rule=110;automata:depth=3",
      { scramblesuit: { key: ["banana"] }, automata: { rule: ["110"], depth: ["3"] } },
    ],
  ];
  it.each(good)("decodes %j", (input, expected) => {
    expect(nested(decodeServerTransportOptions(input))).toEqual(expected);
  });

  it("decodes what tor writes (tor escapes only : ; \\ and leaves = bare in values)", () => {
    // tor_escape_str_for_pt_args("k=a:b;c\\d", ":;\\") behind the transport name.
    expect(nested(decodeServerTransportOptions("t:k=a\\:b\\;c\\\\d"))).toEqual({ t: { k: ["a:b;c\\d"] } });
  });

  it("encodes with \\ : ; = escaped everywhere and round-trips", () => {
    const opts = new Map([
      ["t:1", new Map([["k=", ["v;", "w:\\"]]])],
      ["u", new Map([["a", ["b"]]])],
    ]);
    const text = encodeServerTransportOptions(opts);
    expect(text).toBe("t\\:1:k\\==v\\;;t\\:1:k\\==w\\:\\\\;u:a=b");
    expect(decodeServerTransportOptions(text)).toEqual(opts);
    expect(encodeServerTransportOptions({ obfs4: { "iat-mode": ["0"] } })).toBe("obfs4:iat-mode=0");
    expect(() => encodeServerTransportOptions({ "": { k: ["v"] } })).toThrow(TypeError);
  });
});

describe("SMETHOD ARGS (pt-spec 1.0 §3.3.3, goptlib encodeSmethodArgs)", () => {
  const cases: [Record<string, string[]>, string][] = [
    [{}, ""],
    [{ j: ["v1", "v2", "v3"], k: ["v1", "v2", "v3"] }, "j=v1,j=v2,j=v3,k=v1,k=v2,k=v3"],
    [{ "=,\\": ["=", ",", "\\"] }, "\\=\\,\\\\=\\=,\\=\\,\\\\=\\,,\\=\\,\\\\=\\\\"],
    [{ secret: ["yes"] }, "secret=yes"],
    // CONFORMANCE: keys sorted.
    [{ secret: ["nou"], cache: ["/tmp/cache"] }, "cache=/tmp/cache,secret=nou"],
  ];
  it.each(cases)("encodes %j as %j", (args, expected) => {
    expect(encodeSmethodArgs(args)).toBe(expected);
    expect(encodeSmethodArgs(new Map(Object.entries(args)))).toBe(expected);
  });

  it.each(cases)("decodes the encoding of %j back", (args) => {
    expect(obj(decodeSmethodArgs(encodeSmethodArgs(args)))).toEqual(args);
  });

  it("decodes an obfs4 ARGS value and tolerates bare = inside values", () => {
    expect(obj(decodeSmethodArgs("cert=HszPy3vWfjsESCEOo9ZBkRv6zQ,iat-mode=0"))).toEqual({
      cert: ["HszPy3vWfjsESCEOo9ZBkRv6zQ"],
      "iat-mode": ["0"],
    });
    expect(obj(decodeSmethodArgs("cert=abc=="))).toEqual({ cert: ["abc=="] });
  });

  it.each([
    ["N", PtArgsErrorCode.NO_EQUALS],
    ["=13", PtArgsErrorCode.EMPTY_KEY],
    ["a=1,", PtArgsErrorCode.NO_EQUALS],
    [",a=1", PtArgsErrorCode.NO_EQUALS],
    ["a=1\\", PtArgsErrorCode.TRAILING_ESCAPE],
  ])("rejects %j", (input, code) => {
    expect(() => decodeSmethodArgs(input)).toThrow(expect.objectContaining({ code }));
  });
});
