/**
 * `runStandalone` end to end: start it as the CLI would (flags, a config
 * file), take the bridge lines it prints, dial them as a client would
 * (obfs4 over TCP and over a WebSocket), speak SOCKS5 inside, and stop it.
 * Also the exit codes of a bad command line, a bad config, no transport,
 * and an unwritable log file.
 */
import { spawn } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parseShareLink, settingsFromBridgeLine } from "../../src/shared/settings/index.js";
import { dialWebSocket } from "../../src/server/carriers/websocket/dial.js";
import { dialObfs4Tcp, startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { runStandalone, type StandaloneReady } from "../../src/server/standalone/run.js";
import { socksConnectInStream } from "../../src/server/standalone/socks-in-stream.js";
import { exchange, sha256 } from "../helpers/bulk.js";
import { startCountingEcho } from "../helpers/standalone.js";

interface Run {
  readonly code: Promise<number>;
  readonly stdout: string[];
  readonly stderr: string[];
  readonly ready: Promise<StandaloneReady>;
  stop(): void;
}

function start(argv: string[], env: Record<string, string> = {}, cwd?: string): Run {
  const stdout: string[] = [];
  const stderr: string[] = [];
  const ac = new AbortController();
  let onReady!: (r: StandaloneReady) => void;
  const ready = new Promise<StandaloneReady>((resolve) => (onReady = resolve));
  const code = runStandalone(argv, env, {
    stdout: (s) => void stdout.push(s),
    stderr: (s) => void stderr.push(s),
    signal: ac.signal,
    handleSignals: false,
    drainMs: 200,
    onReady,
    engineOptions: { closeDelayMs: 0 },
    ...(cwd === undefined ? {} : { cwd }),
  });
  return { code, stdout, stderr, ready, stop: () => ac.abort() };
}

describe("runStandalone, free mode from flags and a config file", () => {
  let dir: string;
  let echo: Awaited<ReturnType<typeof startCountingEcho>>;
  let run: Run;
  let ready: StandaloneReady;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "webpt-run-"));
    echo = await startCountingEcho();
    await writeFile(
      path.join(dir, "standalone.json"),
      JSON.stringify({ state: "state", transports: { obfs4: { port: 0 }, websocket: { port: 0 } }, log: {} }),
    );
    run = start(["--config", "standalone.json", "--allow", "127.0.0.1", "--log-level", "debug"], {}, dir);
    ready = await Promise.race([
      run.ready,
      run.code.then((c) => Promise.reject(new Error(`exited ${c}: ${run.stderr.join("")}`))),
    ]);
  });
  afterAll(async () => {
    run?.stop();
    await run?.code;
    await echo?.close();
  });

  it("prints a Bridge line and a share link per transport, and keeps state where the file says", async () => {
    const out = run.stdout.join("");
    expect(ready.bridges.map((b) => b.transport)).toEqual(["obfs4", "websocket"]);
    for (const b of ready.bridges) {
      expect(out).toContain(`${b.bridgeLine}\n${b.shareLink}\n`);
      expect(parseShareLink(b.shareLink).bridge.transport).toBe(b.transport);
    }
    expect(out).toContain("#   allow: 127.0.0.1/32\n");
    expect(ready.config.stateDir).toBe(path.join(dir, "state"));
    const state = JSON.parse(await readFile(path.join(dir, "state", "obfs4_state.json"), "utf8")) as object;
    expect(Object.keys(state)).toContain("node-id");
    expect(run.stderr.join("")).toMatch(/\[notice\] running in free mode: obfs4, websocket\n/);
  });

  it("the printed obfs4 line works: obfs4 over TCP, SOCKS5 inside, to the echo target", async () => {
    const line = ready.bridges.find((b) => b.transport === "obfs4")!.bridgeLine;
    const s = settingsFromBridgeLine(line);
    const [, addr] = line.split(" ").slice(1);
    const [host, port] = [addr!.slice(0, addr!.lastIndexOf(":")), Number(addr!.slice(addr!.lastIndexOf(":") + 1))];
    const stream = await dialObfs4Tcp({ host, port }, s);
    await socksConnectInStream(stream, { host: "127.0.0.1", port: echo.port });
    const msg = Buffer.from("through the printed obfs4 bridge line");
    expect(await exchange(stream, msg, msg.length)).toEqual({ received: msg.length, sha256: sha256(msg) });
  });

  it("the printed websocket line works: its url, obfs4 inside, SOCKS5 inside that", async () => {
    const s = settingsFromBridgeLine(ready.bridges.find((b) => b.transport === "websocket")!.bridgeLine);
    if (s.transport !== "websocket") throw new Error("not a websocket line");
    const carrier = await dialWebSocket(s.url);
    const stream = await startObfs4Client(carrier, s);
    await socksConnectInStream(stream, { host: "127.0.0.1", port: echo.port });
    const msg = Buffer.from("through the printed websocket bridge line");
    expect(await exchange(stream, msg, msg.length)).toEqual({ received: msg.length, sha256: sha256(msg) });
  });

  it("logs scrub client addresses by default", () => {
    const logs = run.stderr.join("");
    expect(logs).toMatch(/connected to a destination/);
    expect(logs).not.toMatch(/127\.0\.0\.1/);
  });
});

