// CONFORMANCE.md items about PT IPC that the module's own tests leave partly
// open, and the rows of goptlib's pt_test.go tables (TestErrors,
// TestKeywordIsSafe, TestGetManagedTransportVer, TestGetServerBindaddrs) that
// had no test. Mapping: /work/notes/conformance-map.md.
import { describe, expect, it } from "vitest";
import {
  EXIT_ENV_ERROR,
  EXIT_OK,
  EXIT_PROXY_ERROR,
  EXIT_VERSION_ERROR,
  IpcError,
  IpcErrorCode,
  IpcFormatError,
  IpcLineDecoder,
  PT_FLAGS,
  decodeSmethodArgs,
  encodeIpcMessage,
  formatIpcMessage,
  ipcErrorOutput,
  negotiateVersion,
  parseClientConfig,
  parseIpcLine,
  parseServerConfig,
  startupMessages,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { IpcMessage, PtEnv, PtServerConfig } from "../../src/shared/codec/pt-ipc/index.js";
import { concatBytes } from "../../src/shared/bytes/index.js";
import { decodeEverySplit } from "../helpers/chunking.js";

const CLIENT_ENV: PtEnv = {
  TOR_PT_MANAGED_TRANSPORT_VER: "1",
  TOR_PT_STATE_LOCATION: "/var/lib/tor/pt_state/",
  TOR_PT_CLIENT_TRANSPORTS: "obfs4",
};
const SERVER_ENV: PtEnv = {
  TOR_PT_MANAGED_TRANSPORT_VER: "1",
  TOR_PT_STATE_LOCATION: "/var/lib/tor/pt_state/",
  TOR_PT_SERVER_TRANSPORTS: "obfs4",
  TOR_PT_ORPORT: "127.0.0.1:9001",
};

/** The IpcError `f` throws; anything else (or nothing) fails the test. */
function ipcError(f: () => unknown): IpcError {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(thrown).toBeInstanceOf(IpcError);
  return thrown as IpcError;
}

function serverConfig(env: PtEnv): PtServerConfig {
  const r = parseServerConfig(env);
  if (r.action !== "run") throw new Error(`expected a config, got ${r.action}`);
  return r.config;
}

describe("goptlib TestErrors: an IPC error is its line", () => {
  it.each([
    ["ENV-ERROR", IpcErrorCode.INVALID, 64],
    ["VERSION-ERROR", IpcErrorCode.NO_VERSION, 78],
    ["PROXY-ERROR", IpcErrorCode.PROXY, 69],
  ] as const)("%s XYZ, exit %d", (keyword, code, exit) => {
    const err = new IpcError(code, keyword, "XYZ", undefined);
    expect(err.line).toBe(`${keyword} XYZ`);
    expect(err.message).toBe(`${keyword} XYZ`);
    expect(err.exitCode).toBe(exit);
    // The line is one the formatter would write and the parser reads back as the same kind.
    expect(formatIpcMessage({ kind: keyword, message: "XYZ" })).toBe(err.line);
    expect(parseIpcLine(err.line)).toEqual({ kind: keyword, message: "XYZ" });
  });

  it.each(["CMETHOD-ERROR", "SMETHOD-ERROR"] as const)("%s method XYZ", (kind) => {
    const msg: IpcMessage = { kind, transport: "method", message: "XYZ" };
    expect(formatIpcMessage(msg)).toBe(`${kind} method XYZ`);
    expect(parseIpcLine(`${kind} method XYZ`)).toEqual(msg);
  });
});

describe("goptlib TestKeywordIsSafe", () => {
  // goptlib checks bytes only; we also refuse an empty keyword (it would not be a line) and the typed
  // keywords as UNKNOWN (they have their own message kinds), so "" and "CMETHOD" are checked differently below.
  it("accepts every letter, digit, '-' and '_'", () => {
    const keyword = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ-_";
    expect(formatIpcMessage({ kind: "UNKNOWN", keyword, rest: "" })).toBe(keyword);
  });

  it("writes CMETHOD through its own message kind and refuses an empty keyword", () => {
    const line = formatIpcMessage({
      kind: "CMETHOD",
      transport: "t",
      proxyType: "socks5",
      address: { host: "127.0.0.1", port: 1, type: "ipv4" },
    });
    expect(line.split(" ")[0]).toBe("CMETHOD");
    expect(() => formatIpcMessage({ kind: "UNKNOWN", keyword: "", rest: "x" })).toThrow(IpcFormatError);
  });

  // Go's "\x80" is a raw byte; a JS string holds U+0080, which is the byte pair c2 80 in UTF-8: still >= 0x80.
  it.each(["CMETHOD:", "a b c", "CMETHOD\x7f", "CMETHOD\x80", "CMETHOD\x81", "CMETHOD\xff", "\xffCMETHOD", "CMÉTHOD"])(
    "refuses %j",
    (keyword) => {
      expect(() => formatIpcMessage({ kind: "UNKNOWN", keyword, rest: "" })).toThrow(IpcFormatError);
    },
  );
});

describe("goptlib TestGetManagedTransportVer", () => {
  // goptlib speaks only version 1; offered only "1", we must behave exactly like it.
  it.each([
    ["1", "1"],
    ["1,1", "1"],
    ["1,2", "1"],
    ["2,1", "1"],
  ])("speaking only 1: %j → %s", (list, want) => {
    expect(negotiateVersion(list, ["1"]).version).toBe(want);
  });

  it.each([[""], ["2"], [undefined]])("speaking only 1: %j → VERSION-ERROR no-version", (list) => {
    const err = ipcError(() => negotiateVersion(list, ["1"]));
    expect(err.line).toBe("VERSION-ERROR no-version");
    expect(err.exitCode).toBe(78);
  });

  // CONFORMANCE "Version": we also speak 2 and pick the highest offered.
  it.each([
    ["2", "2"],
    ["1,2", "2"],
    ["2,1", "2"],
    ["1", "1"],
  ])("speaking 1 and 2: %j → %s", (list, want) => {
    expect(negotiateVersion(list).version).toBe(want);
  });
});

describe("goptlib TestGetServerBindaddrs: the rows the module tests do not have", () => {
  it("an empty environment is an error (goptlib: 'empty environment unexpectedly succeeded')", () => {
    const err = ipcError(() => parseServerConfig({}));
    expect(err.line).toBe("VERSION-ERROR no-version");
  });

  it("TOR_PT_SERVER_TRANSPORTS set to the empty string is missing", () => {
    const err = ipcError(() =>
      parseServerConfig({
        ...SERVER_ENV,
        TOR_PT_SERVER_BINDADDR: "alpha-1.2.3.4:1111",
        TOR_PT_SERVER_TRANSPORTS: "",
        TOR_PT_SERVER_TRANSPORT_OPTIONS: "alpha:key=value",
      }),
    );
    expect(err.keyword).toBe("ENV-ERROR");
    expect(err.code).toBe(IpcErrorCode.MISSING);
    expect(err.exitCode).toBe(64);
  });

  it("alpha-1.2.3.4:1111 with alpha,beta,gamma: alpha gets the address, beta and gamma none (BINDADDR MAY be omitted)", () => {
    const config = serverConfig({
      ...SERVER_ENV,
      TOR_PT_SERVER_BINDADDR: "alpha-1.2.3.4:1111",
      TOR_PT_SERVER_TRANSPORTS: "alpha,beta,gamma",
      TOR_PT_SERVER_TRANSPORT_OPTIONS: "",
    });
    expect(config.transports).toEqual([
      { name: "alpha", bindaddr: { host: "1.2.3.4", port: 1111, type: "ipv4" }, options: new Map() },
      { name: "beta", bindaddr: undefined, options: new Map() },
      { name: "gamma", bindaddr: undefined, options: new Map() },
    ]);
  });
});

describe('CONFORMANCE "Where errors go": exit codes are the same numbers in both versions', () => {
  it("names the spec's exit codes", () => {
    expect([EXIT_VERSION_ERROR, EXIT_ENV_ERROR, EXIT_PROXY_ERROR, EXIT_OK]).toEqual([78, 64, 69, 0]);
  });

  it.each([
    ["1", "stdout"],
    ["2", "stderr"],
  ] as const)("version %s: ENV-ERROR exits 64 and goes to %s, after VERSION on stdout", (version, stream) => {
    const err = ipcError(() =>
      parseServerConfig({ ...SERVER_ENV, TOR_PT_MANAGED_TRANSPORT_VER: version, TOR_PT_ORPORT: "x" }),
    );
    expect(err.exitCode).toBe(64);
    expect(err.stream).toBe(stream);
    const out = ipcErrorOutput(err);
    expect(out.stdout[0]).toBe(`VERSION ${version}`);
    expect(out[stream]).toContain(err.line);
    expect(out.stdout.length + out.stderr.length).toBe(2);
  });

  it.each([
    ["1", "stdout"],
    ["2", "stderr"],
  ] as const)("version %s: PROXY-ERROR exits 69 and goes to %s, after VERSION on stdout", (version, stream) => {
    const err = ipcError(() =>
      parseClientConfig({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: version, TOR_PT_PROXY: "gopher://1.2.3.4:70" }),
    );
    expect(err.keyword).toBe("PROXY-ERROR");
    expect(err.exitCode).toBe(69);
    expect(err.stream).toBe(stream);
    expect(ipcErrorOutput(err)).toEqual(
      stream === "stdout"
        ? { stdout: ["VERSION 1", err.line], stderr: [] }
        : { stdout: ["VERSION 2"], stderr: [err.line] },
    );
  });

  it("VERSION-ERROR exits 78 on stdout: with no version agreed, stdout is all a parent reads", () => {
    for (const list of ["3", "", "1a,2b"]) {
      const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: list }));
      expect(err.exitCode).toBe(78);
      expect(ipcErrorOutput(err)).toEqual({ stdout: ["VERSION-ERROR no-version"], stderr: [] });
    }
  });

  it("help and version requests exit 0 in both versions", () => {
    for (const v of ["1", "2"]) {
      expect(parseClientConfig({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: v }, ["--help"])).toMatchObject({
        action: "help",
        exitCode: 0,
      });
      expect(parseServerConfig({ ...SERVER_ENV, TOR_PT_MANAGED_TRANSPORT_VER: v }, ["-version"])).toEqual({
        action: "version",
        exitCode: 0,
      });
    }
  });
});

