/**
 * The popup's and options page's requests (lib/messages.ts UiRequest), from
 * our own pages only. Every answer is `{ ok, value }` or `{ ok: false, error }`
 * with the error as plain data (its stable code for the UI to show).
 */
import browser, { type Runtime } from "webextension-polyfill";
import { errorData } from "../../shared/webapp/index.js";
import { parseUiRequest, type UiRequest, type UiResponse } from "../lib/messages.js";
import { isOwnPage } from "../lib/sender.js";
import type { Service } from "./service.js";

async function handle(service: Service, r: UiRequest): Promise<unknown> {
  switch (r.kind) {
    case "ui-status":
      return service.status();
    case "ui-import-bridge":
      return service.importBridge(r.text, r.label);
    case "ui-remove-bridge":
      return service.removeBridge(r.id);
    case "ui-set-active":
      return service.setActive(r.id);
    case "ui-set-signaling":
      return service.setSignaling(r.id, r.signaling);
    case "ui-test-bridge":
      return service.testBridge(r.id);
    case "ui-approve":
      return service.approve(r.origin);
    case "ui-deny":
      return service.deny(r.origin);
    case "ui-revoke":
      return service.revoke(r.origin);
    case "ui-manual-answer":
      return service.rtc.answer(r.offerId, r.text);
    case "ui-manual-cancel":
      return service.rtc.cancel(r.offerId);
    case "ui-clear-logs":
      return service.deps.log.clear();
  }
}

/** Undefined for messages that are not UI requests (they belong to another listener). */
export function onUiMessage(
  service: Service,
  message: unknown,
  sender: Runtime.MessageSender,
): Promise<UiResponse> | undefined {
  const kind = (message as { kind?: unknown } | undefined)?.kind;
  if (typeof kind !== "string" || !kind.startsWith("ui-")) return undefined;
  if (!isOwnPage(sender, browser.runtime.id, browser.runtime.getURL(""))) return undefined;
  const r = parseUiRequest(message);
  if (r === null)
    return Promise.resolve({ ok: false, error: { name: "Error", code: "ERR_UI_REQUEST", message: "bad request" } });
  return handle(service, r).then(
    (value) => ({ ok: true, value: value ?? null }),
    (e: unknown) => ({ ok: false, error: errorData(e) }),
  );
}
