// CONFORMANCE "Where errors go" and the case "nothing but IPC lines ever goes
// to stdout", as properties over hostile environments and argument vectors
// (fixed seed, 2 × 5,000 runs): whatever the parent hands us, what the codec
// tells the process to print is a sequence of well-formed IPC lines on stdout
// (and, in version 2 only, the error line on stderr), with the exit code the
// keyword demands, and a VERSION the parent offered.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import {
  IpcError,
  IpcFormatError,
  MAX_IPC_LINE_BYTES,
  formatIpcMessage,
  ipcErrorOutput,
  parseClientConfig,
  parseFlags,
  parseIpcLine,
  parseServerConfig,
  startupMessages,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { IpcMessage, PtEnv } from "../../src/shared/codec/pt-ipc/index.js";
import { fcParams } from "../helpers/fc.js";

const EXIT_FOR: Record<string, number> = { "VERSION-ERROR": 78, "ENV-ERROR": 64, "PROXY-ERROR": 69 };
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /[\u0000\r\n\u0080-\uffff]/;

/** A cheap assertion for the hot loop. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** Good values most of the time, so that runs get past the first checks; hostile text the rest. */
function value(good: string[], hostile: string[] = []): fc.Arbitrary<string | undefined> {
  return fc.oneof(
    { arbitrary: fc.constantFrom(...good), weight: 6 },
    { arbitrary: fc.constantFrom(undefined, "", ...hostile), weight: 2 },
    { arbitrary: fc.string({ unit: "binary", maxLength: 12 }), weight: 1 },
  );
}

const envArb: fc.Arbitrary<PtEnv> = fc.record({
  TOR_PT_MANAGED_TRANSPORT_VER: value(["1", "2", "1,2", "2,1", "1,1a,2,this_is_a_valid_version"], ["3", "1a"]),
  TOR_PT_STATE_LOCATION: value(["/var/lib/tor/pt_state/"]),
  TOR_PT_EXIT_ON_STDIN_CLOSE: value(["1", "0"]),
  TOR_PT_CLIENT_TRANSPORTS: value(["obfs4", "obfs4,webtunnel", "*"], [",", "a\nb"]),
  TOR_PT_SERVER_TRANSPORTS: value(["obfs4", "obfs4,webrtc"], [","]),
  TOR_PT_PROXY: value(
    ["socks5://tor:test1234@198.51.100.1:8000", "http://198.51.100.3:443"],
    ["socks4a://u:p@198.51.100.2:8001", "socks5://proxy.example:1", "gopher://1.2.3.4:70", "socks5://1.2.3.4"],
  ),
  TOR_PT_SERVER_BINDADDR: value(["obfs4-0.0.0.0:443", "obfs4-[::]:0,webrtc-127.0.0.1:80"], ["obfs4-localhost:1"]),
  TOR_PT_SERVER_TRANSPORT_OPTIONS: value(["obfs4:iat-mode=0", "obfs4:k=v\\:1;webrtc:a=b"], ["key=value", "t:k\\"]),
  TOR_PT_ORPORT: value(["127.0.0.1:9001", "[::1]:9001"], ["localhost:9001", "127.0.0.1:0"]),
  TOR_PT_EXTENDED_SERVER_PORT: value(["127.0.0.1:4200"]),
  TOR_PT_AUTH_COOKIE_FILE: value(["/var/lib/tor/extended_orport_auth_cookie"]),
  TOR_PT_OUTBOUND_BIND_ADDRESS_V4: value(["203.0.113.4"], ["::1"]),
  TOR_PT_OUTBOUND_BIND_ADDRESS_V6: value(["[2001:db8::4]"], ["1.2.3.4"]),
});

const argvArb = fc.array(
  fc.oneof(
    fc.constantFrom(
      "-ptversion",
      "2",
      "1",
      "-proxy",
      "-transports=obfs4",
      "-exit-on-stdin-close",
      "-orport=127.0.0.1:1",
      "-extorport=",
      "-options",
      "-bogus",
      "--",
    ),
    fc.string({ unit: "binary", maxLength: 6 }),
  ),
  { maxLength: 4 },
);

