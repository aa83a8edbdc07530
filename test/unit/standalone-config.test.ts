import path from "node:path";
import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { describe, expect, it } from "vitest";
import { assertSupportedSchema } from "../../src/shared/settings/index.js";
import {
  buildStandaloneConfig,
  loadStandaloneCommand,
  parseConfigText,
  type StandaloneConfig,
} from "../../src/server/standalone/config.js";
import { STANDALONE_CONFIG_SCHEMA } from "../../src/server/standalone/config-schema.js";
import { MAX_ARGS, parseStandaloneFlags, StandaloneConfigError } from "../../src/server/standalone/config-flags.js";
import { DEFAULT_POLICY } from "../../src/server/standalone/policy.js";

const CWD = "/srv/run";

/** Builds from argv and an optional file (given as an object or as text) in /etc/webpt/. */
function build(argv: string[] = [], file?: object | string, env: Record<string, string> = {}): StandaloneConfig {
  const text = typeof file === "string" ? file : JSON.stringify(file, null, 2);
  const f = file === undefined ? undefined : { name: "/etc/webpt/standalone.json", text };
  return buildStandaloneConfig(parseStandaloneFlags(argv), f, env, CWD);
}

function failure(fn: () => unknown): StandaloneConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof StandaloneConfigError) return err;
    throw err;
  }
  throw new Error("expected a StandaloneConfigError");
}

describe("the schema", () => {
  it("uses only keywords the eval-free validator supports", () => {
    expect(() => assertSupportedSchema(STANDALONE_CONFIG_SCHEMA)).not.toThrow();
  });
});

describe("the built-in default", () => {
  it("is free mode, default policy, three transports on 127.0.0.1 at fixed ports, state in ./.webpt-state", () => {
    const c = build();
    expect(c.stateDir).toBe("/srv/run/.webpt-state");
    expect(c.mode).toBe("free");
    expect(c.target).toBeUndefined();
    expect(c.policy).toEqual(DEFAULT_POLICY);
    expect(c.transports.map((t) => [t.name, t.bind.host, t.bind.port, t.options.size])).toEqual([
      ["obfs4", "127.0.0.1", 7900, 0],
      ["websocket", "127.0.0.1", 7901, 0],
      ["webrtc", "127.0.0.1", 7902, 0],
    ]);
    expect(c.log).toEqual({ file: undefined, level: "info", unsafeLogging: false });
    expect(c.metrics).toBeUndefined();
    expect(c.stateOptions.size).toBe(0);
    expect(c.warnings).toEqual([]);
  });

  it("moves the state directory with WEBPT_STATE_DIR, below a file and a flag", () => {
    expect(build([], undefined, { WEBPT_STATE_DIR: "/var/lib/webpt" }).stateDir).toBe("/var/lib/webpt");
    expect(build([], undefined, { WEBPT_STATE_DIR: "" }).stateDir).toBe("/srv/run/.webpt-state");
    expect(build([], { state: "st" }, { WEBPT_STATE_DIR: "/var/lib/webpt" }).stateDir).toBe("/etc/webpt/st");
    expect(build(["--state", "st"], { state: "x" }, { WEBPT_STATE_DIR: "/v" }).stateDir).toBe("/srv/run/st");
  });
});

describe("parseStandaloneFlags", () => {
  it("takes -name, --name, =value and booleans, and collects repeatable flags", () => {
    const f = parseStandaloneFlags([
      "-target=a.example:22",
      "--allow",
      "1.2.3.4",
      "--allow=5.6.7.8",
      "--unsafe-logging",
    ]);
    expect(f.uses).toEqual([
      { name: "target", value: "a.example:22" },
      { name: "allow", value: "1.2.3.4" },
      { name: "allow", value: "5.6.7.8" },
      { name: "unsafe-logging", value: true },
    ]);
    expect(parseStandaloneFlags(["--unsafe-logging=false"]).uses).toEqual([]);
    expect(parseStandaloneFlags(["-h"]).help).toBe(true);
    expect(parseStandaloneFlags(["--print-config", "--config", "x.json"])).toMatchObject({
      printConfig: true,
      configFile: "x.json",
      help: false,
    });
    expect(parseStandaloneFlags(["--"]).uses).toEqual([]);
  });

  it.each([
    [["--bogus"], "unknown flag -bogus"],
    [["--mode"], "--mode needs a value (free|bound)"],
    [["--mode", "free", "--mode", "bound"], "--mode is given more than once"],
    [["stray"], 'unexpected argument "stray"'],
    [["--", "stray"], 'unexpected argument "stray"'],
    [["--help=yes"], "--help takes no value"],
    [["---x"], "unexpected argument"],
    [Array<string>(MAX_ARGS + 1).fill("-h"), `more than ${MAX_ARGS} arguments`],
  ])("%j is a usage error", (argv, message) => {
    const e = failure(() => parseStandaloneFlags(argv));
    expect(e.code).toBe("ERR_STANDALONE_USAGE");
    expect(e.exitCode).toBe(64);
    expect(e.message).toContain(message);
  });
});

