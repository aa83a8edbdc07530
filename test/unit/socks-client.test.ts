import { describe, expect, it } from "vitest";
import { LimitError, UnexpectedEOFError } from "../../src/shared/errors.js";
import { fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import {
  SocksClientHandshake,
  type SocksClientOptions,
  type SocksClientStep,
} from "../../src/shared/codec/socks/client.js";
import { SocksStateError } from "../../src/shared/codec/socks/errors.js";
import { splits } from "../helpers/chunking.js";

const ascii = (s: string): string => toHex(utf8Encode(s));
const hex = (s: string): string => toHex(fromHex(s));
/** 05 | CONNECT | RSV | IPv4 | 127.0.0.1 | 9050 */
const CONNECT_V4 = "05 01 00 01 7f000001 235a";
const TARGET = { host: "127.0.0.1", port: 9050 };
/** VER | REP | RSV | ATYP=1 | 0.0.0.0 | 0 */
const OK = "05 00 00 01 00000000 0000";

/** Runs a dialogue: start(), then each server message in one push; returns what we sent and the last step. */
function dial(
  options: SocksClientOptions,
  server: string[],
  cut?: { at: number; chunks: Uint8Array[] },
): { c: SocksClientHandshake; sent: string[]; step: SocksClientStep } {
  const c = new SocksClientHandshake(options);
  const sent = [toHex(c.start())];
  let step: SocksClientStep = { kind: "continue" };
  server.forEach((m, i) => {
    let out = "";
    for (const chunk of cut !== undefined && cut.at === i ? cut.chunks : [fromHex(m)]) {
      if (step.kind === "connected" && chunk.length === 0) continue;
      step = c.push(chunk);
      if (step.kind === "continue" && step.send !== undefined) out += toHex(step.send);
    }
    sent.push(out);
  });
  return { c, sent, step };
}

function summary(step: SocksClientStep): unknown {
  if (step.kind === "connected") return { kind: step.kind, bound: step.bound, rest: toHex(step.rest) };
  if (step.kind === "error") return { kind: step.kind, code: step.error.code, reply: step.error.reply };
  return { kind: step.kind };
}

interface Dialogue {
  name: string;
  options: SocksClientOptions;
  server: string[];
  sent: string[];
}

const GOOD: Dialogue[] = [
  {
    name: "no args: offer 0x00, then CONNECT",
    options: { target: TARGET },
    server: ["05 00", OK],
    sent: ["05 01 00", CONNECT_V4, ""],
  },
  {
    name: "PT 1.0 args: offer 0x02; key=value in UNAME, a lone NUL in PASSWD",
    options: { target: TARGET, args: { key: "value" } },
    server: ["05 02", "01 00", OK],
    sent: ["05 01 02", `01 09 ${ascii("key=value")} 01 00`, CONNECT_V4, ""],
  },
  {
    name: "PT 2.1 args: offer 0x09; the block and the request go out together",
    options: { target: TARGET, ptVersion: "2.1", args: { "shared-secret": "rahasia" } },
    server: ["05 09", OK],
    sent: ["05 01 09", `0000001b ${ascii('{"shared-secret":"rahasia"}')} ${CONNECT_V4}`, ""],
  },
  {
    name: "upstream proxy credentials: offer 0x00 and 0x02 as tor does; the server picks 0x02",
    options: { target: { host: "example.com", port: 443 }, credentials: { username: "tor", password: "test1234" } },
    server: ["05 02", "01 00", "05 00 00 01 c6336401 1f40"],
    sent: [
      "05 02 00 02",
      `01 03 ${ascii("tor")} 08 ${ascii("test1234")}`,
      `05 01 00 03 0b ${ascii("example.com")} 01bb`,
      "",
    ],
  },
  {
    name: "upstream proxy credentials: the server picks 0x00",
    options: { target: TARGET, credentials: { username: "tor", password: "test1234" } },
    server: ["05 00", OK],
    sent: ["05 02 00 02", CONNECT_V4, ""],
  },
  {
    name: "upstream proxy with a user name and no password: PLEN 0",
    options: { target: TARGET, credentials: { username: "tor", password: "" } },
    server: ["05 02", "01 00", OK],
    sent: ["05 02 00 02", `01 03 ${ascii("tor")} 00`, CONNECT_V4, ""],
  },
  {
    name: "IPv6 target",
    options: { target: { host: "[2001:db8::1]", port: 80 } },
    server: ["05 00", OK],
    sent: ["05 01 00", "05 01 00 04 20010db8000000000000000000000001 0050", ""],
  },
  {
    name: "SOCKS4 to an IPv4 target with args in USERID",
    options: { target: { host: "1.2.3.4", port: 0x1234 }, socksVersion: 4, args: { key: "value" } },
    server: ["00 5a 0000 00000000"],
    sent: [`04 01 1234 01020304 ${ascii("key=value")} 00`, ""],
  },
  {
    name: "SOCKS4a to a host name",
    options: { target: { host: "hostname", port: 0x1234 }, socksVersion: 4 },
    server: ["00 5a 0000 00000000"],
    sent: [`04 01 1234 00000001 00 ${ascii("hostname")} 00`, ""],
  },
  {
    name: "SOCKS4a with a user id for an upstream proxy",
    options: { target: { host: "hostname", port: 80 }, socksVersion: 4, credentials: { username: "me", password: "" } },
    server: ["00 5a 0000 00000000"],
    sent: [`04 01 0050 00000001 ${ascii("me")} 00 ${ascii("hostname")} 00`, ""],
  },
];

describe("SocksClientHandshake: dialogues", () => {
  it.each(GOOD)("$name", ({ options, server, sent }) => {
    const whole = dial(options, server);
    expect(whole.sent).toEqual(sent.map(hex));
    expect(whole.step.kind).toBe("connected");
    expect(whole.c.phase).toBe("connected");
    server.forEach((m, at) => {
      for (const { label, chunks } of splits(fromHex(m))) {
        const cut = dial(options, server, { at, chunks });
        expect({ label, sent: cut.sent, step: summary(cut.step) }).toEqual({
          label,
          sent: whole.sent,
          step: summary(whole.step),
        });
      }
    });
  });

  it("reports the bound address and keeps what followed the reply", () => {
    const { step } = dial({ target: TARGET }, [
      "05 00",
      `05 00 00 04 00000000000000000000000000000001 0050 ${ascii("hi")}`,
    ]);
    expect(summary(step)).toEqual({
      kind: "connected",
      bound: { type: "ipv6", host: "::1", port: 80 },
      rest: ascii("hi"),
    });
    const four = dial({ target: TARGET, socksVersion: 4 }, [`00 5a 0050 0a000001 ${ascii("x")}`]).step;
    expect(summary(four)).toEqual({
      kind: "connected",
      bound: { type: "ipv4", host: "10.0.0.1", port: 80 },
      rest: ascii("x"),
    });
  });

  it("splits PT 1.0 args longer than 255 bytes across UNAME and PASSWD", () => {
    const value = "v".repeat(298); // "k=" + 298 = 300 bytes
    const { sent } = dial({ target: TARGET, args: { k: value } }, ["05 02"]);
    const auth = fromHex(sent[1]!);
    expect([auth[0], auth[1], auth[2 + 255]]).toEqual([1, 255, 45]);
    expect(auth.length).toBe(3 + 300);
  });

  it.each([
    ["ptVersion 2 with no args offers 0x00", { target: TARGET, ptVersion: "2" } as const, "050100"],
    ["an empty args record is no args", { target: TARGET, args: {} }, "050100"],
    ["an empty map is no args", { target: TARGET, args: new Map() }, "050100"],
  ])("%s", (_name, options, greeting) => {
    expect(toHex(new SocksClientHandshake(options).start())).toBe(greeting);
  });
});

describe("SocksClientHandshake: failures", () => {
  it.each([
    ["05 FF: no acceptable method", { target: TARGET }, ["05 ff"], "ERR_SOCKS_NO_ACCEPTABLE_METHOD", 1],
    ["a method we did not offer", { target: TARGET }, ["05 02"], "ERR_SOCKS_BAD_METHOD", 1],
    ["the wrong version", { target: TARGET }, ["04 00"], "ERR_SOCKS_BAD_VERSION", 1],
    ["bytes after the method selection", { target: TARGET }, [`05 00 ${OK}`], "ERR_SOCKS_UNEXPECTED_DATA", 1],
    ["RFC 1929 failure", { target: TARGET, args: { k: "v" } }, ["05 02", "01 01"], "ERR_SOCKS_AUTH_FAILED", 1],
    [
      "RFC 1929 status with VER 05",
      { target: TARGET, args: { k: "v" } },
      ["05 02", "05 00"],
      "ERR_SOCKS_BAD_VERSION",
      1,
    ],
    [
      "bytes after the auth status",
      { target: TARGET, args: { k: "v" } },
      ["05 02", "01 00 05"],
      "ERR_SOCKS_UNEXPECTED_DATA",
      1,
    ],
    [
      "REP 05 connection refused",
      { target: TARGET },
      ["05 00", "05 05 00 01 00000000 0000"],
      "ERR_SOCKS_REQUEST_REJECTED",
      5,
    ],
    [
      "REP X'12' settings not JSON",
      { target: TARGET, ptVersion: "2.1", args: { k: "v" } },
      ["05 09", "05 12 00 01 00000000 0000"],
      "ERR_SOCKS_REQUEST_REJECTED",
      0x12,
    ],
    [
      "REP X'10' at once",
      { target: TARGET, ptVersion: "2.1", args: { k: "v" } },
      ["05 09", "05 10 00 01 00000000 0000"],
      "ERR_SOCKS_REQUEST_REJECTED",
      0x10,
    ],
    ["a reply with RSV 01", { target: TARGET }, ["05 00", "05 00 01 01 00000000 0000"], "ERR_SOCKS_BAD_REPLY", 1],
    ["a reply with ATYP 02", { target: TARGET }, ["05 00", "05 00 00 02 00000000 0000"], "ERR_SOCKS_BAD_REPLY", 1],
    [
      "SOCKS4 rejected",
      { target: TARGET, socksVersion: 4 },
      ["00 5b 0000 00000000"],
      "ERR_SOCKS_REQUEST_REJECTED",
      0x5b,
    ],
    [
      "SOCKS4 identd mismatch",
      { target: TARGET, socksVersion: 4 },
      ["00 5d 0000 00000000"],
      "ERR_SOCKS_REQUEST_REJECTED",
      0x5d,
    ],
    ["SOCKS4 reply VN 04", { target: TARGET, socksVersion: 4 }, ["04 5a 0000 00000000"], "ERR_SOCKS_BAD_REPLY", 1],
  ] as const)("%s", (_name, options, server, code, reply) => {
    const { step, c } = dial(options, [...server]);
    expect(summary(step)).toEqual({ kind: "error", code, reply });
    expect(c.phase).toBe("failed");
    expect(c.buffered).toBe(0);
    const again = c.push(fromHex("00"));
    expect(again.kind === "error" && again.error.code).toBe(code);
    expect(() => c.finish()).not.toThrow();
  });

  it("throws UnexpectedEOFError if the server leaves mid-handshake", () => {
    const c = new SocksClientHandshake({ target: TARGET });
    c.start();
    c.push(fromHex("05 00"));
    c.push(fromHex("05 00 00"));
    expect(() => c.finish()).toThrow(UnexpectedEOFError);
  });

  it("throws SocksStateError when used out of order", () => {
    const c = new SocksClientHandshake({ target: TARGET });
    expect(() => c.push(fromHex("05 00"))).toThrow(SocksStateError);
    c.start();
    expect(() => c.start()).toThrow(SocksStateError);
    const done = dial({ target: TARGET }, ["05 00", OK]).c;
    expect(() => done.push(fromHex("00"))).toThrow(expect.objectContaining({ code: "ERR_SOCKS_STATE" }));
  });
});

describe("SocksClientHandshake: options no SOCKS message can carry", () => {
  it.each([
    [
      "args and credentials together",
      { target: TARGET, args: { k: "v" }, credentials: { username: "u", password: "p" } },
      TypeError,
    ],
    [
      "a SOCKS4 password",
      { target: TARGET, socksVersion: 4, credentials: { username: "u", password: "p" } },
      TypeError,
    ],
    ["0x09 over SOCKS4", { target: TARGET, socksVersion: 4, ptVersion: "2.1", args: { k: "v" } }, TypeError],
    ["IPv6 over SOCKS4", { target: { host: "::1", port: 1 }, socksVersion: 4 }, TypeError],
    ["PT 1.0 args over 510 bytes", { target: TARGET, args: { k: "v".repeat(509) } }, LimitError],
    [
      "PT 1.0 args over 510 bytes in USERID",
      { target: TARGET, socksVersion: 4, args: { k: "v".repeat(509) } },
      LimitError,
    ],
    [
      "a JSON block over the limit",
      { target: TARGET, ptVersion: "2", args: { k: "v".repeat(100) }, maxJsonParamBytes: 50 },
      LimitError,
    ],
    ["an empty proxy username", { target: TARGET, credentials: { username: "", password: "p" } }, RangeError],
    ["a bad port", { target: { host: "1.2.3.4", port: 70000 } }, RangeError],
    ["a repeated key for the JSON block", { target: TARGET, ptVersion: "2.1", args: { k: ["a", "b"] } }, TypeError],
  ] as const)("%s", (_name, options, type) => {
    expect(() => new SocksClientHandshake(options as SocksClientOptions)).toThrow(type);
  });
});
