/**
 * Every way tor (or an operator) can misconfigure `webpt server`, run as a
 * real process: the exact stdout line, the stream it goes to, and the exit
 * code (PT 2.0 §3.3: VERSION-ERROR → 78, ENV-ERROR → 64; CONFORMANCE). The
 * codec-level cases are in test/unit/pt-ipc-*; this proves the process wires
 * them through and never hangs or starts listening on a bad configuration.
 */
import { spawnSync } from "node:child_process";
import path from "node:path";
import { describe, expect, it } from "vitest";

const root = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(root, "bin/webpt.js");

function run(env: Record<string, string>, flags: string[] = []) {
  const r = spawnSync(process.execPath, [BIN, "server", ...flags], {
    env: { PATH: process.env.PATH ?? "", TOR_PT_STATE_LOCATION: "/tmp/webpt-config-errors", ...env },
    input: "",
    timeout: 15_000,
    encoding: "utf8",
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const V1 = { TOR_PT_MANAGED_TRANSPORT_VER: "1" };
const OK = { ...V1, TOR_PT_SERVER_TRANSPORTS: "obfs4", TOR_PT_ORPORT: "127.0.0.1:9" };

const cases: { name: string; env?: Record<string, string>; flags?: string[]; stdout: string; code: number }[] = [
  {
    name: "no version we speak",
    env: { ...OK, TOR_PT_MANAGED_TRANSPORT_VER: "3" },
    stdout: "VERSION-ERROR no-version\n",
    code: 78,
  },
  {
    name: "no version at all",
    env: { TOR_PT_SERVER_TRANSPORTS: "obfs4", TOR_PT_ORPORT: "127.0.0.1:9" },
    stdout: "VERSION-ERROR no-version\n",
    code: 78,
  },
  {
    name: "no transports",
    env: { ...V1, TOR_PT_ORPORT: "127.0.0.1:9" },
    stdout: "VERSION 1\nENV-ERROR no TOR_PT_SERVER_TRANSPORTS environment variable (or -transports flag)\n",
    code: 64,
  },
  {
    name: "neither ORPort nor ExtORPort",
    env: { ...V1, TOR_PT_SERVER_TRANSPORTS: "obfs4" },
    stdout: "VERSION 1\nENV-ERROR need TOR_PT_ORPORT or TOR_PT_EXTENDED_SERVER_PORT environment variable\n",
    code: 64,
  },
  {
    name: "ExtORPort without cookie",
    env: { ...V1, TOR_PT_SERVER_TRANSPORTS: "obfs4", TOR_PT_EXTENDED_SERVER_PORT: "127.0.0.1:9" },
    stdout: "VERSION 1\nENV-ERROR need TOR_PT_AUTH_COOKIE_FILE environment variable with TOR_PT_EXTENDED_SERVER_PORT\n",
    code: 64,
  },
  {
    name: "an ORPort without a port",
    env: { ...OK, TOR_PT_ORPORT: "nothing" },
    stdout: 'VERSION 1\nENV-ERROR TOR_PT_ORPORT: "nothing": missing port\n',
    code: 64,
  },
  {
    name: "transport options without a colon",
    env: { ...OK, TOR_PT_SERVER_TRANSPORT_OPTIONS: "obfs4" },
    stdout: 'VERSION 1\nENV-ERROR TOR_PT_SERVER_TRANSPORT_OPTIONS: no colon in "obfs4"\n',
    code: 64,
  },
  {
    name: "a transport bound twice",
    env: { ...OK, TOR_PT_SERVER_BINDADDR: "obfs4-127.0.0.1:1,obfs4-127.0.0.1:2" },
    stdout: 'VERSION 1\nENV-ERROR TOR_PT_SERVER_BINDADDR: duplicate transport "obfs4"\n',
    code: 64,
  },
  {
    name: "a bind address without a dash",
    env: { ...OK, TOR_PT_SERVER_BINDADDR: "127.0.0.1:1" },
    stdout: 'VERSION 1\nENV-ERROR TOR_PT_SERVER_BINDADDR: "127.0.0.1:1" has no "-"\n',
    code: 64,
  },
  {
    name: "a bad outbound IPv4 bind address",
    env: { ...OK, TOR_PT_OUTBOUND_BIND_ADDRESS_V4: "x" },
    stdout: 'VERSION 1\nENV-ERROR TOR_PT_OUTBOUND_BIND_ADDRESS_V4 "x" is not an IPv4 address\n',
    code: 64,
  },
  {
    name: "an unknown 2.x flag",
    flags: ["-ptversion", "2", "-transports", "obfs4", "-orport", "127.0.0.1:9", "-bogus"],
    stdout: 'ENV-ERROR flag provided but not defined: -"bogus"\n',
    code: 64,
  },
  {
    name: "an unsupported -ptversion",
    flags: ["-ptversion", "3", "-transports", "obfs4", "-orport", "127.0.0.1:9"],
    stdout: "VERSION-ERROR no-version\n",
    code: 78,
  },
];

describe("webpt server refuses bad configuration with the right line and exit code", () => {
  it.each(cases)("$name → exit $code", ({ env = {}, flags = [], stdout, code }) => {
    const r = run(env, flags);
    expect(r.stdout).toBe(stdout);
    expect(r.code).toBe(code);
  });

  it("in version 2 an ENV-ERROR goes to stderr after VERSION 2 (CONFORMANCE: where errors go)", () => {
    const r = run({}, [
      "-ptversion",
      "2",
      "-transports",
      "obfs4",
      "-orport",
      "127.0.0.1:9",
      "-bindaddr",
      "obfs4-127.0.0.1:99999",
    ]);
    expect(r.stdout).toBe("VERSION 2\n");
    expect(r.stderr).toBe('ENV-ERROR TOR_PT_SERVER_BINDADDR: "127.0.0.1:99999": bad port "99999"\n');
    expect(r.code).toBe(64);
  });

  it("reports an unusable state directory per transport instead of hanging", () => {
    const r = run({ ...OK, TOR_PT_STATE_LOCATION: "/proc/webpt-cannot-exist", TOR_PT_EXIT_ON_STDIN_CLOSE: "1" });
    expect(r.stdout).toMatch(/^VERSION 1\nSMETHOD-ERROR obfs4 ENOENT[^\n]*\nSMETHODS DONE\n$/);
    expect(r.code).toBe(1);
  });

  it("prints help and its version with exit 0", () => {
    expect(run({}, ["-help"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^usage: webpt server/) });
    expect(run({}, ["-version"])).toMatchObject({ code: 0, stdout: expect.stringMatching(/^webpt \d+\.\d+\.\d+\n$/) });
  });
});
