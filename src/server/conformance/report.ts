/**
 * The two forms of a conformance report: text for a person (one line per
 * check, evidence indented under failures) and JSON for a machine (the same
 * findings, plus the session's facts). Both are pure functions of the result.
 */
import { conforms, summarize, type Finding, type Summary } from "./findings.js";

export interface ConformanceResult {
  readonly command: readonly string[];
  readonly role: "client" | "server";
  /** The transports the checks ran against. */
  readonly transports: readonly string[];
  /** The version the PT answered to "1", and whether it speaks 2.x. */
  readonly version: string;
  readonly speaks2: boolean;
  readonly findings: readonly Finding[];
  readonly elapsedMs: number;
}

/** The JSON report's shape version; bump on incompatible change. */
export const REPORT_FORMAT = 1;

export interface JsonReport extends ConformanceResult {
  readonly tool: "webpt conformance";
  readonly format: number;
  readonly conforms: boolean;
  readonly summary: Summary;
}

export function jsonReport(r: ConformanceResult): JsonReport {
  return {
    tool: "webpt conformance",
    format: REPORT_FORMAT,
    ...r,
    conforms: conforms(r.findings),
    summary: summarize(r.findings),
  };
}

function label(f: Finding): string {
  if (f.outcome === "pass") return "PASS";
  if (f.outcome === "skip") return "SKIP";
  return f.level === "MUST" ? "FAIL" : "WARN";
}

function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

export function textReport(r: ConformanceResult): string {
  const s = summarize(r.findings);
  const ok = conforms(r.findings);
  const lines = [
    `webpt conformance — ${r.command.map(quoteArg).join(" ")} (${r.role} role)`,
    `version: answers ${r.version ? `VERSION ${r.version}` : "no VERSION"} to 1; ${r.speaks2 ? "speaks PT 2.x (2.x rules are MUST)" : "does not speak PT 2.x (2.x-only rules are SHOULD)"}`,
    `transports: ${r.transports.length > 0 ? r.transports.join(", ") : "(none found)"}`,
    "",
  ];
  const width = Math.max(...r.findings.map((f) => f.id.length), 10);
  for (const f of r.findings) {
    lines.push(`${label(f)}  ${f.level.padEnd(6)} ${f.id.padEnd(width)}  ${f.title}  [${f.spec}]`);
    if (f.outcome !== "pass" || f.detail !== "") lines.push(`      ${" ".repeat(7 + width)}${f.detail}`);
    if (f.outcome === "fail") for (const e of f.evidence ?? []) lines.push(`      ${" ".repeat(7 + width)}| ${e}`);
  }
  lines.push(
    "",
    `${s.pass} passed, ${s.fail} MUST failed, ${s.warn} SHOULD warnings, ${s.skip} skipped (${(r.elapsedMs / 1000).toFixed(1)} s)`,
    ok ? "RESULT: conforms" : "RESULT: does NOT conform",
    "",
  );
  return lines.join("\n");
}
