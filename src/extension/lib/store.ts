/**
 * What the extension keeps (extension storage, `storage.local`): the
 * person's bridges, which one is active, and the web-app origins they
 * approved. The service worker may be stopped at any moment, so every change
 * is written before it is acknowledged, and every read after a restart goes
 * back to storage.
 *
 * Bridges are stored as the canonical settings object of their transport
 * (src/shared/settings `settingsToObject`) plus the address, and are checked
 * against the transport's settings schema (`parseSettings(…, "storage")`,
 * strict: unknown keys are an error) every time they are loaded; an entry
 * that no longer validates is dropped and logged, never used.
 */
import {
  formatBridgeLine,
  parseBridgeInput,
  parseSettings,
  settingsFromBridgeLine,
  settingsToArgs,
  settingsToObject,
  type SettingsObject,
} from "../../shared/settings/index.js";
import type { BrowserSettings } from "../../shared/transport/index.js";

export const STORE_KEY = "webpt";
export const STORE_VERSION = 1;
/** Bridges a person may keep. */
export const MAX_BRIDGES = 32;
/** Approved web-app origins. */
export const MAX_APPROVALS = 256;
/** A bridge label's length (share links carry up to 64 bytes of label). */
export const MAX_LABEL_LENGTH = 64;

export type BrowserTransport = "websocket" | "webrtc";
export type Signaling = "http" | "manual";

export interface StoredBridge {
  readonly id: string;
  readonly label: string | null;
  readonly transport: BrowserTransport;
  readonly host: string;
  readonly port: number;
  readonly fingerprint: string | null;
  readonly settings: SettingsObject;
  /** webrtc only: "manual" when the signaling endpoint is blocked. */
  readonly signaling: Signaling;
  readonly addedAt: number;
}

export interface Approval {
  readonly origin: string;
  readonly at: number;
}

export interface StoredState {
  readonly v: typeof STORE_VERSION;
  readonly bridges: readonly StoredBridge[];
  readonly active: string | null;
  readonly approvals: readonly Approval[];
}

export const EMPTY_STATE: StoredState = Object.freeze({ v: STORE_VERSION, bridges: [], active: null, approvals: [] });

