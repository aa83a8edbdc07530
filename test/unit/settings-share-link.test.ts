import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import { BridgeLineError, ShareLinkError, type ShareLinkErrorCode } from "../../src/shared/settings/errors.js";
import {
  MAX_BRIDGE_LINE_LENGTH,
  MAX_SHARE_LABEL_BYTES,
  MAX_SHARE_LINK_LENGTH,
  SHARE_LINK_PREFIX,
} from "../../src/shared/settings/limits.js";
import {
  formatShareLink,
  looksLikeShareLink,
  parseBridgeInput,
  parseShareLink,
} from "../../src/shared/settings/share-link.js";
import { CERT } from "./settings-fixtures.js";

const LINE = `obfs4 192.0.2.1:443 cert=${CERT} iat-mode=0`;
const ascii = (s: string): Uint8Array => new TextEncoder().encode(s);

// The link for LINE labelled "home". Its checksum was computed with node:crypto, not the code under test.
const HOME_LINK =
  "web+webpt://bridge/AQRob21lb2JmczQgMTkyLjAuMi4xOjQ0MyBjZXJ0PUhzelB5M3ZXZmpzRVNDRU9vOVpCa1J2NnpRLzFtR0h6YzhhckYweTJTcHdGcjNXaHNNdThySzB6eWFveUVSZmJ6M2RkRncgaWF0LW1vZGU9MPFwGLc";
const HOME_PAYLOAD = concatBytes(
  fromHex("01"), // version 1
  fromHex("04"), // label length 4
  ascii("home"), // label (UTF-8)
  ascii(LINE), // the bridge line
  fromHex("f17018b7"), // SHA-256(all of the above)[0..4]
);

/** Builds a link around any payload body, with a correct checksum (independent implementation). */
function linkFor(body: Uint8Array): string {
  const sum = createHash("sha256").update(body).digest().subarray(0, 4);
  return SHARE_LINK_PREFIX + Buffer.concat([body, sum]).toString("base64url");
}

function codeOf(f: () => unknown): string {
  expect(f).toThrow(ShareLinkError);
  try {
    f();
  } catch (e) {
    return (e as ShareLinkError).code;
  }
  return "no error";
}

describe("formatShareLink", () => {
  it("lays the payload out as documented (exact bytes)", () => {
    expect(formatShareLink(LINE, "home")).toBe(HOME_LINK);
    const data = HOME_LINK.slice(SHARE_LINK_PREFIX.length);
    expect(toHex(Buffer.from(data, "base64url"))).toBe(toHex(HOME_PAYLOAD));
  });

  it("canonicalizes the bridge line and omits an empty label", () => {
    const link = formatShareLink("Bridge websocket [2001:DB8:0::1]:443", "");
    expect(link).toBe("web+webpt://bridge/AQB3ZWJzb2NrZXQgWzIwMDE6ZGI4OjoxXTo0NDNrnU22");
    expect(formatShareLink({ transport: "websocket", host: "2001:db8::1", port: 443 })).toBe(link);
    expect(parseShareLink(link).label).toBeNull();
  });

  it("uses only URL-safe characters", () => {
    const link = formatShareLink(`${LINE} x=???>>>~~~`, "ÿÿÿ label");
    expect(link.slice(SHARE_LINK_PREFIX.length)).toMatch(/^[A-Za-z0-9_-]+$/);
  });

  it.each([
    ["\u202eevil", /U\+202E/], // right-to-left override
    ["a\u2066b", /U\+2066/],
    ["line\nbreak", /U\+000A/],
    ["\u0085", /U\+0085/],
    ["bad \ud800 surrogate", /U\+D800/],
    [" padded", /whitespace/],
    ["padded\u00a0", /whitespace/],
    ["x".repeat(MAX_SHARE_LABEL_BYTES + 1), /longer than 128/],
    ["é".repeat(MAX_SHARE_LABEL_BYTES / 2 + 1), /longer than 128/], // counted in UTF-8 bytes
  ])("refuses the label %j", (label, why) => {
    expect(codeOf(() => formatShareLink(LINE, label))).toBe("ERR_SHARE_LINK_LABEL");
    expect(() => formatShareLink(LINE, label)).toThrow(why);
  });

  it("accepts a label of exactly the limit, and emoji", () => {
    const label = "é".repeat(MAX_SHARE_LABEL_BYTES / 2);
    expect(parseShareLink(formatShareLink(LINE, label)).label).toBe(label);
    expect(parseShareLink(formatShareLink(LINE, "Maman 🌉 bridge")).label).toBe("Maman 🌉 bridge");
  });

  it("refuses a bad bridge line with the bridge-line error", () => {
    expect(() => formatShareLink("obfs4 nowhere")).toThrow(BridgeLineError);
  });

  it("stays within MAX_SHARE_LINK_LENGTH for the largest line and label", () => {
    const head = "obfs4 192.0.2.1:1 k=";
    const line = head + "v".repeat(MAX_BRIDGE_LINE_LENGTH - head.length);
    const link = formatShareLink(line, "x".repeat(MAX_SHARE_LABEL_BYTES));
    expect(link.length).toBeLessThanOrEqual(MAX_SHARE_LINK_LENGTH);
    expect(link.length).toBeGreaterThan(MAX_SHARE_LINK_LENGTH - 4);
    expect(parseShareLink(link).bridge.args[0]![1]).toHaveLength(MAX_BRIDGE_LINE_LENGTH - head.length);
  });
});

