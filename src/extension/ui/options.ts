/**
 * The options page: import bridges (line or share link), choose and test
 * them, switch a webrtc bridge to manual signaling and complete the
 * exchange (copy the offer, paste the answer), approve and revoke sites,
 * statistics and the log. Sections are rebuilt only when what they show
 * changed, so a half-typed answer is never wiped by the refresh.
 */
import browser from "webextension-polyfill";
import { parseBridgeInput } from "../../shared/settings/index.js";
import type { BridgeView, ManualOfferView, Status } from "../lib/messages.js";
import { $, bytes, call, describeTest, h, poll, showError } from "./common.js";

let refresh: () => Promise<void> = async () => undefined;

async function act(request: Parameters<typeof call>[0], resultEl: HTMLElement = $("error")): Promise<boolean> {
  try {
    await call(request);
    await refresh();
    return true;
  } catch (e) {
    showError(resultEl, e);
    return false;
  }
}

function keyed(el: HTMLElement, key: string, build: () => Node[]): void {
  if (el.dataset.key === key) return;
  el.dataset.key = key;
  el.replaceChildren(...build());
}

function bridgeCard(b: BridgeView, s: Status): HTMLElement {
  const t = describeTest(s.tests[b.id]);
  const signaling =
    b.transport === "webrtc"
      ? h(
          "label",
          {},
          "Signaling ",
          h(
            "select",
            {
              class: "signaling",
              onchange: (e: Event) =>
                void act({
                  kind: "ui-set-signaling",
                  id: b.id,
                  signaling: (e.target as HTMLSelectElement).value as "http" | "manual",
                }),
            },
            h("option", { value: "http", selected: b.signaling === "http" }, "automatic (HTTP endpoint)"),
            h("option", { value: "manual", selected: b.signaling === "manual" }, "manual (copy and paste)"),
          ),
        )
      : null;
  return h(
    "li",
    { "data-bridge": b.id, "data-transport": b.transport, class: b.active ? "active" : "" },
    h("strong", {}, b.label ?? b.address),
    " ",
    h("span", { class: "tag" }, b.transport),
    b.active ? h("span", { class: "tag on" }, "in use") : null,
    h("div", { class: "muted small" }, b.address),
    h("div", { class: "row" }, signaling),
    h(
      "div",
      { class: "row" },
      b.active
        ? null
        : h(
            "button",
            { type: "button", class: "use", onclick: () => void act({ kind: "ui-set-active", id: b.id }) },
            "Use",
          ),
      h(
        "button",
        { type: "button", class: "test", onclick: () => void act({ kind: "ui-test-bridge", id: b.id }) },
        "Test",
      ),
      h(
        "button",
        { type: "button", class: "remove", onclick: () => void act({ kind: "ui-remove-bridge", id: b.id }) },
        "Remove",
      ),
    ),
    h("p", { class: `result test-result ${t.cls}` }, t.text),
  );
}

function offerCard(o: ManualOfferView): HTMLElement {
  const answer = h("textarea", { class: "answer", rows: 4, spellcheck: false, placeholder: "webpt-answer:…" });
  const result = h("p", { class: "result" });
  const offerText = h("textarea", { class: "offer", rows: 6, readOnly: true, value: o.text });
  return h(
    "li",
    { "data-offer": o.offerId },
    h("strong", {}, o.bridge),
    " ",
    h("span", { class: "muted" }, `for ${o.purpose}, since ${new Date(o.createdAt).toLocaleTimeString()}`),
    h("label", {}, "1. Send this offer to the bridge operator", offerText),
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          type: "button",
          class: "copy",
          onclick: () => {
            offerText.select();
            void navigator.clipboard.writeText(o.text).catch(() => undefined);
          },
        },
        "Copy offer",
      ),
    ),
    h("label", {}, "2. Paste their answer", answer),
    h(
      "div",
      { class: "row" },
      h(
        "button",
        {
          type: "button",
          class: "apply",
          onclick: async () => {
            result.textContent = "Connecting…";
            result.className = "result pending";
            if (await act({ kind: "ui-manual-answer", offerId: o.offerId, text: answer.value }, result)) {
              result.textContent = "Connected.";
              result.className = "result ok";
            }
          },
        },
        "Apply answer",
      ),
      h(
        "button",
        { type: "button", class: "cancel", onclick: () => void act({ kind: "ui-manual-cancel", offerId: o.offerId }) },
        "Cancel",
      ),
    ),
    result,
  );
}

