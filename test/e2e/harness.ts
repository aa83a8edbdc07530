/**
 * End-to-end harness: the built extension in Debian's Chromium driven by
 * playwright-core, a webpt bridge in this process (websocket and webrtc
 * transports, an echo sink), and a test page served on 127.0.0.1 (to be
 * approved) and on localhost (a different origin, never approved).
 *
 * Chromium recipe (the issue's): headful mode flag set plus `--headless=new`,
 * extensions allowed, `--load-extension`, loopback ICE candidates allowed.
 * One browser per test file, always closed (and, if it hangs, its processes
 * killed by pid), so no Chromium is left behind.
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { chromium, type BrowserContext, type Page, type Worker } from "playwright-core";
import { formatBridgeLine } from "../../src/shared/settings/index.js";
import { startBridgeServer, type BridgeServer } from "../../src/server/service/manager.js";
import type { RunningWebRtcTransport } from "../../src/server/carriers/webrtc/index.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import type { StreamSink } from "../../src/server/service/types.js";
import { buildExtension } from "../../scripts/build-extension.js";

export const CHROMIUM = process.env.WEBPT_CHROMIUM ?? "/usr/bin/chromium";
export const SCREENSHOTS = path.resolve(import.meta.dirname, "screenshots");

export interface EchoRecord {
  readonly transport: string;
  bytesIn: number;
}

/** Echoes every stream and records how much each carried (the bridge's side of the check). */
export function echoSink(records: EchoRecord[]): StreamSink {
  return async (stream: Obfs4Stream, _client, transport) => {
    const rec: EchoRecord = { transport, bytesIn: 0 };
    records.push(rec);
    stream.on("data", (d: Buffer) => (rec.bytesIn += d.length));
    stream.pipe(stream);
    stream.on("error", () => undefined);
    await new Promise((r) => stream.once("close", r));
    return {};
  };
}

export interface Bridge {
  readonly server: BridgeServer;
  readonly lines: { websocket: string; webrtc: string };
  readonly webrtc: RunningWebRtcTransport;
  readonly records: EchoRecord[];
  stop(): Promise<void>;
}

export async function startBridge(sink?: StreamSink): Promise<Bridge> {
  const stateDir = await mkdtemp(path.join(tmpdir(), "webpt-e2e-bridge-"));
  const records: EchoRecord[] = [];
  const server = await startBridgeServer({
    stateDir,
    transports: [
      { name: "websocket", bind: { host: "127.0.0.1", port: 0 }, options: new Map() },
      { name: "webrtc", bind: { host: "127.0.0.1", port: 0 }, options: new Map([["ice-address", "127.0.0.1"]]) },
    ],
    sink: sink ?? echoSink(records),
    log: { log: () => undefined },
    engineOptions: { closeDelayMs: 0 },
  });
  if (server.failed.length > 0) {
    throw new Error(`bridge transports failed: ${server.failed.map((f) => f.error.message).join("; ")}`);
  }
  const line = (name: string): string => {
    const t = server.running.find((r) => r.name === name)!;
    return formatBridgeLine({ transport: name, host: "127.0.0.1", port: t.address.port, args: server.clientArgs(t) });
  };
  return {
    server,
    records,
    lines: { websocket: line("websocket"), webrtc: line("webrtc") },
    webrtc: server.running.find((r) => r.name === "webrtc") as RunningWebRtcTransport,
    async stop() {
      await server.stopAccepting();
      server.closeAll();
      await rm(stateDir, { recursive: true, force: true });
    },
  };
}

const PAGE = `<!doctype html><meta charset="utf-8"><title>webpt test app</title>
<script src="/webpt-webapp.js"></script><script src="/app.js"></script><body><h1>test app</h1></body>`;

/** Serves the test page and the built web-app client; reachable as 127.0.0.1 and as localhost (two origins). */
export async function startPageServer(webappDir: string): Promise<{ port: number; close(): Promise<void> }> {
  const client = await readFile(path.join(webappDir, "webpt-webapp.js"));
  const app = await readFile(path.join(import.meta.dirname, "page-app.js"));
  const server = http.createServer((req, res) => {
    const body = req.url === "/webpt-webapp.js" ? client : req.url === "/app.js" ? app : req.url === "/" ? PAGE : null;
    if (body === null) {
      res.writeHead(404).end();
      return;
    }
    const type = req.url?.endsWith(".js") ? "text/javascript" : "text/html";
    res.writeHead(200, { "content-type": type, "cache-control": "no-store" }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise((r) => server.close(() => r())),
  };
}

export interface Browser {
  readonly context: BrowserContext;
  readonly extensionId: string;
  worker(): Promise<Worker>;
  extensionPage(file: "popup.html" | "options.html"): Promise<Page>;
  close(): Promise<void>;
}

export async function buildForTests(): Promise<{ chrome: string; webapp: string; dir: string }> {
  const dir = await mkdtemp(path.join(tmpdir(), "webpt-e2e-ext-"));
  const r = await buildExtension({ outDir: dir, browsers: ["chrome"], zip: false });
  return { chrome: r.folders.chrome, webapp: r.webapp!, dir };
}

/** Kills (by pid) any process still running with our unique profile directory on its command line. */
function killLeftovers(profile: string): void {
  const ps = spawnSync("ps", ["-eo", "pid=,args="], { encoding: "utf8" });
  for (const line of (ps.stdout ?? "").split("\n")) {
    const m = /^\s*(\d+)\s+(.*)$/.exec(line);
    if (m !== null && m[2]!.includes(profile)) {
      try {
        process.kill(Number(m[1]), "SIGKILL");
      } catch {
        // gone already
      }
    }
  }
}

export async function launch(extensionDir: string): Promise<Browser> {
  const profile = await mkdtemp(path.join(tmpdir(), "webpt-e2e-profile-"));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: false,
    ignoreDefaultArgs: ["--disable-extensions"],
    args: [
      "--headless=new",
      `--disable-extensions-except=${extensionDir}`,
      `--load-extension=${extensionDir}`,
      "--allow-loopback-in-peer-connection",
      "--no-sandbox", // root in a container
      "--disable-gpu",
      "--no-first-run",
      "--disable-features=WebRtcHideLocalIpsWithMdns",
    ],
    viewport: { width: 800, height: 900 },
  });
  const first = context.serviceWorkers()[0] ?? (await context.waitForEvent("serviceworker", { timeout: 20_000 }));
  const extensionId = new URL(first.url()).host;
  return {
    context,
    extensionId,
    async worker() {
      const live = context.serviceWorkers().find((w) => w.url().startsWith(`chrome-extension://${extensionId}/`));
      return live ?? (await context.waitForEvent("serviceworker", { timeout: 20_000 }));
    },
    async extensionPage(file) {
      const page = await context.newPage();
      await page.goto(`chrome-extension://${extensionId}/${file}`);
      return page;
    },
    async close() {
      await Promise.race([context.close(), new Promise((r) => setTimeout(r, 10_000))]);
      killLeftovers(profile); // a browser that did not close in time
      await rm(profile, { recursive: true, force: true }).catch(() => undefined);
    },
  };
}
