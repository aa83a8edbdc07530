/**
 * The vocabulary of a conformance report: each finding names the check,
 * the requirement level the spec text uses, the section it comes from, and
 * what we saw. A PT conforms when no MUST-level finding failed; SHOULD-level
 * failures are reported as warnings.
 */

/**
 * The specs we cite, by the short names used in findings. Section numbers
 * are those of the texts in the project's seeds and specs directories.
 */
export const SPECS = {
  pt1: "pt-spec", // tor-pt-spec.txt, PT 1.0 with the LOG/STATUS additions (seed 004)
  pt21: "PT 2.1", // Dispatcher IPC Interface 2.1 (seed 001)
  extor: "ext-orport", // tor-ext-orport-spec.txt
  rfc1928: "RFC 1928",
  rfc1929: "RFC 1929",
} as const;

/** A spec reference as printed: `pt-spec §3.3.1`. */
export function cite(spec: keyof typeof SPECS, section: string): string {
  return `${SPECS[spec]} ${section}`;
}

/**
 * MUST / MUST NOT and SHOULD as the cited text says them. Requirements that
 * only PT 2.x states (exit codes, errors on stderr, flags) are MUST for a PT
 * that speaks 2.x and SHOULD for a 1.0-only PT, which only promised 1.0.
 */
export type Level = "MUST" | "SHOULD";

/** pass; fail (a MUST failed, or a SHOULD: printed as a warning); skip (not applicable or not testable). */
export type Outcome = "pass" | "fail" | "skip";

export interface Finding {
  /** Stable id, e.g. `version.unsupported`. */
  readonly id: string;
  /** What is required, in one line. */
  readonly title: string;
  readonly level: Level;
  /** Where the requirement is written, e.g. `pt-spec §3.3.1`. */
  readonly spec: string;
  readonly outcome: Outcome;
  /** What we saw. */
  readonly detail: string;
  /** Verbatim lines or bytes that back the detail (bounded). */
  readonly evidence?: readonly string[];
}

/** The most evidence lines kept per finding, and the longest kept line. */
export const MAX_EVIDENCE_LINES = 8;
export const MAX_EVIDENCE_CHARS = 200;

export function finding(
  base: Omit<Finding, "outcome" | "detail" | "evidence">,
  outcome: Outcome,
  detail: string,
  evidence?: readonly string[],
): Finding {
  const ev = evidence
    ?.slice(0, MAX_EVIDENCE_LINES)
    .map((l) => (l.length > MAX_EVIDENCE_CHARS ? `${l.slice(0, MAX_EVIDENCE_CHARS)}…` : l));
  return { ...base, outcome, detail, ...(ev !== undefined && ev.length > 0 ? { evidence: ev } : {}) };
}

/** A check's identity and requirement, declared once and used for every outcome. */
export interface CheckSpec {
  readonly id: string;
  readonly title: string;
  readonly level: Level;
  readonly spec: string;
}

export const pass = (c: CheckSpec, detail: string, evidence?: readonly string[]): Finding =>
  finding(c, "pass", detail, evidence);
export const fail = (c: CheckSpec, detail: string, evidence?: readonly string[]): Finding =>
  finding(c, "fail", detail, evidence);
export const skip = (c: CheckSpec, detail: string): Finding => finding(c, "skip", detail);

/** Whether the findings add up to conformance: no failed MUST. */
export function conforms(findings: readonly Finding[]): boolean {
  return !findings.some((f) => f.outcome === "fail" && f.level === "MUST");
}

export interface Summary {
  readonly pass: number;
  readonly fail: number;
  readonly warn: number;
  readonly skip: number;
}

export function summarize(findings: readonly Finding[]): Summary {
  let p = 0;
  let f = 0;
  let w = 0;
  let s = 0;
  for (const x of findings) {
    if (x.outcome === "pass") p++;
    else if (x.outcome === "skip") s++;
    else if (x.level === "MUST") f++;
    else w++;
  }
  return { pass: p, fail: f, warn: w, skip: s };
}
