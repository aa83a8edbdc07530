import type { AddressInfo } from "node:net";
import { describe, expect, it } from "vitest";
import { parseBridgeLine, parseShareLink } from "../../src/shared/settings/index.js";
import { formatBanner } from "../../src/server/standalone/banner.js";
import { buildStandaloneConfig } from "../../src/server/standalone/config.js";
import { parseStandaloneFlags, standaloneHelp, STANDALONE_FLAGS } from "../../src/server/standalone/config-flags.js";
import { MAX_LOCATE_DEPTH, lineColumn, lineOf, locateJson } from "../../src/server/standalone/json-locate.js";
import { createStandaloneLogger } from "../../src/server/standalone/log.js";
import type { RunningTransport } from "../../src/server/service/types.js";

const CERT = "BCnnsnHmX9LnnCow5eqnr0kYN7E/Z1MkCAYHX/Oc0jXXKHjeA5gQRiuga+1uBxJYdmwPQw";

describe("locateJson", () => {
  it("maps every value's pointer to its line, escaping ~ and / in keys", () => {
    const text = '{\n "a/b": 1,\n "c~d": [\n  true,\n  {"e": null}\n ],\n "f": {}\n}';
    const loc = locateJson(text);
    expect(Object.fromEntries(loc.lines)).toEqual({
      "": 1,
      "/a~1b": 2,
      "/c~0d": 3,
      "/c~0d/0": 4,
      "/c~0d/1": 5,
      "/c~0d/1/e": 5,
      "/f": 7,
    });
    expect(loc.duplicates).toEqual([]);
    expect(lineOf(loc, "/f/missing/deeper")).toBe(7);
    expect(lineOf(loc, "/nothing")).toBe(1);
  });

  it("finds duplicate keys and survives deep nesting without recursion", () => {
    expect(locateJson('{"a": 1, "b": {"x": "\\"}", "x": 2}, "a": 3}').duplicates).toEqual(["/b/x", "/a"]);
    const deep = "[".repeat(20_000) + "]".repeat(20_000);
    const loc = locateJson(deep);
    expect(loc.lines.get("/0/0/0")).toBe(1);
    expect(loc.lines.size).toBe(MAX_LOCATE_DEPTH);
  });

  it("lineColumn counts from 1", () => {
    expect(lineColumn("ab\ncd", 0)).toEqual({ line: 1, column: 1 });
    expect(lineColumn("ab\ncd", 4)).toEqual({ line: 2, column: 2 });
    expect(lineColumn("ab\ncd", 99)).toEqual({ line: 2, column: 3 });
  });
});

describe("createStandaloneLogger", () => {
  const collect = (unsafeLogging: boolean, level: "info" | "warning" = "info") => {
    const lines: string[] = [];
    const log = createStandaloneLogger({ level, unsafeLogging, write: (l) => lines.push(l), now: () => "T" });
    return { log, lines };
  };

  it("scrubs client addresses unless told not to", () => {
    const safe = collect(false);
    safe.log.log("info", "obfs4: client 203.0.113.7 and [2001:db8::7]:443 refused");
    expect(safe.lines).toEqual(["T [info] obfs4: client [scrubbed] and [scrubbed]:443 refused\n"]);
    const unsafe = collect(true);
    unsafe.log.log("info", "client 203.0.113.7");
    expect(unsafe.lines).toEqual(["T [info] client 203.0.113.7\n"]);
  });

  it("drops messages below the level and neutralises control characters", () => {
    const { log, lines } = collect(true, "warning");
    log.log("info", "quiet");
    log.log("debug", "quieter");
    log.log("warning", "a\nforged [error] line\u0007\u2028x");
    log.log("error", "e");
    expect(lines).toEqual(["T [warning] a?forged [error] line??x\n", "T [error] e\n"]);
  });
});

function running(name: string, address: string, port: number, args: [string, string][] = []): RunningTransport {
  const info: AddressInfo = { address, port, family: address.includes(":") ? "IPv6" : "IPv4" };
  return { name, address: info, args, engine: undefined as never, carrier: { declined: 0 }, close: async () => {} };
}

