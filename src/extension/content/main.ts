/**
 * The content script: the only part of webpt a web page can reach, and it
 * answers only pages whose origin the person approved (src/shared/webapp
 * client.ts has the window protocol). For any other page it does nothing at
 * all: no reply, no DOM change, no global, so the page cannot tell it is
 * there. It never reads the page.
 *
 * For an approved page it hands over a MessagePort and relays each stream on
 * it to a runtime port of its own, turning data between structured-clone
 * bytes and the base64 Chrome's runtime ports need. One runtime port per
 * stream, because the background may be stopped at any time: a new stream's
 * port wakes it, and only the streams it held die with it. Chrome does not
 * always report a port to a stopped service worker as disconnected, so the
 * background names its instance (`epoch`) on every port and, when it
 * starts, tells the tabs it served; ports of an older instance are closed
 * then. The script holds no bytes itself: the stream protocol's credit
 * windows bound what is in flight.
 */
import browser, { type Runtime } from "webextension-polyfill";
import {
  LINK_CLOSE_MESSAGE,
  MAX_PORT_STREAMS,
  WEBPT_WINDOW_VERSION,
  isLinkClose,
  parseWindowMessage,
} from "../../shared/webapp/index.js";
import { EPOCH_MESSAGE, WEBAPP_PORT_NAME, type WebappReset } from "../lib/messages.js";
import { fromWire, toWire } from "../lib/runtime-link.js";

/** Nonces of request-access asks waiting for the person; bounded. */
const MAX_WAITING_NONCES = 16;
const waiting: string[] = [];

interface Relay {
  readonly port: Runtime.Port;
  epoch: number | undefined;
  /** Tells the page this stream is over and drops the runtime port. */
  kill(): void;
}

/** Every relayed stream of every page port, for the background's reset. */
const relays = new Set<Relay>();

const closedError = {
  name: "BrowserTransportError",
  code: "ERR_TRANSPORT_CLOSED",
  message: "the extension closed the connection (it was restarted, or the site's access was revoked)",
};

function welcome(nonce: string): void {
  const channel = new MessageChannel();
  const page = channel.port1;
  const streams = new Map<number, Relay>();
  let open = true;

  const startStream = (id: number, first: unknown): void => {
    if (streams.size >= MAX_PORT_STREAMS) {
      page.postMessage({
        t: "close",
        id,
        error: { ...closedError, message: `at most ${MAX_PORT_STREAMS} connections` },
      });
      return;
    }
    const port = browser.runtime.connect({ name: WEBAPP_PORT_NAME });
    let alive = true;
    const relay: Relay = {
      port,
      epoch: undefined,
      kill() {
        if (!alive) return;
        alive = false;
        streams.delete(id);
        relays.delete(relay);
        if (open) page.postMessage({ t: "close", id, error: closedError });
        port.disconnect();
      },
    };
    streams.set(id, relay);
    relays.add(relay);
    port.onMessage.addListener((m: unknown) => {
      const e = m as { t?: unknown; epoch?: unknown };
      if (e?.t === EPOCH_MESSAGE) {
        if (typeof e.epoch === "number") relay.epoch = e.epoch;
        return;
      }
      if (!alive || !open) return;
      page.postMessage(fromWire(m));
      if (e?.t === "close") {
        alive = false; // the background ended it and said so
        streams.delete(id);
        relays.delete(relay);
        port.disconnect();
      }
    });
    port.onDisconnect.addListener(() => relay.kill());
    port.postMessage(toWire(first));
  };

  const shut = (): void => {
    if (!open) return;
    for (const r of [...streams.values()]) r.kill();
    open = false;
    try {
      page.postMessage(LINK_CLOSE_MESSAGE);
    } catch {
      // the page went away
    }
    page.close();
  };

  page.onmessage = (e: MessageEvent) => {
    if (!open) return;
    const m = e.data as { t?: unknown; id?: unknown };
    if (isLinkClose(m)) {
      shut();
      return;
    }
    if (typeof m !== "object" || m === null || typeof m.id !== "number") return; // the background checks the rest
    const relay = streams.get(m.id);
    if (m.t === "open") {
      if (relay === undefined) startStream(m.id, m);
      return;
    }
    if (relay === undefined) return;
    relay.port.postMessage(toWire(m));
    if (m.t === "close") {
      streams.delete(m.id);
      relays.delete(relay);
      relay.port.disconnect();
    }
  };
  window.postMessage({ webpt: WEBPT_WINDOW_VERSION, type: "welcome", nonce }, location.origin, [channel.port2]);
}

window.addEventListener("message", (e: MessageEvent) => {
  if (e.source !== window || !window.isSecureContext) return;
  const m = parseWindowMessage(e.data);
  if (m === null || m.type === "welcome") return;
  const kind = m.type === "hello" ? "webapp-hello" : "webapp-request-access";
  browser.runtime.sendMessage({ kind }).then(
    (r: unknown) => {
      if ((r as { approved?: unknown } | undefined)?.approved === true) welcome(m.nonce);
      else if (m.type === "request-access" && !waiting.includes(m.nonce)) {
        waiting.push(m.nonce);
        if (waiting.length > MAX_WAITING_NONCES) waiting.shift();
      }
    },
    () => undefined, // the extension is reloading: stay silent
  );
});

browser.runtime.onMessage.addListener((m: unknown) => {
  const kind = (m as { kind?: unknown } | undefined)?.kind;
  if (kind === "webapp-access-granted") {
    for (const nonce of waiting.splice(0)) welcome(nonce);
  } else if (kind === "webapp-reset") {
    // A new background instance: streams it did not accept are dead (or, on revoke, must end).
    const { epoch, all } = m as WebappReset;
    for (const r of [...relays]) if (all || (r.epoch !== undefined && r.epoch !== epoch)) r.kill();
  }
  return undefined;
});
