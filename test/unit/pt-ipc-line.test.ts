// The IPC line grammar (pt-spec 1.0 §3.3, PT 2.0 §3.3.2, 2.1 §1.2, tor
// ipc.md LOG/STATUS): exact lines for every message, parsing tor's way, and
// the rule that unsafe bytes never reach stdout (goptlib TestKeywordIsSafe /
// TestArgIsSafe inputs).
import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/index.js";
import {
  IpcFormatError,
  IpcParseError,
  IpcParseErrorCode,
  MAX_IPC_LINE_BYTES,
  decodeCString,
  encodeCString,
  encodeIpcMessage,
  formatIpcMessage,
  parseIpcLine,
  parseKvLine,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { IpcMessage } from "../../src/shared/codec/pt-ipc/index.js";

const v4 = (host: string, port: number) => ({ host, port, type: "ipv4" as const });
const v6 = (host: string, port: number) => ({ host, port, type: "ipv6" as const });

// Every message kind with its exact line; each is both formatted and parsed.
const table: [IpcMessage, string][] = [
  [{ kind: "VERSION", version: "1" }, "VERSION 1"],
  [{ kind: "VERSION", version: "2" }, "VERSION 2"],
  [{ kind: "VERSION-ERROR", message: "no-version" }, "VERSION-ERROR no-version"],
  [
    { kind: "ENV-ERROR", message: "No TOR_PT_AUTH_COOKIE_FILE when TOR_PT_EXTENDED_SERVER_PORT set" },
    "ENV-ERROR No TOR_PT_AUTH_COOKIE_FILE when TOR_PT_EXTENDED_SERVER_PORT set",
  ],
  [{ kind: "PROXY DONE" }, "PROXY DONE"],
  [
    { kind: "PROXY-ERROR", message: "SOCKS 4 upstream proxies unsupported." },
    "PROXY-ERROR SOCKS 4 upstream proxies unsupported.",
  ],
  [
    { kind: "CMETHOD", transport: "trebuchet", proxyType: "socks5", address: v4("127.0.0.1", 19999) },
    "CMETHOD trebuchet socks5 127.0.0.1:19999",
  ],
  [
    { kind: "CMETHOD", transport: "obfs4", proxyType: "socks4", address: v4("127.0.0.1", 1) },
    "CMETHOD obfs4 socks4 127.0.0.1:1",
  ],
  [
    { kind: "CMETHOD", transport: "meeklite", proxyType: "transparent-TCP", address: v6("::1", 19999) },
    "CMETHOD meeklite transparent-TCP [::1]:19999",
  ],
  [
    { kind: "CMETHOD", transport: "shadow", proxyType: "transparent-UDP", address: v6("::1", 1234) },
    "CMETHOD shadow transparent-UDP [::1]:1234",
  ],
  [
    { kind: "CMETHOD", transport: "obfs4", proxyType: "STUN", address: v4("127.0.0.1", 8888) },
    "CMETHOD obfs4 STUN 127.0.0.1:8888",
  ],
  [
    { kind: "CMETHOD-ERROR", transport: "trebuchet", message: "no rocks available" },
    "CMETHOD-ERROR trebuchet no rocks available",
  ],
  [{ kind: "CMETHODS DONE" }, "CMETHODS DONE"],
  [
    { kind: "SMETHOD", transport: "trebuchet", address: v4("198.51.100.1", 19999) },
    "SMETHOD trebuchet 198.51.100.1:19999",
  ],
  [
    { kind: "SMETHOD", transport: "rot_by_N", address: v4("198.51.100.1", 2323), args: new Map([["N", ["13"]]]) },
    "SMETHOD rot_by_N 198.51.100.1:2323 ARGS:N=13",
  ],
  [
    {
      kind: "SMETHOD",
      transport: "obfs4",
      address: v6("2001:db8::7", 443),
      args: new Map([
        ["iat-mode", ["0"]],
        ["cert", ["HszPy3vWfjsESCEOo9ZBkRv6zQ/1mGHzc8arF0y2SpwFr3WhsMu8rK0zyaoyERfbz3ddFw"]],
      ]),
      options: ["FOO:bar"],
    },
    "SMETHOD obfs4 [2001:db8::7]:443 ARGS:cert=HszPy3vWfjsESCEOo9ZBkRv6zQ/1mGHzc8arF0y2SpwFr3WhsMu8rK0zyaoyERfbz3ddFw,iat-mode=0 FOO:bar",
  ],
  [
    { kind: "SMETHOD-ERROR", transport: "trebuchet", message: "no cows available" },
    "SMETHOD-ERROR trebuchet no cows available",
  ],
  [{ kind: "SMETHODS DONE" }, "SMETHODS DONE"],
  [
    { kind: "LOG", severity: "debug", message: "Connected to bridge A" },
    'LOG SEVERITY=debug MESSAGE="Connected to bridge A"',
  ],
  [{ kind: "LOG", severity: "error", message: "" }, 'LOG SEVERITY=error MESSAGE=""'],
  [
    {
      kind: "STATUS",
      transport: "obfs4",
      fields: [
        ["ADDRESS", "198.51.100.123:1234"],
        ["CONNECT", "Success"],
      ],
    },
    "STATUS TRANSPORT=obfs4 ADDRESS=198.51.100.123:1234 CONNECT=Success",
  ],
  [
    {
      kind: "STATUS",
      transport: "obfs4",
      fields: [
        ["ADDRESS", "198.51.100.222:2222"],
        ["CONNECT", "Failed"],
        ["FINGERPRINT", "<Fingerprint>"],
        ["ERRSTR", "Connection refused"],
      ],
    },
    'STATUS TRANSPORT=obfs4 ADDRESS=198.51.100.222:2222 CONNECT=Failed FINGERPRINT=<Fingerprint> ERRSTR="Connection refused"',
  ],
  // tor >= 0.4.8 reads the PT's version from a STATUS line without TRANSPORT.
  [
    {
      kind: "STATUS",
      fields: [
        ["TYPE", "version"],
        ["IMPLEMENTATION", "webpt"],
        ["VERSION", "0.1.0"],
      ],
    },
    "STATUS TYPE=version IMPLEMENTATION=webpt VERSION=0.1.0",
  ],
  [{ kind: "STATUS", transport: "web pt", fields: [["K", ""]] }, 'STATUS TRANSPORT="web pt" K='],
  [{ kind: "UNKNOWN", keyword: "X-FUTURE", rest: "some args" }, "X-FUTURE some args"],
  [{ kind: "UNKNOWN", keyword: "NOARGS", rest: "" }, "NOARGS"],
];

describe("formatIpcMessage / parseIpcLine", () => {
  it.each(table)("formats %j as %j", (msg, line) => {
    expect(formatIpcMessage(msg)).toBe(line);
  });

  it.each(table)("parses back %j", (msg, line) => {
    expect(parseIpcLine(line)).toEqual(msg);
  });

  it("encodes the bytes to write, newline included", () => {
    const bytes = encodeIpcMessage({
      kind: "CMETHOD",
      transport: "obfs4",
      proxyType: "socks5",
      address: v4("127.0.0.1", 1),
    });
    expect(toHex(bytes)).toBe(
      "434d4554484f44" + // "CMETHOD"
        "20" + // SP
        "6f62667334" + // "obfs4"
        "20" + // SP
        "736f636b7335" + // "socks5"
        "20" + // SP
        "3132372e302e302e313a31" + // "127.0.0.1:1"
        "0a", // NL
    );
  });

  it("writes ARGS before other SMETHOD options (tor reads only the first one)", () => {
    const line = formatIpcMessage({
      kind: "SMETHOD",
      transport: "t",
      address: v4("1.2.3.4", 5),
      options: ["A:b"],
      args: new Map([["k", ["v"]]]),
    });
    expect(line).toBe("SMETHOD t 1.2.3.4:5 ARGS:k=v A:b");
  });

  it("omits an empty ARGS and parses ARGS: as no args", () => {
    expect(formatIpcMessage({ kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), args: new Map() })).toBe(
      "SMETHOD t 1.2.3.4:5",
    );
    expect(parseIpcLine("SMETHOD t 1.2.3.4:5 ARGS:")).toEqual({
      kind: "SMETHOD",
      transport: "t",
      address: v4("1.2.3.4", 5),
    });
  });

  it("formats empty error messages without a trailing space and reads them back", () => {
    expect(formatIpcMessage({ kind: "ENV-ERROR", message: "" })).toBe("ENV-ERROR");
    expect(parseIpcLine("ENV-ERROR")).toEqual({ kind: "ENV-ERROR", message: "" });
    expect(parseIpcLine("CMETHOD-ERROR t")).toEqual({ kind: "CMETHOD-ERROR", transport: "t", message: "" });
  });
});

