/**
 * The stream protocol (src/shared/webapp/protocol.ts) over an extension
 * runtime Port. Chrome's ports carry JSON, so `data` messages travel with
 * `b` as base64 (toWire/fromWire; the content script uses the same pair when
 * it relays a page's MessagePort). Everything else passes as it is; the mux
 * on the receiving side checks every message.
 *
 * Messages that arrive before the mux attaches are held, at most
 * MAX_EARLY_MESSAGES (a port that floods before it is served is dropped).
 */
import type { Runtime } from "webextension-polyfill";
import { MAX_PORT_CHUNK_BYTES, type PortLink, type PortMessage } from "../../shared/webapp/index.js";
import { base64ToBytes, bytesToBase64 } from "./base64.js";

export const MAX_EARLY_MESSAGES = 512;
/** Longest base64 `b` accepted: MAX_PORT_CHUNK_BYTES encoded. */
export const MAX_WIRE_B_LENGTH = Math.ceil(MAX_PORT_CHUNK_BYTES / 3) * 4;

/** A message as it crosses a runtime port. */
export function toWire(m: unknown): unknown {
  const d = m as { t?: unknown; b?: unknown };
  if (d !== null && typeof d === "object" && d.t === "data" && d.b instanceof Uint8Array) {
    return { ...d, b: bytesToBase64(d.b) };
  }
  return m;
}

/** The message a runtime port delivered, with `b` as bytes again (bad base64 stays a string: the mux refuses it). */
export function fromWire(m: unknown): unknown {
  const d = m as { t?: unknown; b?: unknown };
  if (
    d !== null &&
    typeof d === "object" &&
    d.t === "data" &&
    typeof d.b === "string" &&
    d.b.length <= MAX_WIRE_B_LENGTH
  ) {
    try {
      return { ...d, b: base64ToBytes(d.b) };
    } catch {
      return m;
    }
  }
  return m;
}

export function runtimeLink(port: Runtime.Port): PortLink {
  let onMessage: ((raw: unknown) => void) | null = null;
  let onClose: (error?: Error) => void = () => undefined;
  const early: unknown[] = [];
  let closed = false;
  const finish = (): void => {
    if (closed) return;
    closed = true;
    onClose();
  };
  port.onMessage.addListener((raw: unknown) => {
    if (closed) return;
    const m = fromWire(raw);
    if (onMessage !== null) onMessage(m);
    else if (early.length < MAX_EARLY_MESSAGES) early.push(m);
    else {
      port.disconnect();
      finish();
    }
  });
  port.onDisconnect.addListener(() => finish());
  return {
    send(message: PortMessage) {
      if (closed) return;
      try {
        port.postMessage(toWire(message));
      } catch {
        finish(); // the other end is gone
      }
    },
    onMessage(listener) {
      onMessage = listener;
      for (const m of early.splice(0)) listener(m);
    },
    onClose(listener) {
      onClose = listener;
    },
    close() {
      if (closed) return;
      port.disconnect();
      finish();
    },
  };
}