describe('CONFORMANCE "Flags": every TOR_PT_* variable has its 2.x flag', () => {
  const pairs: [string, string | undefined][] = [
    ["ptversion", "TOR_PT_MANAGED_TRANSPORT_VER"],
    ["state", "TOR_PT_STATE_LOCATION"],
    ["exit-on-stdin-close", "TOR_PT_EXIT_ON_STDIN_CLOSE"],
    ["transports", undefined], // TOR_PT_CLIENT_TRANSPORTS or TOR_PT_SERVER_TRANSPORTS, by role
    ["proxy", "TOR_PT_PROXY"],
    ["options", "TOR_PT_SERVER_TRANSPORT_OPTIONS"],
    ["bindaddr", "TOR_PT_SERVER_BINDADDR"],
    ["orport", "TOR_PT_ORPORT"],
    ["target", undefined],
    ["extorport", "TOR_PT_EXTENDED_SERVER_PORT"],
    ["authcookie", "TOR_PT_AUTH_COOKIE_FILE"],
  ];
  it.each(pairs)("-%s ↔ %s", (flag, env) => {
    expect(PT_FLAGS.find((f) => f.flag === flag)).toMatchObject({ flag, env });
  });

  it("-transports stands for the role's transports variable", () => {
    const c = parseClientConfig({ ...CLIENT_ENV, TOR_PT_CLIENT_TRANSPORTS: "a" }, ["-transports", "b"]);
    expect(c.action === "run" && c.config.transports).toEqual(["b"]);
    const s = parseServerConfig({ ...SERVER_ENV, TOR_PT_SERVER_TRANSPORTS: "a" }, ["-transports", "b"]);
    expect(s.action === "run" && s.config.transports.map((t) => t.name)).toEqual(["b"]);
  });
});