describe('version-1 proxy types (CONFORMANCE "CMETHOD types")', () => {
  const cm = (proxyType: "socks5" | "transparent-TCP" | "transparent-UDP" | "STUN" | "socks4"): IpcMessage => ({
    kind: "CMETHOD",
    transport: "t",
    proxyType,
    address: v4("127.0.0.1", 1),
  });
  it("allows socks4/socks5 in version 1 and refuses the 2.0 modes there", () => {
    expect(formatIpcMessage(cm("socks5"), { version: "1" })).toBe("CMETHOD t socks5 127.0.0.1:1");
    expect(formatIpcMessage(cm("socks4"), { version: "1" })).toBe("CMETHOD t socks4 127.0.0.1:1");
    for (const t of ["transparent-TCP", "transparent-UDP", "STUN"] as const) {
      expect(() => formatIpcMessage(cm(t), { version: "1" })).toThrow(IpcFormatError);
      expect(formatIpcMessage(cm(t), { version: "2" })).toBe(`CMETHOD t ${t} 127.0.0.1:1`);
    }
  });
});

describe("unsafe bytes never reach stdout (goptlib keywordIsSafe/argIsSafe)", () => {
  const unsafeArgs = ["étude", "a\nb", "ab\\\n", "ab\n\\", "abc\x80", "abc\x81", "abc\xff", "a\0b", "a\rb", "😀"];
  it.each(unsafeArgs)("refuses the argument %j", (arg) => {
    expect(() => formatIpcMessage({ kind: "ENV-ERROR", message: arg })).toThrow(IpcFormatError);
    expect(() => formatIpcMessage({ kind: "CMETHOD-ERROR", transport: "t", message: arg })).toThrow(IpcFormatError);
    expect(() => formatIpcMessage({ kind: "UNKNOWN", keyword: "X", rest: arg })).toThrow(IpcFormatError);
  });

  const safeArgs = ["", "abc", "127.0.0.1:8000", "a\\b", "ab\\", "abc\x7f", "var=GVsbG8\\=", "tab\there"];
  it.each(safeArgs)("accepts the argument %j", (arg) => {
    expect(formatIpcMessage({ kind: "ENV-ERROR", message: arg })).toBe(arg === "" ? "ENV-ERROR" : `ENV-ERROR ${arg}`);
  });

  const unsafeKeywords = [
    "",
    "CMETHOD:",
    "a b c",
    "CMETHOD\x7f",
    "CMETHOD\x80",
    "CMETHOD\xff",
    "\xffCMETHOD",
    "CMÉTHOD",
  ];
  it.each(unsafeKeywords)("refuses the keyword %j", (keyword) => {
    expect(() => formatIpcMessage({ kind: "UNKNOWN", keyword, rest: "" })).toThrow(IpcFormatError);
  });

  it("refuses to write a known keyword as UNKNOWN", () => {
    expect(() => formatIpcMessage({ kind: "UNKNOWN", keyword: "CMETHOD", rest: "x" })).toThrow(IpcFormatError);
  });

  it.each(["", "obfs-4", "4obfs", "ob fs", "t\n", "tra:ns"])("refuses the transport name %j", (transport) => {
    expect(() =>
      formatIpcMessage({ kind: "CMETHOD", transport, proxyType: "socks5", address: v4("127.0.0.1", 1) }),
    ).toThrow(IpcFormatError);
    expect(() => formatIpcMessage({ kind: "SMETHOD-ERROR", transport, message: "m" })).toThrow(IpcFormatError);
  });

  it("refuses unsafe fields of structured messages", () => {
    const bad: IpcMessage[] = [
      { kind: "VERSION", version: "1 2" },
      { kind: "VERSION", version: "1,2" },
      { kind: "VERSION", version: "" },
      { kind: "CMETHOD", transport: "t", proxyType: "socks5", address: v4("127.0.0.1", 0) },
      { kind: "CMETHOD", transport: "t", proxyType: "socks5", address: { host: "localhost", port: 1, type: "domain" } },
      { kind: "CMETHOD", transport: "t", proxyType: "socks5", address: v4("127.0.0.1\n", 1) },
      { kind: "CMETHOD", transport: "t", proxyType: "http" as "socks5", address: v4("127.0.0.1", 1) },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), args: new Map([["k", ["a b"]]]) },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), args: new Map([["k", ["é"]]]) },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), args: new Map([["k", ["a\nb"]]]) },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), options: ["ARGS:k=v"] },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), options: ["nocolon"] },
      { kind: "SMETHOD", transport: "t", address: v4("1.2.3.4", 5), options: ["A:b c"] },
      { kind: "LOG", severity: "fatal" as "error", message: "m" },
      { kind: "STATUS", transport: "t", fields: [] },
      { kind: "STATUS", fields: [["K V", "x"]] },
      { kind: "STATUS", fields: [['K"', "x"]] },
      { kind: "STATUS", fields: [["K=", "x"]] },
      { kind: "STATUS", fields: [["", "x"]] },
      { kind: "STATUS", fields: [["TRANSPORT", "x"]] },
    ];
    for (const msg of bad) expect(() => formatIpcMessage(msg), JSON.stringify(msg)).toThrow(IpcFormatError);
  });

  it("escapes anything in LOG and STATUS values instead of refusing it", () => {
    const nasty = "a\nb\rc\td\x7f é😀\"'\\";
    const log = formatIpcMessage({ kind: "LOG", severity: "warning", message: nasty });
    expect(log).toBe('LOG SEVERITY=warning MESSAGE="a\\nb\\rc\\td\\177 \\303\\251\\360\\237\\230\\200\\"\'\\\\"');
    expect(parseIpcLine(log)).toEqual({ kind: "LOG", severity: "warning", message: nasty });
    const status = formatIpcMessage({ kind: "STATUS", transport: "t", fields: [["ERR", nasty]] });
    expect(status).not.toMatch(/[\0\r\n\x80-\uffff]/);
    expect(parseIpcLine(status)).toEqual({ kind: "STATUS", transport: "t", fields: [["ERR", nasty]] });
  });

  it("writes NUL as U+FFFD, because tor drops a LOG/STATUS line whose value decodes to NUL", () => {
    const log = formatIpcMessage({ kind: "LOG", severity: "info", message: "a\0b" });
    expect(log).toBe('LOG SEVERITY=info MESSAGE="a\\357\\277\\275b"');
    expect(parseIpcLine(log)).toEqual({ kind: "LOG", severity: "info", message: "a\ufffdb" });
  });

  it("refuses a line over MAX_IPC_LINE_BYTES", () => {
    expect(() => formatIpcMessage({ kind: "ENV-ERROR", message: "x".repeat(MAX_IPC_LINE_BYTES) })).toThrow(
      IpcFormatError,
    );
    const fits = formatIpcMessage({ kind: "ENV-ERROR", message: "x".repeat(MAX_IPC_LINE_BYTES - "ENV-ERROR ".length) });
    expect(fits.length).toBe(MAX_IPC_LINE_BYTES);
  });
});

