// PT configuration from the environment and the 2.x flags (pt-spec 1.0 §3.2,
// PT 2.0 §3.3.1, 2.1 §1.1) and the CONFORMANCE.md decisions "Version",
// "Where errors go", "Flags" and "ExtORPort". Tables from goptlib pt_test.go
// (TestGetManagedTransportVer, TestGetClientTransports, TestGetServerBindaddrs).
import { describe, expect, it } from "vitest";
import {
  EXIT_ENV_ERROR,
  EXIT_PROXY_ERROR,
  EXIT_VERSION_ERROR,
  IpcError,
  IpcErrorCode,
  formatIpcMessage,
  formatPtUsage,
  ipcErrorOutput,
  negotiateVersion,
  parseClientConfig,
  parseServerConfig,
  ptRoleFromEnv,
  selectTransports,
  startupMessages,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { IpcMessage } from "../../src/shared/codec/pt-ipc/index.js";
import type { PtClientConfig, PtConfigResult, PtEnv, PtServerConfig } from "../../src/shared/codec/pt-ipc/index.js";

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

function run<C>(result: PtConfigResult<C>): C {
  if (result.action !== "run") throw new Error(`expected a config, got ${result.action}`);
  return result.config;
}
const client = (env: PtEnv, argv: string[] = []): PtClientConfig => run(parseClientConfig(env, argv));
const server = (env: PtEnv, argv: string[] = []): PtServerConfig => run(parseServerConfig(env, argv));

/** The IpcError a call throws (fails the test if it does not throw one). */
function ipcError(f: () => unknown): IpcError {
  try {
    f();
  } catch (e) {
    if (e instanceof IpcError) return e;
    throw e;
  }
  throw new Error("expected an IpcError");
}

describe('version negotiation (CONFORMANCE "Version")', () => {
  it.each([
    ["1", "1"],
    ["1,1", "1"],
    ["1,2", "2"],
    ["2,1", "2"],
    ["2", "2"],
    ["1,1a,2,this_is_a_valid_version", "2"],
    ["1a,1", "1"],
  ])("%j → VERSION %s (the highest we support)", (list, version) => {
    expect(negotiateVersion(list).version).toBe(version);
    expect(client({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: list }).version).toBe(version);
  });

  it("never answers a version that was not offered (tor sends 1 and rejects VERSION 2)", () => {
    const config = client({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: "1" });
    expect(startupMessages(config).map((m) => formatIpcMessage(m))).toEqual(["VERSION 1"]);
    expect(negotiateVersion("1,2", ["1"]).version).toBe("1");
  });

  it("keeps the offered list as given", () => {
    expect(negotiateVersion("1,1a,2,this_is_a_valid_version").versions).toEqual([
      "1",
      "1a",
      "2",
      "this_is_a_valid_version",
    ]);
  });

  it.each([[""], [undefined], ["3"], ["1a"], ["2b,this_is_a_valid_version"]])(
    "%j → VERSION-ERROR no-version, exit 78, on stdout",
    (list) => {
      const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: list }, []));
      expect(err.line).toBe("VERSION-ERROR no-version");
      expect(err.code).toBe(IpcErrorCode.NO_VERSION);
      expect(err.exitCode).toBe(EXIT_VERSION_ERROR);
      expect(err.stream).toBe("stdout");
      expect(err.version).toBeUndefined();
      expect(ipcErrorOutput(err)).toEqual({ stdout: ["VERSION-ERROR no-version"], stderr: [] });
    },
  );
});

