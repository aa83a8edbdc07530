/**
 * `webpt conformance` against fake PTs: it must catch a sloppy PT's
 * mistakes, and it must never hang or leave a process behind, even on a PT
 * that prints nothing and ignores stdin and SIGTERM (and whose helper does
 * the same).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import {
  checkConformance,
  conforms,
  runConformance,
  type ConformanceOptions,
} from "../../src/server/conformance/index.js";

const FAKES = path.resolve(import.meta.dirname, "../fixtures/fake-pts");

function options(script: string, extra: Partial<ConformanceOptions> = {}): ConformanceOptions {
  return {
    command: [process.execPath, path.join(FAKES, script)],
    role: "client",
    transports: ["trebuchet"],
    startTimeoutMs: 2_000,
    exitTimeoutMs: 700,
    observeMs: 500,
    concurrency: 8,
    ...extra,
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe("webpt conformance on fake PTs", () => {
  it("catches each of a sloppy PT's mistakes, citing the spec", async () => {
    const r = await checkConformance(options("sloppy.mjs"));
    const failed = Object.fromEntries(r.findings.filter((f) => f.outcome === "fail").map((f) => [f.id, f]));
    expect(failed["stdout.grammar"]?.evidence?.[0]).toMatch(/sloppy: starting up — keyword character 0x3a/);
    expect(failed["stdout.grammar"]?.spec).toBe("pt-spec §3.3");
    expect(failed["transports.unknown"]?.level).toBe("MUST");
    expect(failed["shutdown.stdin-ignored"]?.detail).toMatch(/exited/);
    expect(failed["errors.terminate"]?.detail).toMatch(/still running/);
    expect(failed["socks.no-acceptable"]?.detail).toBe("05 01 03 → 05 00");
    expect(failed["proxy.respond"]).toBeDefined();
    expect(conforms(r.findings)).toBe(false);
  }, 30_000);

  it("finishes in bounded time on a PT that never answers, and kills it and its helper", async () => {
    const pidFile = path.join(await mkdtemp(path.join(tmpdir(), "webpt-hang-")), "pids");
    process.env.FAKE_PT_PIDFILE = pidFile;
    const t0 = Date.now();
    let r;
    try {
      r = await checkConformance(options("hangs.mjs", { startTimeoutMs: 1_000 }));
    } finally {
      delete process.env.FAKE_PT_PIDFILE;
    }
    expect(Date.now() - t0).toBeLessThan(15_000);
    const base = r.findings.find((f) => f.id === "version.v1")!;
    expect(base.outcome).toBe("fail");
    expect(base.detail).toBe("no CMETHODS DONE within 1000 ms");
    const pids = (await readFile(pidFile, "utf8")).trim().split("\n").map(Number);
    expect(pids.length).toBeGreaterThanOrEqual(4);
    for (const pid of pids) await expect.poll(() => alive(pid), { timeout: 3000 }).toBe(false);
    await rm(path.dirname(pidFile), { recursive: true, force: true });
  }, 30_000);

  it("usage errors exit 64; --help exits 0", async () => {
    const err = vi.spyOn(process.stderr, "write").mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, "write").mockImplementation(() => true);
    try {
      expect(await runConformance([])).toBe(64);
      expect(await runConformance(["--role", "both", "--", "x"])).toBe(64);
      expect(await runConformance(["--bogus", "--", "x"])).toBe(64);
      expect(await runConformance(["--help"])).toBe(0);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });
});
