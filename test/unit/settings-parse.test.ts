import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/bytes.js";
import {
  MAX_SETTINGS_KEYS,
  MAX_SETTINGS_VALUES_PER_KEY,
  MAX_SETTINGS_VALUE_LENGTH,
} from "../../src/shared/settings/limits.js";
import { parseSettings, parseSettingsReport } from "../../src/shared/settings/settings.js";
import type { SettingsSource } from "../../src/shared/settings/coerce.js";
import type { TransportName } from "../../src/shared/settings/schemas.js";
import { CERT, CERT2, NODE_ID, PUBLIC_KEY, fails, settingsError } from "./settings-fixtures.js";

describe("parseSettings: obfs4 keys", () => {
  it("decodes cert into node ID and public key (exact bytes)", () => {
    const s = parseSettings("obfs4", { cert: CERT, "iat-mode": 0 }, "json");
    expect(s.transport).toBe("obfs4");
    expect(s.cert).toBe(CERT);
    expect(toHex(s.nodeId)).toBe(NODE_ID);
    expect(toHex(s.publicKey)).toBe(PUBLIC_KEY);
    expect(s.iatMode).toBe(0);
    const s2 = parseSettings("obfs4", { cert: CERT2 }, "json");
    expect(toHex(s2.nodeId)).toBe("7c946525cd13ee2d90930dd2c8b42af8cea24c6b");
    expect(toHex(s2.publicKey)).toBe("3d8212c72bae4b072fcc41ec1726934e285abadce9b52475642e5ae61016d7d7");
  });

  it("defaults iat-mode to 0", () => {
    expect(parseSettings("obfs4", { cert: CERT }, "storage").iatMode).toBe(0);
    expect(parseSettings("obfs4", { cert: [CERT] }, "args").iatMode).toBe(0);
  });

  it("tolerates padding and non-zero unused bits like obfs4proxy, and stores the canonical cert", () => {
    expect(parseSettings("obfs4", { cert: CERT + "==" }, "json").cert).toBe(CERT);
    // "...Fw" -> "...Fx": the last character's 4 unused bits become 0001; the bytes are the same.
    const s = parseSettings("obfs4", { cert: CERT.slice(0, -1) + "x" }, "json");
    expect(s.cert).toBe(CERT);
    expect(toHex(s.publicKey)).toBe(PUBLIC_KEY);
  });

  it("accepts obfs4proxy's old node-id + public-key form and derives the cert", () => {
    const s = parseSettings("obfs4", { "node-id": NODE_ID.toUpperCase(), "public-key": PUBLIC_KEY }, "json");
    expect(s.cert).toBe(CERT);
    expect(toHex(s.nodeId)).toBe(NODE_ID);
  });

  it("accepts both forms when they agree, refuses them when they do not", () => {
    const both = { cert: CERT, "node-id": NODE_ID, "public-key": PUBLIC_KEY };
    expect(parseSettings("obfs4", both, "json").cert).toBe(CERT);
    const otherId = "00".repeat(20);
    expect(fails("obfs4", { ...both, "node-id": otherId }, "json")).toEqual({
      pointer: "/node-id",
      reason: "conflict",
      keyword: null,
    });
    expect(fails("obfs4", { ...both, "public-key": "00".repeat(32) }, "json")).toMatchObject({
      pointer: "/public-key",
      reason: "conflict",
    });
  });

  it.each([
    [{}, "/cert", "required"],
    [{ "iat-mode": 0 }, "/cert", "required"],
    [{ "node-id": NODE_ID }, "/public-key", "dependentRequired"],
    [{ "public-key": PUBLIC_KEY }, "/node-id", "dependentRequired"],
    [{ cert: CERT.slice(0, 69) }, "/cert", "pattern"],
    [{ cert: CERT + "=" }, "/cert", "pattern"],
    [{ cert: CERT.replace("/", "_") }, "/cert", "pattern"],
    [{ cert: 5 }, "/cert", "type"],
    [{ cert: [CERT] }, "/cert", "type"],
    [{ cert: CERT, "iat-mode": 3 }, "/iat-mode", "maximum"],
    [{ cert: CERT, "iat-mode": -1 }, "/iat-mode", "minimum"],
    [{ cert: CERT, "iat-mode": 1.5 }, "/iat-mode", "type"],
    [{ cert: CERT, "iat-mode": true }, "/iat-mode", "type"],
    [{ cert: CERT, "iat-mode": "01" }, "/iat-mode", "type"],
    [{ cert: CERT, "iat-mode": " 1" }, "/iat-mode", "type"],
    [{ cert: CERT, "iat-mode": null }, "/iat-mode", "type"],
    [{ "node-id": NODE_ID.slice(1), "public-key": PUBLIC_KEY }, "/node-id", "pattern"],
  ])("json %j -> %s (%s)", (input, pointer, keyword) => {
    expect(fails("obfs4", input, "json")).toEqual({ pointer, reason: "schema", keyword });
  });

  it("names the alternative in the missing-cert message", () => {
    const e = settingsError(() => parseSettings("obfs4", {}, "json"));
    expect(e.message).toBe("/cert: is required (cert, or node-id and public-key)");
  });
});