describe("where errors go (CONFORMANCE)", () => {
  it("version 1: VERSION then the error line, both on stdout; exit 64", () => {
    const err = ipcError(() => parseClientConfig({ TOR_PT_MANAGED_TRANSPORT_VER: "1", TOR_PT_STATE_LOCATION: "/s" }));
    expect(err.line).toBe("ENV-ERROR no TOR_PT_CLIENT_TRANSPORTS environment variable (or -transports flag)");
    expect(err.exitCode).toBe(EXIT_ENV_ERROR);
    expect(ipcErrorOutput(err)).toEqual({ stdout: ["VERSION 1", err.line], stderr: [] });
  });

  it("version 2: VERSION on stdout, the error line on stderr; same exit code", () => {
    const err = ipcError(() => parseClientConfig({ TOR_PT_MANAGED_TRANSPORT_VER: "2" }));
    expect(err.exitCode).toBe(EXIT_ENV_ERROR);
    expect(err.stream).toBe("stderr");
    expect(ipcErrorOutput(err)).toEqual({ stdout: ["VERSION 2"], stderr: [err.line] });
  });

  it("a config error's line is itself a valid, safe ENV-ERROR line even for hostile input", () => {
    const err = ipcError(() => parseServerConfig({ ...SERVER_ENV, TOR_PT_ORPORT: "evil\nVERSION 2\r\0\u00e9:1" }));
    expect(err.line).toMatch(/^ENV-ERROR TOR_PT_ORPORT: /);
    expect(err.line).not.toMatch(/[\0\r\n\x80-\uffff]/);
    expect(formatIpcMessage({ kind: "ENV-ERROR", message: err.detail })).toBe(err.line);
    expect(err.toJSON()).toMatchObject({
      name: "IpcError",
      line: err.line,
      exitCode: 64,
      stream: "stdout",
      version: "1",
    });
  });
});