describe("parseShareLink", () => {
  it("parses the fixture", () => {
    const r = parseShareLink(HOME_LINK);
    expect(r.label).toBe("home");
    expect(r.bridge).toMatchObject({ transport: "obfs4", host: "192.0.2.1", port: 443, known: true });
    expect(r.bridge.args).toEqual([
      ["cert", CERT],
      ["iat-mode", "0"],
    ]);
  });

  it("ignores surrounding whitespace and the case of scheme and authority", () => {
    expect(parseShareLink(`  ${HOME_LINK}\r\n`)).toEqual(parseShareLink(HOME_LINK));
    const upper = "WEB+WEBPT://BRIDGE/" + HOME_LINK.slice(SHARE_LINK_PREFIX.length);
    expect(parseShareLink(upper)).toEqual(parseShareLink(HOME_LINK));
  });

  const data = HOME_LINK.slice(SHARE_LINK_PREFIX.length);
  const flip = (s: string, i: number): string => s.slice(0, i) + (s[i] === "A" ? "B" : "A") + s.slice(i + 1);
  const BAD: [string, string, ShareLinkErrorCode][] = [
    ["not a link", "obfs4 192.0.2.1:443", "ERR_SHARE_LINK_SCHEME"],
    ["other scheme", "webpt://bridge/" + data, "ERR_SHARE_LINK_SCHEME"],
    ["other authority", "web+webpt://bridges/" + data, "ERR_SHARE_LINK_SCHEME"],
    ["https", "https://bridge/" + data, "ERR_SHARE_LINK_SCHEME"],
    ["no data", SHARE_LINK_PREFIX, "ERR_SHARE_LINK_MALFORMED"],
    ["padding", HOME_LINK + "=", "ERR_SHARE_LINK_MALFORMED"],
    ["a query", HOME_LINK + "?x=1", "ERR_SHARE_LINK_MALFORMED"],
    ["a fragment", HOME_LINK + "#x", "ERR_SHARE_LINK_MALFORMED"],
    ["another segment", HOME_LINK + "/x", "ERR_SHARE_LINK_MALFORMED"],
    ["standard base64", SHARE_LINK_PREFIX + "+/+/" + data, "ERR_SHARE_LINK_MALFORMED"],
    ["a space inside", HOME_LINK.slice(0, 40) + " " + HOME_LINK.slice(40), "ERR_SHARE_LINK_MALFORMED"],
    ["6 stray bits", SHARE_LINK_PREFIX + "AQBAA", "ERR_SHARE_LINK_ENCODING"],
    ["non-zero unused bits", HOME_LINK.slice(0, -1) + "d", "ERR_SHARE_LINK_ENCODING"], // ...LGc -> ...LGd
    ["too short", linkFor(new Uint8Array(0)).slice(0, SHARE_LINK_PREFIX.length + 4), "ERR_SHARE_LINK_MALFORMED"],
    ["cut short", HOME_LINK.slice(0, -8), "ERR_SHARE_LINK_CHECKSUM"],
    ["one character changed", SHARE_LINK_PREFIX + flip(data, 30), "ERR_SHARE_LINK_CHECKSUM"],
    ["a newer version", "web+webpt://bridge/AgB3ZWJzb2NrZXQgWzIwMDE6ZGI4OjoxXTo0NDPLOkyT", "ERR_SHARE_LINK_VERSION"],
    ["label length past the end", linkFor(fromHex("01 10 6869")), "ERR_SHARE_LINK_MALFORMED"],
    [
      "label length over the limit",
      linkFor(concatBytes(fromHex("01 ff"), new Uint8Array(300))),
      "ERR_SHARE_LINK_MALFORMED",
    ],
    ["label not UTF-8", linkFor(concatBytes(fromHex("01 01 ff"), ascii("obfs4 192.0.2.1:1"))), "ERR_SHARE_LINK_LABEL"],
    [
      "label with RLO",
      linkFor(concatBytes(fromHex("01 03 e280ae"), ascii("obfs4 192.0.2.1:1"))),
      "ERR_SHARE_LINK_LABEL",
    ],
    ["no bridge line", linkFor(fromHex("01 00")), "ERR_SHARE_LINK_BRIDGE"],
    ["bad bridge line", linkFor(concatBytes(fromHex("01 00"), ascii("obfs4 example.com:1"))), "ERR_SHARE_LINK_BRIDGE"],
    [
      "non-ASCII bridge line",
      linkFor(concatBytes(fromHex("01 00"), ascii("obfs4 192.0.2.1:1 k=\u00e9"))),
      "ERR_SHARE_LINK_BRIDGE",
    ],
    [
      "two bridge lines",
      linkFor(concatBytes(fromHex("01 00"), ascii("obfs4 192.0.2.1:1\nobfs4 192.0.2.2:1"))),
      "ERR_SHARE_LINK_BRIDGE",
    ],
    ["too long", SHARE_LINK_PREFIX + "A".repeat(MAX_SHARE_LINK_LENGTH), "ERR_SHARE_LINK_TOO_LONG"],
    ["far too long", "x".repeat(3 * MAX_SHARE_LINK_LENGTH), "ERR_SHARE_LINK_TOO_LONG"],
  ];

  it.each(BAD)("refuses %s", (_label, link, code) => {
    expect(codeOf(() => parseShareLink(link))).toBe(code);
  });

  it("keeps the bridge-line error as the cause", () => {
    const e = (() => {
      try {
        parseShareLink(linkFor(concatBytes(fromHex("01 00"), ascii("obfs4 192.0.2.1:0"))));
      } catch (err) {
        return err;
      }
      return null;
    })();
    expect(e).toBeInstanceOf(ShareLinkError);
    expect((e as ShareLinkError).cause).toBeInstanceOf(BridgeLineError);
    expect(((e as ShareLinkError).cause as BridgeLineError).code).toBe("ERR_BRIDGE_BAD_PORT");
  });

  it("reads a link whose checksum is right however it was made", () => {
    const r = parseShareLink(linkFor(concatBytes(fromHex("01 02 6869"), ascii("webrtc 192.0.2.3:80 k=v"))));
    expect(r.label).toBe("hi");
    expect(r.bridge.args).toEqual([["k", "v"]]);
  });
});

