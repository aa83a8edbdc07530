import { describe, expect, it } from "vitest";
import { LimitError } from "../../src/shared/errors.js";
import { fromHex, toHex, utf8Decode, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { MAX_PT_ARGS_BYTES } from "../../src/shared/codec/socks/constants.js";
import { SocksError } from "../../src/shared/codec/socks/errors.js";
import { escapeClientArg } from "../../src/shared/codec/pt-ipc/index.js";
import {
  encodePtArgs,
  joinPtArgs,
  parsePtArgs,
  ptArgsBytes,
  ptArgsCredentials,
  splitPtArgs,
} from "../../src/shared/codec/socks/pt-args.js";

const asObject = (m: Map<string, string[]>): Record<string, string[]> => Object.fromEntries(m);

describe("parsePtArgs (goptlib parseClientParameters; CONFORMANCE client args)", () => {
  it.each([
    ["", {}],
    ["key=", { key: [""] }],
    ["key==", { key: ["="] }],
    ["a=b=c", { a: ["b=c"] }],
    ["a\\=b=c", { "a=b": ["c"] }],
    ["key=value", { key: ["value"] }],
    ["key=value1;key=value2", { key: ["value1", "value2"] }],
    ["shared-secret=rahasia;secrets-file=/tmp/blob", { "shared-secret": ["rahasia"], "secrets-file": ["/tmp/blob"] }],
    ["key=value\\;more", { key: ["value;more"] }],
    ["k\\\\=v\\\\", { "k\\": ["v\\"] }],
    ["\\k=\\v", { k: ["v"] }], // a backslash escapes any character
    ["a=1;b=2;a=3", { a: ["1", "3"], b: ["2"] }],
    ["ключ=значение", { ключ: ["значение"] }],
  ])("%j parses", (s, want) => {
    expect(asObject(parsePtArgs(s))).toEqual(want);
  });

  it("keeps keys in first-seen order and repeated values in order", () => {
    expect([...parsePtArgs("b=1;a=2;b=3").entries()]).toEqual([
      ["b", ["1", "3"]],
      ["a", ["2"]],
    ]);
  });

  it.each([
    "key",
    "key\\",
    "=value",
    "==value",
    "==key=value",
    "key=value\\",
    "a;b=c",
    ";",
    "key=value;",
    ";key=value",
  ])("%j is refused with ERR_SOCKS_BAD_ARGS", (s) => {
    expect(() => parsePtArgs(s)).toThrow(SocksError);
    expect(() => parsePtArgs(s)).toThrow(expect.objectContaining({ code: "ERR_SOCKS_BAD_ARGS" }));
  });
});

describe("escapeClientArg / encodePtArgs (tor-pt-spec.txt §3.5)", () => {
  it("escapes backslash, equal sign and semicolon only", () => {
    expect(escapeClientArg("a\\b=c;d,e:f")).toBe("a\\\\b\\=c\\;d,e:f");
  });

  it.each([
    [{ "shared-secret": "rahasia", "secrets-file": "/tmp/blob" }, "shared-secret=rahasia;secrets-file=/tmp/blob"],
    [{ k: ["v1", "v2"] }, "k=v1;k=v2"],
    [{ "a=b": "c;d" }, "a\\=b=c\\;d"],
    [{ n: 1, t: true, f: false, x: 0.5 }, "n=1;t=true;f=false;x=0.5"],
    [new Map([["k", ["=", ""]]]), "k=\\=;k="],
    [{}, ""],
  ])("%j → %j", (input, want) => {
    expect(encodePtArgs(input)).toBe(want);
  });

  it("refuses what tor could not send", () => {
    expect(() => encodePtArgs({ "": "v" })).toThrow(TypeError);
    expect(() => encodePtArgs({ k: "a\0b" })).toThrow(TypeError);
    expect(() => encodePtArgs({ "k\0": "v" })).toThrow(TypeError);
    expect(() => encodePtArgs({ k: Number.NaN })).toThrow(TypeError);
    expect(() => encodePtArgs({ k: [{} as unknown as string] })).toThrow(TypeError);
  });

  it("round-trips through parsePtArgs, escapes included", () => {
    const input = new Map([
      ["we;ird=key\\", ["v=1;", "\\"]],
      ["plain", ["x"]],
    ]);
    expect(parsePtArgs(encodePtArgs(input))).toEqual(input);
  });
});

describe("splitPtArgs / joinPtArgs: the 255-byte split", () => {
  const args = (n: number): Uint8Array => utf8Encode(`k=${"v".repeat(n - 2)}`);

  it.each([
    // [string length, ULEN, PLEN]
    [3, 3, 1],
    [254, 254, 1],
    [255, 255, 1], // exactly 255 still needs the lone NUL: PLEN 0 is not allowed
    [256, 255, 1],
    [300, 255, 45],
    [510, 255, 255],
  ])("%d bytes → UNAME %d + PASSWD %d", (n, ulen, plen) => {
    const { username, password } = splitPtArgs(args(n));
    expect([username.length, password.length]).toEqual([ulen, plen]);
    if (n <= 255) expect(toHex(password)).toBe("00");
    expect(utf8Decode(joinPtArgs(username, password))).toBe(utf8Decode(args(n)));
  });

  it("refuses more than MAX_PT_ARGS_BYTES (a LimitError for caller args), and empty args", () => {
    const tooLong = { k: "v".repeat(MAX_PT_ARGS_BYTES - 1) }; // "k=" + 509 = 511 bytes
    expect(() => ptArgsCredentials(tooLong)).toThrow(LimitError);
    expect(() => ptArgsBytes(tooLong)).toThrow(
      expect.objectContaining({ code: "ERR_SOCKS_ARGS_TOO_LONG", limit: 510 }),
    );
    expect(ptArgsBytes({ k: "v".repeat(MAX_PT_ARGS_BYTES - 2) }).length).toBe(MAX_PT_ARGS_BYTES);
    expect(() => splitPtArgs(args(MAX_PT_ARGS_BYTES + 1))).toThrow(RangeError);
    expect(() => splitPtArgs(new Uint8Array(0))).toThrow(RangeError);
  });

  it("splits inside a multi-byte character and joins it back whole", () => {
    const s = `k=${"a".repeat(252)}ü`; // "ü" is bytes 255 and 256
    const { username, password } = ptArgsCredentials({ k: s.slice(2) });
    expect(username.length).toBe(255);
    expect(toHex(password)).toBe("bc");
    expect(utf8Decode(joinPtArgs(username, password))).toBe(s);
  });

  it("treats only a lone NUL password as empty", () => {
    expect(toHex(joinPtArgs(fromHex("6b3d76"), fromHex("00")))).toBe("6b3d76");
    expect(toHex(joinPtArgs(fromHex("6b3d76"), fromHex("0000")))).toBe("6b3d760000");
    expect(toHex(joinPtArgs(fromHex("6b3d"), fromHex("76")))).toBe("6b3d76");
  });
});
