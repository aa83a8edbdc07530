/**
 * Web apps' side of the background: content scripts ask (hello,
 * request-access) with one-shot messages, and relay each approved stream
 * over its own "webapp" runtime port. Unapproved origins are refused without
 * a word: the content script stays silent towards its page.
 *
 * Every accepted port first gets this instance's epoch, and the tabs served
 * are remembered (storage.session) so that a restarted background can tell
 * them which streams died with its predecessor (content/main.ts).
 */
import browser, { type Runtime } from "webextension-polyfill";
import { servePort } from "../../shared/webapp/index.js";
import { EPOCH_MESSAGE, WEBAPP_PORT_NAME, type ContentRequest, type WebappReset } from "../lib/messages.js";
import { runtimeLink } from "../lib/runtime-link.js";
import { contentScriptOrigin } from "../lib/sender.js";
import type { StorageAreaLike } from "../lib/store.js";
import type { Service } from "./service.js";

export { WEBAPP_PORT_NAME };
export const SERVED_TABS_KEY = "webpt-webapp-tabs";
/** Tabs remembered for the restart notice. */
export const MAX_SERVED_TABS = 64;

interface ServedTab {
  readonly tabId: number;
  readonly origin: string;
}

async function servedTabs(session: StorageAreaLike): Promise<ServedTab[]> {
  const v = (await session.get(SERVED_TABS_KEY))[SERVED_TABS_KEY];
  return Array.isArray(v)
    ? (v as ServedTab[]).filter((t) => typeof t?.tabId === "number" && typeof t.origin === "string")
    : [];
}

let remembering: Promise<unknown> = Promise.resolve();

function rememberTab(session: StorageAreaLike, tab: ServedTab): void {
  remembering = remembering
    .then(async () => {
      const tabs = await servedTabs(session);
      if (tabs.some((t) => t.tabId === tab.tabId && t.origin === tab.origin)) return;
      await session.set({ [SERVED_TABS_KEY]: [...tabs, tab].slice(-MAX_SERVED_TABS) });
    })
    .catch(() => undefined);
}

function reset(tabId: number, message: WebappReset): void {
  void browser.tabs.sendMessage(tabId, message, { frameId: 0 }).catch(() => undefined);
}

/** At start: streams of the previous instance are dead; say so to the tabs it served. */
export async function announceStart(service: Service): Promise<void> {
  const tabs = await servedTabs(service.deps.session);
  await service.deps.session.set({ [SERVED_TABS_KEY]: [] });
  for (const t of new Set(tabs.map((x) => x.tabId)))
    reset(t, { kind: "webapp-reset", epoch: service.startedAt, all: false });
}

/** On revoke: every stream of `origin` ends now. */
export async function endOrigin(service: Service, origin: string): Promise<void> {
  for (const t of await servedTabs(service.deps.session)) {
    if (t.origin === origin) reset(t.tabId, { kind: "webapp-reset", epoch: service.startedAt, all: true });
  }
}

/** Answers a content script's one-shot request; undefined if it is not one (another listener's message). */
export function onContentMessage(
  service: Service,
  message: unknown,
  sender: Runtime.MessageSender,
): Promise<unknown> | undefined {
  const kind = (message as ContentRequest | undefined)?.kind;
  if (kind !== "webapp-hello" && kind !== "webapp-request-access") return undefined;
  const origin = contentScriptOrigin(sender, browser.runtime.id);
  if (origin === null) return Promise.resolve({ approved: false });
  if (kind === "webapp-hello") return service.isApproved(origin).then((approved) => ({ approved }));
  return service.requestAccess(origin, sender.tab!.id!).then((approved) => ({ approved }));
}

export function onWebappConnect(service: Service, port: Runtime.Port): void {
  const origin = contentScriptOrigin(port.sender, browser.runtime.id);
  const link = runtimeLink(port); // listening from the first message on
  if (origin === null) {
    link.close();
    return;
  }
  port.postMessage({ t: EPOCH_MESSAGE, epoch: service.startedAt });
  void service.state().then((state) => {
    if (!state.approvals.some((a) => a.origin === origin)) {
      link.close();
      return;
    }
    const tabId = port.sender?.tab?.id;
    if (tabId !== undefined) rememberTab(service.deps.session, { tabId, origin });
    let closed!: () => void;
    const whenClosed = new Promise<void>((r) => (closed = r));
    const server = servePort(link, (req) => service.openForWebapp(origin, req), {
      onProtocolError: (e) => service.deps.log.add("warning", `${origin} broke the port protocol: ${e.message}`),
    });
    link.onClose(() => {
      server.close();
      closed();
    });
    service.registerWebapp(origin, server, whenClosed);
  });
}