describe("client configuration", () => {
  it.each([
    ["alpha", ["alpha"]],
    ["alpha,beta", ["alpha", "beta"]],
    ["alpha,beta,gamma", ["alpha", "beta", "gamma"]],
    // "*" has no special meaning any more (tor #15612): an ordinary, unknown name.
    ["*", ["*"]],
    ["alpha,*,gamma", ["alpha", "*", "gamma"]],
    // No escaping is defined for the transports list.
    ["alpha\\,beta", ["alpha\\", "beta"]],
    // Ours: empty names and repeats are dropped.
    ["alpha,,alpha,beta", ["alpha", "beta"]],
  ])("TOR_PT_CLIENT_TRANSPORTS=%j → %j", (list, expected) => {
    expect(client({ ...CLIENT_ENV, TOR_PT_CLIENT_TRANSPORTS: list }).transports).toEqual(expected);
  });

  it("requires transports (ENV-ERROR, exit 64)", () => {
    for (const value of [undefined, "", ","]) {
      const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_CLIENT_TRANSPORTS: value }));
      expect(err.keyword).toBe("ENV-ERROR");
      expect(err.code).toBe(IpcErrorCode.MISSING);
      expect(err.exitCode).toBe(64);
    }
  });

  it("reads everything tor sets for a client", () => {
    const config = client({
      ...CLIENT_ENV,
      TOR_PT_CLIENT_TRANSPORTS: "obfs4,webtunnel",
      TOR_PT_EXIT_ON_STDIN_CLOSE: "1",
      TOR_PT_OUTBOUND_BIND_ADDRESS_V4: "203.0.113.4",
      TOR_PT_OUTBOUND_BIND_ADDRESS_V6: "[2001:db8::4]",
    });
    expect(config).toEqual({
      role: "client",
      versions: ["1"],
      version: "1",
      errorStream: "stdout",
      stateLocation: "/var/lib/tor/pt_state/",
      exitOnStdinClose: true,
      outboundBindAddressV4: "203.0.113.4",
      outboundBindAddressV6: "2001:db8::4",
      extraFlags: new Map(),
      transports: ["obfs4", "webtunnel"],
      proxy: undefined,
      target: undefined,
      options: new Map(),
    });
  });

  it("state location: required in version 1, optional (cwd) in version 2", () => {
    const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_STATE_LOCATION: undefined }));
    expect(err.line).toBe("ENV-ERROR no TOR_PT_STATE_LOCATION environment variable (or -state flag)");
    expect(
      client({ ...CLIENT_ENV, TOR_PT_MANAGED_TRANSPORT_VER: "2", TOR_PT_STATE_LOCATION: undefined }).stateLocation,
    ).toBe(undefined);
  });

  it.each([
    ["1", true],
    ["0", false],
    ["true", false],
    ["", false],
    [undefined, false],
  ])("TOR_PT_EXIT_ON_STDIN_CLOSE=%j → %s (only exactly 1 counts)", (value, expected) => {
    expect(client({ ...CLIENT_ENV, TOR_PT_EXIT_ON_STDIN_CLOSE: value }).exitOnStdinClose).toBe(expected);
  });

  it("rejects malformed outbound bind addresses", () => {
    for (const env of [{ TOR_PT_OUTBOUND_BIND_ADDRESS_V4: "::1" }, { TOR_PT_OUTBOUND_BIND_ADDRESS_V6: "[1.2.3.4]" }]) {
      expect(ipcError(() => parseClientConfig({ ...CLIENT_ENV, ...env })).code).toBe(IpcErrorCode.INVALID);
    }
  });

  it("accepts a valid upstream proxy and announces PROXY DONE before any CMETHOD", () => {
    const config = client({ ...CLIENT_ENV, TOR_PT_PROXY: "socks5://tor:test1234@198.51.100.1:8000" });
    expect(config.proxy).toEqual({
      scheme: "socks5",
      address: { host: "198.51.100.1", port: 8000, type: "ipv4" },
      username: "tor",
      password: "test1234",
    });
    expect(startupMessages(config).map((m) => formatIpcMessage(m))).toEqual(["VERSION 1", "PROXY DONE"]);
  });

  it.each([
    "socks4a://u:p@198.51.100.2:8001",
    "gopher://198.51.100.2:70",
    "socks5://proxy.example:1080",
    "socks5://198.51.100.1",
    "http://198.51.100.3",
  ])("TOR_PT_PROXY=%j → PROXY-ERROR, exit 69, after VERSION", (uri) => {
    const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_PROXY: uri }));
    expect(err.keyword).toBe("PROXY-ERROR");
    expect(err.code).toBe(IpcErrorCode.PROXY);
    expect(err.exitCode).toBe(EXIT_PROXY_ERROR);
    expect(err.line).toMatch(/^PROXY-ERROR \S/);
    expect(ipcErrorOutput(err).stdout[0]).toBe("VERSION 1");
  });

  it("never echoes proxy credentials into the PROXY-ERROR line (tor logs it)", () => {
    for (const uri of [
      "socks5://tor:s3cret@198.51.100.1:8000/x",
      "socks4a://tor:s3cret@198.51.100.1:8000",
      "tor:s3cret@1.2.3.4:5",
    ]) {
      const err = ipcError(() => parseClientConfig({ ...CLIENT_ENV, TOR_PT_PROXY: uri }));
      expect(err.keyword).toBe("PROXY-ERROR");
      expect(err.line).not.toContain("s3cret");
    }
  });

  it("checks the environment before the proxy (pt-spec 1.0 §3 steps 3–4)", () => {
    const err = ipcError(() =>
      parseClientConfig({ ...CLIENT_ENV, TOR_PT_CLIENT_TRANSPORTS: undefined, TOR_PT_PROXY: "bogus" }),
    );
    expect(err.keyword).toBe("ENV-ERROR");
  });

  it("2.1 Appendix A: version 2 with a SOCKS5 proxy", () => {
    const config = client({
      TOR_PT_MANAGED_TRANSPORT_VER: "2",
      TOR_PT_STATE_LOCATION: "/var/lib/tor/pt_state/",
      TOR_PT_EXIT_ON_STDIN_CLOSE: "1",
      TOR_PT_PROXY: "socks5://127.0.0.1:8001",
      TOR_PT_CLIENT_TRANSPORTS: "obfs3,obfs4",
    });
    expect(config.errorStream).toBe("stderr");
    expect(startupMessages(config).map((m) => formatIpcMessage(m))).toEqual(["VERSION 2", "PROXY DONE"]);
  });

  it("-target (2.1): an IP or a host name, also taken from TOR_PT_ORPORT", () => {
    expect(client(CLIENT_ENV, ["-target", "example.com:9922"]).target).toEqual({
      host: "example.com",
      port: 9922,
      type: "domain",
    });
    expect(client(CLIENT_ENV, ["-target=[2001:db8::1]:1122"]).target).toMatchObject({ type: "ipv6", port: 1122 });
    expect(client({ ...CLIENT_ENV, TOR_PT_ORPORT: "93.184.216.34:9001" }).target).toMatchObject({ type: "ipv4" });
    expect(ipcError(() => parseClientConfig(CLIENT_ENV, ["-target", "example.com"])).code).toBe(IpcErrorCode.INVALID);
  });
});