describe("parseSettings: sources coerce string forms as each allows", () => {
  it.each([
    ["json", { cert: CERT, "iat-mode": 1 }, 1],
    ["json", { cert: CERT, "iat-mode": 1.0 }, 1],
    ["json", { cert: CERT, "iat-mode": "2" }, 2], // a parent that turned k=v into JSON
    ["storage", { cert: CERT, "iat-mode": 2 }, 2],
    ["args", { cert: [CERT], "iat-mode": ["1"] }, 1],
    ["bridge", `obfs4 192.0.2.1:443 cert=${CERT} iat-mode=2`, 2],
  ] as const)("%s: %j -> iat-mode %d", (source, input, iat) => {
    expect(parseSettings("obfs4", input, source).iatMode).toBe(iat);
  });

  it("storage takes only the canonical form", () => {
    expect(fails("obfs4", { cert: CERT, "iat-mode": "1" }, "storage")).toMatchObject({ keyword: "type" });
    expect(fails("webrtc", { cert: CERT, signal: "https://s.example/x", ice: "stun:a.example" }, "storage")).toEqual({
      pointer: "/ice",
      reason: "schema",
      keyword: "type",
    });
  });

  it.each(["+1", "1.0", "01", "0x1", "", "1 "])("args iat-mode %j is not an integer", (v) => {
    expect(fails("obfs4", { cert: [CERT], "iat-mode": [v] }, "args")).toMatchObject({
      pointer: "/iat-mode",
      keyword: "type",
    });
  });

  it("refuses unknown keys in json and storage, with X'13'", () => {
    // seed 001 §1.4's example block is valid JSON but not obfs4 settings.
    const e = settingsError(() =>
      parseSettings("obfs4", JSON.parse('{"shared-secret": "rahasia", "secrets-file": "/tmp/blob"}'), "json"),
    );
    expect([e.pointer, e.reason, e.socksReply, e.code]).toEqual([
      "/shared-secret",
      "unknown-key",
      0x13,
      "ERR_SETTINGS_INVALID",
    ]);
    expect(fails("obfs4", { cert: CERT, "a/b~c": "x" }, "storage")).toMatchObject({ pointer: "/a~1b~0c" });
  });

  it("ignores and reports unknown keys in args and bridge lines", () => {
    const r = parseSettingsReport("obfs4", { cert: [CERT], foo: ["1", "2"], "iat-mode": ["0"] }, "args");
    expect(r.ignoredKeys).toEqual(["foo"]);
    expect(r.settings.cert).toBe(CERT);
    const b = parseSettingsReport("obfs4", `obfs4 192.0.2.1:1 cert=${CERT} utls=hello url=x`, "bridge");
    expect(b.ignoredKeys).toEqual(["utls", "url"]); // url is not an obfs4 key
  });

  it("takes the SOCKS decoders' null-prototype records", () => {
    // The 0x09 parser yields a flat null-prototype object of scalars, so ice arrives as one string.
    const block = Object.assign(Object.create(null) as object, {
      cert: CERT,
      "iat-mode": 1,
      signal: "https://s.example/x",
      ice: "stun:a.example,stun:b.example",
    });
    expect(parseSettings("webrtc", block, "json")).toMatchObject({
      iatMode: 1,
      ice: ["stun:a.example", "stun:b.example"],
    });
    const args = Object.assign(Object.create(null) as object, { cert: [CERT], "iat-mode": ["2"] });
    expect(parseSettings("obfs4", args, "args").iatMode).toBe(2);
  });

  it("treats __proto__ as an ordinary key", () => {
    const input = JSON.parse(`{"cert": "${CERT}", "__proto__": {"iat-mode": 2}}`) as unknown;
    expect(fails("obfs4", input, "json")).toMatchObject({ pointer: "/__proto__", reason: "unknown-key" });
    const args = JSON.parse(`{"cert": ["${CERT}"], "__proto__": ["x"]}`) as unknown;
    const r = parseSettingsReport("obfs4", args, "args");
    expect(r.ignoredKeys).toEqual(["__proto__"]);
    expect(r.settings.iatMode).toBe(0);
  });

  it.each([
    ["json", null],
    ["json", []],
    ["json", "cert=x"],
    ["json", new Date(0)],
    ["storage", new Map([["cert", CERT]])],
    ["args", { cert: CERT }], // values must be string[]
    ["args", { cert: [] }],
    ["args", { cert: [1] }],
    ["args", [[CERT]]],
    ["bridge", 42],
    ["bridge", { transport: "obfs4", args: [["cert"]] }],
  ] as const)("%s refuses the shape %j", (source, input) => {
    expect(fails("obfs4", input, source).reason).toBe("not-object");
  });

  it("refuses unknown transports and sources", () => {
    expect(fails("obfs5" as TransportName, { cert: CERT }, "json")).toMatchObject({ reason: "unknown-transport" });
    expect(() => parseSettings("obfs4", { cert: CERT }, "yaml" as SettingsSource)).toThrow(TypeError);
  });
});