describe("flags", () => {
  it("set every part of the config", () => {
    const c = build([
      "--state=/data",
      "--listen",
      "0.0.0.0",
      "--public-host",
      "bridge.example",
      "--transports",
      "websocket,obfs4",
      "--obfs4-port",
      "443",
      "--transport-option",
      "websocket:url=wss://bridge.example/x",
      "--transport-option",
      "websocket:trusted-proxies=127.0.0.1",
      "--allow",
      "127.0.0.1",
      "--deny",
      "1.1.1.1",
      "--ports",
      "80, 443,8000-8999",
      "--iat-mode",
      "1",
      "--metrics",
      "127.0.0.1:9100",
      "--log-file",
      "log.txt",
      "--log-level",
      "debug",
      "--unsafe-logging",
    ]);
    expect(c.stateDir).toBe("/data");
    expect(c.publicHost).toBe("bridge.example");
    expect(c.transports.map((t) => [t.name, t.bind.host, t.bind.port])).toEqual([
      ["websocket", "0.0.0.0", 7901],
      ["obfs4", "0.0.0.0", 443],
    ]);
    expect([...c.transports[0]!.options]).toEqual([
      ["url", "wss://bridge.example/x"],
      ["trusted-proxies", "127.0.0.1"],
    ]);
    expect(c.policy.allow.map((x) => x.text)).toEqual(["127.0.0.1/32"]);
    expect(c.policy.deny.map((x) => x.text)).toEqual(["1.1.1.1/32"]);
    expect(c.policy.ports).toEqual([
      { from: 80, to: 80 },
      { from: 443, to: 443 },
      { from: 8000, to: 8999 },
    ]);
    expect([...c.stateOptions]).toEqual([["iat-mode", "1"]]);
    expect(c.metrics).toBe("127.0.0.1:9100");
    expect(c.log).toEqual({ file: "/srv/run/log.txt", level: "debug", unsafeLogging: true });
  });

  it("--target means bound mode unless --mode says otherwise", () => {
    const c = build(["--target", "[2001:db8::1]:1194"]);
    expect(c.mode).toBe("bound");
    expect(c.target).toEqual({ host: "2001:db8::1", port: 1194, type: "ipv6" });
    expect(build(["--target", "vpn.example.:1194"]).target).toEqual({
      host: "vpn.example.",
      port: 1194,
      type: "domain",
    });
    const free = build(["--mode", "free", "--target", "127.0.0.1:22"]);
    expect(free.mode).toBe("free");
    expect(free.warnings).toEqual(["target is ignored in free mode (clients name their destinations)"]);
  });

  it.each([
    [["--obfs4-port", "70000"], "--obfs4-port: must be <= 65535"],
    [["--obfs4-port", "http"], "--obfs4-port: must be an integer"],
    [["--mode", "open"], '--mode: must be one of "free", "bound"'],
    [["--mode", "bound"], "--mode: bound mode needs a target (host:port)"],
    [["--target", "localhost"], "--target: "],
    [["--target", "a b:1"], "--target: "],
    [["--listen", "localhost"], '--listen: "localhost" is not an IP address'],
    [["--public-host", "not a host"], "--public-host: "],
    [["--allow", "10.0.0.1/8"], "--allow: "],
    [["--ports", "0"], "--ports: "],
    [["--iat-mode", "3"], "--iat-mode: must be <= 2"],
    [["--log-level", "loud"], "--log-level: must be one of"],
    [["--metrics", "localhost:9100"], "--metrics: "],
    [["--transports", "obfs4,tor"], '--transports: unknown transport "tor"'],
    [["--transports", ","], "--transports: names no transport"],
    [["--transports", "websocket", "--obfs4-port", "1"], "--obfs4-port: obfs4 is not among --transports"],
    [["--transport-option", "websocket=url"], "--transport-option: "],
    [["--transport-option", "ssh:k=v"], '--transport-option: unknown transport "ssh"'],
    [["--transport-option", "obfs4:tls-cert=x"], "--transport-option: is not an allowed key"],
    [["--obfs4-port", "7901"], "--obfs4-port: obfs4 and websocket cannot both listen on 127.0.0.1 port 7901"],
    [["--webrtc-port", "7900"], "--webrtc-port: webrtc and obfs4 cannot both listen on 127.0.0.1 port 7900"],
  ])("%j is a usage error naming the flag", (argv, message) => {
    const e = failure(() => build(argv));
    expect(e.exitCode, e.message).toBe(64);
    expect(e.message).toContain(message);
  });
});

