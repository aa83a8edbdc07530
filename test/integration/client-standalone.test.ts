/**
 * The README's path for a person without tor: `webpt server --standalone`
 * prints a bridge line; `webpt client --bridge '<that line>'` opens a local
 * SOCKS5 port; an app connects through it to a destination the server's
 * policy allows (free mode), or to the server's one target (bound mode).
 * Both are real processes, as a user runs them.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtemp } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { socksDial } from "../../src/server/net/socks-dial.js";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";

const root = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(root, "bin/webpt.js");
const MiB = 1 << 20;
const children: ChildProcess[] = [];

/** Spawns webpt and resolves with its stdout once `until` matches it. */
function start(args: string[], until: RegExp): Promise<{ child: ChildProcess; out: string }> {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
  children.push(child);
  let out = "";
  let err = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no ${String(until)} in:\n${out}\n${err}`)), 20_000);
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      if (until.test(out)) {
        clearTimeout(timer);
        resolve({ child, out });
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.once("exit", (code) => reject(new Error(`exited ${code}:\n${out}\n${err}`)));
  });
}

let echo: net.Server;
let echoPort: number;
beforeAll(async () => {
  echo = net.createServer((s) => {
    s.on("error", () => undefined);
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, "127.0.0.1", r));
  echoPort = (echo.address() as net.AddressInfo).port;
});
afterAll(async () => {
  for (const c of children) c.kill("SIGTERM");
  await new Promise<void>((r) => echo.close(() => r()));
});

async function clientFor(line: string, mode: "free" | "bound") {
  const { out } = await start(
    ["client", "--bridge", line, "--listen", "127.0.0.1:0", "--mode", mode],
    /SOCKS5 on 127\.0\.0\.1:(\d+)/,
  );
  return Number(/SOCKS5 on 127\.0\.0\.1:(\d+)/.exec(out)![1]);
}

describe.each(["obfs4", "websocket"])("standalone server and client over %s", (transport) => {
  it("free mode: the app's destination is reached when the policy allows it, and refused with X'02' when not", async () => {
    const state = await mkdtemp(path.join(tmpdir(), "webpt-sa-"));
    const { out } = await start(
      [
        "server",
        "--standalone",
        "--state",
        state,
        "--transports",
        transport,
        `--${transport}-port`,
        "0",
        "--allow",
        "127.0.0.1/32",
        "--ports",
        String(echoPort),
      ],
      /^Bridge .*$/m,
    );
    const line = /^Bridge (.*)$/m.exec(out)![1]!;
    const port = await clientFor(line, "free");
    const sock = await socksDial({ proxy: { host: "127.0.0.1", port }, target: { host: "127.0.0.1", port: echoPort } });
    const data = patternBytes(`sa-${transport}`, 4 * MiB);
    expect(await exchange(sock, data, data.length, 30_000)).toEqual({ received: data.length, sha256: sha256(data) });
    // Port 22 is outside --ports: the server's refusal comes back to the app as the app's SOCKS reply.
    const err = await socksDial({ proxy: { host: "127.0.0.1", port }, target: { host: "127.0.0.1", port: 22 } }).catch(
      (e: unknown) => e,
    );
    expect((err as { reply?: number }).reply).toBe(0x02);
  }, 60_000);

  it("bound mode: every connection reaches the server's target whatever the app asked for", async () => {
    const state = await mkdtemp(path.join(tmpdir(), "webpt-sa-"));
    const { out } = await start(
      [
        "server",
        "--standalone",
        "--state",
        state,
        "--transports",
        transport,
        `--${transport}-port`,
        "0",
        "--target",
        `127.0.0.1:${echoPort}`,
      ],
      /^Bridge .*$/m,
    );
    const port = await clientFor(/^Bridge (.*)$/m.exec(out)![1]!, "bound");
    const sock = await socksDial({ proxy: { host: "127.0.0.1", port }, target: { host: "example.org", port: 80 } });
    const data = patternBytes(`sa-bound-${transport}`, MiB);
    expect((await exchange(sock, data, data.length, 30_000)).sha256).toBe(sha256(data));
  }, 60_000);
});

describe("webpt client --bridge refuses bad input clearly", () => {
  it.each([
    [["client", "--bridge", "obfs4 1.2.3.4:5 cert=nope"], /webpt client: .*cert/],
    [["client", "--bridge", "meek 1.2.3.4:5 url=x"], /does not implement the meek transport/],
    [["client", "--listen", "127.0.0.1:0"], /--bridge is required/],
  ])("%j", async (args, message) => {
    const child = spawn(process.execPath, [BIN, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    child.stderr.on("data", (d: Buffer) => (err += d.toString()));
    const code = await new Promise<number | null>((r) => child.once("exit", r));
    expect(code).toBe(64);
    expect(err).toMatch(message);
  });
});
