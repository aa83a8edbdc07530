import { describe, expect, it } from "vitest";
import { LimitError } from "../../src/shared/errors.js";
import {
  CERT_LENGTH,
  Obfs4IdentityError,
  base64DecodeUnpadded,
  base64Encode,
  decodeCert,
  encodeCert,
  parseClientArgs,
} from "../../src/shared/codec/obfs4/identity-cert.js";
import {
  MAX_STATE_FILE_LENGTH,
  formatObfs4BridgeLine,
  formatBridgeLineFile,
  formatServerStateJson,
  generateServerState,
  parseServerStateJson,
  resolveServerState,
  serverMethodArgs,
} from "../../src/shared/codec/obfs4/identity.js";
import { detRng, hex, nodeSha512, nodeX25519, transcripts, unhex, vectorText } from "./obfs4-handshake-fixtures.js";

// Written by obfs4proxy 0.0.14 in a fresh TOR_PT_STATE_LOCATION (see test/vectors/obfs4-proxy-*).
const STATE_TEXT = vectorText("obfs4-proxy-state.txt");
const BRIDGE_FILE = vectorText("obfs4-proxy-bridgeline.txt");
const CERT = "1shCkIZb3fz2lLJITu6NOO6KBY/QQY6BzrW8S02wpwZy2sOlXYslesrxTAuYoV3+AmKBJw";

function identityError(f: () => unknown): Obfs4IdentityError {
  try {
    f();
  } catch (e) {
    if (e instanceof Obfs4IdentityError) return e;
    throw new Error(`expected Obfs4IdentityError, got ${String(e)}`);
  }
  throw new Error("expected Obfs4IdentityError, nothing was thrown");
}

describe("obfs4_state.json written by obfs4proxy", () => {
  const state = parseServerStateJson(STATE_TEXT);

  it("parses into the fields obfs4proxy wrote", () => {
    expect(hex(state.nodeId)).toBe("d6c84290865bddfcf694b2484eee8d38ee8a058f");
    expect(hex(state.privateKey)).toBe("58f52cd3ee82c639fc82657b6ca6400f86c77fbd024c0499082df1f0ec540b58");
    expect(hex(state.drbgSeed)).toBe("3e3c9e4c7f1d99f51af3de58b41d409ff594bd7b65165ef9");
    expect(state.iatMode).toBe(0);
  });

  it("recomputes the public key from the private key, matching the file and OpenSSL", () => {
    expect(hex(state.publicKey)).toBe("d0418e81ceb5bc4b4db0a70672dac3a55d8b257acaf14c0b98a15dfe02628127");
    const base = unhex("0900000000000000000000000000000000000000000000000000000000000000");
    expect(hex(nodeX25519(state.privateKey, base)!)).toBe(hex(state.publicKey));
  });

  it("formats back to exactly the bytes obfs4proxy wrote (Go json.Marshal order, no whitespace)", () => {
    expect(formatServerStateJson(state)).toBe(STATE_TEXT);
  });

  it("derives the cert obfs4proxy put in its bridge line and SMETHOD ARGS", () => {
    expect(encodeCert(state.nodeId, state.publicKey)).toBe(CERT);
    expect(transcripts().obfs4proxySmethod).toContain(`ARGS:cert=${CERT},iat-mode=0`);
    expect(serverMethodArgs(state)).toEqual([
      ["cert", CERT],
      ["iat-mode", "0"],
    ]);
  });

  it("writes obfs4_bridgeline.txt byte for byte", () => {
    expect(formatBridgeLineFile(state)).toBe(BRIDGE_FILE);
    expect(formatObfs4BridgeLine(state, { address: "192.0.2.1:443", fingerprint: "ABCD" })).toBe(
      `Bridge obfs4 192.0.2.1:443 ABCD cert=${CERT} iat-mode=0`,
    );
  });
});