/** The versions the parent offered: the -ptversion flag's list when it parses as one, else the variable's. */
function offeredVersions(env: PtEnv, argv: string[]): string[] {
  let flag: string | boolean | undefined;
  try {
    flag = parseFlags(argv).values.get("ptversion");
  } catch {
    return []; // a usage error: no version is ever agreed
  }
  return (typeof flag === "string" ? flag : (env.TOR_PT_MANAGED_TRANSPORT_VER ?? "")).split(",");
}

/** Asserts the contract for one run; returns which way it went (for the coverage check). */
function conforms(env: PtEnv, argv: string[], role: "client" | "server"): "ran" | "error" | "early" {
  const offered = offeredVersions(env, argv);
  let result: ReturnType<typeof parseClientConfig> | ReturnType<typeof parseServerConfig>;
  try {
    result = role === "client" ? parseClientConfig(env, argv) : parseServerConfig(env, argv);
  } catch (e) {
    if (!(e instanceof IpcError)) throw e; // anything else fails the property
    const out = ipcErrorOutput(e);
    check(e.exitCode === EXIT_FOR[e.keyword], `exit ${e.exitCode} for ${e.keyword}`);
    check(e.stream === (e.version === "2" ? "stderr" : "stdout"), `stream ${e.stream} for version ${e.version}`);
    check(out.stderr.length === (e.stream === "stderr" ? 1 : 0), "stderr carries only the version-2 error line");
    check(out.stdout.length + out.stderr.length === (e.version === undefined ? 1 : 2), "one error line");
    if (e.version !== undefined) {
      check(out.stdout[0] === `VERSION ${e.version}`, "VERSION first");
      check(offered.includes(e.version), `VERSION ${e.version} was offered`);
    }
    for (const line of [...out.stdout, ...out.stderr]) {
      check(!FORBIDDEN.test(line), `forbidden byte in ${JSON.stringify(line)}`);
      const kind = parseIpcLine(line, { strict: true }).kind;
      check(["VERSION", "VERSION-ERROR", "ENV-ERROR", "PROXY-ERROR"].includes(kind), `${kind} line`);
    }
    check(formatIpcMessage({ kind: e.keyword, message: e.detail }) === e.line, "the line is what the formatter writes");
    return "error";
  }
  if (result.action !== "run") {
    check(result.exitCode === 0, "help and version exit 0");
    return "early";
  }
  const config = result.config;
  check(offered.includes(config.version), `VERSION ${config.version} was offered`);
  check(config.errorStream === (config.version === "2" ? "stderr" : "stdout"), "error stream");
  const lines = startupMessages(config).map((m) => formatIpcMessage(m, { version: config.version }));
  check(lines[0] === `VERSION ${config.version}`, "VERSION first");
  for (const line of lines) {
    check(!FORBIDDEN.test(line), "forbidden byte");
    check(["VERSION", "PROXY DONE"].includes(parseIpcLine(line, { strict: true }).kind), "startup line kind");
  }
  return "ran";
}

// 5,000 runs per role, 10,000 in all: the config parsers' plain fuzz (test/property/pt-ipc-fuzz.test.ts) already
// runs 10,000; this one checks what is printed.
describe("stdout carries only IPC lines; errors go where the version says (2 × 5,000 runs)", () => {
  it.each(["client", "server"] as const)("%s", (role) => {
    const seen = { ran: 0, error: 0, early: 0 };
    fc.assert(
      fc.property(envArb, argvArb, (env, argv) => {
        seen[conforms(env, argv, role)]++;
      }),
      fcParams(5_000),
    );
    // The generator reaches every outcome, so the checks above really ran on each.
    expect(seen.ran).toBeGreaterThan(50);
    expect(seen.error).toBeGreaterThan(50);
  });
});