describe('CONFORMANCE "LOG / STATUS": emitted in both versions, unchanged', () => {
  const log: IpcMessage = { kind: "LOG", severity: "notice", message: "bridge up" };
  const status: IpcMessage = { kind: "STATUS", transport: "obfs4", fields: [["CONNECT", "Success"]] };
  it.each([
    [log, 'LOG SEVERITY=notice MESSAGE="bridge up"'],
    [status, "STATUS TRANSPORT=obfs4 CONNECT=Success"],
  ])("%j", (msg, line) => {
    expect(formatIpcMessage(msg, { version: "1" })).toBe(line);
    expect(formatIpcMessage(msg, { version: "2" })).toBe(line);
  });

  it.each(["error", "warning", "notice", "info", "debug"] as const)("SEVERITY=%s", (severity) => {
    const line = formatIpcMessage({ kind: "LOG", severity, message: "m" }, { version: "1" });
    expect(line).toBe(`LOG SEVERITY=${severity} MESSAGE="m"`);
    expect(parseIpcLine(line, { strict: true })).toEqual({ kind: "LOG", severity, message: "m" });
  });

  it("a parent ignores a LOG/STATUS line it does not understand instead of failing", () => {
    expect(parseIpcLine("STATUS TRANSPORT=obfs4").kind).toBe("UNKNOWN");
    expect(parseIpcLine("LOG SEVERITY=loud MESSAGE=x").kind).toBe("UNKNOWN");
  });
});