describe("runStandalone stops and exits", () => {
  it("with 0 when asked to stop, closing its listeners", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-run-"));
    const run = start(["--state", dir, "--transports", "obfs4", "--obfs4-port", "0"]);
    const ready = await run.ready;
    const port = ready.bridges[0]!.address.port;
    run.stop();
    expect(await run.code).toBe(0);
    const refused = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, "127.0.0.1");
      s.once("connect", () => (s.destroy(), resolve(false)));
      s.once("error", () => resolve(true));
    });
    expect(refused).toBe(true);
  });

  it.each(["SIGINT", "SIGTERM"] as const)("with 0 on %s, in a real process", async (signal) => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-run-"));
    const script = path.join(dir, "main.mts");
    const run = path.resolve(import.meta.dirname, "../../src/server/standalone/run.ts");
    await writeFile(
      script,
      `import { runStandalone } from ${JSON.stringify(run)};\n` +
        "process.exitCode = await runStandalone(process.argv.slice(2), process.env);\n" +
        "setImmediate(() => process.exit());\n",
    );
    const child = spawn(
      process.execPath,
      ["--import", "tsx", script, "--state", dir, "--transports", "obfs4", "--obfs4-port", "0"],
      { cwd: path.resolve(import.meta.dirname, "../.."), stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stderr.on("data", (c: Buffer) => (err += c.toString()));
    await new Promise<void>((resolve, reject) => {
      child.stdout.on("data", (c: Buffer) => {
        out += c.toString();
        if (out.includes("\nweb+webpt://")) resolve();
      });
      child.once("exit", (code) => reject(new Error(`exited ${code} early: ${err}`)));
    });
    const exited = new Promise<number | string | null>((resolve) =>
      child.once("close", (code, sig) => resolve(code ?? sig)),
    );
    child.kill(signal);
    expect(await exited).toBe(0);
    expect(err).toContain(`[notice] ${signal}: no new connections`);
  });

  it.each([
    [["--bogus"], 64, /^webpt standalone: unknown flag -bogus \(see --help\)\n$/],
    [["--mode", "bound"], 64, /--mode: bound mode needs a target/],
    [["--config", "/nonexistent/standalone.json"], 78, /cannot read the config file/],
  ])("%j exits %d", async (argv, code, message) => {
    const run = start(argv);
    expect(await run.code).toBe(code);
    expect(run.stderr.join("")).toMatch(message);
    expect(run.stdout).toEqual([]);
  });

  it("78 for a config file error, naming file, line and pointer", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-run-"));
    await writeFile(path.join(dir, "c.json"), '{\n  "mode": "free",\n  "policy": {"allow": ["10.1.0.0/8"]}\n}\n');
    const run = start(["--config", "c.json"], {}, dir);
    expect(await run.code).toBe(78);
    expect(run.stderr.join("")).toMatch(
      /^webpt standalone: c\.json:3: \/policy\/allow\/0: "10\.1\.0\.0\/8" has host bits/,
    );
  });

  it("69 when no transport can start, 73 when the log file cannot be opened", async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "webpt-run-"));
    const busy = net.createServer();
    await new Promise<void>((resolve) => busy.listen(0, "127.0.0.1", resolve));
    const port = (busy.address() as net.AddressInfo).port;
    const run = start(["--state", dir, "--transports", "obfs4", "--obfs4-port", String(port)]);
    expect(await run.code).toBe(69);
    expect(run.stderr.join("")).toMatch(/\[warning\] obfs4 did not start: .*EADDRINUSE[\s\S]*no transport could start/);
    busy.close();
    const log = start(["--state", dir, "--log-file", path.join(dir, "missing", "log.txt")]);
    expect(await log.code).toBe(73);
  });

  it("prints --help and --print-config on stdout and exits 0", async () => {
    const help = start(["--help"]);
    expect(await help.code).toBe(0);
    expect(help.stdout.join("")).toMatch(/^usage: webpt standalone/);
    const printed = start(["--print-config", "--transports", "obfs4"], { WEBPT_STATE_DIR: "/var/lib/webpt" });
    expect(await printed.code).toBe(0);
    expect(JSON.parse(printed.stdout.join(""))).toMatchObject({
      state: "/var/lib/webpt",
      mode: "free",
      transports: { obfs4: { port: 7900 } },
    });
  });
});