/** Any text, biased towards what the grammar forbids or treats specially. */
const text = fc.string({
  unit: fc.oneof(
    fc.constantFrom("\0", "\n", "\r", " ", "\t", "=", '"', "\\", ",", ":", "\u0080", "é", "\ud800", "😀", "\x7f"),
    fc.string({ unit: "grapheme-ascii", minLength: 1, maxLength: 1 }),
  ),
  maxLength: 12,
});
const hostPort = fc.record({
  host: fc.oneof(fc.constantFrom("127.0.0.1", "::1", "2001:db8::7"), text),
  port: fc.oneof(fc.integer({ min: -1, max: 65536 }), fc.constant(1.5)),
  type: fc.constantFrom("ipv4" as const, "ipv6" as const, "domain" as const),
});
const argsArb = fc.array(fc.tuple(text, fc.array(text, { maxLength: 2 })), { maxLength: 3 }).map((e) => new Map(e));
/** Messages of every kind with hostile fields: the formatter must refuse them or write a safe line. */
const hostileMessage: fc.Arbitrary<IpcMessage> = fc.oneof(
  text.map((version) => ({ kind: "VERSION" as const, version })),
  fc
    .tuple(fc.constantFrom("VERSION-ERROR" as const, "ENV-ERROR" as const, "PROXY-ERROR" as const), text)
    .map(([kind, message]) => ({ kind, message })),
  fc.constantFrom("PROXY DONE" as const, "CMETHODS DONE" as const, "SMETHODS DONE" as const).map((kind) => ({ kind })),
  fc
    .tuple(text, fc.constantFrom("socks4" as const, "socks5" as const, "STUN" as const), hostPort)
    .map(([transport, proxyType, address]) => ({ kind: "CMETHOD" as const, transport, proxyType, address })),
  fc
    .tuple(fc.constantFrom("CMETHOD-ERROR" as const, "SMETHOD-ERROR" as const), text, text)
    .map(([kind, transport, message]) => ({ kind, transport, message })),
  fc
    .tuple(text, hostPort, argsArb, fc.array(text, { maxLength: 2 }))
    .map(([transport, address, args, options]) => ({ kind: "SMETHOD" as const, transport, address, args, options })),
  fc
    .tuple(fc.constantFrom("error" as const, "debug" as const), text)
    .map(([severity, message]) => ({ kind: "LOG" as const, severity, message })),
  fc
    .tuple(text, fc.array(fc.tuple(text, text), { maxLength: 3 }))
    .map(([transport, fields]) => ({ kind: "STATUS" as const, transport, fields })),
  fc.tuple(text, text).map(([keyword, rest]) => ({ kind: "UNKNOWN" as const, keyword, rest })),
);

describe("CONFORMANCE: never a NUL, newline or byte >= 0x80 on stdout (10,000 runs)", () => {
  it("formatIpcMessage writes a safe line that parses back, or throws IpcFormatError", () => {
    let written = 0;
    fc.assert(
      fc.property(hostileMessage, fc.constantFrom(undefined, "1" as const, "2" as const), (msg, version) => {
        let line: string;
        try {
          line = formatIpcMessage(msg, version === undefined ? {} : { version });
        } catch (e) {
          if (!(e instanceof IpcFormatError)) throw e;
          return;
        }
        written++;
        check(!FORBIDDEN.test(line), `forbidden byte in ${JSON.stringify(line)}`);
        check(new TextEncoder().encode(line).length <= MAX_IPC_LINE_BYTES, "within MAX_IPC_LINE_BYTES");
        // What we write, a parent reads as the same kind of line (never a protocol error).
        try {
          check(parseIpcLine(line, { strict: true }).kind === msg.kind, `${msg.kind} reads back as itself`);
        } catch (e) {
          if (e instanceof WebptError) throw new Error(`${JSON.stringify(line)} does not parse: ${e.message}`);
          throw e;
        }
      }),
      fcParams(10_000),
    );
    expect(written).toBeGreaterThan(500); // the safe path was really exercised
  });
});