describe("parsing like tor reads", () => {
  it("returns lines with unknown or invalid keywords as UNKNOWN (the parent MUST ignore them)", () => {
    expect(parseIpcLine("")).toEqual({ kind: "UNKNOWN", keyword: "", rest: "" });
    expect(parseIpcLine("hello world!")).toEqual({ kind: "UNKNOWN", keyword: "hello", rest: "world!" });
    expect(parseIpcLine("panic: runtime error")).toEqual({ kind: "UNKNOWN", keyword: "panic:", rest: "runtime error" });
    expect(parseIpcLine("PROXY OK")).toEqual({ kind: "UNKNOWN", keyword: "PROXY", rest: "OK" });
    expect(parseIpcLine("CMETHODS DONE NOW")).toEqual({ kind: "UNKNOWN", keyword: "CMETHODS", rest: "DONE NOW" });
  });

  it("splits method lines on whitespace runs and ignores extra CMETHOD tokens", () => {
    expect(parseIpcLine("CMETHOD  obfs4\tsocks5   127.0.0.1:5 ARGS:x=y")).toEqual({
      kind: "CMETHOD",
      transport: "obfs4",
      proxyType: "socks5",
      address: v4("127.0.0.1", 5),
    });
  });

  it("keeps free-text messages exactly", () => {
    expect(parseIpcLine("ENV-ERROR  two  spaces ")).toEqual({ kind: "ENV-ERROR", message: " two  spaces " });
    expect(parseIpcLine("SMETHOD-ERROR t a  b")).toEqual({ kind: "SMETHOD-ERROR", transport: "t", message: "a  b" });
  });

  const malformed = [
    "VERSION",
    "VERSION 1 2",
    "CMETHOD obfs4 socks5",
    "CMETHOD obfs-4 socks5 127.0.0.1:5",
    "CMETHOD obfs4 http 127.0.0.1:5",
    "CMETHOD obfs4 socks5 localhost:5",
    "CMETHOD obfs4 socks5 127.0.0.1:0",
    "CMETHOD obfs4 socks5 127.0.0.1",
    "SMETHOD obfs4",
    "SMETHOD obfs4 0.0.0.0:x",
    "SMETHOD obfs4 0.0.0.0:1 ARGS:novalue",
    "CMETHOD-ERROR",
    "SMETHOD-ERROR  t m",
  ];
  it.each(malformed)("throws for the malformed configuration line %j", (line) => {
    expect(() => parseIpcLine(line)).toThrow(IpcParseError);
    expect(() => parseIpcLine(line)).toThrow(expect.objectContaining({ code: IpcParseErrorCode.MALFORMED }));
  });

  it("rejects NUL and LF inside a line", () => {
    expect(() => parseIpcLine("VERSION 1\0")).toThrow(
      expect.objectContaining({ code: IpcParseErrorCode.FORBIDDEN_BYTE }),
    );
    expect(() => parseIpcLine("VERSION 1\nVERSION 2")).toThrow(IpcParseError);
  });

  const badLogStatus = [
    "LOG",
    "LOG MESSAGE=x",
    "LOG SEVERITY=debug",
    "LOG SEVERITY=fatal MESSAGE=x",
    'LOG SEVERITY=debug MESSAGE="unterminated',
    'LOG SEVERITY=debug MESSAGE="bad \\q escape"',
    'LOG SEVERITY=debug MESSAGE="\\400"',
    'LOG SEVERITY=debug MESSAGE="nul \\0 inside"',
    'LOG SEVERITY=debug "keyless"',
    "LOG SEVERITY=debug MESSAGE=x novalue",
    "LOG SEVERITY=debug MESSAGE=x =empty",
    "STATUS",
    "STATUS TRANSPORT=obfs4",
    "STATUS K'=v",
  ];
  it.each(badLogStatus)("returns the malformed LOG/STATUS line %j as UNKNOWN, or throws when strict", (line) => {
    const keyword = line.split(" ")[0]!;
    expect(parseIpcLine(line)).toEqual({ kind: "UNKNOWN", keyword, rest: line.slice(keyword.length + 1) });
    expect(() => parseIpcLine(line, { strict: true })).toThrow(
      expect.objectContaining({ code: IpcParseErrorCode.BAD_KVLINE }),
    );
  });

  it("reads LOG keys in any order, the first of repeated keys, and bare values", () => {
    expect(parseIpcLine("LOG MESSAGE=hi SEVERITY=notice SEVERITY=debug EXTRA=1")).toEqual({
      kind: "LOG",
      severity: "notice",
      message: "hi",
    });
  });

  it("decodes every CString escape tor knows", () => {
    const line = 'LOG SEVERITY=info MESSAGE="\\x41\\X4a\\101\\7\\12\\n\\r\\t\\"\\\'\\\\"';
    expect(parseIpcLine(line)).toEqual({ kind: "LOG", severity: "info", message: "AJA\x07\n\n\r\t\"'\\" });
  });

  it("takes TRANSPORT from anywhere in a STATUS line", () => {
    expect(parseIpcLine('STATUS A=1 TRANSPORT="ob fs" B=2')).toEqual({
      kind: "STATUS",
      transport: "ob fs",
      fields: [
        ["A", "1"],
        ["B", "2"],
      ],
    });
  });
});

