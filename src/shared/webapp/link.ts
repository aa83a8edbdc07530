/**
 * A message link: the two ends of the stream protocol (protocol.ts) talk
 * through one of these. `messagePortLink` wraps an HTML MessagePort (a web
 * app's end, the content script's end); the extension wraps its runtime
 * ports the same way (src/extension/lib/runtime-link.ts).
 *
 * A MessagePort has no close event that every browser fires, so closing is
 * in band: `close()` posts LINK_CLOSE_MESSAGE first, and a link that
 * receives it reports its close.
 */
import type { PortMessage } from "./protocol.js";

/** The in-band "this port is closing" message (outside the stream grammar). */
export const LINK_CLOSE_MESSAGE = Object.freeze({ t: "bye" });

export interface PortLink {
  send(message: PortMessage): void;
  /** Incoming messages, unparsed (the mux checks them). One listener. */
  onMessage(listener: (raw: unknown) => void): void;
  /** The far end closed or the link broke (`error` says why, when known). One listener; called once. */
  onClose(listener: (error?: Error) => void): void;
  close(): void;
}

/** The HTML MessagePort surface a link needs (window.MessagePort, worker_threads' MessagePort). */
export interface MessagePortLike {
  postMessage(message: unknown): void;
  onmessage: ((event: { readonly data: unknown }) => void) | null;
  close(): void;
  start?(): void;
}

export function isLinkClose(raw: unknown): boolean {
  return typeof raw === "object" && raw !== null && (raw as { t?: unknown }).t === LINK_CLOSE_MESSAGE.t;
}

export function messagePortLink(port: MessagePortLike): PortLink {
  let onMessage: (raw: unknown) => void = () => undefined;
  let onClose: (error?: Error) => void = () => undefined;
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    port.onmessage = null;
    try {
      port.close();
    } catch {
      // already closed
    }
    onClose();
  };
  port.onmessage = (e) => {
    if (isLinkClose(e.data)) finish();
    else if (!closed) onMessage(e.data);
  };
  port.start?.();
  return {
    send(message) {
      if (!closed) port.postMessage(message);
    },
    onMessage(listener) {
      onMessage = listener;
    },
    onClose(listener) {
      onClose = listener;
    },
    close() {
      if (closed) return;
      try {
        port.postMessage(LINK_CLOSE_MESSAGE);
      } catch {
        // the other end is gone
      }
      finish();
    },
  };
}

/**
 * A link that exists before its port does: messages sent meanwhile wait
 * (bounded by the protocol's windows and stream limit), and a port that never
 * comes closes the link with that error.
 */
export function pendingLink(port: Promise<PortLink>): PortLink {
  let onMessage: (raw: unknown) => void = () => undefined;
  let onClose: (error?: Error) => void = () => undefined;
  let ready: PortLink | null = null;
  let closed = false;
  const waiting: PortMessage[] = [];
  const finish = (error?: Error): void => {
    if (closed) return;
    closed = true;
    waiting.length = 0;
    onClose(error);
  };
  port.then(
    (link) => {
      if (closed) {
        link.close();
        return;
      }
      ready = link;
      link.onMessage((raw) => onMessage(raw));
      link.onClose((error) => finish(error));
      for (const m of waiting.splice(0)) link.send(m);
    },
    (error: unknown) => finish(error instanceof Error ? error : new Error(String(error))),
  );
  return {
    send(message) {
      if (closed) return;
      if (ready !== null) ready.send(message);
      else waiting.push(message);
    },
    onMessage(listener) {
      onMessage = listener;
    },
    onClose(listener) {
      onClose = listener;
    },
    close() {
      const link = ready;
      finish();
      link?.close();
    },
  };
}
