/**
 * The extension's pure parts, outside a browser: what it stores and how it
 * checks it on load (bridges against the settings schema, origins), the
 * runtime-port wire form of data messages, sender checks, and the build's
 * manifest merge and ZIP writer.
 */
import { describe, expect, it } from "vitest";
import { encodeCert, generateServerState } from "../../src/shared/codec/obfs4/index.js";
import { formatShareLink, parseBridgeLine } from "../../src/shared/settings/index.js";
import { fromWire, toWire, MAX_WIRE_B_LENGTH } from "../../src/extension/lib/runtime-link.js";
import { contentScriptOrigin, isOwnPage } from "../../src/extension/lib/sender.js";
import {
  STORE_KEY,
  Store,
  bridgeFromInput,
  bridgeLine,
  bridgeSettings,
  checkOrigin,
  validateState,
  type StorageAreaLike,
} from "../../src/extension/lib/store.js";
import { parseUiRequest } from "../../src/extension/lib/messages.js";
import { mergeManifest, zipStore } from "../../scripts/build-extension.js";

const state = generateServerState();
const cert = encodeCert(state.nodeId, state.publicKey);
const WS_LINE = `websocket 192.0.2.7:443 cert=${cert} iat-mode=0 url=wss://bridge.example/secret-path`;
const RTC_LINE = `webrtc 192.0.2.8:443 cert=${cert} iat-mode=1 signal=https://bridge.example/sig ice=stun:stun.example:3478`;

function memoryArea(): StorageAreaLike & { data: Record<string, unknown> } {
  const data: Record<string, unknown> = {};
  return {
    data,
    get: async (key) => (key in data ? { [key]: structuredClone(data[key]) } : {}),
    set: async (items) => void Object.assign(data, structuredClone(items)),
  };
}