describe("CString and kvline helpers", () => {
  it("encodes as goptlib/tor would read it", () => {
    expect(encodeCString("")).toBe('""');
    expect(encodeCString("plain text")).toBe('"plain text"');
    expect(encodeCString("\x01\x1f\x7f\xff")).toBe('"\\001\\037\\177\\303\\277"');
    expect(encodeCString("\ud800")).toBe('"\\357\\277\\275"'); // a lone surrogate becomes U+FFFD
  });

  it("decodes and reports where the string ended", () => {
    expect(decodeCString('x"a\\"b" rest', 1)).toEqual({ value: 'a"b', end: 7 });
    expect(decodeCString("no quote", 0)).toBe("not a quoted string");
    expect(typeof decodeCString('"\\x4"', 0)).toBe("string");
  });

  it("decodes invalid UTF-8 lossily rather than failing", () => {
    expect(decodeCString('"\\377"', 0)).toEqual({ value: "\ufffd", end: 6 });
  });

  it("parses kvlines with tor's whitespace set and empty values", () => {
    expect(parseKvLine(' A=1\tB=\vC="x y"  ')).toEqual([
      ["A", "1"],
      ["B", ""],
      ["C", "x y"],
    ]);
    expect(parseKvLine("")).toEqual([]);
  });
});
