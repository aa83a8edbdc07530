/**
 * The popup: which bridge (and so which carrier) is in use, a connection
 * test with a clear result, sites asking for access (Allow / Ignore), and
 * live statistics. Everything else is on the options page.
 */
import browser from "webextension-polyfill";
import type { Status } from "../lib/messages.js";
import { $, bytes, call, describeTest, h, poll, showError } from "./common.js";

let last: Status | null = null;

function render(s: Status): void {
  last = s;
  $("worker").textContent = `worker up since ${new Date(s.workerStartedAt).toLocaleTimeString()}`;
  const select = $("carrier") as HTMLSelectElement;
  $("no-bridge").hidden = s.bridges.length > 0;
  $("carrier-row").hidden = s.bridges.length === 0;
  ($("test") as HTMLButtonElement).disabled = s.bridges.length === 0;
  const key = s.bridges.map((b) => `${b.id}:${b.active}`).join(",");
  if (select.dataset.key !== key) {
    select.dataset.key = key;
    select.replaceChildren(
      ...s.bridges.map((b) =>
        h("option", { value: b.id, selected: b.active }, `${b.label ?? b.address} — ${b.transport}`),
      ),
    );
  }
  const active = s.bridges.find((b) => b.active);
  const t = describeTest(active === undefined ? undefined : s.tests[active.id]);
  const result = $("test-result");
  result.textContent = t.text;
  result.className = `result ${t.cls}`;

  $("requests-section").hidden = s.pending.length === 0;
  const reqKey = s.pending.map((p) => p.origin).join(",");
  const list = $("requests");
  if (list.dataset.key !== reqKey) {
    list.dataset.key = reqKey;
    list.replaceChildren(
      ...s.pending.map((p) =>
        h(
          "li",
          { "data-origin": p.origin },
          h("span", { class: "origin" }, p.origin),
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
  }

  const rows = s.stats.map((st) =>
    h(
      "tr",
      {},
      h("th", {}, st.transport),
      h("td", {}, `${st.connectionsOpen} open, ${st.connectionsTotal} total, ${st.connectionsFailed} failed`),
      h("td", {}, `↑ ${bytes(st.bytesSent)} ↓ ${bytes(st.bytesReceived)}`),
    ),
  );
  $("stats").replaceChildren(
    ...rows,
    h("tr", {}, h("th", {}, "sites"), h("td", { colSpan: 2 }, `${s.approvals.length} approved`)),
  );
  const note = $("manual-note");
  note.hidden = s.manualOffers.length === 0;
  note.textContent = `${s.manualOffers.length} WebRTC offer(s) wait for a manual answer: open the settings.`;
}

let refresh: () => Promise<void> = async () => undefined;

async function act(request: Parameters<typeof call>[0]): Promise<void> {
  try {
    await call(request);
    await refresh();
  } catch (e) {
    showError($("error"), e);
  }
}

$("carrier").addEventListener(
  "change",
  (e) => void act({ kind: "ui-set-active", id: (e.target as HTMLSelectElement).value }),
);
$("test").addEventListener("click", () => {
  const active = last?.bridges.find((b) => b.active);
  if (active !== undefined) void act({ kind: "ui-test-bridge", id: active.id });
});
$("open-options").addEventListener("click", () => void browser.runtime.openOptionsPage());
refresh = poll(render, $("error"));
