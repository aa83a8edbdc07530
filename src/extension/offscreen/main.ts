/**
 * Chrome's offscreen document (reason WEB_RTC): a service worker has no
 * RTCPeerConnection, so the worker's webrtc connections run here, served to
 * it over a runtime port with the stream protocol (src/shared/webapp), and
 * their manual offers are answered through one-shot messages. Only the
 * extension's own contexts are served; this document has only the
 * chrome.runtime messaging API, so it does not load webextension-polyfill.
 */
import { servePort, errorData } from "../../shared/webapp/index.js";
import { ManualOffers } from "../lib/manual-offers.js";
import type { OffscreenRequest } from "../lib/messages.js";
import { RTC_PORT_NAME, openRtcHere } from "../lib/rtc-backend.js";
import { runtimeLink } from "../lib/runtime-link.js";

interface ChromePort {
  readonly name: string;
  readonly sender?: { readonly id?: string; readonly url?: string; readonly tab?: unknown };
}
interface ChromeRuntime {
  readonly id: string;
  getURL(path: string): string;
  onConnect: { addListener(l: (port: ChromePort) => void): void };
  onMessage: {
    addListener(
      l: (m: unknown, sender: ChromePort["sender"], respond: (r: unknown) => void) => boolean | undefined,
    ): void;
  };
}

const runtime = (globalThis as unknown as { chrome: { runtime: ChromeRuntime } }).chrome.runtime;
const manual = new ManualOffers();

const ours = (sender: ChromePort["sender"]): boolean =>
  sender?.id === runtime.id && (sender.url ?? "").startsWith(runtime.getURL(""));

runtime.onConnect.addListener((port) => {
  if (port.name !== RTC_PORT_NAME || !ours(port.sender)) return;
  servePort(runtimeLink(port as unknown as Parameters<typeof runtimeLink>[0]), (req) => openRtcHere(req, manual));
});

async function answer(m: OffscreenRequest): Promise<unknown> {
  switch (m.kind) {
    case "rtc-manual-list":
      return manual.list();
    case "rtc-manual-answer":
      return manual.answer(m.offerId, m.text);
    case "rtc-manual-cancel":
      return manual.cancel(m.offerId);
  }
}

runtime.onMessage.addListener((message, sender, respond) => {
  const m = message as OffscreenRequest | undefined;
  if (typeof m?.kind !== "string" || !m.kind.startsWith("rtc-manual-") || !ours(sender)) return undefined;
  answer(m).then(
    (value) => respond({ ok: true, value: value ?? null }),
    (e: unknown) => respond({ ok: false, error: errorData(e) }),
  );
  return true; // respond asynchronously
});
