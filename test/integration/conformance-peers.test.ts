/**
 * `webpt conformance` against real PTs: Debian's obfs4proxy (both roles),
 * snowflake-client, `webpt server` and `webpt client`. The expected findings were each
 * checked by hand against the spec text (see the README table); a change in
 * a peer's behaviour or in the checker shows up here. `webpt` needs
 * `npm run build` (the test command does it).
 */
import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  DEFAULT_CONCURRENCY,
  checkConformance,
  conforms,
  runConformance,
  type ConformanceOptions,
  type Finding,
  type JsonReport,
} from "../../src/server/conformance/index.js";
import { requireObfs4proxy } from "../helpers/obfs4proxy.js";

const root = path.resolve(import.meta.dirname, "../..");

function requireSnowflake(): string {
  const bin = "/usr/bin/snowflake-client";
  try {
    execFileSync(bin, ["-version"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`${bin} is not runnable; apt-get install snowflake-client`, { cause: err });
  }
  return bin;
}

function options(command: [string, ...string[]], role: "client" | "server"): ConformanceOptions {
  return {
    command,
    role,
    startTimeoutMs: 10_000,
    exitTimeoutMs: 3_000,
    observeMs: 1_000,
    concurrency: DEFAULT_CONCURRENCY,
  };
}

/** id → "pass" | "fail" | "warn" | "skip", the way the report prints it. */
function outcomes(findings: readonly Finding[]): Record<string, string> {
  return Object.fromEntries(
    findings.map((f) => [f.id, f.outcome === "fail" && f.level === "SHOULD" ? "warn" : f.outcome]),
  );
}

describe("webpt conformance on Debian's peers", () => {
  it("obfs4proxy 0.0.14, client: does not conform (CMETHOD-ERROR for unknown transports, no PROXY line)", async () => {
    const r = await checkConformance(options([requireObfs4proxy()], "client"));
    const o = outcomes(r.findings);
    expect(r.version).toBe("1");
    expect(r.speaks2).toBe(false);
    expect(r.transports).toContain("obfs4");
    expect(o).toMatchObject({
      "version.v1": "pass",
      "version.unsupported": "pass",
      "transports.unknown": "fail",
      "transports.only-unknown": "fail",
      "transports.only-unknown-running": "warn",
      "proxy.respond": "fail",
      "proxy.no-port": "warn",
      "proxy.unknown-scheme": "pass",
      "env.transports-missing": "warn",
      "errors.exit-code": "warn",
      "errors.terminate": "pass",
      "errors.stream-v1": "pass",
      "shutdown.stdin-close": "pass",
      "shutdown.stdin-ignored": "pass",
      "shutdown.sigterm": "pass",
      "socks.method-userpass": "pass",
      "socks.userpass-reply": "pass",
      "socks.no-acceptable": "pass",
      "stdout.grammar": "pass",
      "stdout.order": "pass",
      "flags.config": "skip",
    });
    const unknown = r.findings.find((f) => f.id === "transports.unknown")!;
    expect(unknown.spec).toBe("pt-spec §3.3.2 (Notes)");
    expect(unknown.evidence?.[0]).toMatch(/^stdout: CMETHOD-ERROR webpt_conformance_bogus /);
    expect(conforms(r.findings)).toBe(false);
  }, 30_000);

  it("obfs4proxy 0.0.14, server: conforms, with warnings (SMETHOD-ERROR for unknown names, BINDADDR required)", async () => {
    const r = await checkConformance(options([requireObfs4proxy()], "server"));
    const o = outcomes(r.findings);
    expect(o).toMatchObject({
      "transports.unknown": "warn",
      "server.bindaddr": "pass",
      "server.bindaddr-omitted": "warn",
      "server.extorport-empty": "pass",
      "server.options-escaped": "pass",
      "server.extorport-no-cookie": "pass",
      "extorport.auth": "pass",
      "extorport.useraddr": "pass",
      "extorport.transport": "pass",
      "extorport.waits-for-okay": "pass",
      "extorport.data": "pass",
      "extorport.deny": "pass",
      "stdout.smethod-args": "pass",
      "stdout.smethod-args-empty": "warn",
    });
    expect(conforms(r.findings)).toBe(true);
  }, 30_000);

  it("snowflake-client 2.5.1: does not conform (CMETHOD-ERROR for unknown transports, no PROXY line)", async () => {
    const r = await checkConformance(options([requireSnowflake()], "client"));
    const o = outcomes(r.findings);
    expect(r.transports).toEqual(["snowflake"]);
    expect(o).toMatchObject({
      "version.v1": "pass",
      "env.transports-missing": "pass",
      "transports.unknown": "fail",
      "proxy.respond": "fail",
      "proxy.unknown-scheme": "pass",
      "socks.method-userpass": "pass",
      "socks.connect-reply": "pass",
      "errors.exit-code": "warn",
    });
    expect(conforms(r.findings)).toBe(false);
  }, 30_000);

  it("webpt server: conforms, PT 2.x rules included; the CLI exits 0 and writes the JSON report", async () => {
    const out = path.join(await mkdtemp(path.join(tmpdir(), "webpt-conf-")), "report.json");
    const write = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    let code: number;
    let text = "";
    try {
      code = await runConformance([
        "--role",
        "server",
        "--json",
        out,
        "--",
        process.execPath,
        path.join(root, "bin/webpt.js"),
        "server",
      ]);
      text = write.mock.calls.map((c) => String(c[0])).join("");
    } finally {
      write.mockRestore();
    }
    const report = JSON.parse(await readFile(out, "utf8")) as JsonReport;
    expect(code).toBe(0);
    expect(text).toContain("RESULT: conforms");
    expect(report).toMatchObject({ tool: "webpt conformance", role: "server", conforms: true, speaks2: true });
    expect(report.summary.fail).toBe(0);
    const o = outcomes(report.findings);
    expect(o).toMatchObject({
      "version.v2": "pass",
      "flags.config": "pass",
      "flags.override": "pass",
      "errors.exit-code": "pass",
      "errors.stream-v1": "pass",
      "errors.stream-v2": "pass",
      "transports.unknown": "pass",
      "extorport.data": "pass",
    });
    await rm(path.dirname(out), { recursive: true, force: true });
  }, 60_000);

  it("webpt client: conforms, PT 2.x rules included (0x09 JSON block, flags, keeps running with no transport)", async () => {
    // --transports obfs4: discovery is covered by the server case; this keeps WebRTC engines out of 25 runs.
    const r = await checkConformance({
      ...options([process.execPath, path.join(root, "bin/webpt.js"), "client"], "client"),
      transports: ["obfs4"],
    });
    expect(r.speaks2).toBe(true);
    expect(r.transports).toEqual(["obfs4"]);
    expect(outcomes(r.findings)).toMatchObject({
      "transports.unknown": "pass",
      "transports.only-unknown": "pass",
      "proxy.respond": "pass",
      "proxy.no-port": "pass",
      "socks.method-userpass": "pass",
      "socks.json-method": "pass",
      "socks.json-bad": "pass",
      "flags.config": "pass",
      "errors.stream-v2": "pass",
      // Asked only for unknown transports it answers CMETHODS DONE and keeps running (PT 2.1 §1.2.2.1).
      "transports.only-unknown-running": "pass",
    });
    const mustFailures = r.findings.filter((f) => f.outcome === "fail" && f.level === "MUST").map((f) => f.id);
    expect(mustFailures).toEqual([]);
  }, 60_000);
});
