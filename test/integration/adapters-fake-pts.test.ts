/**
 * The adapters against misbehaving PTs (small node scripts in
 * test/fixtures/fake-pts): each failure surfaces as its documented
 * PtLaunchError code, and no process — the PT or anything it started —
 * is left behind.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { AdapterError, ClientAdapter, PtLaunchError, type PtLaunchErrorCode } from "../../src/server/adapters/index.js";
import type { LogMessage, StatusMessage } from "../../src/shared/codec/pt-ipc/index.js";

const FAKES = path.resolve(import.meta.dirname, "../fixtures/fake-pts");
const fake = (name: string): [string, string] => [process.execPath, path.join(FAKES, name)];

/** Whether a process (or, for a negative pid, a process group) still exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function launchError(adapter: ClientAdapter): Promise<PtLaunchError> {
  const err = await adapter.start().then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(PtLaunchError);
  return err as PtLaunchError;
}

describe("ClientAdapter against misbehaving PTs", () => {
  const cases: { name: string; script: string; code: PtLaunchErrorCode; detail?: RegExp; stderr?: RegExp }[] = [
    { name: "exits early", script: "exits-early.mjs", code: "ERR_PT_EARLY_EXIT", stderr: /cannot open the rocks file/ },
    { name: "never prints DONE", script: "never-done.mjs", code: "ERR_PT_START_TIMEOUT" },
    { name: "prints garbage (a CMETHOD that does not parse)", script: "garbage.mjs", code: "ERR_PT_BAD_OUTPUT" },
    { name: "writes NUL", script: "writes-nul.mjs", code: "ERR_PT_BAD_OUTPUT" },
  ];
  it.each(cases)("$name → $code, nothing left running", async ({ script, code, stderr }) => {
    const adapter = new ClientAdapter({
      command: fake(script),
      transports: ["trebuchet"],
      startTimeoutMs: 800,
      shutdownGraceMs: 300,
    });
    const err = await launchError(adapter);
    expect(err.code).toBe(code);
    if (stderr) expect(err.stderrTail).toMatch(stderr);
    expect(err.pid).toBeGreaterThan(0);
    expect(alive(err.pid!)).toBe(false);
    expect(alive(-err.pid!)).toBe(false);
    expect(adapter.state).toBe("closed");
    // The temporary state directory went with it.
    expect(adapter.stateDir).toBeUndefined();
  });

  it("a PT that ignores stdin close and SIGTERM (and whose helper does too) is SIGKILLed with its whole group", async () => {
    const pidFile = path.join(await mkdtemp(path.join(tmpdir(), "webpt-fake-")), "helper.pid");
    const adapter = await ClientAdapter.start({
      command: fake("ignores-sigterm.mjs"),
      transports: ["trebuchet"],
      env: { FAKE_PT_PIDFILE: pidFile },
      shutdownGraceMs: 300,
      allowPartial: true,
    });
    const pid = adapter.process.pid!;
    const helper = Number(await readFile(pidFile, "utf8"));
    expect(alive(pid)).toBe(true);
    expect(alive(helper)).toBe(true);
    const t0 = Date.now();
    const exit = await adapter.close();
    expect(exit).toEqual({ code: null, signal: "SIGKILL" });
    // stdin (300 ms) → SIGTERM (300 ms) → SIGKILL.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    await expect.poll(() => alive(helper), { timeout: 2000 }).toBe(false);
    expect(alive(-pid)).toBe(false);
    await rm(path.dirname(pidFile), { recursive: true, force: true });
  });

  it("a command that does not exist → ERR_PT_SPAWN", async () => {
    const err = await launchError(new ClientAdapter({ command: ["/nonexistent/pt"], transports: ["trebuchet"] }));
    expect(err.code).toBe("ERR_PT_SPAWN");
  });

  it("an AbortSignal fired during startup → ERR_PT_ABORTED, and the PT is gone", async () => {
    const ac = new AbortController();
    const adapter = new ClientAdapter({
      command: fake("never-done.mjs"),
      transports: ["trebuchet"],
      signal: ac.signal,
      shutdownGraceMs: 300,
    });
    setTimeout(() => ac.abort(), 200);
    const err = await launchError(adapter);
    expect(err.code).toBe("ERR_PT_ABORTED");
    expect(await adapter.exited).toBeDefined();
  });

  it("close() during start() cancels the launch", async () => {
    const adapter = new ClientAdapter({ command: fake("never-done.mjs"), transports: ["trebuchet"] });
    const starting = adapter.start();
    const closed = adapter.close();
    await expect(starting).rejects.toMatchObject({ code: "ERR_PT_ABORTED" });
    await closed;
    expect(adapter.state).toBe("closed");
  });
});

describe("ClientAdapter with a well-behaved fake PT", () => {
  async function echoServer(): Promise<{ port: number; close(): Promise<void> }> {
    const srv = net.createServer((s) => s.pipe(s));
    await new Promise<void>((r) => srv.listen(0, "127.0.0.1", r));
    return {
      port: (srv.address() as net.AddressInfo).port,
      close: () => new Promise((r) => srv.close(() => r())),
    };
  }

  async function roundTrip(sock: net.Socket, text: string): Promise<string> {
    sock.write(text);
    const got = await new Promise<string>((resolve) => sock.once("data", (d: Buffer) => resolve(d.toString())));
    sock.destroy();
    return got;
  }

  it.each([
    { version: "2", maxVersion: "2", method: 9, args: '{"cert":"a;b=c","iat-mode":"0"}' },
    { version: "1", maxVersion: "1", method: 2, args: "cert=a\\;b\\=c;iat-mode=0" },
  ])(
    "version $version: args go as method $method, LOG/STATUS become events",
    async ({ version, maxVersion, method, args }) => {
      const echo = await echoServer();
      const logs: LogMessage[] = [];
      const statuses: StatusMessage[] = [];
      const stderr: string[] = [];
      {
        await using adapter = new ClientAdapter({
          command: fake("socks-client.mjs"),
          transports: ["trebuchet", "bogus"],
          env: { FAKE_PT_MAX_VERSION: maxVersion },
          allowPartial: true,
        });
        adapter.on("log", (m) => logs.push(m));
        adapter.on("status", (m) => statuses.push(m));
        adapter.on("stderr", (l) => stderr.push(l));
        await adapter.start();
        expect(adapter.version).toBe(version);
        expect([...adapter.transports.keys()]).toEqual(["trebuchet"]);
        const sock = await adapter.openTransportConnection("trebuchet", "127.0.0.1", echo.port, {
          cert: "a;b=c",
          "iat-mode": "0",
        });
        expect(await roundTrip(sock, "hello")).toBe("hello");
        await expect.poll(() => logs.length).toBeGreaterThanOrEqual(2);
        await expect(adapter.openTransportConnection("bogus", "127.0.0.1", 1)).rejects.toMatchObject({
          code: "ERR_ADAPTER_NO_TRANSPORT",
        });
      }
      await echo.close();
      expect(logs.map((l) => l.message)).toContain("trebuchet ready");
      expect(logs.map((l) => l.message)).toContain(`method=${method} args=${args} target=127.0.0.1:${echo.port}`);
      expect(statuses[0]).toEqual({ kind: "STATUS", transport: "trebuchet", fields: [["READY", "1"]] });
      expect(stderr).toContain("fake-pt: a line of plain stderr");
    },
  );

  it("by default every transport must launch: an unknown one → ERR_PT_METHOD_ERROR naming it", async () => {
    const err = await launchError(
      new ClientAdapter({ command: fake("socks-client.mjs"), transports: ["trebuchet", "bogus"] }),
    );
    expect(err.code).toBe("ERR_PT_METHOD_ERROR");
    expect(err.failures.map((f) => f.transport)).toEqual(["bogus"]);
  });

  it.each([
    { version: "2", stream: "stderr" },
    { version: "1", stream: "stdout" },
  ])("ENV-ERROR on $stream (version $version) → ERR_PT_ENV_ERROR with the PT's words", async ({ version }) => {
    const err = await launchError(
      new ClientAdapter({
        command: fake("socks-client.mjs"),
        transports: ["trebuchet"],
        env: { FAKE_PT_MODE: "env-error", FAKE_PT_MAX_VERSION: version },
      }),
    );
    expect(err.code).toBe("ERR_PT_ENV_ERROR");
    expect(err.detail).toBe("fake says no");
  });

  it("no supported version → ERR_PT_VERSION_ERROR", async () => {
    const err = await launchError(
      new ClientAdapter({ command: fake("socks-client.mjs"), transports: ["trebuchet"], versions: ["7"] }),
    );
    expect(err.code).toBe("ERR_PT_VERSION_ERROR");
    expect(err.detail).toBe("no-version");
  });

  it("TOR_PT_PROXY without PROXY DONE → ERR_PT_PROXY_IGNORED (tor kills such a PT)", async () => {
    const err = await launchError(
      new ClientAdapter({
        command: fake("socks-client.mjs"),
        transports: ["trebuchet"],
        proxy: "socks5://127.0.0.1:1080",
        env: { FAKE_PT_MODE: "ignore-proxy" },
      }),
    );
    expect(err.code).toBe("ERR_PT_PROXY_IGNORED");
  });

  it("a malformed proxy URI is refused before anything is launched", () => {
    expect(
      () => new ClientAdapter({ command: fake("socks-client.mjs"), transports: ["t"], proxy: "socks5://host" }),
    ).toThrow(AdapterError);
  });

  it("aborting the lifetime signal after start closes the adapter", async () => {
    const ac = new AbortController();
    const adapter = await ClientAdapter.start({
      command: fake("socks-client.mjs"),
      transports: ["trebuchet"],
      signal: ac.signal,
    });
    const pid = adapter.process.pid!;
    ac.abort();
    expect(await adapter.exited).toEqual({ code: 0, signal: null });
    await expect.poll(() => adapter.state).toBe("closed");
    expect(alive(pid)).toBe(false);
    expect(() => adapter.process).toThrow(AdapterError);
  });
});