describe("parseSettings: limits", () => {
  const many = (n: number): Record<string, string> =>
    Object.fromEntries(Array.from({ length: n }, (_, i) => [`k${i}`, "v"]));

  it(`allows ${MAX_SETTINGS_KEYS} keys and refuses one more, before looking at them`, () => {
    expect(
      parseSettingsReport("obfs4", { ...toArgs(many(MAX_SETTINGS_KEYS - 1)), cert: [CERT] }, "args").ignoredKeys,
    ).toHaveLength(MAX_SETTINGS_KEYS - 1);
    expect(fails("obfs4", { ...toArgs(many(MAX_SETTINGS_KEYS)), cert: [CERT] }, "args")).toEqual({
      pointer: "",
      reason: "too-many-keys",
      keyword: null,
    });
    expect(fails("obfs4", many(MAX_SETTINGS_KEYS + 1), "json").reason).toBe("too-many-keys");
  });

  it(`allows values of ${MAX_SETTINGS_VALUE_LENGTH} characters and refuses longer ones`, () => {
    const path = "/" + "p".repeat(MAX_SETTINGS_VALUE_LENGTH - "wss://h.example/".length);
    const url = `wss://h.example${path}`;
    expect(url).toHaveLength(MAX_SETTINGS_VALUE_LENGTH);
    expect(parseSettings("websocket", { cert: CERT, url }, "json").url).toBe(url);
    expect(fails("websocket", { cert: CERT, url: url + "p" }, "json")).toEqual({
      pointer: "/url",
      reason: "value-too-long",
      keyword: null,
    });
    expect(fails("obfs4", { cert: [CERT], x: ["y".repeat(MAX_SETTINGS_VALUE_LENGTH + 1)] }, "args").reason).toBe(
      "value-too-long",
    );
    const ice = ["stun:a.example", "s".repeat(MAX_SETTINGS_VALUE_LENGTH + 1)];
    expect(fails("webrtc", { cert: CERT, signal: "https://s.example/x", ice }, "json").pointer).toBe("/ice/1");
  });

  it(`allows ${MAX_SETTINGS_VALUES_PER_KEY} values per key and refuses more`, () => {
    const ice = Array(MAX_SETTINGS_VALUES_PER_KEY + 1).fill("stun:a.example");
    expect(fails("webrtc", { cert: CERT, signal: "https://s.example/x", ice }, "json").reason).toBe("too-many-values");
    expect(fails("webrtc", { cert: [CERT], signal: ["https://s.example/x"], ice }, "args").reason).toBe(
      "too-many-values",
    );
  });

  it("refuses a single-valued key given twice in args (goptlib's Get would take the first)", () => {
    expect(fails("obfs4", { cert: [CERT, CERT2] }, "args")).toEqual({
      pointer: "/cert",
      reason: "repeated-key",
      keyword: null,
    });
    expect(fails("obfs4", `obfs4 192.0.2.1:1 cert=${CERT} iat-mode=0 iat-mode=1`, "bridge").reason).toBe(
      "repeated-key",
    );
  });
});

function toArgs(o: Record<string, string>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, [v]]));
}