export class StoreError extends Error {
  override name = "StoreError";
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
  }
  toJSON(): { name: string; code: string; message: string } {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** The browser settings of a stored bridge (schema-checked). */
export function bridgeSettings(b: StoredBridge): BrowserSettings {
  return parseSettings(b.transport, b.settings, "storage") as BrowserSettings;
}

/** The bridge line of a stored bridge (for display and for the offscreen document). */
export function bridgeLine(b: StoredBridge): string {
  return formatBridgeLine({
    transport: b.transport,
    host: b.host,
    port: b.port,
    fingerprint: b.fingerprint,
    args: settingsToArgs(bridgeSettings(b)),
  });
}

function randomId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

/** A bridge from what a person pasted: a bridge line or a web+webpt:// share link. Throws settings errors. */
export function bridgeFromInput(text: string, label: string | null = null, now = Date.now()): StoredBridge {
  const link = parseBridgeInput(text.trim());
  const line = link.bridge;
  if (line.transport !== "websocket" && line.transport !== "webrtc") {
    throw new StoreError(
      "ERR_BRIDGE_TRANSPORT",
      line.transport === "obfs4"
        ? "plain obfs4 bridges need raw TCP, which browsers do not have: ask for a websocket or webrtc bridge line"
        : `webpt cannot use ${line.transport} bridges`,
    );
  }
  const settings = settingsFromBridgeLine(line) as BrowserSettings;
  const name = (label ?? link.label ?? "").trim().slice(0, MAX_LABEL_LENGTH);
  return {
    id: randomId(),
    label: name === "" ? null : name,
    transport: settings.transport,
    host: line.host,
    port: line.port,
    fingerprint: line.fingerprint,
    settings: settingsToObject(settings),
    signaling: "http",
    addedAt: now,
  };
}

/** A normalized web origin a page can have: https:, or http: on a loopback name (secure contexts only). */
export function checkOrigin(origin: string): string | null {
  let u: URL;
  try {
    u = new URL(origin);
  } catch {
    return null;
  }
  if (u.origin !== origin) return null;
  if (u.protocol === "https:") return origin;
  const loopback = u.hostname === "localhost" || u.hostname === "127.0.0.1" || u.hostname === "[::1]";
  return u.protocol === "http:" && loopback ? origin : null;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function validBridge(v: unknown): StoredBridge {
  if (!isObject(v)) throw new Error("not an object");
  const { id, label, transport, host, port, fingerprint, settings, signaling, addedAt } = v;
  if (typeof id !== "string" || !/^[0-9a-f]{16}$/.test(id)) throw new Error("bad id");
  if (transport !== "websocket" && transport !== "webrtc") throw new Error("bad transport");
  if (label !== null && (typeof label !== "string" || label.length > MAX_LABEL_LENGTH)) throw new Error("bad label");
  if (signaling !== "http" && signaling !== "manual") throw new Error("bad signaling");
  if (signaling === "manual" && transport !== "webrtc") throw new Error("manual signaling is webrtc only");
  if (typeof addedAt !== "number") throw new Error("bad addedAt");
  if (fingerprint !== null && typeof fingerprint !== "string") throw new Error("bad fingerprint");
  if (typeof host !== "string" || typeof port !== "number") throw new Error("bad address");
  const b = { id, label, transport, host, port, fingerprint, settings, signaling, addedAt } as StoredBridge;
  bridgeSettings(b); // the transport's schema
  // The address must make a bridge line (formatBridgeLine checks host and port).
  formatBridgeLine({ transport, host, port, fingerprint, args: [] });
  return { ...b, settings: settingsToObject(bridgeSettings(b)) };
}

/** Checks stored state; entries that fail are dropped and named in `dropped`. */
export function validateState(raw: unknown): { state: StoredState; dropped: string[] } {
  const dropped: string[] = [];
  if (!isObject(raw) || raw.v !== STORE_VERSION) {
    if (raw !== undefined) dropped.push("the whole store (unknown version)");
    return { state: EMPTY_STATE, dropped };
  }
  const bridges: StoredBridge[] = [];
  for (const [i, b] of (Array.isArray(raw.bridges) ? raw.bridges : []).slice(0, MAX_BRIDGES).entries()) {
    try {
      bridges.push(validBridge(b));
    } catch (e) {
      dropped.push(`bridge #${i}: ${(e as Error).message}`);
    }
  }
  const approvals: Approval[] = [];
  for (const a of (Array.isArray(raw.approvals) ? raw.approvals : []).slice(0, MAX_APPROVALS)) {
    if (isObject(a) && typeof a.origin === "string" && checkOrigin(a.origin) !== null && typeof a.at === "number") {
      approvals.push({ origin: a.origin, at: a.at });
    } else dropped.push("an approval");
  }
  const active = typeof raw.active === "string" && bridges.some((b) => b.id === raw.active) ? raw.active : null;
  return { state: { v: STORE_VERSION, bridges, active: active ?? bridges[0]?.id ?? null, approvals }, dropped };
}

/** The storage surface the store needs (browser.storage.local, or a fake in tests). */
export interface StorageAreaLike {
  get(key: string): Promise<Record<string, unknown>>;
  set(items: Record<string, unknown>): Promise<void>;
}

/**
 * Serialized read-modify-write over one key. Nothing is cached across calls
 * beyond the last write: after a restart the first load reads storage again.
 */
export class Store {
  readonly #area: StorageAreaLike;
  readonly #onDropped: (what: string) => void;
  #chain: Promise<unknown> = Promise.resolve();
  #cache: StoredState | null = null;

  constructor(area: StorageAreaLike, onDropped: (what: string) => void = () => undefined) {
    this.#area = area;
    this.#onDropped = onDropped;
  }

  /** The state as last loaded or written (null before the first load). */
  get current(): StoredState | null {
    return this.#cache;
  }

  async load(): Promise<StoredState> {
    if (this.#cache !== null) return this.#cache;
    const got = await this.#area.get(STORE_KEY);
    const { state, dropped } = validateState(got[STORE_KEY]);
    for (const d of dropped) this.#onDropped(d);
    this.#cache = state;
    return state;
  }

  /** Applies `change` to the current state and writes the result before resolving. */
  update(change: (s: StoredState) => StoredState): Promise<StoredState> {
    const next = this.#chain.then(async () => {
      const s = change(await this.load());
      await this.#area.set({ [STORE_KEY]: s });
      this.#cache = s;
      return s;
    });
    this.#chain = next.catch(() => undefined);
    return next;
  }
}
