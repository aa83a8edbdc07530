/**
 * The background entry (Chrome: service worker; Firefox: event page): wires
 * storage, the log, the WebRTC backend and the service to the runtime's
 * events. Listeners are registered synchronously at the top level, as MV3
 * requires, so an event that wakes a stopped worker is delivered.
 */
import browser, { type Runtime } from "webextension-polyfill";
import { settingsFromBridgeLine } from "../../shared/settings/index.js";
import { openConnection } from "../../shared/transport/index.js";
import { localRtcBackend, offscreenRtcBackend, type ChromeOffscreenApi } from "../lib/rtc-backend.js";
import { Store } from "../lib/store.js";
import { Log } from "./log.js";
import { Service } from "./service.js";
import { onUiMessage } from "./ui-api.js";
import { WEBAPP_PORT_NAME, announceStart, endOrigin, onContentMessage, onWebappConnect } from "./webapp-host.js";

const log = new Log(browser.storage.local);
const store = new Store(browser.storage.local, (what) => log.add("warning", `dropped from storage: ${what}`));
const g = globalThis as unknown as { RTCPeerConnection?: unknown; chrome?: ChromeOffscreenApi };
const rtc =
  typeof g.RTCPeerConnection === "function" || g.chrome?.offscreen === undefined
    ? localRtcBackend() // Firefox's background page has RTCPeerConnection
    : offscreenRtcBackend(g.chrome); // a Chrome service worker does not: the offscreen document runs WebRTC

const service = new Service({
  store,
  log,
  rtc,
  session: browser.storage.session,
  notifyTab: (tabId) =>
    void browser.tabs.sendMessage(tabId, { kind: "webapp-access-granted" }, { frameId: 0 }).catch(() => undefined),
  setBadge: (count) =>
    void browser.action.setBadgeText({ text: count > 0 ? String(count) : "" }).catch(() => undefined),
});

browser.runtime.onMessage.addListener((message: unknown, sender: Runtime.MessageSender) => {
  return onUiMessage(service, message, sender) ?? onContentMessage(service, message, sender);
});

browser.runtime.onConnect.addListener((port) => {
  if (port.name === WEBAPP_PORT_NAME) onWebappConnect(service, port);
});

service.onRevoke = (origin) => void endOrigin(service, origin);
void store.load();
void announceStart(service).catch(() => undefined);

/**
 * For the end-to-end tests and the benchmark (reached through DevTools on
 * this context only; web pages cannot see it): the service and the Transport
 * API as this context runs them.
 */
(globalThis as unknown as { webpt: unknown }).webpt = {
  service,
  transports: service.transports,
  openConnection,
  settingsFromBridgeLine,
};
