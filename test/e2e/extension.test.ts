/**
 * The extension end to end in real Chromium (Debian's, driven by
 * playwright-core): the built extension is loaded; bridges from a webpt
 * bridge running in this process are imported through the options page; a
 * test page on 127.0.0.1 asks for access, is approved in the popup, and moves
 * 8 MiB each way over each carrier to the bridge's echo sink with equal
 * SHA-256; a page on another origin (localhost) is refused and sees nothing;
 * manual WebRTC signaling is completed through the options page; the service
 * worker is stopped mid-use and nothing is lost. Screenshots of the popup and
 * the options page go to test/e2e/screenshots/.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, rm } from "node:fs/promises";
import path from "node:path";
import type { Page } from "playwright-core";
import type { Status } from "../../src/extension/lib/messages.js";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  CHROMIUM,
  SCREENSHOTS,
  buildForTests,
  launch,
  startBridge,
  startPageServer,
  type Bridge,
  type Browser,
} from "./harness.js";

const MiB = 1 << 20;
const BULK = 8 * MiB;

/** page-app.js's xorshift32 pattern, to check the page sent what we think. */
function pattern(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
const sha256 = (b: Uint8Array): string => createHash("sha256").update(b).digest("hex");

interface EchoResult {
  ok: boolean;
  transport?: string;
  keys?: string[];
  received?: number;
  sentSha?: string;
  receivedSha?: string;
  ms?: number;
  openedMs?: number;
  error?: { code?: string; message?: string };
}

/** The background's status, asked from an extension page the way the UI asks. */
function uiStatus(page: Page): Promise<Status> {
  return page.evaluate(async () => {
    const { chrome } = globalThis as unknown as { chrome: { runtime: { sendMessage(m: unknown): Promise<unknown> } } };
    return ((await chrome.runtime.sendMessage({ kind: "ui-status" })) as { value: Status }).value;
  });
}

if (!existsSync(CHROMIUM)) {
  // The project's setup installs it (scripts/setup.sh); say so rather than skip silently.
  throw new Error(`${CHROMIUM} is missing: run \`npm run setup\` (apt-get install chromium)`);
}

describe("the extension in Chromium", () => {
  let bridge: Bridge;
  let browser: Browser;
  let pages: Awaited<ReturnType<typeof startPageServer>>;
  let options: Page;
  let app: Page;
  let built: Awaited<ReturnType<typeof buildForTests>>;

  beforeAll(async () => {
    await mkdir(SCREENSHOTS, { recursive: true });
    built = await buildForTests();
    [bridge, pages] = await Promise.all([startBridge(), startPageServer(built.webapp)]);
    browser = await launch(built.chrome);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await bridge?.stop();
    await pages?.close();
    if (built !== undefined) await rm(built.dir, { recursive: true, force: true });
  }, 30_000);

  it("imports a bridge per carrier through the options page and tests each", async () => {
    options = await browser.extensionPage("options.html");
    // A bad line gets a clear error, and nothing is imported.
    await options.fill("#bridge-input", "obfs4 192.0.2.1:443 cert=AAAA iat-mode=0");
    await options.click("#import");
    await expect.poll(() => options.textContent("#import-result")).toMatch(/ERR_|does not|need/);
    for (const [transport, label] of [
      ["websocket", "local websocket"],
      ["webrtc", "local webrtc"],
    ] as const) {
      await options.fill("#bridge-input", bridge.lines[transport]);
      await options.fill("#bridge-label", label);
      await options.click("#import");
      await expect.poll(() => options.textContent("#import-result")).toContain(`Imported ${label} (${transport})`);
    }
    await expect.poll(() => options.locator("#bridges > li").count()).toBe(2);
    for (const transport of ["websocket", "webrtc"]) {
      const card = options.locator(`#bridges > li[data-transport=${transport}]`);
      await card.locator("button.test").click();
      await expect
        .poll(() => card.locator(".test-result").textContent(), { timeout: 20_000 })
        .toMatch(/^Works: obfs4 session/);
    }
    await options.screenshot({ path: path.join(SCREENSHOTS, "options.png"), fullPage: true });
  }, 60_000);

  it("gives an unapproved page nothing: no port, no bridge, one error code", async () => {
    const stranger = await browser.context.newPage();
    await stranger.goto(`http://localhost:${pages.port}/`);
    expect(
      await stranger.evaluate(() =>
        (window as unknown as { app: { isAvailable(): Promise<boolean> } }).app.isAvailable(),
      ),
    ).toBe(false);
    const r = await stranger.evaluate(() =>
      (window as unknown as { app: { tryOpen(r: object): Promise<EchoResult> } }).app.tryOpen({
        transport: "websocket",
      }),
    );
    expect(r).toEqual({
      ok: false,
      error: { name: "WebptUnavailableError", code: "ERR_WEBPT_UNAVAILABLE", message: expect.any(String) },
    });
    const footprint = await stranger.evaluate(() =>
      (window as unknown as { app: { footprint(): unknown } }).app.footprint(),
    );
    expect(footprint).toEqual({ globals: [], chromeRuntime: "undefined", attributes: [] });
    // Asking is allowed (the person sees it) but the page hears nothing back until approved.
    const asked = await stranger.evaluate(() =>
      (window as unknown as { app: { requestAccess(ms: number): Promise<EchoResult> } }).app.requestAccess(800),
    );
    expect(asked).toMatchObject({ ok: false, error: { code: "ERR_WEBPT_UNAVAILABLE" } });
    expect(bridge.records).toHaveLength(2); // only the two connection tests reached the bridge
    await stranger.close();
  }, 30_000);

  it("lets a page ask, and the person approve it in the popup", async () => {
    app = await browser.context.newPage();
    await app.goto(`http://127.0.0.1:${pages.port}/`);
    const asking = app.evaluate(() =>
      (window as unknown as { app: { requestAccess(ms: number): Promise<EchoResult> } }).app.requestAccess(30_000),
    );
    const popup = await browser.extensionPage("popup.html");
    await popup.setViewportSize({ width: 380, height: 560 });
    const origin = `http://127.0.0.1:${pages.port}`;
    const row = popup.locator(`#requests li[data-origin="${origin}"]`);
    await row.waitFor({ timeout: 10_000 });
    await popup.screenshot({ path: path.join(SCREENSHOTS, "popup.png") });
    await row.locator("button.allow").click();
    expect(await asking).toEqual({ ok: true });
    await popup.close();
  }, 40_000);

  for (const transport of ["websocket", "webrtc"] as const) {
    it(`moves 8 MiB each way over ${transport}, sha256-equal`, async () => {
      const before = bridge.records.length;
      const r = await app.evaluate(
        ([n, t]) =>
          (window as unknown as { app: { echo(n: number, r: object, seed: number): Promise<EchoResult> } }).app.echo(
            n,
            { transport: t },
            7,
          ),
        [BULK, transport] as const,
      );
      expect(r.error).toBeUndefined();
      const expected = sha256(pattern(BULK, 7));
      expect(r).toMatchObject({ ok: true, transport, received: BULK, sentSha: expected, receivedSha: expected });
      expect(r.keys).toEqual(["readable", "transport", "writable"]); // nothing about the bridge
      const rec = bridge.records.slice(before);
      expect(rec.map((x) => x.transport)).toEqual([transport]);
      expect(rec[0]!.bytesIn).toBe(BULK);
      console.log(`e2e ${transport}: 8 MiB each way in ${r.ms} ms (open ${r.openedMs} ms)`);
    }, 90_000);
  }

  it("completes manual WebRTC signaling through the options page", async () => {
    const card = options.locator("#bridges > li[data-transport=webrtc]");
    await card.locator("select.signaling").selectOption("manual");
    await expect.poll(() => card.locator("select.signaling").inputValue()).toBe("manual");
    await options.locator("#bridges > li[data-transport=webrtc] button.test").click();
    const offer = options.locator("#offers > li").first();
    await offer.waitFor({ timeout: 15_000 });
    const offerText = await offer.locator("textarea.offer").inputValue();
    expect(offerText).toMatch(/^webpt-offer:/);
    await options.screenshot({ path: path.join(SCREENSHOTS, "options-manual.png"), fullPage: true });
    // A wrong paste is refused and the offer stays.
    await offer.locator("textarea.answer").fill("webpt-answer:AAAA");
    await offer.locator("button.apply").click();
    await expect.poll(() => offer.locator(".result").textContent()).toMatch(/ERR_SIGNAL/);
    const answer = await bridge.webrtc.answerManualOffer(offerText);
    await offer.locator("textarea.answer").fill(answer);
    await offer.locator("button.apply").click();
    const result = options.locator("#bridges > li[data-transport=webrtc] .test-result");
    await expect.poll(() => result.textContent(), { timeout: 20_000 }).toMatch(/^Works: obfs4 session/);
    await card.locator("select.signaling").selectOption("http");
  }, 60_000);

  it("loses nothing when the service worker is stopped mid-use", async () => {
    const startedAt = (await uiStatus(options)).workerStartedAt;
    const cdp = await browser.context.newCDPSession(options);
    await cdp.send("ServiceWorker.enable");
    await cdp.send("ServiceWorker.stopAllWorkers");
    await cdp.detach();
    const after = await uiStatus(options);
    expect(after.workerStartedAt).toBeGreaterThan(startedAt); // a new worker
    expect(after.bridges).toHaveLength(2);
    expect(after.approvals.map((a) => a.origin)).toEqual([`http://127.0.0.1:${pages.port}`]);
    // The page's old port died with the worker; its next connection asks again and works.
    const r = await app.evaluate(() =>
      (window as unknown as { app: { echo(n: number, r: object, seed: number): Promise<EchoResult> } }).app.echo(
        256 * 1024,
        { transport: "websocket" },
        3,
      ),
    );
    expect(r).toMatchObject({ ok: true, received: 256 * 1024, receivedSha: sha256(pattern(256 * 1024, 3)) });
  }, 40_000);

  it("revoking a site closes its access", async () => {
    const origin = `http://127.0.0.1:${pages.port}`;
    await options.locator(`#approvals li[data-origin="${origin}"] button.revoke`).click();
    await expect.poll(() => options.locator("#approvals li").count()).toBe(0);
    const r = await app.evaluate(() =>
      (window as unknown as { app: { tryOpen(r: object): Promise<EchoResult> } }).app.tryOpen({
        transport: "websocket",
      }),
    );
    expect(r).toMatchObject({ ok: false });
    expect(["ERR_WEBPT_UNAVAILABLE", "ERR_TRANSPORT_CLOSED"]).toContain(r.error?.code);
  }, 30_000);
});