describe("stored bridges", () => {
  it("imports websocket and webrtc lines and share links, canonical and schema-checked", () => {
    const ws = bridgeFromInput(`  Bridge ${WS_LINE}  `, "mine", 5);
    expect(ws).toMatchObject({
      label: "mine",
      transport: "websocket",
      host: "192.0.2.7",
      port: 443,
      signaling: "http",
      addedAt: 5,
    });
    expect(ws.settings).toEqual({ cert, "iat-mode": 0, url: "wss://bridge.example/secret-path" });
    expect(ws.id).toMatch(/^[0-9a-f]{16}$/);
    expect(bridgeLine(ws)).toBe(WS_LINE);
    const rtc = bridgeFromInput(formatShareLink(parseBridgeLine(RTC_LINE), "a friend's bridge"));
    expect(rtc.label).toBe("a friend's bridge");
    expect(bridgeSettings(rtc)).toMatchObject({
      transport: "webrtc",
      signal: "https://bridge.example/sig",
      iatMode: 1,
    });
  });

  it("refuses what a browser cannot use, with a code", () => {
    expect(() => bridgeFromInput(`obfs4 192.0.2.1:443 cert=${cert} iat-mode=0`)).toThrow(
      expect.objectContaining({ code: "ERR_BRIDGE_TRANSPORT" }),
    );
    expect(() => bridgeFromInput(`snowflake 192.0.2.1:443`)).toThrow(
      expect.objectContaining({ code: "ERR_BRIDGE_TRANSPORT" }),
    );
    expect(() => bridgeFromInput(`websocket 192.0.2.1:443 cert=${cert} iat-mode=0`)).toThrow(
      expect.objectContaining({ code: "ERR_SETTINGS_INVALID" }),
    ); // no url
    expect(() => bridgeFromInput("not a bridge")).toThrow();
  });

  it("drops stored entries that no longer validate, and keeps the rest", () => {
    const good = bridgeFromInput(WS_LINE);
    const badCert = { ...good, id: "00000000000000aa", settings: { ...good.settings, cert: "short" } };
    const extraKey = { ...good, id: "00000000000000bb", settings: { ...good.settings, evil: "x" } };
    const manualWs = { ...good, id: "00000000000000cc", signaling: "manual" };
    const { state: s, dropped } = validateState({
      v: 1,
      bridges: [good, badCert, extraKey, manualWs, "junk"],
      active: "00000000000000aa",
      approvals: [
        { origin: "https://app.example", at: 1 },
        { origin: "http://app.example", at: 2 },
        { origin: "https://x.example/path", at: 3 },
      ],
    });
    expect(s.bridges.map((b) => b.id)).toEqual([good.id]);
    expect(s.active).toBe(good.id); // the stored active one was dropped
    expect(s.approvals).toEqual([{ origin: "https://app.example", at: 1 }]);
    expect(dropped).toHaveLength(6); // four bridges, two approvals
    expect(validateState(undefined)).toEqual({
      state: { v: 1, bridges: [], active: null, approvals: [] },
      dropped: [],
    });
    expect(validateState({ v: 99 }).dropped).toEqual(["the whole store (unknown version)"]);
  });

  it("writes every change before resolving, and a new Store (a restarted worker) reads it back", async () => {
    const area = memoryArea();
    const a = new Store(area);
    const b1 = bridgeFromInput(WS_LINE);
    const b2 = bridgeFromInput(RTC_LINE);
    await Promise.all([
      a.update((s) => ({ ...s, bridges: [...s.bridges, b1], active: b1.id })),
      a.update((s) => ({ ...s, bridges: [...s.bridges, b2] })), // serialized: neither write is lost
    ]);
    const restarted = new Store(area);
    const s = await restarted.load();
    expect(s.bridges.map((b) => b.id)).toEqual([b1.id, b2.id]);
    expect(s.active).toBe(b1.id);
    expect((area.data[STORE_KEY] as { v: number }).v).toBe(1);
  });

  it("accepts only https: and loopback http: origins, exactly as URL normalizes them", () => {
    expect(checkOrigin("https://app.example")).toBe("https://app.example");
    expect(checkOrigin("https://app.example:8443")).toBe("https://app.example:8443");
    expect(checkOrigin("http://127.0.0.1:8080")).toBe("http://127.0.0.1:8080");
    expect(checkOrigin("http://localhost")).toBe("http://localhost");
    for (const bad of [
      "http://app.example",
      "https://APP.example",
      "https://app.example/",
      "file:///x",
      "null",
      "chrome-extension://abc",
    ]) {
      expect(checkOrigin(bad)).toBeNull();
    }
  });
});

describe("runtime-port wire form", () => {
  it("turns data bytes into base64 and back, and leaves everything else alone", () => {
    const m = { t: "data", id: 3, b: new Uint8Array([0, 1, 2, 250, 255]) };
    const wire = toWire(m) as { b: string };
    expect(wire.b).toBe("AAEC+v8=");
    expect(JSON.parse(JSON.stringify(wire))).toEqual({ t: "data", id: 3, b: "AAEC+v8=" });
    expect(fromWire(JSON.parse(JSON.stringify(wire)))).toEqual(m);
    const credit = { t: "credit", id: 3, n: 5 };
    expect(toWire(credit)).toBe(credit);
    expect(fromWire(credit)).toBe(credit);
  });

  it("leaves bad or oversized base64 as a string for the protocol check to refuse", () => {
    expect(fromWire({ t: "data", id: 1, b: "***" })).toEqual({ t: "data", id: 1, b: "***" });
    const huge = "A".repeat(MAX_WIRE_B_LENGTH + 4);
    expect((fromWire({ t: "data", id: 1, b: huge }) as { b: unknown }).b).toBe(huge);
  });
});