describe("parseServerStateJson: what Go's encoding/json would accept", () => {
  const ok = JSON.parse(STATE_TEXT) as Record<string, unknown>;
  const withField = (k: string, v: unknown): string => JSON.stringify({ ...ok, [k]: v });

  it("matches keys case-insensitively and ignores unknown keys and a wrong public-key", () => {
    const text = JSON.stringify({
      "NODE-ID": ok["node-id"],
      "Private-Key": ok["private-key"],
      "drbg-seed": ok["drbg-seed"],
      "public-key": "00",
      extra: [1, 2],
      "iat-mode": 2,
    });
    const s = parseServerStateJson(text);
    expect(hex(s.publicKey)).toBe("d0418e81ceb5bc4b4db0a70672dac3a55d8b257acaf14c0b98a15dfe02628127");
    expect(s.iatMode).toBe(2);
  });

  it("defaults a missing iat-mode to 0 and accepts uppercase hex", () => {
    const { ["iat-mode"]: _drop, ...rest } = ok;
    const upper = { ...rest, "node-id": String(ok["node-id"]).toUpperCase() };
    expect(parseServerStateJson(JSON.stringify(upper)).iatMode).toBe(0);
  });

  it.each([
    ["not JSON", "{", "ERR_OBFS4_STATE_INVALID_JSON", ""],
    ["an array", "[]", "ERR_OBFS4_STATE_INVALID_JSON", ""],
    ["a string", '"x"', "ERR_OBFS4_STATE_INVALID_JSON", ""],
    ["null (all fields missing)", "null", "ERR_OBFS4_STATE_BAD_FIELD", "/node-id"],
    ["an empty object", "{}", "ERR_OBFS4_STATE_BAD_FIELD", "/node-id"],
    ["a short node-id", withField("node-id", "d6c8"), "ERR_OBFS4_STATE_BAD_FIELD", "/node-id"],
    [
      "an odd-length node-id",
      withField("node-id", `${String(ok["node-id"])}0`),
      "ERR_OBFS4_STATE_BAD_FIELD",
      "/node-id",
    ],
    ["a numeric node-id", withField("node-id", 5), "ERR_OBFS4_STATE_BAD_FIELD", "/node-id"],
    ["a non-hex private-key", withField("private-key", "zz".repeat(32)), "ERR_OBFS4_STATE_BAD_FIELD", "/private-key"],
    ["a 23-byte drbg-seed", withField("drbg-seed", "00".repeat(23)), "ERR_OBFS4_STATE_BAD_FIELD", "/drbg-seed"],
    ["a non-string public-key", withField("public-key", true), "ERR_OBFS4_STATE_BAD_FIELD", "/public-key"],
    ["iat-mode 3", withField("iat-mode", 3), "ERR_OBFS4_STATE_BAD_FIELD", "/iat-mode"],
    ["iat-mode -1", withField("iat-mode", -1), "ERR_OBFS4_STATE_BAD_FIELD", "/iat-mode"],
    ["iat-mode 0.5", withField("iat-mode", 0.5), "ERR_OBFS4_STATE_BAD_FIELD", "/iat-mode"],
    ['iat-mode "0"', withField("iat-mode", "0"), "ERR_OBFS4_STATE_BAD_FIELD", "/iat-mode"],
  ])("rejects %s", (_label, text, code, pointer) => {
    const e = identityError(() => parseServerStateJson(text));
    expect(e.code).toBe(code);
    expect(e.pointer).toBe(pointer);
    expect(e.toJSON()).toMatchObject({ code, pointer });
  });

  it("refuses a state file over MAX_STATE_FILE_LENGTH with a LimitError", () => {
    const huge = JSON.stringify({ ...ok, pad: "x".repeat(MAX_STATE_FILE_LENGTH) });
    expect(() => parseServerStateJson(huge)).toThrow(LimitError);
    expect(() => parseServerStateJson(huge)).toThrow(expect.objectContaining({ code: "ERR_OBFS4_STATE_TOO_LARGE" }));
  });
});