describe("the config file", () => {
  it("overrides the defaults; its transports replace the default set", () => {
    const c = build([], {
      $schema: "urn:webpt:schema:standalone-config:v1",
      mode: "bound",
      target: "127.0.0.1:1194",
      listen: "::",
      transports: {
        obfs4: {},
        websocket: { port: 8443, listen: "127.0.0.1", "tls-cert": "c.pem", "tls-key": "k.pem" },
      },
      identity: { "iat-mode": 2 },
      log: { unsafeLogging: true },
    });
    expect(c.mode).toBe("bound");
    expect(c.transports.map((t) => [t.name, t.bind.host, t.bind.port])).toEqual([
      ["obfs4", "::", 7900],
      ["websocket", "127.0.0.1", 8443],
    ]);
    // Paths in a file are relative to the file.
    expect(c.transports[1]!.options.get("tls-cert")).toBe("/etc/webpt/c.pem");
    expect(c.transports[1]!.options.get("tls-key")).toBe("/etc/webpt/k.pem");
    expect(c.log).toEqual({ file: undefined, level: "info", unsafeLogging: true });
    expect([...c.stateOptions]).toEqual([["iat-mode", "2"]]);
    expect(c.json.transports).toEqual({
      obfs4: { port: 7900 },
      websocket: { port: 8443, listen: "127.0.0.1", "tls-cert": "c.pem", "tls-key": "k.pem" },
    });
  });

  it("passes webrtc's own options through as strings (lists joined with commas)", () => {
    const c = build([], {
      transports: { webrtc: { ice: ["stun:a.example", "stun:b.example"], "max-peers": 5, x: true } },
    });
    expect([...c.transports[0]!.options]).toEqual([
      ["ice", "stun:a.example,stun:b.example"],
      ["max-peers", "5"],
      ["x", "true"],
    ]);
  });

  it("is overridden by flags, and a flag's bad value is blamed on the flag", () => {
    const file = { transports: { obfs4: { port: 8000 } }, policy: { allow: ["10.0.0.0/8"], deny: ["1.1.1.1"] } };
    const c = build(["--obfs4-port", "9000", "--allow", "127.0.0.1"], file);
    expect(c.transports.map((t) => t.bind.port)).toEqual([9000]);
    expect(c.policy.allow.map((x) => x.text)).toEqual(["127.0.0.1/32"]);
    expect(c.policy.deny.map((x) => x.text)).toEqual(["1.1.1.1/32"]);
    // The file adds nothing to a transport set chosen by flag except that transport's settings.
    expect(build(["--transports", "obfs4,webrtc"], file).transports.map((t) => [t.name, t.bind.port])).toEqual([
      ["obfs4", 8000],
      ["webrtc", 7902],
    ]);
    const e = failure(() => build(["--allow", "bad"], { policy: { allow: ["1.2.3.4", "5.6.7.8"] } }));
    expect(e.exitCode).toBe(64);
    expect(e.message).toMatch(/^--allow: "bad" is not/);
    expect(build(["--state", "s"], { state: "x" }).stateDir).toBe("/srv/run/s");
  });

  it.each([
    [{ transports: { obfs4: { port: 70000 } } }, 4, "/transports/obfs4/port: must be <= 65535"],
    [{ lsiten: "0.0.0.0" }, 2, "/lsiten: is not an allowed key"],
    [{ mode: "bound" }, 2, "/mode: bound mode needs a target (host:port)"],
    [{ mode: "bound", target: "nope" }, 3, "/target: "],
    [{ policy: { allow: ["1.2.3.4", "10.1.0.0/8"] } }, 5, '/policy/allow/1: "10.1.0.0/8" has host bits set'],
    [{ policy: { ports: [80, "80-70"] } }, 5, "/policy/ports/1: "],
    [{ transports: {} }, 2, "/transports: names no transport to run"],
    [{ transports: { ssh: {} } }, 3, "/transports/ssh: is not an allowed key"],
    [{ transports: { websocket: { "tls-cert": "c.pem" } } }, 3, "/transports/websocket/tls-key: is required"],
    [
      { transports: { websocket: { port: 7 }, obfs4: { port: 7 } } },
      7,
      "/transports/obfs4/port: obfs4 and websocket cannot both listen on 127.0.0.1 port 7",
    ],
    [{ identity: { "node-id": "00".repeat(20) } }, 2, "/identity/private-key: is required when node-id is given"],
    [
      { identity: { "node-id": "00", "private-key": "00".repeat(32), "drbg-seed": "00".repeat(24) } },
      3,
      "/identity/node-id: does not have the required form",
    ],
    [{ listen: "::1", transports: { obfs4: { listen: "me" } } }, 5, '/transports/obfs4/listen: "me" is not an IP'],
    [{ metrics: "127.0.0.1" }, 2, "/metrics: "],
    [{ log: { level: "verbose" } }, 3, "/log/level: must be one of"],
  ])("%j: config error at its line and pointer", (file, line, message) => {
    const e = failure(() => build([], file));
    expect(e.exitCode, e.message).toBe(78);
    expect(e.code).toBe("ERR_STANDALONE_CONFIG");
    expect(e.message).toContain(`/etc/webpt/standalone.json:${line}: ${message}`);
    expect(e.pointer).toBe(message.slice(0, message.indexOf(":")));
  });

  it("reports JSON syntax errors with line and column, duplicates, and a root that is not an object", () => {
    const syntax = failure(() => build([], '{\n  "mode": "free",\n}\n'));
    expect(syntax.exitCode).toBe(78);
    expect(syntax.message).toMatch(/^\/etc\/webpt\/standalone\.json:3:1: not valid JSON: /);
    expect(failure(() => build([], '{"mode": "free"')).message).toMatch(/standalone\.json:1:16: not valid JSON/);
    expect(failure(() => build([], "")).message).toMatch(/standalone\.json:1:1: not valid JSON/);
    const dup = failure(() => build([], '{\n  "log": {"level": "info",\n  "level": "debug"}\n}'));
    expect(dup.message).toBe("/etc/webpt/standalone.json:3: /log/level: is given more than once");
    expect(failure(() => build([], "[1]")).message).toBe(
      "/etc/webpt/standalone.json:1: the config must be a JSON object",
    );
  });

  it("accepts a byte-order mark", () => {
    expect(parseConfigText({ name: "f", text: '\ufeff{"mode": "free"}' }).value).toEqual({ mode: "free" });
  });
});

describe("loadStandaloneCommand", () => {
  it("reads the file --config names, relative to cwd, and prints or runs", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-cfg-"));
    await writeFile(path.join(dir, "c.json"), JSON.stringify({ state: "st", transports: { obfs4: { port: 1 } } }));
    const run = await loadStandaloneCommand(["--config", "c.json"], {}, dir);
    expect(run.action).toBe("run");
    expect(run.action === "run" && run.config.stateDir).toBe(path.join(dir, "st"));
    const printed = await loadStandaloneCommand(["--config", "c.json", "--print-config"], {}, dir);
    expect(printed.action === "print-config" && JSON.parse(printed.text)).toMatchObject({
      state: "st",
      mode: "free",
      transports: { obfs4: { port: 1 } },
    });
    expect((await loadStandaloneCommand(["--help"], {}, dir)).action).toBe("help");
    await expect(loadStandaloneCommand(["--config", "missing.json"], {}, dir)).rejects.toMatchObject({
      exitCode: 78,
      message: expect.stringMatching(/^missing\.json: cannot read the config file: .*ENOENT/),
    });
  });
});
