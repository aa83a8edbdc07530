/**
 * The parent side's pure parts: the clean environment, the server
 * transport variables (BINDADDR formatting and option escaping), option
 * validation in the adapters' constructors, and the stderr line splitter.
 */
import { describe, expect, it } from "vitest";
import {
  AdapterError,
  ClientAdapter,
  ExtServerAdapter,
  MAX_STDERR_LINE_CHARS,
  ServerAdapter,
  StderrLineSplitter,
  cleanPtEnv,
  serverTransportEnv,
  type StderrLine,
} from "../../src/server/adapters/index.js";
import { decodeServerTransportOptions } from "../../src/shared/codec/pt-ipc/index.js";
import { splits } from "../helpers/chunking.js";

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("cleanPtEnv", () => {
  it("drops every inherited TOR_PT_* and keeps the rest; extras win", () => {
    const env = cleanPtEnv(
      { TOR_PT_STATE_LOCATION: "/s", X: "2" },
      { PATH: "/bin", TOR_PT_PROXY: "socks5://1.2.3.4:5", TOR_PT_ORPORT: "1.2.3.4:1", X: "1" },
    );
    expect(env).toEqual({ PATH: "/bin", TOR_PT_STATE_LOCATION: "/s", X: "2" });
  });
});

describe("serverTransportEnv", () => {
  it("one bind address per transport, in order, IPv6 bracketed, default loopback port 0", () => {
    expect(
      serverTransportEnv([
        { name: "obfs4", bind: { host: "0.0.0.0", port: 443 } },
        { name: "meek_lite", bind: { host: "::1", port: 80 } },
        { name: "webtunnel" },
      ]),
    ).toEqual({ TOR_PT_SERVER_BINDADDR: "obfs4-0.0.0.0:443,meek_lite-[::1]:80,webtunnel-127.0.0.1:0" });
  });

  it("escapes options so the PT reads back exactly what was given (pt-spec §3.2.3)", () => {
    const env = serverTransportEnv([
      { name: "obfs4", options: { "iat-mode": ["1"] } },
      { name: "t", options: { "k:;=\\": ["v=1;2:3\\4", "second"] } },
    ]);
    expect(env.TOR_PT_SERVER_TRANSPORT_OPTIONS).toBe(
      "obfs4:iat-mode=1;t:k\\:\\;\\=\\\\=v\\=1\\;2\\:3\\\\4;t:k\\:\\;\\=\\\\=second",
    );
    const back = decodeServerTransportOptions(env.TOR_PT_SERVER_TRANSPORT_OPTIONS!);
    expect(back.get("t")?.get("k:;=\\")).toEqual(["v=1;2:3\\4", "second"]);
  });

  it.each([
    { name: "a transport name that is not a C identifier", specs: [{ name: "obfs-4" }] },
    { name: "a transport named twice", specs: [{ name: "obfs4" }, { name: "obfs4" }] },
    { name: "a host name as bind address", specs: [{ name: "obfs4", bind: { host: "localhost", port: 1 } }] },
    { name: "a port out of range", specs: [{ name: "obfs4", bind: { host: "127.0.0.1", port: 65536 } }] },
    { name: "no transport", specs: [] },
  ])("refuses $name", ({ specs }) => {
    expect(() => serverTransportEnv(specs)).toThrow(AdapterError);
  });
});

describe("adapter options", () => {
  const cmd: [string] = ["/bin/true"];
  it.each([
    ["an empty command", () => new ClientAdapter({ command: [""], transports: ["obfs4"] })],
    ["no transports", () => new ClientAdapter({ command: cmd, transports: [] })],
    [
      "a proxy URI with a host name",
      () => new ClientAdapter({ command: cmd, transports: ["x"], proxy: "socks5://h:1" }),
    ],
    [
      "a forward port of 0",
      () => new ServerAdapter({ command: cmd, transports: [{ name: "x" }], forward: { host: "127.0.0.1", port: 0 } }),
    ],
    [
      "a cookie of 31 bytes",
      () =>
        new ExtServerAdapter({
          command: cmd,
          transports: [{ name: "x" }],
          cookie: new Uint8Array(31),
          onConnection: () => undefined,
        }),
    ],
    [
      "a relative cookie file",
      () =>
        new ExtServerAdapter({
          command: cmd,
          transports: [{ name: "x" }],
          cookieFile: "cookie",
          onConnection: () => undefined,
        }),
    ],
  ])("refuses %s with ERR_ADAPTER_OPTIONS", (_name, make) => {
    expect(make).toThrow(expect.objectContaining({ code: "ERR_ADAPTER_OPTIONS" }));
  });

  it("openTransportConnection before start → ERR_ADAPTER_NOT_RUNNING", async () => {
    const a = new ClientAdapter({ command: cmd, transports: ["x"] });
    await expect(a.openTransportConnection("x", "127.0.0.1", 1)).rejects.toMatchObject({
      code: "ERR_ADAPTER_NOT_RUNNING",
    });
  });

  it("close() before start() resolves at once, and start() after it is refused", async () => {
    const a = new ClientAdapter({ command: cmd, transports: ["x"] });
    expect(await a.close()).toEqual({ code: null, signal: null });
    await expect(a.start()).rejects.toMatchObject({ code: "ERR_ADAPTER_STARTED" });
  });
});

describe("StderrLineSplitter", () => {
  const input =
    'plain text\nENV-ERROR no cookie\r\nCMETHOD-ERROR obfs4 no rocks\nLOG SEVERITY=info MESSAGE="x y"\nENV-ERROR\ntail';
  const want: StderrLine[] = [
    { kind: "text", text: "plain text" },
    { kind: "ipc", message: { kind: "ENV-ERROR", message: "no cookie" } },
    { kind: "ipc", message: { kind: "CMETHOD-ERROR", transport: "obfs4", message: "no rocks" } },
    { kind: "ipc", message: { kind: "LOG", severity: "info", message: "x y" } },
    { kind: "ipc", message: { kind: "ENV-ERROR", message: "" } },
    { kind: "text", text: "tail" },
  ];

  it("classifies lines at every split point", () => {
    for (const { chunks } of splits(enc(input))) {
      const s = new StderrLineSplitter();
      const got = chunks.flatMap((c) => s.push(c));
      got.push(...s.finish());
      expect(got).toEqual(want);
    }
  });

  it("a malformed IPC line on stderr stays text; multi-byte characters split across chunks survive", () => {
    const s = new StderrLineSplitter();
    const bytes = enc("CMETHOD-ERROR\nüñï\n");
    const got = [...s.push(bytes.subarray(0, 15)), ...s.push(bytes.subarray(15))];
    expect(got).toEqual([
      { kind: "text", text: "CMETHOD-ERROR" },
      { kind: "text", text: "üñï" },
    ]);
  });

  it("cuts a line longer than MAX_STDERR_LINE_CHARS instead of buffering it", () => {
    const s = new StderrLineSplitter();
    const long = "x".repeat(MAX_STDERR_LINE_CHARS + 1000);
    for (let i = 0; i < long.length; i += 4096) expect(s.push(enc(long.slice(i, i + 4096)))).toEqual([]);
    const [line] = s.push(enc("\n"));
    expect(line).toEqual({ kind: "text", text: "x".repeat(MAX_STDERR_LINE_CHARS) });
  });
});
