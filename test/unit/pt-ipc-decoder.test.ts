// The incremental stdout line decoder a parent uses to read a PT (pt-spec 1.0
// §3.3): every split point and 1-byte chunks, CRLF, the named line limit,
// leftovers at end of stream and poisoning after an error.
import { describe, expect, it } from "vitest";
import { concatBytes, utf8Encode } from "../../src/shared/bytes/index.js";
import { UnexpectedEOFError, WebptError } from "../../src/shared/errors.js";
import {
  IpcLineDecoder,
  IpcLineTooLongError,
  IpcParseError,
  IpcParseErrorCode,
  MAX_IPC_LINE_BYTES,
  decodeIpcLines,
  encodeIpcMessage,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { IpcMessage } from "../../src/shared/codec/pt-ipc/index.js";
import { decodeEverySplit } from "../helpers/chunking.js";

// What a 1.0 client PT prints to tor (pt-spec 1.0 §3 steps 2, 4, 5), plus a
// LOG, a STATUS and a line tor must ignore.
const clientSession = utf8Encode(
  "VERSION 1\n" +
    "PROXY DONE\n" +
    "CMETHOD obfs3 socks5 127.0.0.1:32525\n" +
    'LOG SEVERITY=notice MESSAGE="bootstrapping \\"obfs4\\""\n' +
    "some debugging output\n" +
    "CMETHOD-ERROR obfs4 no rocks available\n" +
    "STATUS TRANSPORT=obfs3 CONNECT=Success\n" +
    "CMETHODS DONE\n",
);

const clientSessionMessages: IpcMessage[] = [
  { kind: "VERSION", version: "1" },
  { kind: "PROXY DONE" },
  {
    kind: "CMETHOD",
    transport: "obfs3",
    proxyType: "socks5",
    address: { host: "127.0.0.1", port: 32525, type: "ipv4" },
  },
  { kind: "LOG", severity: "notice", message: 'bootstrapping "obfs4"' },
  { kind: "UNKNOWN", keyword: "some", rest: "debugging output" },
  { kind: "CMETHOD-ERROR", transport: "obfs4", message: "no rocks available" },
  { kind: "STATUS", transport: "obfs3", fields: [["CONNECT", "Success"]] },
  { kind: "CMETHODS DONE" },
];

describe("IpcLineDecoder", () => {
  it("decodes a whole session the same at every split point and in 1-byte chunks", () => {
    expect(decodeEverySplit(() => new IpcLineDecoder(), clientSession)).toEqual(clientSessionMessages);
  });

  it("decodes a server session with SMETHOD ARGS at every split point", () => {
    const bytes = utf8Encode(
      "VERSION 1\nSMETHOD obfs4 198.51.100.1:43734 ARGS:cert=a\\,b,iat-mode=0\nSMETHOD-ERROR obfs3 no cows available\nSMETHODS DONE\n",
    );
    expect(decodeEverySplit(() => new IpcLineDecoder(), bytes)).toEqual([
      { kind: "VERSION", version: "1" },
      {
        kind: "SMETHOD",
        transport: "obfs4",
        address: { host: "198.51.100.1", port: 43734, type: "ipv4" },
        args: new Map([
          ["cert", ["a,b"]],
          ["iat-mode", ["0"]],
        ]),
      },
      { kind: "SMETHOD-ERROR", transport: "obfs3", message: "no cows available" },
      { kind: "SMETHODS DONE" },
    ]);
  });

  it("decodes exactly what encodeIpcMessage writes", () => {
    const bytes = concatBytes(...clientSessionMessages.map((m) => encodeIpcMessage(m)));
    expect(decodeIpcLines(bytes)).toEqual(clientSessionMessages);
  });

  it("drops one CR before the LF, as tor does, and keeps empty lines as UNKNOWN", () => {
    const bytes = utf8Encode("VERSION 1\r\n\r\nCMETHODS DONE\r\r\n");
    expect(decodeEverySplit(() => new IpcLineDecoder(), bytes)).toEqual([
      { kind: "VERSION", version: "1" },
      { kind: "UNKNOWN", keyword: "", rest: "" },
      { kind: "CMETHODS DONE" },
    ]);
  });

  it("returns nothing until the LF arrives and holds the partial line", () => {
    const d = new IpcLineDecoder();
    expect(d.push(utf8Encode("VERSI"))).toEqual([]);
    expect(d.bufferedBytes).toBe(5);
    expect(d.push(utf8Encode("ON 1\nCMETH"))).toEqual([{ kind: "VERSION", version: "1" }]);
    expect(d.bufferedBytes).toBe(5);
    expect(d.push(utf8Encode("ODS DONE\n"))).toEqual([{ kind: "CMETHODS DONE" }]);
    expect(d.bufferedBytes).toBe(0);
    expect(() => d.finish()).not.toThrow();
  });

  it("throws UnexpectedEOFError when the stream ends inside a line", () => {
    const d = new IpcLineDecoder();
    d.push(utf8Encode("VERSION 1\nCMETHODS DO"));
    expect(() => d.finish()).toThrow(UnexpectedEOFError);
    expect(() => d.finish()).toThrow(expect.objectContaining({ remaining: 11 }));
  });

  it("accepts a line of exactly the limit and refuses one byte more, without buffering it", () => {
    const max = 32;
    const exact = utf8Encode(`X ${"a".repeat(max - 2)}\n`);
    expect(new IpcLineDecoder({ maxLineBytes: max }).push(exact)).toEqual([
      { kind: "UNKNOWN", keyword: "X", rest: "a".repeat(max - 2) },
    ]);
    // The CR before the LF counts against the limit too.
    const withCr = utf8Encode(`X ${"a".repeat(max - 2)}\r\n`);
    expect(() => new IpcLineDecoder({ maxLineBytes: max }).push(withCr)).toThrow(IpcLineTooLongError);

    const d = new IpcLineDecoder({ maxLineBytes: max });
    for (let i = 0; i < max; i++) d.push(utf8Encode("a"));
    expect(d.bufferedBytes).toBe(max);
    expect(() => d.push(utf8Encode("a"))).toThrow(
      expect.objectContaining({ code: IpcParseErrorCode.LINE_TOO_LONG, limit: max }),
    );
    expect(d.bufferedBytes).toBe(0);
  });

  it("uses MAX_IPC_LINE_BYTES by default and refuses a larger maxLineBytes", () => {
    const d = new IpcLineDecoder();
    expect(() => d.push(new Uint8Array(MAX_IPC_LINE_BYTES + 1).fill(0x61))).toThrow(IpcLineTooLongError);
    expect(() => new IpcLineDecoder({ maxLineBytes: MAX_IPC_LINE_BYTES + 1 })).toThrow(RangeError);
    expect(() => new IpcLineDecoder({ maxLineBytes: 0 })).toThrow(RangeError);
  });

  it("rejects a NUL byte inside a line", () => {
    const d = new IpcLineDecoder();
    expect(() => d.push(Uint8Array.of(0x56, 0x00, 0x0a))).toThrow(
      expect.objectContaining({ code: IpcParseErrorCode.FORBIDDEN_BYTE }),
    );
  });

  it("is poisoned after an error: every later call rethrows the same error", () => {
    const d = new IpcLineDecoder();
    let first: unknown;
    try {
      d.push(utf8Encode("CMETHOD bad-name socks5 127.0.0.1:1\n"));
    } catch (e) {
      first = e;
    }
    expect(first).toBeInstanceOf(IpcParseError);
    expect(() => d.push(utf8Encode("VERSION 1\n"))).toThrow(first as Error);
    expect(() => d.finish()).toThrow(first as Error);
  });

  it("reports malformed LOG/STATUS lines as UNKNOWN by default and as errors when strict", () => {
    const bytes = utf8Encode("LOG SEVERITY=loud MESSAGE=x\nCMETHODS DONE\n");
    expect(decodeIpcLines(bytes)).toEqual([
      { kind: "UNKNOWN", keyword: "LOG", rest: "SEVERITY=loud MESSAGE=x" },
      { kind: "CMETHODS DONE" },
    ]);
    expect(() => decodeIpcLines(bytes, { strict: true })).toThrow(
      expect.objectContaining({ code: IpcParseErrorCode.BAD_KVLINE }),
    );
  });

  it("decodes invalid UTF-8 in free text with replacement characters", () => {
    const bytes = concatBytes(utf8Encode("ENV-ERROR bad "), Uint8Array.of(0xff, 0xfe), utf8Encode("\n"));
    expect(decodeIpcLines(bytes)).toEqual([{ kind: "ENV-ERROR", message: "bad \ufffd\ufffd" }]);
  });

  it("stays linear: a maximal line in 1-byte chunks decodes quickly", () => {
    const d = new IpcLineDecoder();
    const one = Uint8Array.of(0x61);
    const start = Date.now();
    for (let i = 0; i < MAX_IPC_LINE_BYTES; i++) d.push(one);
    expect(d.push(Uint8Array.of(0x0a))).toEqual([
      { kind: "UNKNOWN", keyword: "a".repeat(MAX_IPC_LINE_BYTES), rest: "" },
    ]);
    expect(Date.now() - start).toBeLessThan(2000);
  });

  it("throws only project errors", () => {
    const inputs = [Uint8Array.of(0x00, 0x0a), utf8Encode("SMETHOD t 1.2.3.4:5 ARGS:\\\n"), utf8Encode("unterminated")];
    for (const input of inputs) {
      const d = new IpcLineDecoder();
      expect(() => {
        d.push(input);
        d.finish();
      }).toThrow(WebptError);
    }
  });
});