function fakeServer(ts: RunningTransport[]) {
  return {
    running: ts,
    clientArgs: (t: RunningTransport): [string, string][] => [
      ["cert", CERT],
      ["iat-mode", "0"],
      ...t.args.map(([k, v]): [string, string] => [k, v]),
    ],
  };
}

describe("formatBanner", () => {
  it("prints a Bridge line and a share link per transport that parse back to the same bridge", async () => {
    const config = buildStandaloneConfig(parseStandaloneFlags(["--allow", "127.0.0.1"]), undefined, {}, "/x");
    const server = fakeServer([
      running("obfs4", "127.0.0.1", 7900),
      running("websocket", "127.0.0.1", 7901, [["url", "ws://127.0.0.1:7901/abc"]]),
    ]);
    const banner = await formatBanner(server, config);
    expect(banner.warnings).toEqual([]);
    expect(banner.bridges.map((b) => b.bridgeLine)).toEqual([
      `Bridge obfs4 127.0.0.1:7900 cert=${CERT} iat-mode=0`,
      `Bridge websocket 127.0.0.1:7901 cert=${CERT} iat-mode=0 url=ws://127.0.0.1:7901/abc`,
    ]);
    for (const b of banner.bridges) {
      expect(parseShareLink(b.shareLink).bridge).toEqual(parseBridgeLine(b.bridgeLine));
      expect(banner.text).toContain(`${b.bridgeLine}\n${b.shareLink}\n`);
    }
    expect(banner.text).toMatch(/^# webpt standalone server\n# free mode: /);
    expect(banner.text).toContain("#   allow: 127.0.0.1/32\n");
    expect(banner.text).toContain("# state: /x/.webpt-state\n");
    // Every line is a comment, a Bridge line or a share link: nothing else for a user to trip over.
    for (const line of banner.text.trimEnd().split("\n")) expect(line).toMatch(/^(#|Bridge |web\+webpt:\/\/bridge\/)/);
  });

  it("uses the public host (resolving a name) and warns when it must guess", async () => {
    const server = fakeServer([running("obfs4", "0.0.0.0", 443), running("websocket", "::", 80)]);
    const bound = buildStandaloneConfig(parseStandaloneFlags(["--target", "10.0.0.1:22"]), undefined, {}, "/x");
    const noHost = await formatBanner(server, bound);
    expect(noHost.bridges.map((b) => b.bridgeLine.split(" ")[2])).toEqual(["127.0.0.1:443", "[::1]:80"]);
    expect(noHost.warnings).toHaveLength(2);
    expect(noHost.text).toContain("# bound mode: every connection is relayed to 10.0.0.1:22\n");

    const ip = buildStandaloneConfig(parseStandaloneFlags(["--public-host", "192.0.2.1"]), undefined, {}, "/x");
    expect((await formatBanner(server, ip)).bridges.map((b) => b.bridgeLine.split(" ")[2])).toEqual([
      "192.0.2.1:443",
      "192.0.2.1:80",
    ]);
    const named = buildStandaloneConfig(parseStandaloneFlags(["--public-host", "bridge.example"]), undefined, {}, "/x");
    const resolved = await formatBanner(server, named, async () => "198.51.100.9");
    expect(resolved.bridges[0]!.bridgeLine).toContain(" 198.51.100.9:443 ");
    const failed = await formatBanner(server, named, async () => Promise.reject(new Error("ENOTFOUND")));
    expect(failed.warnings[0]).toBe("publicHost bridge.example does not resolve (ENOTFOUND)");
  });
});

describe("standaloneHelp", () => {
  it("lists every flag and the exit codes", () => {
    const help = standaloneHelp();
    for (const f of STANDALONE_FLAGS) expect(help).toContain(`--${f.name}`);
    expect(help).toMatch(/64 usage error, 78 config error/);
  });
});