function render(s: Status): void {
  $("worker").textContent = `worker up since ${new Date(s.workerStartedAt).toLocaleTimeString()}`;
  $("no-bridges").hidden = s.bridges.length > 0;
  const testKey = Object.entries(s.tests)
    .map(([k, t]) => `${k}:${t.at}:${t.ok}:${t.running ?? false}`)
    .join(",");
  keyed($("bridges"), JSON.stringify(s.bridges) + testKey, () => s.bridges.map((b) => bridgeCard(b, s)));
  $("no-offers").hidden = s.manualOffers.length > 0;
  keyed($("offers"), s.manualOffers.map((o) => o.offerId).join(","), () => s.manualOffers.map(offerCard));

  keyed($("pending"), s.pending.map((p) => p.origin).join(","), () =>
    s.pending.map((p) =>
      h(
        "li",
        { "data-origin": p.origin },
        h("span", { class: "origin" }, p.origin),
        " asks to use webpt ",
        h(
          "button",
          { type: "button", class: "allow", onclick: () => void act({ kind: "ui-approve", origin: p.origin }) },
          "Allow",
        ),
        h(
          "button",
          { type: "button", class: "deny", onclick: () => void act({ kind: "ui-deny", origin: p.origin }) },
          "Ignore",
        ),
      ),
    ),
  );
  keyed($("approvals"), s.approvals.map((a) => a.origin).join(","), () =>
    s.approvals.map((a) =>
      h(
        "li",
        { "data-origin": a.origin },
        h("span", { class: "origin" }, a.origin),
        " may use webpt ",
        h(
          "button",
          { type: "button", class: "revoke", onclick: () => void act({ kind: "ui-revoke", origin: a.origin }) },
          "Revoke",
        ),
      ),
    ),
  );
  $("no-sites").hidden = s.pending.length + s.approvals.length > 0;

  $("stats").replaceChildren(
    h("tr", {}, ...["carrier", "open", "total", "failed", "sent", "received", "last error"].map((c) => h("th", {}, c))),
    ...s.stats.map((st) =>
      h(
        "tr",
        { "data-transport": st.transport },
        h("td", {}, st.transport),
        h("td", {}, String(st.connectionsOpen)),
        h("td", {}, String(st.connectionsTotal)),
        h("td", {}, String(st.connectionsFailed)),
        h("td", {}, bytes(st.bytesSent)),
        h("td", {}, bytes(st.bytesReceived)),
        h("td", {}, st.lastError === null ? "" : `${st.lastError.code}: ${st.lastError.message}`),
      ),
    ),
  );
  $("connections").replaceChildren(
    ...s.connections.map((c) =>
      h(
        "tr",
        {},
        h("td", {}, c.origin),
        h("td", {}, c.transport),
        h("td", {}, c.state),
        h("td", {}, `↑ ${bytes(c.bytesSent)} ↓ ${bytes(c.bytesReceived)}`),
      ),
    ),
  );
  const logs = $("logs");
  const logKey = `${s.logs.length}:${s.logs.at(-1)?.at ?? 0}`;
  if (logs.dataset.key !== logKey) {
    logs.dataset.key = logKey;
    logs.textContent = s.logs
      .map((l) => `${new Date(l.at).toLocaleTimeString()} [${l.severity}] ${l.message}`)
      .join("\n");
  }
}

/**
 * A webrtc bridge's signaling endpoint is fetched from the extension, which
 * needs host access to it. The content script's match patterns (every https:
 * host, http: on localhost and 127.0.0.1) already give that access, so only
 * an endpoint on plain http: elsewhere needs more: optional_host_permissions,
 * asked here, in the click that imports the bridge (permissions.request must
 * come from a user gesture).
 */
function signalingOrigins(text: string): string[] {
  try {
    const line = parseBridgeInput(text.trim()).bridge;
    if (line.transport !== "webrtc") return [];
    const signal = line.args.find(([k]) => k === "signal")?.[1];
    if (signal === undefined) return [];
    const u = new URL(signal);
    const covered = u.protocol === "https:" || u.hostname === "localhost" || u.hostname === "127.0.0.1";
    return covered ? [] : [`${u.protocol}//${u.hostname}/*`];
  } catch {
    return []; // the background reports what is wrong with the line
  }
}

async function importBridge(): Promise<void> {
  const input = $("bridge-input") as HTMLTextAreaElement;
  const label = ($("bridge-label") as HTMLInputElement).value.trim();
  const result = $("import-result");
  try {
    const origins = signalingOrigins(input.value);
    if (origins.length > 0 && !(await browser.permissions.request({ origins }))) {
      result.textContent = `Not imported: webpt needs your permission to reach the bridge's signaling endpoint (${origins.join(", ")}).`;
      result.className = "result bad";
      return;
    }
    const b = await call<BridgeView>({
      kind: "ui-import-bridge",
      text: input.value,
      ...(label === "" ? {} : { label }),
    });
    result.textContent = `Imported ${b.label ?? b.address} (${b.transport}).`;
    result.className = "result ok";
    input.value = "";
    ($("bridge-label") as HTMLInputElement).value = "";
    await refresh();
  } catch (e) {
    showError(result, e);
  }
}

$("import").addEventListener("click", () => void importBridge());
$("clear-logs").addEventListener("click", () => void act({ kind: "ui-clear-logs" }));
refresh = poll(render, $("error"));
