/**
 * Sender checks for every message and port (STYLE: "sender allowlist on
 * every message"). The browser fills `sender`; a page cannot forge it.
 */
import type { Runtime } from "webextension-polyfill";
import { checkOrigin } from "./store.js";

/**
 * Our own extension pages (popup, options, offscreen) and the service worker.
 * They may sit in a tab (the options page opens in one), so the test is the
 * document's URL: a content script's sender.url is its web page's.
 */
export function isOwnPage(sender: Runtime.MessageSender | undefined, extensionId: string, baseUrl: string): boolean {
  return sender?.id === extensionId && typeof sender.url === "string" && sender.url.startsWith(baseUrl);
}

/**
 * The web origin of our content script's page, when it may talk to us: our
 * own content script (sender.id), in a tab's top-level frame, on an https: or
 * loopback http: origin. Otherwise null.
 */
export function contentScriptOrigin(sender: Runtime.MessageSender | undefined, extensionId: string): string | null {
  if (sender?.id !== extensionId || sender.tab === undefined || sender.frameId !== 0) return null;
  const declared = (sender as { origin?: unknown }).origin;
  let origin: string | null = typeof declared === "string" ? declared : null;
  if (origin === null && typeof sender.url === "string") {
    try {
      origin = new URL(sender.url).origin;
    } catch {
      return null;
    }
  }
  return origin === null ? null : checkOrigin(origin);
}