describe("cert", () => {
  it("is base64 (standard alphabet) of NODEID | B without the == padding: 70 characters", () => {
    const nodeId = unhex("000102030405060708090a0b0c0d0e0f10111213");
    const pub = new Uint8Array(32).fill(0xfb);
    const cert = encodeCert(nodeId, pub);
    expect(cert.length).toBe(CERT_LENGTH);
    expect(cert).toBe(
      Buffer.from([...nodeId, ...pub])
        .toString("base64")
        .replace(/==$/, ""),
    );
    const back = decodeCert(cert);
    expect(hex(back.nodeId)).toBe(hex(nodeId));
    expect(hex(back.identityPublicKey)).toBe(hex(pub));
  });

  it("ignores the unused low bits of the last character, as Go's non-strict decoder does", () => {
    const last = CERT[CERT.length - 1]!; // 'w' carries 2 data bits and 4 unused ones
    const variant = CERT.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    expect(hex(decodeCert(variant).identityPublicKey)).toBe(hex(decodeCert(CERT).identityPublicKey));
  });

  it.each([
    ["69 characters", CERT.slice(0, -1)],
    ["71 characters", `${CERT}A`],
    ["with the padding", `${CERT}==`],
    ["a character outside the alphabet", `${CERT.slice(0, -2)}-w`],
    ["URL-safe alphabet", CERT.replace("/", "_")],
    ["embedded whitespace", `${CERT.slice(0, 35)} ${CERT.slice(36)}`],
    ["empty", ""],
  ])("rejects %s with ERR_OBFS4_BAD_CERT", (_label, cert) => {
    const e = identityError(() => decodeCert(cert));
    expect(e.code).toBe("ERR_OBFS4_BAD_CERT");
    expect(e.argument).toBe("cert");
  });

  it("base64 helpers round-trip every length", () => {
    const rng = detRng("b64");
    for (let n = 0; n < 40; n++) {
      const b = rng(n);
      const enc = base64Encode(b);
      expect(enc).toBe(Buffer.from(b).toString("base64"));
      expect(hex(base64DecodeUnpadded(enc.replace(/=+$/, ""))!)).toBe(hex(b));
    }
    expect(base64DecodeUnpadded("A")).toBeNull();
  });
});

describe("parseClientArgs (bridge line / SOCKS arguments)", () => {
  const nodeIdHex = "d6c84290865bddfcf694b2484eee8d38ee8a058f";
  const pubHex = "d0418e81ceb5bc4b4db0a70672dac3a55d8b257acaf14c0b98a15dfe02628127";

  it.each([
    ["cert", { cert: CERT, "iat-mode": "0" }, 0],
    ["node-id + public-key (old bridge lines)", { "node-id": nodeIdHex, "public-key": pubHex, "iat-mode": "1" }, 1],
    [
      "a Map",
      new Map([
        ["cert", CERT],
        ["iat-mode", "2"],
      ]),
      2,
    ],
    ["iat-mode with a sign (strconv.Atoi)", { cert: CERT, "iat-mode": "+1" }, 1],
    ["cert winning over bad hex fields", { cert: CERT, "node-id": "zz", "iat-mode": "0" }, 0],
  ] as const)("accepts %s", (_label, args, iat) => {
    const r = parseClientArgs(args);
    expect(hex(r.nodeId)).toBe(nodeIdHex);
    expect(hex(r.identityPublicKey)).toBe(pubHex);
    expect(r.iatMode).toBe(iat);
  });

  it.each([
    ["no iat-mode", { cert: CERT }, "ERR_OBFS4_MISSING_ARGUMENT", "iat-mode"],
    ["iat-mode 3", { cert: CERT, "iat-mode": "3" }, "ERR_OBFS4_BAD_ARGUMENT", "iat-mode"],
    ["iat-mode ' 1'", { cert: CERT, "iat-mode": " 1" }, "ERR_OBFS4_BAD_ARGUMENT", "iat-mode"],
    ["iat-mode 1.0", { cert: CERT, "iat-mode": "1.0" }, "ERR_OBFS4_BAD_ARGUMENT", "iat-mode"],
    ["no cert and no node-id", { "public-key": pubHex, "iat-mode": "0" }, "ERR_OBFS4_MISSING_ARGUMENT", "node-id"],
    ["no public-key", { "node-id": nodeIdHex, "iat-mode": "0" }, "ERR_OBFS4_MISSING_ARGUMENT", "public-key"],
    [
      "a short node-id",
      { "node-id": "00", "public-key": pubHex, "iat-mode": "0" },
      "ERR_OBFS4_BAD_ARGUMENT",
      "node-id",
    ],
    ["a bad cert", { cert: "AAAA", "iat-mode": "0" }, "ERR_OBFS4_BAD_CERT", "cert"],
  ])("rejects %s", (_label, args, code, argument) => {
    const e = identityError(() => parseClientArgs(args));
    expect(e.code).toBe(code);
    expect(e.argument).toBe(argument);
  });
});