describe('flags override the environment (CONFORMANCE "Flags")', () => {
  it("every client flag wins over its variable", () => {
    const config = client({ ...CLIENT_ENV, TOR_PT_PROXY: "socks5://198.51.100.1:1", TOR_PT_EXIT_ON_STDIN_CLOSE: "1" }, [
      "-ptversion",
      "1,2",
      "--state=/tmp/state",
      "-transports",
      "meek_lite,snowflake",
      "-proxy",
      "http://198.51.100.3:443",
      "-exit-on-stdin-close=false",
    ]);
    expect(config.version).toBe("2");
    expect(config.stateLocation).toBe("/tmp/state");
    expect(config.transports).toEqual(["meek_lite", "snowflake"]);
    expect(config.proxy).toMatchObject({ scheme: "http", address: { port: 443 } });
    expect(config.exitOnStdinClose).toBe(false);
  });

  it("works with flags alone, no environment", () => {
    const config = client({}, ["-ptversion", "2", "-transports", "obfs4", "-exit-on-stdin-close"]);
    expect(config).toMatchObject({
      version: "2",
      transports: ["obfs4"],
      exitOnStdinClose: true,
      stateLocation: undefined,
    });
  });

  it("an empty flag value overrides a variable with nothing", () => {
    expect(client({ ...CLIENT_ENV, TOR_PT_PROXY: "bogus" }, ["-proxy="]).proxy).toBeUndefined();
  });

  it.each([["-help"], ["--help"], ["-h"], ["-transports", "x", "--help"]])("%j prints help and exits 0", (...argv) => {
    const result = parseClientConfig({}, argv);
    expect(result).toMatchObject({ action: "help", exitCode: 0 });
    if (result.action === "help") expect(result.text).toBe(formatPtUsage("client"));
  });

  it("-version asks for the program version and exit 0, even without any environment", () => {
    expect(parseServerConfig({}, ["-version"])).toEqual({ action: "version", exitCode: 0 });
  });

  it.each([
    [["-bogus"], "flag provided but not defined"],
    [["-transports"], "flag needs an argument"],
    [["-exit-on-stdin-close=maybe"], "invalid boolean"],
    [["---transports", "x"], "bad flag syntax"],
    [["-=x"], "bad flag syntax"],
    [["stray"], "unexpected argument"],
    [["-transports", "x", "--", "stray"], "unexpected argument"],
  ])("%j is a usage error: ENV-ERROR, exit 64, before negotiation", (argv, text) => {
    const err = ipcError(() => parseClientConfig(CLIENT_ENV, argv));
    expect(err.code).toBe(IpcErrorCode.USAGE);
    expect(err.keyword).toBe("ENV-ERROR");
    expect(err.exitCode).toBe(64);
    expect(err.version).toBeUndefined();
    expect(err.line).toContain(text);
  });

  it("accepts the embedding program's own flags", () => {
    const config = run(
      parseClientConfig(CLIENT_ENV, ["-log-level", "debug", "-verbose"], {
        extraFlags: { "log-level": "value", verbose: "boolean" },
      }),
    );
    expect(config.extraFlags).toEqual(
      new Map<string, string | boolean>([
        ["log-level", "debug"],
        ["verbose", true],
      ]),
    );
  });

  it("help text lists the role's flags and variables", () => {
    const text = formatPtUsage("server", "webpt");
    expect(text).toContain("usage: webpt server [flags]");
    expect(text).toContain("-bindaddr <value>");
    expect(text).toContain("(TOR_PT_SERVER_TRANSPORTS)");
    expect(text).not.toContain("-proxy");
    expect(formatPtUsage("client")).toContain("-target <value>");
  });
});

