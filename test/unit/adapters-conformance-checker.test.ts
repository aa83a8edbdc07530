/**
 * The conformance checker's pure parts: the stdout line grammar
 * (pt-spec §3.3), SMETHOD ARGS escaping (§3.3.3), the rules judged over all
 * error runs, argument parsing, and the two report forms.
 */
import { describe, expect, it } from "vitest";
import {
  MAX_CHECKED_LINE_BYTES,
  argsProblems,
  conforms,
  grammarProblems,
  jsonReport,
  judgeLine,
  parseConformanceArgs,
  summarize,
  textReport,
  type Finding,
} from "../../src/server/conformance/index.js";
import { errorRules } from "../../src/server/conformance/checks-errors.js";
import { ConformanceContext } from "../../src/server/conformance/context.js";
import type { ErrorRunRecord } from "../../src/server/conformance/run-records.js";
import { StdoutLineSplitter } from "../../src/server/conformance/stdout-lines.js";
import { splits } from "../helpers/chunking.js";

const bytes = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

describe("grammarProblems (pt-spec §3.3 line grammar)", () => {
  it.each([
    "VERSION 1",
    "CMETHODS DONE",
    "SMETHOD obfs4 127.0.0.1:1 ARGS:cert=x,iat-mode=0",
    "X-Y_z9",
    'LOG SEVERITY=info MESSAGE="tab\tand ~ are ASCII"',
  ])("accepts %j", (line) => {
    expect(grammarProblems(bytes(line))).toEqual([]);
  });

  it.each([
    ["", "empty line (a keyword is required)"],
    [" VERSION 1", "line starts with a space (no keyword)"],
    ["2024/01/01 started", "keyword character 0x2f at offset 4"],
    ["sloppy: hi", "keyword character 0x3a at offset 6"],
    ["VERSION\t1", "keyword character 0x09 at offset 7"],
    ["VERSION 1\0", "NUL byte"],
    ["LOG MESSAGE=caf\xe9", "byte ≥ 0x80 (not US-ASCII)"],
  ])("rejects %j: %s", (line, problem) => {
    expect(grammarProblems(bytes(line))).toContain(problem);
  });

  it("parses grammatical lines strictly and keeps the reason for a bad known line", () => {
    expect(judgeLine(bytes("VERSION 1"), true).message).toEqual({ kind: "VERSION", version: "1" });
    expect(judgeLine(bytes("CMETHOD t socks5 nowhere"), true).parseError).toMatch(/malformed IPC line/);
    expect(judgeLine(bytes("LOG SEVERITY=loud MESSAGE=x"), true).parseError).toMatch(/unknown severity/);
    expect(judgeLine(bytes("VERSION 1"), false).problems).toEqual(["no terminating newline"]);
  });
});

describe("StdoutLineSplitter", () => {
  it("yields the same lines at every split point", () => {
    const input = bytes("VERSION 1\nCMETHOD t socks5 127.0.0.1:1\n\nCMETHODS DONE\ntail");
    const texts = (chunks: Uint8Array[]): string[] => {
      const s = new StdoutLineSplitter();
      for (const c of chunks) s.push(c);
      s.finish();
      return s.lines.map((l) => `${l.text}|${l.problems.join(",")}`);
    };
    const whole = texts([input]);
    expect(whole).toEqual([
      "VERSION 1|",
      "CMETHOD t socks5 127.0.0.1:1|",
      "|empty line (a keyword is required)",
      "CMETHODS DONE|",
      "tail|no terminating newline",
    ]);
    for (const { chunks } of splits(input)) expect(texts(chunks)).toEqual(whole);
  });

  it("cuts a line longer than MAX_CHECKED_LINE_BYTES and says so", () => {
    const s = new StdoutLineSplitter();
    const chunk = new Uint8Array(8192).fill(0x41);
    for (let i = 0; i < 10; i++) s.push(chunk);
    s.push(bytes("\n"));
    expect(s.lines).toHaveLength(1);
    expect(s.lines[0]!.text.length).toBe(MAX_CHECKED_LINE_BYTES);
    expect(s.lines[0]!.problems).toContain(`longer than ${MAX_CHECKED_LINE_BYTES} bytes`);
  });
});

describe("argsProblems (pt-spec §3.3.3: '=' and ',' escaped)", () => {
  it.each([
    ["cert=abc+/,iat-mode=0", []],
    ["k=v\\=w", []],
    ["k=a\\,b,x=y", []],
    ["k\\=1=v", []],
    ["", []],
    ["k=v=w", ["item \"k=v=w\" has an unescaped '=' in its value"]],
    ["novalue", ["item \"novalue\" has no '='"]],
    ["=v", ['item "=v" has an empty key']],
    ["k=v\\", ["a backslash ends the ARGS"]],
    ["a=1,,b=2", ["item \"\" has no '='"]],
  ])("%j → %j", (value, problems) => {
    expect(argsProblems(value)).toEqual(problems);
  });
});