describe("generateServerState / resolveServerState (obfs4proxy serverStateFromArgs)", () => {
  it("generates node ID, identity key and DRBG seed in obfs4proxy's order from the random source", () => {
    const s = generateServerState(detRng("fresh"));
    const rng = detRng("fresh");
    expect(hex(s.nodeId)).toBe(hex(rng(20)));
    expect(hex(s.privateKey)).toBe(hex(nodeSha512(rng(32)).subarray(0, 32))); // SHA-512, not clamped
    expect(hex(s.drbgSeed)).toBe(hex(rng(24)));
    expect(s.iatMode).toBe(0);
  });

  it("with no state file and no options, makes a new identity and the files to write", () => {
    const r = resolveServerState({ stateJson: null, rng: detRng("fresh") });
    expect(hex(r.state.nodeId)).toBe(hex(generateServerState(detRng("fresh")).nodeId));
    expect(parseServerStateJson(r.stateJson)).toEqual(r.state);
    expect(r.bridgeLineFile).toContain(`cert=${encodeCert(r.state.nodeId, r.state.publicKey)} iat-mode=0\n`);
  });

  it("loads the state file, and lets iat-mode alone override it", () => {
    const r = resolveServerState({ stateJson: STATE_TEXT, options: { "iat-mode": "1" } });
    expect(encodeCert(r.state.nodeId, r.state.publicKey)).toBe(CERT);
    expect(r.state.iatMode).toBe(1);
    expect(JSON.parse(r.stateJson)).toMatchObject({ "iat-mode": 1 });
  });

  it("takes node-id, private-key and drbg-seed from the options when all three are given", () => {
    const o = JSON.parse(STATE_TEXT) as Record<string, string>;
    const r = resolveServerState({
      stateJson: null,
      options: { "node-id": o["node-id"]!, "private-key": o["private-key"]!, "drbg-seed": o["drbg-seed"]! },
    });
    expect(r.stateJson).toBe(STATE_TEXT);
  });

  it.each([
    ["only node-id", { "node-id": "00" }, "ERR_OBFS4_MISSING_ARGUMENT", "private-key"],
    ["no drbg-seed", { "node-id": "00", "private-key": "00" }, "ERR_OBFS4_MISSING_ARGUMENT", "drbg-seed"],
    ["a malformed iat-mode", { "iat-mode": "x" }, "ERR_OBFS4_BAD_ARGUMENT", "iat-mode"],
    ["iat-mode 5", { "iat-mode": "5" }, "ERR_OBFS4_BAD_ARGUMENT", "iat-mode"],
    [
      "a short private-key",
      { "node-id": "00".repeat(20), "private-key": "00", "drbg-seed": "00".repeat(24) },
      "ERR_OBFS4_BAD_ARGUMENT",
      "private-key",
    ],
  ])("rejects %s", (_label, options, code, argument) => {
    const e = identityError(() => resolveServerState({ stateJson: STATE_TEXT, options }));
    expect(e.code).toBe(code);
    expect(e.argument).toBe(argument);
  });
});