describe("server configuration (goptlib TestGetServerBindaddrs)", () => {
  const bad: [string, string | undefined, string | undefined][] = [
    ["alpha", "alpha", ""],
    ["alpha-1.2.3.4", "alpha", ""],
    ["alpha-1.2.3.4:1111", undefined, "alpha:key=value"], // missing TOR_PT_SERVER_TRANSPORTS
    ["alpha-1.2.3.4:1111", "alpha", "key=value"], // bad TOR_PT_SERVER_TRANSPORT_OPTIONS
    ["alpha\\,beta-1.2.3.4:1111", "alpha\\,beta", ""], // no escaping in BINDADDR
    ["alpha-0.0.0.0:1234,alpha-[::]:1234", "alpha", ""], // duplicates (tor #21261)
    ["alpha-0.0.0.0:1234,alpha-0.0.0.0:1234", "alpha", ""],
    ["alpha-localhost:1234", "alpha", ""],
  ];
  it.each(bad)("BINDADDR=%j TRANSPORTS=%j OPTIONS=%j → ENV-ERROR", (bindaddr, transports, options) => {
    const err = ipcError(() =>
      parseServerConfig({
        ...SERVER_ENV,
        TOR_PT_SERVER_BINDADDR: bindaddr,
        TOR_PT_SERVER_TRANSPORTS: transports,
        TOR_PT_SERVER_TRANSPORT_OPTIONS: options,
      }),
    );
    expect(err.keyword).toBe("ENV-ERROR");
    expect(err.exitCode).toBe(64);
  });

  it("gives every requested transport its bind address and options, in TRANSPORTS order", () => {
    const config = server({
      ...SERVER_ENV,
      TOR_PT_SERVER_BINDADDR: "alpha-1.2.3.4:1111,beta-[1:2::3:4]:2222",
      TOR_PT_SERVER_TRANSPORTS: "alpha,beta,gamma",
      // goptlib's table uses commas here; by the grammar, everything after "k1=" up to ';' is one value.
      TOR_PT_SERVER_TRANSPORT_OPTIONS: "alpha:k1=v1,beta:k2=v2,gamma:k3=v3",
    });
    expect(config.transports).toEqual([
      {
        name: "alpha",
        bindaddr: { host: "1.2.3.4", port: 1111, type: "ipv4" },
        options: new Map([["k1", ["v1,beta:k2=v2,gamma:k3=v3"]]]),
      },
      { name: "beta", bindaddr: { host: "1:2::3:4", port: 2222, type: "ipv6" }, options: new Map() },
      // Unlike goptlib, a transport without a bind address is kept: BINDADDR "MAY be omitted".
      { name: "gamma", bindaddr: undefined, options: new Map() },
    ]);
  });

  it("drops bind addresses of transports that were not requested; * is just a name", () => {
    expect(
      server({ ...SERVER_ENV, TOR_PT_SERVER_BINDADDR: "alpha-1.2.3.4:1111", TOR_PT_SERVER_TRANSPORTS: "xxx" })
        .transports,
    ).toEqual([{ name: "xxx", bindaddr: undefined, options: new Map() }]);
    expect(
      server({
        ...SERVER_ENV,
        TOR_PT_SERVER_BINDADDR: "alpha-1.2.3.4:1111,beta-[1:2::3:4]:2222",
        TOR_PT_SERVER_TRANSPORTS: "*",
      }).transports.map((t) => [t.name, t.bindaddr]),
    ).toEqual([["*", undefined]]);
  });

  it("reads per-transport options", () => {
    const config = server({
      ...SERVER_ENV,
      TOR_PT_SERVER_BINDADDR: "trebuchet-127.0.0.1:1984,ballista-127.0.0.1:4891",
      TOR_PT_SERVER_TRANSPORTS: "trebuchet,ballista",
      TOR_PT_SERVER_TRANSPORT_OPTIONS: "trebuchet:secret=nou;trebuchet:cache=/tmp/cache;ballista:secret=yes",
    });
    expect(config.transports.map((t) => [t.name, Object.fromEntries(t.options), t.bindaddr?.port])).toEqual([
      ["trebuchet", { secret: ["nou"], cache: ["/tmp/cache"] }, 1984],
      ["ballista", { secret: ["yes"] }, 4891],
    ]);
  });

  it("reads exactly what tor sets for a bridge with an ExtORPort", () => {
    const config = server({
      TOR_PT_STATE_LOCATION: "/var/lib/tor/pt_state/",
      TOR_PT_MANAGED_TRANSPORT_VER: "1",
      TOR_PT_SERVER_TRANSPORTS: "obfs4",
      TOR_PT_ORPORT: "127.0.0.1:9001",
      TOR_PT_SERVER_BINDADDR: "obfs4-0.0.0.0:443",
      TOR_PT_SERVER_TRANSPORT_OPTIONS: "obfs4:iat-mode=0",
      TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:4200",
      TOR_PT_AUTH_COOKIE_FILE: "/var/lib/tor/extended_orport_auth_cookie",
      TOR_PT_EXIT_ON_STDIN_CLOSE: "1",
    });
    expect(config).toMatchObject({
      role: "server",
      version: "1",
      orport: { host: "127.0.0.1", port: 9001, type: "ipv4" },
      extendedServerPort: { host: "127.0.0.1", port: 4200, type: "ipv4" },
      authCookieFile: "/var/lib/tor/extended_orport_auth_cookie",
      exitOnStdinClose: true,
      transports: [
        {
          name: "obfs4",
          bindaddr: { host: "0.0.0.0", port: 443, type: "ipv4" },
          options: new Map([["iat-mode", ["0"]]]),
        },
      ],
    });
    expect(startupMessages(config)).toEqual([{ kind: "VERSION", version: "1" }]);
  });

  it('ExtORPort set and non-empty requires the cookie file (CONFORMANCE "ExtORPort")', () => {
    const err = ipcError(() => parseServerConfig({ ...SERVER_ENV, TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:4200" }));
    expect(err.line).toBe(
      "ENV-ERROR need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT",
    );
    expect(err.exitCode).toBe(64);
  });

  it("an empty ExtORPort means not used (tor sets TOR_PT_EXTENDED_SERVER_PORT= without ExtORPort)", () => {
    const config = server({ ...SERVER_ENV, TOR_PT_EXTENDED_SERVER_PORT: "" });
    expect(config.extendedServerPort).toBeUndefined();
    expect(config.authCookieFile).toBeUndefined();
  });

  it("an ExtORPort alone is enough; neither ORPort nor ExtORPort is an error", () => {
    const config = server({
      ...SERVER_ENV,
      TOR_PT_ORPORT: undefined,
      TOR_PT_EXTENDED_SERVER_PORT: "[::1]:4200",
      TOR_PT_AUTH_COOKIE_FILE: "/c",
    });
    expect(config.orport).toBeUndefined();
    expect(config.extendedServerPort).toEqual({ host: "::1", port: 4200, type: "ipv6" });
    const err = ipcError(() => parseServerConfig({ ...SERVER_ENV, TOR_PT_ORPORT: undefined }));
    expect(err.line).toBe("ENV-ERROR need TOR_PT_ORPORT or TOR_PT_EXTENDED_SERVER_PORT environment variable");
  });

  it("ORPort is an IP literal in version 1 and may be a host name in version 2 (2.1 §1.1.3)", () => {
    expect(ipcError(() => parseServerConfig({ ...SERVER_ENV, TOR_PT_ORPORT: "localhost:9001" })).code).toBe(
      IpcErrorCode.INVALID,
    );
    expect(
      server({ ...SERVER_ENV, TOR_PT_MANAGED_TRANSPORT_VER: "2", TOR_PT_ORPORT: "localhost:9001" }).orport,
    ).toEqual({ host: "localhost", port: 9001, type: "domain" });
    expect(ipcError(() => parseServerConfig({ ...SERVER_ENV, TOR_PT_ORPORT: "127.0.0.1:0" })).code).toBe(
      IpcErrorCode.INVALID,
    );
    expect(server({ ...SERVER_ENV, TOR_PT_ORPORT: "::1:9001" }).orport).toEqual({
      host: "::1",
      port: 9001,
      type: "ipv6",
    });
  });

  it("every server flag wins over its variable", () => {
    const config = server({ ...SERVER_ENV, TOR_PT_SERVER_BINDADDR: "obfs4-1.1.1.1:1" }, [
      "-transports=obfs4,webtunnel",
      "-bindaddr",
      "obfs4-0.0.0.0:0,webtunnel-[::]:8080",
      "-options",
      "webtunnel:url=https\\://example.com/path",
      "-orport",
      "127.0.0.1:9002",
      "-extorport",
      "127.0.0.1:4201",
      "-authcookie",
      "/tmp/cookie",
    ]);
    expect(config.transports).toEqual([
      { name: "obfs4", bindaddr: { host: "0.0.0.0", port: 0, type: "ipv4" }, options: new Map() },
      {
        name: "webtunnel",
        bindaddr: { host: "::", port: 8080, type: "ipv6" },
        options: new Map([["url", ["https://example.com/path"]]]),
      },
    ]);
    expect(config.orport?.port).toBe(9002);
    expect(config.extendedServerPort?.port).toBe(4201);
    expect(config.authCookieFile).toBe("/tmp/cookie");
  });

  it("-extorport= turns off an ExtORPort set in the environment", () => {
    const config = server({ ...SERVER_ENV, TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:4200" }, ["-extorport="]);
    expect(config.extendedServerPort).toBeUndefined();
  });
});

describe("ptRoleFromEnv", () => {
  it("picks client when TOR_PT_CLIENT_TRANSPORTS is set, else server, else nothing", () => {
    expect(ptRoleFromEnv(CLIENT_ENV)).toBe("client");
    expect(ptRoleFromEnv(SERVER_ENV)).toBe("server");
    expect(ptRoleFromEnv({ TOR_PT_CLIENT_TRANSPORTS: "" })).toBeUndefined();
  });
});

describe("unknown transports are ignored silently (CONFORMANCE)", () => {
  it("keeps only implemented transports in the parent's order, and the session still ends with DONE", () => {
    const config = client({ ...CLIENT_ENV, TOR_PT_CLIENT_TRANSPORTS: "snowflake,*,webrtc,obfs4,bogus" });
    const chosen = selectTransports(config.transports, ["obfs4", "webrtc"]);
    expect(chosen).toEqual(["webrtc", "obfs4"]);
    // What the adapter prints: no CMETHOD-ERROR for snowflake, *, bogus.
    const session: IpcMessage[] = [
      ...startupMessages(config),
      ...chosen.map((t, i): IpcMessage => ({
        kind: "CMETHOD",
        transport: t,
        proxyType: "socks5",
        address: { host: "127.0.0.1", port: 40000 + i, type: "ipv4" },
      })),
      { kind: "CMETHODS DONE" },
    ];
    expect(session.map((m) => formatIpcMessage(m, { version: config.version }))).toEqual([
      "VERSION 1",
      "CMETHOD webrtc socks5 127.0.0.1:40000",
      "CMETHOD obfs4 socks5 127.0.0.1:40001",
      "CMETHODS DONE",
    ]);
  });

  it("works on server transports too", () => {
    const config = server({ ...SERVER_ENV, TOR_PT_SERVER_TRANSPORTS: "obfs3,obfs4" });
    expect(selectTransports(config.transports, ["obfs4"]).map((t) => t.name)).toEqual(["obfs4"]);
    expect(selectTransports(config.transports, [])).toEqual([]);
  });
});
