import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import { BridgeLineError, jsonPointer } from "../../src/shared/settings/errors.js";
import { parseBridgeLine } from "../../src/shared/settings/bridge-line.js";
import { MAX_ICE_URLS } from "../../src/shared/settings/limits.js";
import {
  parseSettings,
  settingsFromBridgeLine,
  settingsToArgs,
  settingsToObject,
} from "../../src/shared/settings/settings.js";
import { CERT, NODE_ID, PUBLIC_KEY, fails, settingsError } from "./settings-fixtures.js";

describe("parseSettings: websocket", () => {
  it("normalizes the URL", () => {
    const s = parseSettings("websocket", { cert: CERT, url: "WSS://Bridge.Example:443/s3cr3t?x=1" }, "json");
    expect(s).toMatchObject({ transport: "websocket", url: "wss://bridge.example/s3cr3t?x=1", iatMode: 0 });
  });

  it.each([
    [{ cert: CERT }, "/url", "schema"],
    [{ cert: CERT, url: "https://b.example/s" }, "/url", "schema"], // pattern: ws: or wss:
    [{ cert: CERT, url: "wss://b.example" }, "/url", "url"],
    [{ cert: CERT, url: "wss://u:p@b.example/s" }, "/url", "url"],
    [{ cert: CERT, url: "wss://b.example/s#f" }, "/url", "url"],
    [{ url: "wss://b.example/s" }, "/cert", "schema"],
  ] as const)("%j -> %s (%s)", (input, pointer, reason) => {
    expect(fails("websocket", input, "json")).toMatchObject({ pointer, reason });
  });
});

describe("parseSettings: webrtc", () => {
  const base = { cert: CERT, signal: "https://Signal.Example/abc" };
  const turn = "turn:t.example:3478?transport=udp";

  it.each([
    ["json string", { ...base, ice: "stun:a.example,STUN:b.example:3478" }, "json"],
    ["json array", { ...base, ice: ["stun:a.example", "stun:b.example:3478"] }, "json"],
    ["args commas", { cert: [CERT], signal: [base.signal], ice: ["stun:a.example,stun:b.example:3478"] }, "args"],
    ["args repeated", { cert: [CERT], signal: [base.signal], ice: ["stun:a.example", "stun:b.example:3478"] }, "args"],
  ] as const)("reads ice from a %s", (_label, input, source) => {
    const s = parseSettings("webrtc", input, source);
    expect(s.ice).toEqual(["stun:a.example", "stun:b.example:3478"]);
    expect(s.signal).toBe("https://signal.example/abc");
    expect([s.iceUsername, s.iceCredential]).toEqual([null, null]);
  });

  it("takes TURN credentials with a TURN URL", () => {
    const s = parseSettings("webrtc", { ...base, ice: [turn], "ice-username": "u", "ice-credential": "p w" }, "json");
    expect([s.ice, s.iceUsername, s.iceCredential]).toEqual([[turn], "u", "p w"]);
  });

  it("has no ICE servers when ice is absent", () => {
    expect(parseSettings("webrtc", base, "json").ice).toEqual([]);
  });

  it.each([
    [{ cert: CERT }, "/signal", "schema"],
    [{ ...base, signal: "wss://s.example/x" }, "/signal", "schema"],
    [{ ...base, signal: "https://s.example" }, "/signal", "url"],
    [{ ...base, ice: "stun:a.example,http:b" }, "/ice/1", "schema"],
    [{ ...base, ice: "stun:a.example,stun://b.example" }, "/ice/1", "ice"],
    [{ ...base, ice: "" }, "/ice/0", "schema"],
    [{ ...base, ice: "stun:a.example,,stun:b.example" }, "/ice/1", "schema"],
    [{ ...base, ice: [] }, "/ice", "schema"],
    [{ ...base, ice: Array(MAX_ICE_URLS).fill("stun:a.example").join(",") + ",stun:b.example" }, "/ice", "schema"],
    [{ ...base, ice: [turn] }, "/ice-username", "ice-credentials"],
    [
      { ...base, ice: ["stun:a.example"], "ice-username": "u", "ice-credential": "p" },
      "/ice-username",
      "ice-credentials",
    ],
    [{ ...base, "ice-username": "u", "ice-credential": "p" }, "/ice-username", "ice-credentials"],
    [{ ...base, ice: [turn], "ice-credential": "p" }, "/ice-username", "schema"],
  ] as const)("%j -> %s (%s)", (input, pointer, reason) => {
    expect(fails("webrtc", input, "json")).toMatchObject({ pointer, reason });
  });
});

