/**
 * StartupTracker: what a parent makes of a PT's startup lines, in tor's
 * order (pt-spec §3.3). Tables of line sequences and the verdict each ends in.
 */
import { describe, expect, it } from "vitest";
import { StartupTracker, type StartupOptions } from "../../src/server/adapters/index.js";
import { parseIpcLine } from "../../src/shared/codec/pt-ipc/index.js";

const client: StartupOptions = {
  role: "client",
  offered: ["1", "2"],
  proxyRequested: false,
  transports: ["obfs4", "meek_lite"],
  requireAll: false,
};
const server: StartupOptions = { ...client, role: "server" };

/** Feeds lines until a verdict other than continue; returns it (or "continue") and the tracker. */
function feed(options: StartupOptions, lines: string[]): { verdict: string; code?: string; tracker: StartupTracker } {
  const tracker = new StartupTracker(options);
  for (const l of lines) {
    const v = tracker.accept(parseIpcLine(l));
    if (v.kind === "done") return { verdict: "done", tracker };
    if (v.kind === "fail") return { verdict: "fail", code: v.failure.code, tracker };
  }
  return { verdict: "continue", tracker };
}

describe("StartupTracker", () => {
  const cases: { name: string; options?: StartupOptions; lines: string[]; verdict: string; code?: string }[] = [
    {
      name: "a normal client startup",
      lines: ["VERSION 1", "CMETHOD obfs4 socks5 127.0.0.1:1000", "CMETHOD-ERROR meek_lite no", "CMETHODS DONE"],
      verdict: "done",
    },
    {
      name: "LOG, STATUS and unknown lines before VERSION are fine",
      lines: [
        'LOG SEVERITY=notice MESSAGE="hi"',
        "STATUS TRANSPORT=x A=1",
        "HELLO world",
        "VERSION 2",
        "CMETHODS DONE",
      ],
      verdict: "done",
    },
    { name: "VERSION-ERROR", lines: ["VERSION-ERROR no-version"], verdict: "fail", code: "ERR_PT_VERSION_ERROR" },
    { name: "ENV-ERROR before VERSION", lines: ["ENV-ERROR no"], verdict: "fail", code: "ERR_PT_ENV_ERROR" },
    { name: "PROXY-ERROR", lines: ["VERSION 1", "PROXY-ERROR no"], verdict: "fail", code: "ERR_PT_PROXY_ERROR" },
    { name: "a version we did not offer", lines: ["VERSION 3"], verdict: "fail", code: "ERR_PT_BAD_VERSION" },
    { name: "VERSION twice", lines: ["VERSION 1", "VERSION 1"], verdict: "fail", code: "ERR_PT_BAD_OUTPUT" },
    {
      name: "a method line before VERSION",
      lines: ["CMETHOD obfs4 socks5 127.0.0.1:1000"],
      verdict: "fail",
      code: "ERR_PT_BAD_OUTPUT",
    },
    { name: "DONE before VERSION", lines: ["CMETHODS DONE"], verdict: "fail", code: "ERR_PT_BAD_OUTPUT" },
    {
      name: "a server line from a client",
      lines: ["VERSION 1", "SMETHOD obfs4 127.0.0.1:1000"],
      verdict: "fail",
      code: "ERR_PT_BAD_OUTPUT",
    },
    {
      name: "a client line from a server",
      options: server,
      lines: ["VERSION 1", "CMETHODS DONE"],
      verdict: "fail",
      code: "ERR_PT_BAD_OUTPUT",
    },
    {
      name: "proxy asked for, never acknowledged",
      options: { ...client, proxyRequested: true },
      lines: ["VERSION 1", "CMETHODS DONE"],
      verdict: "fail",
      code: "ERR_PT_PROXY_IGNORED",
    },
    {
      name: "proxy acknowledged",
      options: { ...client, proxyRequested: true },
      lines: ["VERSION 1", "PROXY DONE", "CMETHODS DONE"],
      verdict: "done",
    },
    {
      name: "requireAll with a transport missing",
      options: { ...client, requireAll: true },
      lines: ["VERSION 1", "CMETHOD obfs4 socks5 127.0.0.1:1000", "CMETHOD-ERROR meek_lite no rocks", "CMETHODS DONE"],
      verdict: "fail",
      code: "ERR_PT_METHOD_ERROR",
    },
    {
      name: "requireAll, all launched",
      options: { ...server, requireAll: true, transports: ["obfs4"] },
      lines: ["VERSION 1", "SMETHOD obfs4 127.0.0.1:1000 ARGS:cert=x,iat-mode=0", "SMETHODS DONE"],
      verdict: "done",
    },
  ];
  it.each(cases)("$name → $verdict $code", ({ options, lines, verdict, code }) => {
    const r = feed(options ?? client, lines);
    expect(r.verdict).toBe(verdict);
    expect(r.code).toBe(code);
  });

  it("collects methods, errors and the version", () => {
    const { tracker } = feed(client, [
      "VERSION 2",
      "CMETHOD obfs4 socks5 127.0.0.1:1000",
      "CMETHOD-ERROR meek_lite no rocks",
      "CMETHODS DONE",
    ]);
    expect(tracker.version).toBe("2");
    expect(tracker.cmethods.map((m) => [m.transport, m.address.port])).toEqual([["obfs4", 1000]]);
    expect(tracker.methodErrors).toEqual([{ transport: "meek_lite", message: "no rocks" }]);
  });

  it("names what was not launched, with the PT's message or 'not announced'", () => {
    const tracker = new StartupTracker({ ...client, requireAll: true });
    for (const l of ["VERSION 1", "CMETHOD-ERROR meek_lite no rocks"]) tracker.accept(parseIpcLine(l));
    const v = tracker.accept(parseIpcLine("CMETHODS DONE"));
    expect(v.kind === "fail" && v.failure.failures).toEqual([
      { transport: "obfs4", message: "not announced before DONE (unknown to the PT?)" },
      { transport: "meek_lite", message: "no rocks" },
    ]);
  });

  it("stderr lines (PT 2.x errors) end startup without ordering rules", () => {
    const tracker = new StartupTracker(client);
    expect(tracker.acceptStderr(parseIpcLine("CMETHOD-ERROR obfs4 nope")).kind).toBe("continue");
    expect(tracker.methodErrors).toEqual([{ transport: "obfs4", message: "nope" }]);
    expect(tracker.acceptStderr(parseIpcLine('LOG SEVERITY=info MESSAGE="x"')).kind).toBe("continue");
    const v = tracker.acceptStderr(parseIpcLine("ENV-ERROR bad flag"));
    expect(v.kind === "fail" && v.failure).toMatchObject({ code: "ERR_PT_ENV_ERROR", detail: "bad flag" });
  });
});