describe("linear time on hostile input", () => {
  it("rejects worst cases for backtracking quickly", () => {
    const inputs = [
      "x" + " ".repeat(2 * MAX_SHARE_LINK_LENGTH - 2) + "y", // long inner run of spaces: a /\s+$/ trap
      SHARE_LINK_PREFIX + "A".repeat(MAX_SHARE_LINK_LENGTH - SHARE_LINK_PREFIX.length),
      "obfs4 192.0.2.1:1 " + " ".repeat(MAX_BRIDGE_LINE_LENGTH - 40) + "x",
    ];
    const start = performance.now();
    for (let i = 0; i < 10; i++) {
      for (const text of inputs) expect(() => parseBridgeInput(text)).toThrow(WebptError);
    }
    expect(performance.now() - start).toBeLessThan(1000);
  });
});

describe("parseBridgeInput", () => {
  it("takes a share link or a bridge line", () => {
    expect(parseBridgeInput(HOME_LINK)).toEqual(parseShareLink(HOME_LINK));
    expect(parseBridgeInput(`Bridge ${LINE}\n`)).toEqual({ bridge: parseShareLink(HOME_LINK).bridge, label: null });
    expect(() => parseBridgeInput("web+webpt:nonsense")).toThrow(ShareLinkError);
    expect(() => parseBridgeInput("nonsense")).toThrow(BridgeLineError);
  });

  it("tells share links from bridge lines", () => {
    expect(looksLikeShareLink(" Web+WebPT://bridge/x")).toBe(true);
    expect(looksLikeShareLink("webtunnel 192.0.2.1:443")).toBe(false);
  });
});
