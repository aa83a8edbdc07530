/**
 * stdout hygiene, judged over every line of every run: the line grammar
 * (pt-spec §3.3), well-formed known messages (§3.3.1-§3.3.3), LOG and
 * STATUS as §3.3.4-§3.3.5 define them, VERSION before anything else
 * (§3.3.1), version-1 CMETHOD types (§3.3.2: socks4 or socks5), and SMETHOD
 * ARGS escaping (§3.3.3: "Equal signs and commas MUST be escaped with a
 * backslash").
 */
import type { ConformanceContext } from "./context.js";
import { cite, fail, pass, skip, type CheckSpec, type Finding } from "./findings.js";
import { offeredVersions } from "./run-records.js";
import { showLine, type StdoutLine } from "./stdout-lines.js";

const GRAMMAR: CheckSpec = {
  id: "stdout.grammar",
  title: "writes only NL-terminated <Keyword> <Args> lines of US-ASCII without NUL to stdout",
  level: "MUST",
  spec: cite("pt1", "§3.3"),
};
const MESSAGES: CheckSpec = {
  id: "stdout.messages",
  title: "every known message is well-formed (VERSION, *METHOD lines, *-ERROR, DONE)",
  level: "MUST",
  spec: cite("pt1", "§3.3.1-§3.3.3"),
};
const LOG_STATUS: CheckSpec = {
  id: "stdout.log-status",
  title: "LOG has SEVERITY (error|warning|notice|info|debug) and MESSAGE; STATUS has at least one K=V",
  level: "SHOULD",
  spec: cite("pt1", "§3.3.4, §3.3.5"),
};
const ORDER: CheckSpec = {
  id: "stdout.order",
  title: "VERSION (an offered version) comes before any other configuration line",
  level: "MUST",
  spec: cite("pt1", "§3.3.1"),
};
const CMETHOD_V1: CheckSpec = {
  id: "stdout.cmethod-types",
  title: "after VERSION 1, CMETHOD names socks4 or socks5",
  level: "MUST",
  spec: cite("pt1", "§3.3.2"),
};
const ARGS: CheckSpec = {
  id: "stdout.smethod-args",
  title: "SMETHOD ARGS escape '=' and ',' inside keys and values with a backslash",
  level: "MUST",
  spec: cite("pt1", "§3.3.3"),
};

const ARGS_EMPTY: CheckSpec = {
  id: "stdout.smethod-args-empty",
  title: "an SMETHOD ARGS option carries at least one <Key>=<Value>",
  level: "SHOULD",
  spec: cite("pt1", "§3.3.3"),
};

const FREE_LINES = new Set(["LOG", "STATUS", "UNKNOWN", "VERSION-ERROR", "ENV-ERROR"]);

/** Problems of an ARGS value: each item is `k=v`, with one unescaped `=` and no dangling backslash. */
export function argsProblems(value: string): string[] {
  const problems: string[] = [];
  if (value === "") return problems; // judged by stdout.smethod-args-empty
  const items: string[] = [];
  let cur = "";
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === "\\") {
      if (i + 1 >= value.length) problems.push("a backslash ends the ARGS");
      cur += c + (value[i + 1] ?? "");
      i++;
    } else if (c === ",") {
      items.push(cur);
      cur = "";
    } else {
      cur += c;
    }
  }
  items.push(cur);
  for (const item of items) {
    let equals = 0;
    for (let i = 0; i < item.length; i++) {
      if (item[i] === "\\") i++;
      else if (item[i] === "=") equals++;
    }
    if (equals === 0) problems.push(`item ${JSON.stringify(item)} has no '='`);
    else if (equals > 1) problems.push(`item ${JSON.stringify(item)} has an unescaped '=' in its value`);
    else if (item.startsWith("=")) problems.push(`item ${JSON.stringify(item)} has an empty key`);
  }
  return problems;
}

export function stdoutRules(ctx: ConformanceContext): Finding[] {
  const grammar: string[] = [];
  const messages: string[] = [];
  const logStatus: string[] = [];
  const order: string[] = [];
  const cmethodTypes: string[] = [];
  const args: string[] = [];
  const argsEmpty: string[] = [];
  let lines = 0;
  let smethods = 0;
  const note = (list: string[], label: string, line: StdoutLine, why: string): void => {
    if (list.length < 8) list.push(`${label}: ${showLine(line.text)} — ${why}`);
  };
  for (const run of ctx.runs) {
    const offered = offeredVersions(run).split(",");
    let version: string | undefined;
    for (const line of run.lines) {
      lines++;
      if (line.problems.length > 0) {
        note(grammar, run.label, line, line.problems.join(", "));
        continue;
      }
      const keyword = line.text.split(" ", 1)[0]!;
      if (line.parseError !== undefined) {
        note(keyword === "LOG" || keyword === "STATUS" ? logStatus : messages, run.label, line, line.parseError);
        continue;
      }
      const m = line.message!;
      if (m.kind === "VERSION") {
        if (version === undefined && !offered.includes(m.version)) {
          note(order, run.label, line, `version not offered (${offered.join(",")})`);
        }
        version ??= m.version;
      } else if (!FREE_LINES.has(m.kind) && version === undefined) {
        note(order, run.label, line, "before VERSION");
      }
      if (m.kind === "CMETHOD" && version === "1" && m.proxyType !== "socks4" && m.proxyType !== "socks5") {
        note(cmethodTypes, run.label, line, `proxy type ${m.proxyType}`);
      }
      if (m.kind === "SMETHOD") {
        smethods++;
        for (const token of line.text.split(" ").slice(3)) {
          if (!token.startsWith("ARGS:")) continue;
          if (token === "ARGS:") note(argsEmpty, run.label, line, "empty ARGS:");
          const p = argsProblems(token.slice(5));
          if (p.length > 0) note(args, run.label, line, p.join("; "));
        }
      }
    }
  }
  const judge = (c: CheckSpec, bad: string[], ok: string): Finding =>
    bad.length === 0 ? pass(c, ok) : fail(c, `${bad.length}${bad.length === 8 ? "+" : ""} bad line(s)`, bad);
  const all = `${lines} lines in ${ctx.runs.length} runs`;
  return [
    judge(GRAMMAR, grammar, all),
    judge(MESSAGES, messages, all),
    judge(LOG_STATUS, logStatus, all),
    judge(ORDER, order, all),
    judge(CMETHOD_V1, cmethodTypes, all),
    ...[ARGS, ARGS_EMPTY].map((c, i) =>
      ctx.role === "client"
        ? skip(c, "client role")
        : smethods === 0
          ? skip(c, "no SMETHOD line")
          : judge(c, i === 0 ? args : argsEmpty, `${smethods} SMETHOD lines`),
    ),
  ];
}