describe("sender checks", () => {
  const id = "abcdefghijklmnop";
  const base = `chrome-extension://${id}/`;
  it("knows our own pages, in a tab or not", () => {
    expect(isOwnPage({ id, url: `${base}options.html`, tab: { index: 0 } as never }, id, base)).toBe(true);
    expect(isOwnPage({ id, url: `${base}popup.html` }, id, base)).toBe(true);
    expect(isOwnPage({ id, url: "https://evil.example/" }, id, base)).toBe(false); // our content script on a page
    expect(isOwnPage({ id: "other", url: `${base}popup.html` }, id, base)).toBe(false);
  });

  it("takes a content script's origin only from a top frame of an allowed origin", () => {
    const tab = { index: 0 } as never;
    expect(contentScriptOrigin({ id, tab, frameId: 0, origin: "https://app.example" } as never, id)).toBe(
      "https://app.example",
    );
    expect(contentScriptOrigin({ id, tab, frameId: 0, url: "https://app.example/a?b" }, id)).toBe(
      "https://app.example",
    );
    expect(contentScriptOrigin({ id, tab, frameId: 3, url: "https://app.example/" }, id)).toBeNull();
    expect(contentScriptOrigin({ id, frameId: 0, url: "https://app.example/" }, id)).toBeNull(); // no tab
    expect(contentScriptOrigin({ id, tab, frameId: 0, url: "http://app.example/" }, id)).toBeNull();
    expect(contentScriptOrigin({ id: "x", tab, frameId: 0, url: "https://app.example/" }, id)).toBeNull();
  });
});

describe("UI requests", () => {
  it("are checked field by field", () => {
    expect(parseUiRequest({ kind: "ui-status" })).toEqual({ kind: "ui-status" });
    expect(parseUiRequest({ kind: "ui-import-bridge", text: "x", label: "y", extra: 1 })).toEqual({
      kind: "ui-import-bridge",
      text: "x",
      label: "y",
    });
    expect(parseUiRequest({ kind: "ui-set-signaling", id: "a", signaling: "carrier-pigeon" })).toBeNull();
    expect(parseUiRequest({ kind: "ui-approve" })).toBeNull();
    expect(parseUiRequest({ kind: "ui-import-bridge", text: "x".repeat(9000) })).toBeNull();
    expect(parseUiRequest("ui-status")).toBeNull();
  });
});

describe("extension build", () => {
  it("merges a browser overlay onto the manifest: objects merge, arrays and values replace", () => {
    const base = { a: 1, permissions: ["storage"], background: { x: 1 }, csp: { pages: "p" } };
    const over = { permissions: ["storage", "offscreen"], background: { service_worker: "b.js" }, b: null };
    expect(mergeManifest(base, over)).toEqual({
      a: 1,
      permissions: ["storage", "offscreen"],
      background: { x: 1, service_worker: "b.js" },
      csp: { pages: "p" },
      b: null,
    });
  });

  it("writes a ZIP that a reader can list and read back", () => {
    const files = [
      { name: "manifest.json", data: Buffer.from('{"a":1}') },
      { name: "dir/ü.js", data: new Uint8Array(1000).fill(7) },
    ];
    const zip = Buffer.from(zipStore(files));
    const end = zip.length - 22;
    expect(zip.readUInt32LE(end)).toBe(0x06054b50);
    expect(zip.readUInt16LE(end + 10)).toBe(2);
    let off = zip.readUInt32LE(end + 16);
    const names: string[] = [];
    for (let i = 0; i < 2; i++) {
      expect(zip.readUInt32LE(off)).toBe(0x02014b50);
      const n = zip.readUInt16LE(off + 28);
      const local = zip.readUInt32LE(off + 42);
      const size = zip.readUInt32LE(off + 24);
      names.push(zip.subarray(off + 46, off + 46 + n).toString("utf8"));
      const ln = zip.readUInt16LE(local + 26);
      const data = zip.subarray(local + 30 + ln, local + 30 + ln + size);
      expect(Buffer.from(data)).toEqual(Buffer.from(files[i]!.data));
      off += 46 + n;
    }
    expect(names).toEqual(["manifest.json", "dir/ü.js"]);
  });
});
