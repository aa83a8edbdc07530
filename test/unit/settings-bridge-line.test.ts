import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import {
  bridgeArgsToRecord,
  formatBridgeLine,
  parseBridgeLine,
  type BridgeLine,
  type BridgeLineInit,
} from "../../src/shared/settings/bridge-line.js";
import { BridgeLineError, type BridgeLineErrorCode } from "../../src/shared/settings/errors.js";
import { MAX_BRIDGE_ARGS, MAX_BRIDGE_LINE_LENGTH } from "../../src/shared/settings/limits.js";
import { CERT } from "./settings-fixtures.js";

const FP = "2B280B23E1107BB62ABFC40DDCC8824814F80A72";

function codeOf(f: () => unknown): string {
  expect(f).toThrow(BridgeLineError);
  try {
    f();
  } catch (e) {
    return (e as BridgeLineError).code;
  }
  return "no error";
}

// [input, canonical formatting, parsed]
const GOOD: [string, string, BridgeLine][] = [
  [
    // pt-spec Appendix B's obfs4 ARGS, as a bridge line.
    `obfs4 198.51.100.1:43734 cert=${CERT} iat-mode=0`,
    `obfs4 198.51.100.1:43734 cert=${CERT} iat-mode=0`,
    {
      transport: "obfs4",
      known: true,
      host: "198.51.100.1",
      family: 4,
      port: 43734,
      fingerprint: null,
      args: [
        ["cert", CERT],
        ["iat-mode", "0"],
      ],
    },
  ],
  [
    // Tor Browser's snowflake line shape: fingerprint, then args with URLs and a comma list.
    `snowflake 192.0.2.3:80 ${FP} fingerprint=${FP} url=https://1098762253.rsc.cdn77.org/ ` +
      "fronts=www.cdn77.com,www.phpmyadmin.net ice=stun:stun.antisip.com:3478,stun:stun.epygi.com:3478 " +
      "utls-imitate=hellorandomizedalpn",
    `snowflake 192.0.2.3:80 ${FP} fingerprint=${FP} url=https://1098762253.rsc.cdn77.org/ ` +
      "fronts=www.cdn77.com,www.phpmyadmin.net ice=stun:stun.antisip.com:3478,stun:stun.epygi.com:3478 " +
      "utls-imitate=hellorandomizedalpn",
    {
      transport: "snowflake",
      known: false,
      host: "192.0.2.3",
      family: 4,
      port: 80,
      fingerprint: FP,
      args: [
        ["fingerprint", FP],
        ["url", "https://1098762253.rsc.cdn77.org/"],
        ["fronts", "www.cdn77.com,www.phpmyadmin.net"],
        ["ice", "stun:stun.antisip.com:3478,stun:stun.epygi.com:3478"],
        ["utls-imitate", "hellorandomizedalpn"],
      ],
    },
  ],
  [
    "Bridge webtunnel [2001:DB8:0:0::1]:443 " + FP.toLowerCase() + " url=https://example.com/secret-path ver=0.0.1",
    `webtunnel [2001:db8::1]:443 ${FP} url=https://example.com/secret-path ver=0.0.1`,
    {
      transport: "webtunnel",
      known: false,
      host: "2001:db8::1",
      family: 6,
      port: 443,
      fingerprint: FP,
      args: [
        ["url", "https://example.com/secret-path"],
        ["ver", "0.0.1"],
      ],
    },
  ],
  [
    " \tbridge   meek_lite\t192.0.2.18:80   k==v  k=  a=b=c k=2 \r\n",
    "meek_lite 192.0.2.18:80 k==v k= a=b=c k=2",
    {
      transport: "meek_lite",
      known: false,
      host: "192.0.2.18",
      family: 4,
      port: 80,
      fingerprint: null,
      args: [
        ["k", "=v"], // `=` inside the value is kept after the first one
        ["k", ""],
        ["a", "b=c"],
        ["k", "2"], // repeated keys are kept, in order
      ],
    },
  ],
  [
    "BRIDGE websocket 0.0.0.0:65535",
    "websocket 0.0.0.0:65535",
    { transport: "websocket", known: true, host: "0.0.0.0", family: 4, port: 65535, fingerprint: null, args: [] },
  ],
  [
    "_t1 [::ffff:192.0.2.1]:1 " + FP,
    `_t1 [::ffff:192.0.2.1]:1 ${FP}`,
    { transport: "_t1", known: false, host: "::ffff:192.0.2.1", family: 6, port: 1, fingerprint: FP, args: [] },
  ],
];

