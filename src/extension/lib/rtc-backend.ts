/**
 * Where the extension's WebRTC connections live. A Chrome service worker has
 * no RTCPeerConnection, so there they run in an offscreen document (reason
 * WEB_RTC) that serves them to the worker over a runtime port with the same
 * stream protocol web apps use (src/shared/webapp). Firefox's background
 * page has RTCPeerConnection and runs them itself (`localRtcBackend`).
 */
import { parseHostPort } from "../../shared/net/index.js";
import { settingsFromBridgeLine, type WebRtcSettings } from "../../shared/settings/index.js";
import { BrowserTransportError, openConnection, type BrowserConnection } from "../../shared/transport/index.js";
import { PortClient, pendingLink, type ConnectRequest, type PortLink } from "../../shared/webapp/index.js";
import { ManualOffers, type ManualMeta } from "./manual-offers.js";
import type { ManualOfferView } from "./messages.js";
import { runtimeLink } from "./runtime-link.js";

/** The port name the offscreen document serves. */
export const RTC_PORT_NAME = "webpt-rtc";
export const OFFSCREEN_PATH = "offscreen.html";

export interface RtcOpen {
  /** The bridge line (webrtc). */
  readonly line: string;
  /** Free mode: "host:port". */
  readonly destination?: string;
  /** Manual signaling, and for whom (shown to the person with the offer). */
  readonly manual?: ManualMeta;
}

export interface RtcBackend {
  open(req: RtcOpen): BrowserConnection;
  manualOffers(): Promise<ManualOfferView[]>;
  answer(offerId: string, text: string): Promise<void>;
  cancel(offerId: string): Promise<void>;
}

/** A destination "host:port" as SOCKS wants it. */
export function parseDestination(text: string): { host: string; port: number } {
  const hp = parseHostPort(text);
  return { host: hp.host, port: hp.port };
}

/** One webrtc connection from a request, in a context that has RTCPeerConnection. */
export function openRtcHere(req: ConnectRequest, manual: ManualOffers): BrowserConnection {
  if (req.bridge === undefined) throw new BrowserTransportError("ERR_TRANSPORT_SETTINGS", "no bridge line");
  const settings = settingsFromBridgeLine(req.bridge);
  if (settings.transport !== "webrtc") throw new BrowserTransportError("ERR_TRANSPORT_SETTINGS", "not a webrtc bridge");
  const meta: ManualMeta | undefined =
    req.signaling === "manual" ? { bridge: `${settings.transport} bridge`, purpose: req.purpose ?? "" } : undefined;
  if (meta !== undefined && req.purpose !== undefined) {
    const [bridge, purpose] = req.purpose.split("\n", 2);
    Object.assign(meta, { bridge: bridge ?? meta.bridge, purpose: purpose ?? "" });
  }
  return openConnection(settings as WebRtcSettings, {
    ...(req.destination === undefined ? {} : { destination: parseDestination(req.destination) }),
    ...(meta === undefined ? {} : { manual: manual.exchange(meta), onClose: () => manual.cancelFor(meta) }),
  });
}

function requestOf(req: RtcOpen): ConnectRequest {
  return {
    transport: "webrtc",
    bridge: req.line,
    ...(req.destination === undefined ? {} : { destination: req.destination }),
    ...(req.manual === undefined
      ? {}
      : { signaling: "manual", purpose: `${req.manual.bridge}\n${req.manual.purpose}` }),
  };
}

/** Firefox (and any context with RTCPeerConnection): connections run right here. */
export function localRtcBackend(): RtcBackend {
  const manual = new ManualOffers();
  return {
    open: (req) => openRtcHere(requestOf(req), manual),
    manualOffers: () => Promise.resolve(manual.list()),
    answer: (offerId, text) => manual.answer(offerId, text),
    cancel: (offerId) => Promise.resolve(manual.cancel(offerId)),
  };
}

/** The few chrome.* calls the offscreen backend needs (absent from webextension-polyfill's types). */
export interface ChromeOffscreenApi {
  readonly offscreen: {
    createDocument(p: { url: string; reasons: string[]; justification: string }): Promise<void>;
    hasDocument?(): Promise<boolean>;
  };
  readonly runtime: {
    getURL(path: string): string;
    getContexts?(filter: { contextTypes: string[]; documentUrls?: string[] }): Promise<unknown[]>;
    connect(info: { name: string }): unknown;
    sendMessage(message: unknown): Promise<unknown>;
  };
}

/** Chrome: connections run in the offscreen document, reached over one runtime port. */
export function offscreenRtcBackend(chrome: ChromeOffscreenApi): RtcBackend {
  let creating: Promise<void> | null = null;
  let client: PortClient | null = null;

  const ensureDocument = async (): Promise<void> => {
    const url = chrome.runtime.getURL(OFFSCREEN_PATH);
    const exists =
      chrome.runtime.getContexts !== undefined
        ? (await chrome.runtime.getContexts({ contextTypes: ["OFFSCREEN_DOCUMENT"], documentUrls: [url] })).length > 0
        : ((await chrome.offscreen.hasDocument?.()) ?? false);
    if (exists) return;
    await chrome.offscreen.createDocument({
      url: OFFSCREEN_PATH,
      reasons: ["WEB_RTC"],
      justification:
        "WebRTC data channels to the bridges the person imported (service workers have no RTCPeerConnection)",
    });
  };

  const connect = async (): Promise<PortLink> => {
    creating ??= ensureDocument().finally(() => (creating = null));
    await creating;
    const port = chrome.runtime.connect({ name: RTC_PORT_NAME }) as Parameters<typeof runtimeLink>[0];
    return runtimeLink(port);
  };

  const session = (): PortClient => {
    if (client !== null) return client;
    // A PortClient over a link that is still being made: opens wait for it (pendingLink).
    const c = new PortClient(pendingLink(connect()), { defaultTransport: "webrtc" });
    client = c;
    void c.closed.then(() => {
      if (client === c) client = null; // the document closed or crashed: make it again next time
    });
    return c;
  };

  const ask = async <T>(message: unknown): Promise<T> => {
    await ensureDocument();
    const r = (await chrome.runtime.sendMessage(message)) as {
      ok: boolean;
      value?: T;
      error?: { code: string; message: string };
    };
    if (r?.ok !== true) {
      throw new BrowserTransportError(
        (r?.error?.code as "ERR_TRANSPORT_SIGNALING" | undefined) ?? "ERR_TRANSPORT_SIGNALING",
        r?.error?.message ?? "the offscreen document did not answer",
      );
    }
    return r.value as T;
  };

  return {
    open: (req) => session().open(requestOf(req)),
    manualOffers: async () => (client === null ? [] : ask<ManualOfferView[]>({ kind: "rtc-manual-list" })),
    answer: async (offerId, text) => void (await ask<unknown>({ kind: "rtc-manual-answer", offerId, text })),
    cancel: async (offerId) => void (await ask<unknown>({ kind: "rtc-manual-cancel", offerId })),
  };
}