describe("parseSettings: bridge source", () => {
  const line = `webrtc 192.0.2.3:80 2B280B23E1107BB62ABFC40DDCC8824814F80A72 cert=${CERT} iat-mode=1 signal=https://s.example/x ice=stun:a.example`;

  it("reads a bridge line as text or parsed, and checks its transport", () => {
    const fromText = parseSettings("webrtc", line, "bridge");
    expect(parseSettings("webrtc", parseBridgeLine(line), "bridge")).toEqual(fromText);
    expect(settingsFromBridgeLine(line)).toEqual(fromText);
    expect(fromText).toMatchObject({ iatMode: 1, ice: ["stun:a.example"] });
    expect(fails("obfs4", line, "bridge")).toMatchObject({ reason: "transport-mismatch", pointer: "" });
  });

  it("wraps a bad bridge line, keeping its error as the cause", () => {
    const e = settingsError(() => parseSettings("obfs4", "obfs4 nowhere cert=x", "bridge"));
    expect(e.reason).toBe("bridge-line");
    expect(e.cause).toBeInstanceOf(BridgeLineError);
    expect((e.cause as BridgeLineError).code).toBe("ERR_BRIDGE_BAD_PORT");
  });

  it("refuses lines for transports webpt does not implement", () => {
    const e = settingsError(() => settingsFromBridgeLine("snowflake 192.0.2.3:80 url=https://x.example/"));
    expect(e.reason).toBe("unknown-transport");
  });
});

describe("SettingsError", () => {
  it("is a WebptError with a pointer, a reason and the SOCKS reply X'13'", () => {
    const e = settingsError(() => parseSettings("obfs4", { cert: CERT, "iat-mode": 7 }, "json"));
    expect(e).toBeInstanceOf(WebptError);
    expect(e.name).toBe("SettingsError");
    expect(e.message).toBe("/iat-mode: must be <= 2");
    expect(JSON.parse(JSON.stringify(e))).toEqual({
      name: "SettingsError",
      code: "ERR_SETTINGS_INVALID",
      message: "/iat-mode: must be <= 2",
      pointer: "/iat-mode",
      reason: "schema",
      keyword: "maximum",
      socksReply: 0x13,
    });
    expect(structuredClone(e.toJSON())).toEqual(e.toJSON());
  });

  it("escapes JSON pointer tokens (RFC 6901 §3)", () => {
    expect(jsonPointer("a/b", "m~n", 0)).toBe("/a~1b/m~0n/0");
    expect(jsonPointer()).toBe("");
  });
});

describe("settingsToObject / settingsToArgs", () => {
  const webrtc = parseSettings(
    "webrtc",
    {
      "node-id": NODE_ID,
      "public-key": PUBLIC_KEY,
      "iat-mode": 2,
      signal: "HTTPS://s.example:443/x",
      ice: ["stun:a.example", "turns:t.example"],
      "ice-username": "u",
      "ice-credential": "p",
    },
    "json",
  );

  it("produce the canonical forms, in a fixed key order", () => {
    expect(settingsToObject(webrtc)).toEqual({
      cert: CERT,
      "iat-mode": 2,
      signal: "https://s.example/x",
      ice: ["stun:a.example", "turns:t.example"],
      "ice-username": "u",
      "ice-credential": "p",
    });
    expect(settingsToArgs(webrtc)).toEqual([
      ["cert", CERT],
      ["iat-mode", "2"],
      ["signal", "https://s.example/x"],
      ["ice", "stun:a.example,turns:t.example"],
      ["ice-username", "u"],
      ["ice-credential", "p"],
    ]);
    const obfs4 = parseSettings("obfs4", { cert: CERT }, "json");
    expect(settingsToArgs(obfs4)).toEqual([
      ["cert", CERT],
      ["iat-mode", "0"], // always sent: obfs4proxy requires it
    ]);
  });

  it("round-trip through every source", () => {
    const obj = settingsToObject(webrtc);
    expect(parseSettings("webrtc", obj, "storage")).toEqual(webrtc);
    expect(parseSettings("webrtc", JSON.parse(JSON.stringify(obj)), "json")).toEqual(webrtc);
    const args = Object.fromEntries(settingsToArgs(webrtc).map(([k, v]) => [k, [v]]));
    expect(parseSettings("webrtc", args, "args")).toEqual(webrtc);
    const line = `webrtc 192.0.2.3:80 ${settingsToArgs(webrtc)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")}`;
    expect(parseSettings("webrtc", line, "bridge")).toEqual(webrtc);
  });
});