describe("errorRules (over every error run)", () => {
  const ctx = (speaks2: boolean, runs: ErrorRunRecord[]): ConformanceContext => {
    const c = new ConformanceContext({
      command: ["x"],
      role: "client",
      startTimeoutMs: 1,
      exitTimeoutMs: 1,
      observeMs: 1,
      concurrency: 1,
    });
    c.speaks2 = speaks2;
    c.errorRuns.push(...runs);
    return c;
  };
  const run = (r: Partial<ErrorRunRecord>): ErrorRunRecord => ({
    label: "r",
    offered: "1",
    version: "1",
    error: { keyword: "ENV-ERROR", message: "m", stream: "stdout" },
    reachedDone: false,
    exit: { code: 64, signal: null },
    ...r,
  });
  const byId = (fs: Finding[]): Record<string, string> =>
    Object.fromEntries(fs.map((f) => [f.id, `${f.outcome}/${f.level}`]));

  it("a 2.x PT: codes, streams and termination are all MUST", () => {
    const fs = errorRules(
      ctx(true, [
        run({}),
        run({
          version: "2",
          offered: "2",
          error: { keyword: "PROXY-ERROR", message: "m", stream: "stderr" },
          exit: { code: 69, signal: null },
        }),
        run({
          version: undefined,
          error: { keyword: "VERSION-ERROR", message: "no-version", stream: "stdout" },
          exit: { code: 78, signal: null },
        }),
      ]),
    );
    expect(byId(fs)).toEqual({
      "errors.terminate": "pass/MUST",
      "errors.exit-code": "pass/MUST",
      "errors.stream-v1": "pass/MUST",
      "errors.stream-v2": "pass/MUST",
    });
  });

  it("a 1.0 PT: a wrong exit code is a SHOULD; a PT that keeps running, or an error on stderr in version 1, a MUST", () => {
    const fs = errorRules(
      ctx(false, [
        run({ exit: { code: 1, signal: null } }),
        run({ exit: undefined }),
        run({ error: { keyword: "ENV-ERROR", message: "m", stream: "stderr" } }),
      ]),
    );
    expect(byId(fs)).toEqual({
      "errors.terminate": "fail/MUST",
      "errors.exit-code": "fail/SHOULD",
      "errors.stream-v1": "fail/MUST",
      "errors.stream-v2": "skip/SHOULD",
    });
  });

  it("no error line anywhere: everything skipped", () => {
    expect(errorRules(ctx(false, [run({ error: undefined })])).every((f) => f.outcome === "skip")).toBe(true);
  });
});

describe("parseConformanceArgs", () => {
  it("reads options up to -- and the command after it", () => {
    const p = parseConformanceArgs([
      "--role",
      "server",
      "--transports",
      "obfs4,meek_lite",
      "--json",
      "out.json",
      "--timeout",
      "500",
      "--",
      "pt",
      "-enableLogging",
    ]);
    expect(p).toMatchObject({
      json: "out.json",
      options: {
        command: ["pt", "-enableLogging"],
        role: "server",
        transports: ["obfs4", "meek_lite"],
        startTimeoutMs: 500,
      },
    });
  });

  it("a command without -- starts at the first non-option", () => {
    expect(parseConformanceArgs(["obfs4proxy"])).toMatchObject({
      options: { command: ["obfs4proxy"], role: "client" },
    });
  });

  it.each([
    [[]],
    [["--role", "both", "--", "x"]],
    [["--timeout", "abc", "--", "x"]],
    [["--transports"]],
    [["--frob", "x"]],
    [["--"]],
  ])("refuses %j", (argv) => {
    expect(() => parseConformanceArgs(argv)).toThrow(expect.objectContaining({ name: "UsageError" }));
  });

  it("--help", () => {
    expect(parseConformanceArgs(["--help"])).toBe("help");
  });
});

describe("reports", () => {
  const f = (id: string, level: "MUST" | "SHOULD", outcome: Finding["outcome"], evidence?: string[]): Finding => ({
    id,
    title: `title of ${id}`,
    level,
    spec: "pt-spec §3.3",
    outcome,
    detail: `detail of ${id}`,
    ...(evidence ? { evidence } : {}),
  });
  const findings = [
    f("a.pass", "MUST", "pass"),
    f("b.warn", "SHOULD", "fail", ["stdout: SOMETHING"]),
    f("c.skip", "MUST", "skip"),
  ];
  const result = {
    command: ["pt", "a b"],
    role: "client" as const,
    transports: ["t"],
    version: "1",
    speaks2: false,
    findings,
    elapsedMs: 1234,
  };

  it("a failed SHOULD is a warning: the PT still conforms", () => {
    expect(summarize(findings)).toEqual({ pass: 1, fail: 0, warn: 1, skip: 1 });
    expect(conforms(findings)).toBe(true);
    expect(conforms([...findings, f("d.fail", "MUST", "fail")])).toBe(false);
  });

  it("text: one line per check with its spec section, evidence under failures, the verdict last", () => {
    const text = textReport(result);
    expect(text).toContain("webpt conformance — pt 'a b' (client role)");
    expect(text).toMatch(/^PASS {2}MUST {3}a\.pass +title of a\.pass {2}\[pt-spec §3\.3\]$/m);
    expect(text).toMatch(/^WARN {2}SHOULD b\.warn/m);
    expect(text).toMatch(/\| stdout: SOMETHING$/m);
    expect(text).toContain("1 passed, 0 MUST failed, 1 SHOULD warnings, 1 skipped (1.2 s)");
    expect(text.trimEnd().endsWith("RESULT: conforms")).toBe(true);
  });

  it("JSON: the same findings, the verdict and the counts", () => {
    const j = jsonReport(result);
    expect(j).toMatchObject({ tool: "webpt conformance", format: 1, conforms: true, summary: { warn: 1 } });
    expect(JSON.parse(JSON.stringify(j)).findings).toEqual(findings);
  });
});
