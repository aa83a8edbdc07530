/**
 * What the popup and the options page share: calling the background
 * (lib/messages.ts UiRequest) and building DOM without ever parsing text as
 * HTML (labels, origins and error messages come from outside).
 */
import browser from "webextension-polyfill";
import type { ErrorData } from "../../shared/errors.js";
import type { Status, TestResult, UiRequest, UiResponse } from "../lib/messages.js";

export class UiError extends Error {
  readonly code: string;
  constructor(e: ErrorData) {
    super(e.message);
    this.name = e.name;
    this.code = e.code;
  }
}

export async function call<T = unknown>(request: UiRequest): Promise<T> {
  const r = (await browser.runtime.sendMessage(request)) as UiResponse<T> | undefined;
  if (r === undefined)
    throw new UiError({ name: "Error", code: "ERR_NO_BACKGROUND", message: "the extension did not answer" });
  if (!r.ok) throw new UiError(r.error);
  return r.value;
}

export const status = (): Promise<Status> => call<Status>({ kind: "ui-status" });

type Child = Node | string | null | undefined | false;

/** `h("button", { class: "x", onclick }, "text")`: properties are assigned, text is text. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Partial<Record<string, unknown>> = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props)) {
    if (v === undefined) continue;
    if (k === "class") el.className = String(v);
    else if (k.startsWith("data-")) el.setAttribute(k, String(v));
    else (el as unknown as Record<string, unknown>)[k] = v;
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

export function $(id: string): HTMLElement {
  const el = document.getElementById(id);
  if (el === null) throw new Error(`#${id} is missing`);
  return el;
}

export function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1 << 30) return `${(n / (1 << 20)).toFixed(1)} MiB`;
  return `${(n / (1 << 30)).toFixed(2)} GiB`;
}

export function describeTest(t: TestResult | undefined): { text: string; cls: string } {
  if (t === undefined) return { text: "", cls: "" };
  if (t.running === true)
    return { text: "Testing… (a manual offer waits below if signaling is manual)", cls: "pending" };
  if (t.ok) return { text: `Works: obfs4 session established in ${t.ms ?? "?"} ms`, cls: "ok" };
  return { text: `Does not work: ${t.error?.code ?? "ERR_UNKNOWN"}: ${t.error?.message ?? ""}`, cls: "bad" };
}

export function showError(el: HTMLElement, e: unknown): void {
  const err = e as { code?: string; message?: string };
  el.textContent = `${err.code ?? "Error"}: ${err.message ?? String(e)}`;
  el.className = "result bad";
}

/** Calls `render` now and every `ms` while the page is open; errors show in `errorEl`. */
export function poll(render: (s: Status) => void, errorEl: HTMLElement, ms = 1000): () => Promise<void> {
  const tick = async (): Promise<void> => {
    try {
      render(await status());
      errorEl.textContent = "";
    } catch (e) {
      showError(errorEl, e);
    }
  };
  void tick();
  setInterval(() => void tick(), ms);
  return tick;
}
