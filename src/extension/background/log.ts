/**
 * The extension's log, for the person (options page → Logs): a ring of the
 * last MAX_LOG_ENTRIES lines, kept in extension storage so a restarted
 * service worker still shows what happened before. Written at most every
 * LOG_FLUSH_MS. Never shown to web pages.
 */
import type { LogEntry } from "../lib/messages.js";
import type { StorageAreaLike } from "../lib/store.js";

export const MAX_LOG_ENTRIES = 200;
export const MAX_LOG_MESSAGE_LENGTH = 500;
export const LOG_KEY = "webpt-logs";
export const LOG_FLUSH_MS = 500;

export class Log {
  readonly #area: StorageAreaLike;
  #entries: LogEntry[] = [];
  #loaded: Promise<void>;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(area: StorageAreaLike) {
    this.#area = area;
    this.#loaded = area.get(LOG_KEY).then(
      (got) => {
        const old = Array.isArray(got[LOG_KEY]) ? (got[LOG_KEY] as LogEntry[]) : [];
        const valid = old.filter((e) => typeof e?.message === "string" && typeof e.at === "number");
        this.#entries = [...valid, ...this.#entries].slice(-MAX_LOG_ENTRIES);
      },
      () => undefined,
    );
  }

  add(severity: LogEntry["severity"], message: string): void {
    this.#entries.push({ at: Date.now(), severity, message: message.slice(0, MAX_LOG_MESSAGE_LENGTH) });
    if (this.#entries.length > MAX_LOG_ENTRIES) this.#entries.splice(0, this.#entries.length - MAX_LOG_ENTRIES);
    if (this.#timer !== undefined) return;
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#loaded.then(() => this.#area.set({ [LOG_KEY]: this.#entries })).catch(() => undefined);
    }, LOG_FLUSH_MS);
  }

  async entries(): Promise<readonly LogEntry[]> {
    await this.#loaded;
    return this.#entries;
  }

  async clear(): Promise<void> {
    await this.#loaded;
    this.#entries = [];
    await this.#area.set({ [LOG_KEY]: [] });
  }
}
