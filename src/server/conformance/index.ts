// `webpt conformance`: a checker that runs any PT executable through a
// battery of IPC, SOCKS and ExtORPort checks, each finding citing its spec
// section. The CLI wires `runConformance` to the `conformance` subcommand.
export {
  CONFORMANCE_USAGE,
  DEFAULT_CONCURRENCY,
  DEFAULT_EXIT_TIMEOUT_MS,
  DEFAULT_OBSERVE_MS,
  DEFAULT_START_TIMEOUT_MS,
  UsageError,
  checkConformance,
  parseConformanceArgs,
  runConformance,
} from "./run.js";
export type { ParsedArgs } from "./run.js";
export { BOGUS_TRANSPORT, WELL_KNOWN_TRANSPORTS } from "./context.js";
export type { ConformanceOptions, Role } from "./context.js";
export { MAX_EVIDENCE_CHARS, MAX_EVIDENCE_LINES, SPECS, cite, conforms, summarize } from "./findings.js";
export type { CheckSpec, Finding, Level, Outcome, Summary } from "./findings.js";
export { REPORT_FORMAT, jsonReport, textReport } from "./report.js";
export type { ConformanceResult, JsonReport } from "./report.js";
export { MAX_CHECKED_LINE_BYTES, MAX_LINES_PER_RUN, grammarProblems, judgeLine } from "./stdout-lines.js";
export { argsProblems } from "./checks-stdout.js";
