import { describe, expect, it } from "vitest";
import { UnexpectedEOFError } from "../../src/shared/errors.js";
import { concatBytes, fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { MAX_JSON_PARAM_BYTES, MAX_SOCKS_REQUEST_BYTES } from "../../src/shared/codec/socks/constants.js";
import { SocksError, SocksErrorCode, SocksStateError } from "../../src/shared/codec/socks/errors.js";
import {
  type SocksArgs,
  SocksServerHandshake,
  type SocksServerOptions,
  type SocksServerStep,
} from "../../src/shared/codec/socks/server.js";
import { splits } from "../helpers/chunking.js";

const C = SocksErrorCode;
const ascii = (s: string): string => toHex(utf8Encode(s));
/** A 0x09 parameter block: 4-byte big-endian length | UTF-8 JSON. */
const block = (json: string): string => utf8Encode(json).length.toString(16).padStart(8, "0") + ascii(json);
const EXAMPLE_JSON = `{"shared-secret": "rahasia", "secrets-file": "/tmp/blob"}`;
/** 05 | CONNECT | RSV | IPv4 | 127.0.0.1 | 9050 */
const CONNECT_V4 = "05 01 00 01 7f000001 235a";
const TARGET_V4 = { type: "ipv4", host: "127.0.0.1", port: 9050 };
/** VER | REP | RSV | ATYP=1 | 0.0.0.0 | 0 */
const rep = (code: number): string => `05 ${code.toString(16).padStart(2, "0")} 00 01 00000000 0000`;

/** Feeds one client message in the given chunks; returns every reply byte written and the last step. */
function feed(hs: SocksServerHandshake, chunks: Uint8Array[]): { reply: string; step: SocksServerStep } {
  let reply = "";
  let step: SocksServerStep = { kind: "continue" };
  for (const c of chunks) {
    if (step.kind === "request" && c.length === 0) continue; // the split helper's empty tail: nothing to read
    step = hs.push(c);
    if (step.reply !== undefined) reply += toHex(step.reply);
  }
  return { reply, step };
}

/** Runs a conversation, one push per client message; returns the replies and the final step. */
function converse(
  messages: string[],
  options?: SocksServerOptions,
  cut?: { at: number; chunks: Uint8Array[] },
): { hs: SocksServerHandshake; replies: string[]; step: SocksServerStep } {
  const hs = new SocksServerHandshake(options);
  const replies: string[] = [];
  let step: SocksServerStep = { kind: "continue" };
  messages.forEach((m, i) => {
    const r = feed(hs, cut !== undefined && cut.at === i ? cut.chunks : [fromHex(m)]);
    replies.push(r.reply);
    step = r.step;
  });
  return { hs, replies, step };
}

function summary(step: SocksServerStep): unknown {
  if (step.kind === "request") {
    return { kind: "request", request: JSON.stringify(step.request, argsJson), rest: toHex(step.rest) };
  }
  if (step.kind === "error") return { kind: "error", code: step.error.code, reply: step.error.reply };
  return { kind: "continue" };
}

function argsJson(_k: string, v: unknown): unknown {
  return v instanceof Map ? Object.fromEntries(v) : v;
}

interface Case {
  name: string;
  messages: string[];
  replies: string[];
  options?: SocksServerOptions;
}

/** Complete, well-behaved conversations: every message split every way must give the same transcript. */
const GOOD: Case[] = [
  {
    name: "CONFORMANCE: 05 01 02 → 05 02; RFC 1929 key=value → 01 00; CONNECT",
    messages: ["05 01 02", `01 09 ${ascii("key=value")} 01 00`, CONNECT_V4],
    replies: ["0502", "0100", ""],
  },
  {
    name: "tor's greeting with args (00 and 02 offered) picks 02",
    messages: ["05 02 00 02", `01 09 ${ascii("key=value")} 01 00`, CONNECT_V4],
    replies: ["0502", "0100", ""],
  },
  { name: "no args: 0x00", messages: ["05 01 00", CONNECT_V4], replies: ["0500", ""] },
  {
    name: "0x09: no sub-negotiation reply; the block and the CONNECT request come together",
    messages: ["05 01 09", `00000039 ${ascii(EXAMPLE_JSON)} ${CONNECT_V4}`],
    replies: ["0509", ""],
  },
  {
    name: "0x09 preferred over 0x02 and 0x00",
    messages: ["05 03 00 02 09", `00000002 ${ascii("{}")}`, CONNECT_V4],
    replies: ["0509", "", ""],
  },
  {
    name: "SOCKS4a with PT args in USERID",
    messages: [`04 01 1234 00000001 ${ascii("key=value")} 00 ${ascii("hostname")} 00`],
    replies: [""],
  },
];

describe("SocksServerHandshake: good conversations", () => {
  it.each(GOOD)("$name", ({ messages, replies, options }) => {
    const whole = converse(messages, options);
    expect(whole.replies).toEqual(replies.map((r) => toHex(fromHex(r))));
    expect(whole.step.kind).toBe("request");
    // Each message cut at every point, and in 1-byte chunks, gives the same transcript.
    messages.forEach((m, at) => {
      for (const { label, chunks } of splits(fromHex(m))) {
        const cut = converse(messages, options, { at, chunks });
        expect({ label, replies: cut.replies, step: summary(cut.step) }).toEqual({
          label,
          replies: whole.replies,
          step: summary(whole.step),
        });
      }
    });
  });

  it("hands over PT 1.0 args, the method and the target", () => {
    const { step, hs } = converse(GOOD[0]!.messages);
    expect(step.kind === "request" && step.request).toEqual({
      socksVersion: 5,
      method: 2,
      target: TARGET_V4,
      args: { kind: "pt1", args: new Map([["key", ["value"]]]) },
    });
    expect(hs.phase).toBe("ready");
    expect(toHex(hs.grant())).toBe(toHex(fromHex(rep(0))));
    expect(hs.phase).toBe("done");
  });

  it("hands over the JSON parameters of the 57-byte example", () => {
    const { step } = converse(GOOD[3]!.messages);
    if (step.kind !== "request") throw new Error(step.kind);
    expect(step.request.method).toBe(9);
    expect(step.request.args.kind).toBe("json");
    expect(step.request.args.kind === "json" && { ...step.request.args.params }).toEqual({
      "shared-secret": "rahasia",
      "secrets-file": "/tmp/blob",
    });
  });

  it("joins UNAME and PASSWD when the args were split at 255 bytes", () => {
    const args = `k=${"v".repeat(300)}`;
    const bytes = utf8Encode(args);
    const auth = concatBytes(Uint8Array.of(1, 255), bytes.subarray(0, 255), Uint8Array.of(47), bytes.subarray(255));
    const { step } = converse(["05 01 02", toHex(auth), CONNECT_V4]);
    expect(step.kind === "request" && step.request.args).toEqual({
      kind: "pt1",
      args: new Map([["k", ["v".repeat(300)]]]),
    });
  });

  it.each([
    ["05 01 00 04 00000000000000000000000000000001 01bb", { type: "ipv6", host: "::1", port: 443 }],
    [`05 01 00 03 0b ${ascii("example.com")} 0050`, { type: "domain", host: "example.com", port: 80 }],
  ])("CONNECT %s", (req, target) => {
    const { step } = converse(["05 01 00", req]);
    expect(step.kind === "request" && step.request.target).toEqual(target);
  });

  it("returns bytes after the CONNECT request as the start of the application stream", () => {
    const app = ascii("GET / HTTP/1.1\r\n");
    const { step } = converse(["05 01 00", `${CONNECT_V4} ${app}`]);
    expect(step.kind === "request" && toHex(step.rest)).toBe(app);
    const json = converse(["05 01 09", `00000002 ${ascii("{}")} ${CONNECT_V4} ${app}`]).step;
    expect(json.kind === "request" && toHex(json.rest)).toBe(app);
    const v4 = converse([`04 01 0050 01020304 00 ${app}`]).step;
    expect(v4.kind === "request" && toHex(v4.rest)).toBe(app);
  });
});

/**
 * Conversations that fail: [name, client messages, bytes written after each,
 * error code, the error's reply byte, options].
 */
const BAD: [string, string[], string[], SocksErrorCode, number, SocksServerOptions?][] = [
  ["CONFORMANCE: no acceptable method → 05 FF", ["05 01 01"], ["05ff"], C.NO_ACCEPTABLE_METHOD, 1],
  ["NMETHODS = 0 → 05 FF", ["05 00"], ["05ff"], C.NO_ACCEPTABLE_METHOD, 1],
  ["0x02 offered but only 0x00 accepted", ["05 01 02"], ["05ff"], C.NO_ACCEPTABLE_METHOD, 1, { methods: [0] }],
  ["an unknown version: no reply", ["03 01 00"], [""], C.BAD_VERSION, 1],
  ["SOCKS4 when it is turned off: no reply", ["04 01 0050 01020304 00"], [""], C.BAD_VERSION, 1, { socks4: false }],
  // RFC 1929 failures are answered 01 01 (goptlib)
  ["RFC 1929 VER=03", ["05 01 02", "03 05 4142434445 05 6162636465"], ["0502", "0101"], C.BAD_VERSION, 1],
  ["RFC 1929 ULEN=0", ["05 01 02", "01 00 05 6162636465"], ["0502", "0101"], C.AUTH_FAILED, 1],
  ["RFC 1929 PLEN=0", ["05 01 02", "01 05 4142434445 00"], ["0502", "0101"], C.AUTH_FAILED, 1],
  ["RFC 1929 args that are not k=v", ["05 01 02", "01 05 4142434445 05 6162636465"], ["0502", "0101"], C.BAD_ARGS, 1],
  ["RFC 1929 args that are not UTF-8", ["05 01 02", "01 03 6b3dff 01 00"], ["0502", "0101"], C.BAD_ARGS, 1],
  // Request errors (goptlib's TestRequestInvalidHdr)
  ["request VER=03 → REP 01", ["05 01 00", "03 01 00 01 7f000001 235a"], ["0500", rep(1)], C.BAD_VERSION, 1],
  ["CMD=05 → REP 07", ["05 01 00", "05 05 00 01 7f000001 235a"], ["0500", rep(7)], C.COMMAND_NOT_SUPPORTED, 7],
  ["BIND → REP 07", ["05 01 00", "05 02 00 01 7f000001 235a"], ["0500", rep(7)], C.COMMAND_NOT_SUPPORTED, 7],
  ["UDP ASSOCIATE → REP 07", ["05 01 00", "05 03 00 01 00000000 0000"], ["0500", rep(7)], C.COMMAND_NOT_SUPPORTED, 7],
  ["RSV=30 → REP 01", ["05 01 00", "05 01 30 01 7f000001 235a"], ["0500", rep(1)], C.BAD_RESERVED, 1],
  ["ATYP=05 → REP 08", ["05 01 00", "05 01 00 05 7f000001 235a"], ["0500", rep(8)], C.ADDRESS_TYPE_NOT_SUPPORTED, 8],
  ["domain length 0 → REP 01", ["05 01 00", "05 01 00 03 00 0050"], ["0500", rep(1)], C.BAD_ADDRESS, 1],
  // 0x09 settings errors
  [
    "X'10' at once: an announced length over the limit, no CONNECT awaited",
    ["05 01 09", "00 00 40 01"],
    ["0509", rep(0x10)],
    C.SETTINGS_TOO_LARGE,
    0x10,
  ],
  [
    "X'10' honours maxJsonParamBytes",
    ["05 01 09", "00 00 00 03"],
    ["0509", rep(0x10)],
    C.SETTINGS_TOO_LARGE,
    0x10,
    { maxJsonParamBytes: 2 },
  ],
  [
    "X'12' after the CONNECT request: not JSON",
    ["05 01 09", `00000008 ${ascii("not json")}`, CONNECT_V4],
    ["0509", "", rep(0x12)],
    C.SETTINGS_PARSE_ERROR,
    0x12,
  ],
  [
    "X'12' after the CONNECT request: trailing garbage in the block",
    ["05 01 09", `0000000b ${ascii('{"a":"b"} x')}`, CONNECT_V4],
    ["0509", "", rep(0x12)],
    C.SETTINGS_PARSE_ERROR,
    0x12,
  ],
  [
    "X'12' outranks a malformed CONNECT request that follows",
    ["05 01 09", `00000001 ${ascii("x")}`, "05 01 00 05 7f000001 235a"],
    ["0509", "", rep(0x12)],
    C.SETTINGS_PARSE_ERROR,
    0x12,
  ],
  [
    "X'12' for an empty block",
    ["05 01 09", "00000000", CONNECT_V4],
    ["0509", "", rep(0x12)],
    C.SETTINGS_PARSE_ERROR,
    0x12,
  ],
  // SOCKS4 errors are CD 0x5B
  ["SOCKS4 BIND", ["04 02 1234 01020304 00"], ["005b000000000000"], C.COMMAND_NOT_SUPPORTED, 0x5b],
  [
    "SOCKS4 USERID that is not k=v",
    [`04 01 1234 00000001 ${ascii("userid")} 00 ${ascii("hostname")} 00`],
    ["005b000000000000"],
    C.BAD_ARGS,
    0x5b,
  ],
  ["SOCKS4a empty host", ["04 01 1234 00000001 00 00"], ["005b000000000000"], C.BAD_ADDRESS, 0x5b],
];

describe("SocksServerHandshake: failures", () => {
  it.each(BAD)("%s", (_name, messages, replies, code, reply, options) => {
    const { step, replies: got, hs } = converse(messages, options);
    expect(got).toEqual(replies.map((r) => toHex(fromHex(r))));
    expect(step.kind).toBe("error");
    expect(step.kind === "error" && step.error).toBeInstanceOf(SocksError);
    expect(summary(step)).toEqual({ kind: "error", code, reply });
    expect(hs.phase).toBe("failed");
    // Poisoned: later bytes get the same error and nothing more to write.
    const again = hs.push(fromHex("05"));
    expect(again.kind === "error" && again.error.code).toBe(code);
    expect(again.reply).toBeUndefined();
    expect(() => hs.finish()).not.toThrow();
  });

  it.each(BAD)("%s: the same at every split", (_name, messages, _replies, _code, _reply, options) => {
    const whole = converse(messages, options);
    const at = messages.length - 1;
    for (const { label, chunks } of splits(fromHex(messages[at]!))) {
      const cut = converse(messages, options, { at, chunks });
      expect({ label, replies: cut.replies, step: summary(cut.step) }).toEqual({
        label,
        replies: whole.replies,
        step: summary(whole.step),
      });
    }
  });

  it("refuses bytes pipelined after the greeting (no reply) or the RFC 1929 request (01 01)", () => {
    const greeting = converse([`05 01 00 ${CONNECT_V4}`]);
    expect(greeting.replies).toEqual([""]);
    expect(summary(greeting.step)).toEqual({ kind: "error", code: "ERR_SOCKS_UNEXPECTED_DATA", reply: 1 });
    const auth = converse(["05 01 02", `01 03 ${ascii("k=v")} 01 00 ${CONNECT_V4}`]);
    expect(auth.replies).toEqual(["0502", "0101"]);
    expect(summary(auth.step)).toEqual({ kind: "error", code: "ERR_SOCKS_UNEXPECTED_DATA", reply: 1 });
  });
});

describe("SocksServerHandshake: validateArgs → X'13'", () => {
  const needsCert = (args: SocksArgs): { pointer: string; message: string } | undefined => {
    const has =
      (args.kind === "pt1" && args.args.has("cert")) || (args.kind === "json" && Object.hasOwn(args.params, "cert"));
    return has ? undefined : { pointer: "/cert", message: "missing" };
  };

  it.each([
    ["0x00 (no args at all)", ["05 01 00", CONNECT_V4], ["0500", rep(0x13)]],
    ["0x02", ["05 01 02", `01 09 ${ascii("key=value")} 01 00`, CONNECT_V4], ["0502", "0100", rep(0x13)]],
    ["0x09", ["05 01 09", `00000039 ${ascii(EXAMPLE_JSON)}`, CONNECT_V4], ["0509", "", rep(0x13)]],
    ["SOCKS4", [`04 01 0050 01020304 ${ascii("key=value")} 00`], ["005b000000000000"]],
  ])("%s: reported after the request, with the pointer", (_name, messages, replies) => {
    const { step, replies: got } = converse(messages, { validateArgs: needsCert });
    expect(got).toEqual(replies.map((r) => toHex(fromHex(r))));
    if (step.kind !== "error") throw new Error(step.kind);
    expect(step.error.code).toBe("ERR_SOCKS_SETTINGS_INVALID");
    expect(step.error.pointer).toBe("/cert");
    expect(step.error.reply).toBe(messages.length === 1 ? 0x5b : 0x13);
    expect(step.error.toJSON()).toMatchObject({ pointer: "/cert", reply: step.error.reply });
  });

  it("passes valid args through and sees every kind", () => {
    const seen: string[] = [];
    const validateArgs = (a: SocksArgs): undefined => void seen.push(a.kind);
    expect(converse(["05 01 09", block('{"cert":"AAAA="}'), CONNECT_V4], { validateArgs }).step.kind).toBe("request");
    expect(converse(["05 01 00", CONNECT_V4], { validateArgs }).step.kind).toBe("request");
    expect(converse([`04 01 0050 01020304 00`], { validateArgs }).step.kind).toBe("request");
    expect(seen).toEqual(["json", "none", "none"]);
  });
});

describe("SocksServerHandshake: the X'11' timer", () => {
  it("answers X'11' at once while the block is incomplete", () => {
    const { hs } = converse(["05 01 09", `00000039 ${ascii(EXAMPLE_JSON.slice(0, 20))}`]);
    expect(hs.phase).toBe("settings");
    const step = hs.settingsTimedOut();
    expect(toHex(step.reply!)).toBe(toHex(fromHex(rep(0x11))));
    expect(summary(step)).toEqual({ kind: "error", code: "ERR_SOCKS_SETTINGS_TIMEOUT", reply: 0x11 });
    expect(hs.phase).toBe("failed");
    expect(hs.buffered).toBe(0);
  });

  it("does nothing when the timer is stale", () => {
    const { hs } = converse(["05 01 09", `00000002 ${ascii("{}")}`]);
    expect(hs.phase).toBe("request");
    expect(hs.settingsTimedOut()).toEqual({ kind: "continue" });
    expect(new SocksServerHandshake().settingsTimedOut()).toEqual({ kind: "continue" });
  });
});

describe("SocksServerHandshake: grant, reject and misuse", () => {
  it("encodes SOCKS5 and SOCKS4 replies for the request's version", () => {
    const five = converse(["05 01 00", CONNECT_V4]).hs;
    expect(toHex(five.reject(5))).toBe(toHex(fromHex(rep(5))));
    const bound = converse(["05 01 00", CONNECT_V4]).hs;
    expect(toHex(bound.grant({ type: "ipv6", host: "::1", port: 80 }))).toBe(
      toHex(fromHex("05 00 00 04 00000000000000000000000000000001 0050")),
    );
    const four = (): SocksServerHandshake => converse([`04 01 0050 01020304 00`]).hs;
    expect(toHex(four().grant({ type: "ipv4", host: "1.2.3.4", port: 80 }))).toBe("005a005001020304");
    expect(toHex(four().reject())).toBe("005b000000000000");
    expect(toHex(four().reject(0x5d))).toBe("005d000000000000");
    expect(toHex(four().reject(0x05))).toBe("005b000000000000"); // a SOCKS5 REP maps to 0x5B
  });

  it("throws SocksStateError when used out of order", () => {
    const hs = converse(["05 01 00", CONNECT_V4]).hs;
    expect(() => hs.push(fromHex("00"))).toThrow(SocksStateError);
    hs.grant();
    expect(() => hs.grant()).toThrow(SocksStateError);
    expect(() => hs.reject()).toThrow(SocksStateError);
    expect(() => new SocksServerHandshake().grant()).toThrow(expect.objectContaining({ code: "ERR_SOCKS_STATE" }));
    expect(() => converse(["05 01 00", CONNECT_V4]).hs.reject(0)).toThrow(RangeError);
  });

  it("throws UnexpectedEOFError if the client leaves mid-handshake", () => {
    expect(() => new SocksServerHandshake().finish()).toThrow(UnexpectedEOFError);
    expect(() => converse(["05 01 00", "05 01"]).hs.finish()).toThrow(UnexpectedEOFError);
    expect(() => converse(["05 01 00", CONNECT_V4]).hs.finish()).not.toThrow();
  });

  it("refuses bad options", () => {
    expect(() => new SocksServerHandshake({ methods: [1] })).toThrow(RangeError);
    expect(() => new SocksServerHandshake({ maxJsonParamBytes: -1 })).toThrow(RangeError);
  });

  it("never buffers more than one message", () => {
    const hs = new SocksServerHandshake();
    hs.push(fromHex("05 01 09"));
    hs.push(fromHex("00 00 40 00")); // exactly MAX_JSON_PARAM_BYTES announced
    hs.push(new Uint8Array(MAX_JSON_PARAM_BYTES - 1).fill(0x20));
    expect(hs.buffered).toBe(4 + MAX_JSON_PARAM_BYTES - 1);
    const four = new SocksServerHandshake();
    expect(four.push(fromHex(`04 01 0050 00000001 ${"61".repeat(600)}`)).kind).toBe("error");
    expect(four.buffered).toBe(0);
    expect(MAX_SOCKS_REQUEST_BYTES).toBeGreaterThanOrEqual(8 + 511 + 256);
  });
});