describe("parseBridgeLine", () => {
  it.each(GOOD)("parses %j", (input, canonical, parsed) => {
    expect(parseBridgeLine(input)).toEqual(parsed);
    expect(formatBridgeLine(parsed)).toBe(canonical);
    expect(parseBridgeLine(canonical)).toEqual(parsed);
  });

  it(`accepts ${MAX_BRIDGE_ARGS} arguments and a line of ${MAX_BRIDGE_LINE_LENGTH} characters`, () => {
    const args = Array.from({ length: MAX_BRIDGE_ARGS }, (_, i) => `k${i}=v`).join(" ");
    expect(parseBridgeLine(`obfs4 192.0.2.1:1 ${args}`).args).toHaveLength(MAX_BRIDGE_ARGS);
    const head = "obfs4 192.0.2.1:1 k=";
    const line = head + "v".repeat(MAX_BRIDGE_LINE_LENGTH - head.length);
    expect(parseBridgeLine(line).args[0]![1]).toHaveLength(MAX_BRIDGE_LINE_LENGTH - head.length);
  });

  const BAD: [string, BridgeLineErrorCode][] = [
    ["", "ERR_BRIDGE_EMPTY"],
    [" \t\r\n", "ERR_BRIDGE_EMPTY"],
    ["Bridge", "ERR_BRIDGE_EMPTY"],
    ["obfs4 192.0.2.1:1 k=" + "v".repeat(MAX_BRIDGE_LINE_LENGTH), "ERR_BRIDGE_TOO_LONG"],
    ["obfs4 192.0.2.1:1\nobfs4 192.0.2.2:1", "ERR_BRIDGE_BAD_CHAR"],
    ["obfs4 192.0.2.1:1 k=caf\u00e9", "ERR_BRIDGE_BAD_CHAR"],
    ["obfs4 192.0.2.1:1 k=\u0000", "ERR_BRIDGE_BAD_CHAR"],
    ["obfs4\u00a0192.0.2.1:1", "ERR_BRIDGE_BAD_CHAR"], // NBSP is not a separator
    ["obfs4 192.0.2.1:1 k=\u007f", "ERR_BRIDGE_BAD_CHAR"],
    ["192.0.2.1:443 " + FP, "ERR_BRIDGE_NO_TRANSPORT"], // a vanilla bridge
    ["Bridge 192.0.2.1:443", "ERR_BRIDGE_NO_TRANSPORT"],
    ["[2001:db8::1]:443", "ERR_BRIDGE_NO_TRANSPORT"],
    ["obfs-4 192.0.2.1:1", "ERR_BRIDGE_BAD_TRANSPORT"],
    ["k=v 192.0.2.1:1", "ERR_BRIDGE_BAD_TRANSPORT"],
    ["Bridge bridge 192.0.2.1:1", "ERR_BRIDGE_BAD_TRANSPORT"], // reserved: ambiguous with the keyword
    ["Bridge BRIDGE 192.0.2.1:1", "ERR_BRIDGE_BAD_TRANSPORT"],
    ["obfs4", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 bridge.example:443", "ERR_BRIDGE_BAD_ADDRESS"], // tor takes IP literals only
    ["obfs4 2001:db8::1:443", "ERR_BRIDGE_BAD_ADDRESS"], // IPv6 needs brackets
    ["obfs4 [192.0.2.1]:443", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 [2001:db8::1:443", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 [fe80::1%eth0]:443", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 300.1.1.1:443", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 192.0.2.01:443", "ERR_BRIDGE_BAD_ADDRESS"],
    ["obfs4 192.0.2.1", "ERR_BRIDGE_BAD_PORT"], // tor would assume 443; we do not guess
    ["obfs4 192.0.2.1:", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 192.0.2.1:0", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 192.0.2.1:65536", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 192.0.2.1:0443", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 192.0.2.1:https", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 [2001:db8::1]", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 [2001:db8::1]443", "ERR_BRIDGE_BAD_PORT"],
    ["obfs4 192.0.2.1:1 " + FP.slice(1), "ERR_BRIDGE_BAD_FINGERPRINT"],
    ["obfs4 192.0.2.1:1 " + FP + "0", "ERR_BRIDGE_BAD_FINGERPRINT"],
    ["obfs4 192.0.2.1:1 $" + FP, "ERR_BRIDGE_BAD_FINGERPRINT"],
    ["obfs4 192.0.2.1:1 " + FP.replace("B", "G"), "ERR_BRIDGE_BAD_FINGERPRINT"],
    ["obfs4 192.0.2.1:1 =v", "ERR_BRIDGE_BAD_ARG"],
    ["obfs4 192.0.2.1:1 k=v " + FP, "ERR_BRIDGE_BAD_ARG"], // the fingerprint goes before the args
    ["obfs4 192.0.2.1:1 " + FP + " " + FP, "ERR_BRIDGE_BAD_ARG"],
    [
      "obfs4 192.0.2.1:1 " + Array.from({ length: MAX_BRIDGE_ARGS + 1 }, () => "k=v").join(" "),
      "ERR_BRIDGE_TOO_MANY_ARGS",
    ],
  ];

  it.each(BAD)("refuses %j with %s", (input, code) => {
    expect(codeOf(() => parseBridgeLine(input))).toBe(code);
  });

  it("says where a bad character is", () => {
    expect(() => parseBridgeLine("obfs4 192.0.2.1:1 k=\u00e9")).toThrow(/U\+00E9 at offset 20/);
    expect(() => parseBridgeLine("obfs4 192.0.2.1:1\r\nx")).toThrow(/single line/);
  });

  it("throws project errors only, even for a non-string", () => {
    expect(() => parseBridgeLine(42 as unknown as string)).toThrow(WebptError);
  });
});

describe("formatBridgeLine", () => {
  const init: BridgeLineInit = {
    transport: "obfs4",
    host: "[2001:DB8::0001]",
    port: 443,
    fingerprint: FP.toLowerCase(),
    args: [
      ["cert", CERT],
      ["iat-mode", "0"],
    ],
  };

  it("formats canonically, with the Bridge keyword on request", () => {
    const want = `obfs4 [2001:db8::1]:443 ${FP} cert=${CERT} iat-mode=0`;
    expect(formatBridgeLine(init)).toBe(want);
    expect(formatBridgeLine({ ...init, host: "2001:db8::1" })).toBe(want);
    expect(formatBridgeLine(init, { prefix: true })).toBe("Bridge " + want);
    expect(formatBridgeLine({ transport: "webrtc", host: "192.0.2.3", port: 80 })).toBe("webrtc 192.0.2.3:80");
    expect(formatBridgeLine({ transport: "webrtc", host: "192.0.2.3", port: 80, fingerprint: null, args: [] })).toBe(
      "webrtc 192.0.2.3:80",
    );
  });

  it.each([
    [{ transport: "obfs 4" }, "ERR_BRIDGE_BAD_TRANSPORT"],
    [{ transport: "Bridge" }, "ERR_BRIDGE_BAD_TRANSPORT"],
    [{ host: "bridge.example" }, "ERR_BRIDGE_BAD_ADDRESS"],
    [{ host: "[192.0.2.1]" }, "ERR_BRIDGE_BAD_ADDRESS"],
    [{ port: 0 }, "ERR_BRIDGE_BAD_PORT"],
    [{ port: 65536 }, "ERR_BRIDGE_BAD_PORT"],
    [{ port: 44.5 }, "ERR_BRIDGE_BAD_PORT"],
    [{ fingerprint: "abc" }, "ERR_BRIDGE_BAD_FINGERPRINT"],
    [{ args: [["", "v"]] }, "ERR_BRIDGE_BAD_ARG"],
    [{ args: [["a=b", "v"]] }, "ERR_BRIDGE_BAD_ARG"], // would parse as key "a", value "b=v"
    [{ args: [["k", "a b"]] }, "ERR_BRIDGE_BAD_ARG"], // would split into two tokens
    [{ args: [["k", "caf\u00e9"]] }, "ERR_BRIDGE_BAD_ARG"],
    [{ args: [["k\t", "v"]] }, "ERR_BRIDGE_BAD_ARG"],
    [{ args: Array.from({ length: MAX_BRIDGE_ARGS + 1 }, () => ["k", "v"] as const) }, "ERR_BRIDGE_TOO_MANY_ARGS"],
    [{ args: [["k", "v".repeat(MAX_BRIDGE_LINE_LENGTH)]] }, "ERR_BRIDGE_TOO_LONG"],
  ] as [Partial<BridgeLineInit>, BridgeLineErrorCode][])("refuses %j with %s", (patch, code) => {
    expect(codeOf(() => formatBridgeLine({ ...init, ...patch }))).toBe(code);
  });
});

describe("bridgeArgsToRecord", () => {
  it("groups values by key in line order, with no prototype to pollute", () => {
    const r = bridgeArgsToRecord([
      ["k", "1"],
      ["__proto__", "x"],
      ["j", ""],
      ["k", "2"],
    ]);
    expect(Object.keys(r)).toEqual(["k", "__proto__", "j"]);
    expect(r.k).toEqual(["1", "2"]);
    expect(r["__proto__"]).toEqual(["x"]);
    expect(Object.getPrototypeOf(r)).toBeNull();
    expect(({} as Record<string, unknown>).x).toBeUndefined();
  });
});