describe("CONFORMANCE case: SMETHOD ARGS escaping", () => {
  it('{"secret":["nou"],"cache":["/tmp/cache"]} → ARGS:cache=/tmp/cache,secret=nou', () => {
    const msg: IpcMessage = {
      kind: "SMETHOD",
      transport: "trebuchet",
      address: { host: "127.0.0.1", port: 1984, type: "ipv4" },
      args: new Map([
        ["secret", ["nou"]],
        ["cache", ["/tmp/cache"]],
      ]),
    };
    const line = formatIpcMessage(msg);
    expect(line).toBe("SMETHOD trebuchet 127.0.0.1:1984 ARGS:cache=/tmp/cache,secret=nou");
    expect(parseIpcLine(line)).toEqual({
      ...msg,
      args: new Map([
        ["cache", ["/tmp/cache"]],
        ["secret", ["nou"]],
      ]),
    });
  });

  it("escapes = , and \\ in keys and values with a backslash", () => {
    const line = formatIpcMessage({
      kind: "SMETHOD",
      transport: "t",
      address: { host: "1.2.3.4", port: 5, type: "ipv4" },
      args: new Map([["k=,\\", ["v=,\\"]]]),
    });
    expect(line).toBe("SMETHOD t 1.2.3.4:5 ARGS:k\\=\\,\\\\=v\\=\\,\\\\");
    expect(decodeSmethodArgs(line.slice(line.indexOf("ARGS:") + 5))).toEqual(new Map([["k=,\\", ["v=,\\"]]]));
  });
});

describe("formatIpcMessage throws IpcFormatError, and only that, for what the grammar cannot carry", () => {
  // format.ts promises IpcFormatError for every unsafe message (so an adapter can catch exactly that); an empty
  // ARGS key today escapes as the TypeError of encodeSmethodArgs (escaping.ts), called from formatSmethod.
  it("an SMETHOD whose ARGS has an empty key", () => {
    const msg: IpcMessage = {
      kind: "SMETHOD",
      transport: "t",
      address: { host: "127.0.0.1", port: 1, type: "ipv4" },
      args: new Map([["", ["v"]]]),
    };
    expect(() => formatIpcMessage(msg)).toThrow(IpcFormatError);
  });
});

describe("CONFORMANCE case: the upstream proxy", () => {
  it("PROXY DONE comes right after VERSION, before any CMETHOD, in both versions", () => {
    for (const v of ["1", "2"]) {
      const r = parseClientConfig({
        ...CLIENT_ENV,
        TOR_PT_MANAGED_TRANSPORT_VER: v,
        TOR_PT_PROXY: "socks5://tor:test1234@198.51.100.1:8000",
      });
      if (r.action !== "run") throw new Error(r.action);
      expect(startupMessages(r.config).map((m) => formatIpcMessage(m))).toEqual([`VERSION ${v}`, "PROXY DONE"]);
    }
  });

  it.each([
    "socks4a://u:p@198.51.100.2:8001",
    "socks4a://:p@198.51.100.2:8001",
    "bogus://198.51.100.1:8000",
    "socks5://proxy.example.com:8000",
    "socks5://198.51.100.1",
    "socks5://[2001:db8::1]",
  ])("%j → PROXY-ERROR exit 69, in version 2 too", (uri) => {
    for (const v of ["1", "2"]) {
      const err = ipcError(() =>
        parseClientConfig({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: v, TOR_PT_PROXY: uri }),
      );
      expect([err.keyword, err.exitCode, err.version]).toEqual(["PROXY-ERROR", 69, v]);
    }
  });
});

describe("IpcLineDecoder: every message kind at every split point and in 1-byte chunks", () => {
  // One of each kind, the error lines included (the module's split tests cover the others in sessions).
  const v4 = { host: "127.0.0.1", port: 40000, type: "ipv4" } as const;
  const all: IpcMessage[] = [
    { kind: "VERSION", version: "2" },
    { kind: "VERSION-ERROR", message: "no-version" },
    { kind: "ENV-ERROR", message: "no TOR_PT_ORPORT" },
    { kind: "PROXY-ERROR", message: "bad scheme" },
    { kind: "PROXY DONE" },
    { kind: "CMETHOD", transport: "webrtc", proxyType: "transparent-UDP", address: v4 },
    { kind: "CMETHOD-ERROR", transport: "t", message: "m" },
    { kind: "CMETHODS DONE" },
    { kind: "SMETHOD", transport: "obfs4", address: v4, args: new Map([["cert", ["a=b,c"]]]), options: ["X:y"] },
    { kind: "SMETHOD-ERROR", transport: "t", message: "m" },
    { kind: "SMETHODS DONE" },
    { kind: "LOG", severity: "warning", message: 'a\nb "q" é' },
    { kind: "STATUS", fields: [["TYPE", "version"]] },
    { kind: "UNKNOWN", keyword: "X-NEW", rest: "whatever" },
  ];
  it("decodes the concatenation of all of them, whatever the chunking", () => {
    const bytes = concatBytes(...all.map((m) => encodeIpcMessage(m)));
    expect(decodeEverySplit(() => new IpcLineDecoder({ strict: true }), bytes)).toEqual(all);
  });
});
