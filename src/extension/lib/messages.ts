/**
 * One-shot runtime messages between the extension's contexts, named by
 * direction (Dark Reader's habit). Every receiver checks the sender first
 * (sender.ts): the UI's requests are honoured only from our own pages, a
 * content script's only from a top-level frame of an approved (or asking)
 * origin, the offscreen document's only from itself.
 *
 * Byte streams never use these: they run over ports (runtime-link.ts).
 */
import type { ErrorData } from "../../shared/errors.js";
import type { BrowserTransportStats } from "../../shared/transport/index.js";
import type { Approval, BrowserTransport, Signaling } from "./store.js";

/** popup/options → background. */
export type UiRequest =
  | { readonly kind: "ui-status" }
  | { readonly kind: "ui-import-bridge"; readonly text: string; readonly label?: string }
  | { readonly kind: "ui-remove-bridge"; readonly id: string }
  | { readonly kind: "ui-set-active"; readonly id: string }
  | { readonly kind: "ui-set-signaling"; readonly id: string; readonly signaling: Signaling }
  | { readonly kind: "ui-test-bridge"; readonly id: string }
  | { readonly kind: "ui-approve"; readonly origin: string }
  | { readonly kind: "ui-deny"; readonly origin: string }
  | { readonly kind: "ui-revoke"; readonly origin: string }
  | { readonly kind: "ui-manual-answer"; readonly offerId: string; readonly text: string }
  | { readonly kind: "ui-manual-cancel"; readonly offerId: string }
  | { readonly kind: "ui-clear-logs" };

export type UiResponse<T = unknown> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: ErrorData };

/** content script → background. */
export type ContentRequest = { readonly kind: "webapp-hello" } | { readonly kind: "webapp-request-access" };
/** background → content script, when the person approves the asking origin. */
export interface AccessGranted {
  readonly kind: "webapp-access-granted";
}

/**
 * background → content script: a background instance (`epoch`) started, so
 * streams accepted by any other instance are dead; `all`: end every stream
 * (the site's access was revoked).
 */
export interface WebappReset {
  readonly kind: "webapp-reset";
  readonly epoch: number;
  readonly all: boolean;
}

/** The runtime port name of web-app streams (one port per stream). */
export const WEBAPP_PORT_NAME = "webapp";
/** Link-level first message on a web-app port: `{ t: EPOCH_MESSAGE, epoch }`, the accepting instance. */
export const EPOCH_MESSAGE = "epoch";

/** background ↔ offscreen document (Chrome): manual WebRTC signaling of connections it holds. */
export type OffscreenRequest =
  | { readonly kind: "rtc-manual-list" }
  | { readonly kind: "rtc-manual-answer"; readonly offerId: string; readonly text: string }
  | { readonly kind: "rtc-manual-cancel"; readonly offerId: string };

export interface ManualOfferView {
  readonly offerId: string;
  /** Which bridge it is for (label or address), for the person. */
  readonly bridge: string;
  /** `webpt-offer:…` text to send to the bridge operator. */
  readonly text: string;
  readonly createdAt: number;
  /** Who asked: a web origin, or "connection test". */
  readonly purpose: string;
}

export interface BridgeView {
  readonly id: string;
  readonly label: string | null;
  readonly transport: BrowserTransport;
  readonly address: string;
  readonly signaling: Signaling;
  readonly line: string;
  readonly active: boolean;
}

export interface ConnectionView {
  readonly id: number;
  readonly origin: string;
  readonly transport: BrowserTransport;
  readonly state: "connecting" | "open" | "closed";
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly startedAt: number;
}

export interface TestResult {
  readonly ok: boolean;
  readonly at: number;
  /** Time to an established obfs4 session. */
  readonly ms?: number;
  readonly error?: ErrorData;
  /** Still running (a manual exchange waits for the person). */
  readonly running?: boolean;
}

export interface LogEntry {
  readonly at: number;
  readonly severity: "error" | "warning" | "notice" | "info";
  readonly message: string;
}

export interface Status {
  readonly workerStartedAt: number;
  readonly bridges: readonly BridgeView[];
  readonly approvals: readonly Approval[];
  readonly pending: readonly { readonly origin: string; readonly at: number }[];
  readonly stats: readonly BrowserTransportStats[];
  readonly connections: readonly ConnectionView[];
  readonly manualOffers: readonly ManualOfferView[];
  readonly tests: Readonly<Record<string, TestResult>>;
  readonly logs: readonly LogEntry[];
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

const str = (v: unknown, max = 8192): v is string => typeof v === "string" && v.length <= max;

/** Checks the shape of a UI request (the sender was checked already). */
export function parseUiRequest(v: unknown): UiRequest | null {
  if (!isObject(v) || typeof v.kind !== "string") return null;
  switch (v.kind) {
    case "ui-status":
    case "ui-clear-logs":
      return { kind: v.kind };
    case "ui-import-bridge":
      if (!str(v.text) || (v.label !== undefined && !str(v.label, 256))) return null;
      return v.label === undefined ? { kind: v.kind, text: v.text } : { kind: v.kind, text: v.text, label: v.label };
    case "ui-remove-bridge":
    case "ui-set-active":
    case "ui-test-bridge":
      return str(v.id, 64) ? { kind: v.kind, id: v.id } : null;
    case "ui-set-signaling":
      return str(v.id, 64) && (v.signaling === "http" || v.signaling === "manual")
        ? { kind: v.kind, id: v.id, signaling: v.signaling }
        : null;
    case "ui-approve":
    case "ui-deny":
    case "ui-revoke":
      return str(v.origin, 512) ? { kind: v.kind, origin: v.origin } : null;
    case "ui-manual-answer":
      return str(v.offerId, 64) && str(v.text, 65536) ? { kind: v.kind, offerId: v.offerId, text: v.text } : null;
    case "ui-manual-cancel":
      return str(v.offerId, 64) ? { kind: v.kind, offerId: v.offerId } : null;
    default:
      return null;
  }
}
