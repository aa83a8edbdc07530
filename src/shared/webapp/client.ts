/**
 * What a web app imports to use the webpt extension:
 *
 *     import { createWebptClient } from "webpt/shared";        // or the built webpt-webapp.js
 *     const webpt = createWebptClient();
 *     await webpt.requestAccess();            // the person approves this site in webpt's popup
 *     const conn = webpt.connect({ destination: "example.com:80" });
 *     const { readable, writable } = await conn.opened;
 *
 * Privacy by construction. The page talks to the extension's content script
 * through `window.postMessage` (to its own origin only); the content script
 * answers ONLY pages whose origin the person has approved, by handing over a
 * MessagePort. An unapproved page gets silence, exactly what it gets without
 * the extension, so it learns nothing: not the bridges, not even whether
 * webpt is installed. That is why every "no" here is the same error,
 * ERR_WEBPT_UNAVAILABLE, after a timeout.
 *
 * Window messages (all `{ webpt: 1, type, nonce }`; nonce: random, ≤ 64 chars):
 *   page → content  "hello"            give me a port if this origin is approved
 *   page → content  "request-access"   the same, and ask the person if it is not
 *   content → page  "welcome"          with the MessagePort in `event.ports[0]`
 * Streams then run over that port (protocol.ts, mux-client.ts).
 */
import { WebptError } from "../errors.js";
import type { BrowserConnection } from "../transport/connection.js";
import { messagePortLink, pendingLink, type MessagePortLike, type PortLink } from "./link.js";
import { PortClient } from "./mux-client.js";
import type { ConnectRequest } from "./protocol.js";

/** The window-message tag and version. */
export const WEBPT_WINDOW_TAG = "webpt";
export const WEBPT_WINDOW_VERSION = 1;
/** How long `hello` waits: an approved page is answered within milliseconds. */
export const HELLO_TIMEOUT_MS = 1_500;
/** How long `requestAccess` waits for the person to approve (default). */
export const ACCESS_REQUEST_TIMEOUT_MS = 5 * 60_000;
/** Longest nonce the content script accepts. */
export const MAX_NONCE_LENGTH = 64;

export type WindowMessageType = "hello" | "request-access" | "welcome";

export interface WindowMessage {
  readonly webpt: typeof WEBPT_WINDOW_VERSION;
  readonly type: WindowMessageType;
  readonly nonce: string;
}

export interface WindowMessageEventLike {
  readonly data: unknown;
  readonly source: unknown;
  readonly ports: readonly MessagePortLike[];
}

/** The window surface the client uses (a page's `window`). */
export interface WindowLike {
  postMessage(message: unknown, targetOrigin: string): void;
  addEventListener(type: "message", listener: (event: WindowMessageEventLike) => void): void;
  removeEventListener(type: "message", listener: (event: WindowMessageEventLike) => void): void;
}

/** webpt is not installed, or this site is not approved: deliberately indistinguishable. */
export class WebptUnavailableError extends WebptError {
  override name = "WebptUnavailableError";
  constructor() {
    super("ERR_WEBPT_UNAVAILABLE", "webpt is not available to this site (not installed, or not approved)");
  }
}

/** A well-formed window message of ours, or null. */
export function parseWindowMessage(data: unknown): WindowMessage | null {
  if (typeof data !== "object" || data === null) return null;
  const m = data as Record<string, unknown>;
  if (m[WEBPT_WINDOW_TAG] !== WEBPT_WINDOW_VERSION) return null;
  if (m.type !== "hello" && m.type !== "request-access" && m.type !== "welcome") return null;
  if (typeof m.nonce !== "string" || m.nonce.length === 0 || m.nonce.length > MAX_NONCE_LENGTH) return null;
  return { webpt: WEBPT_WINDOW_VERSION, type: m.type, nonce: m.nonce };
}

function randomNonce(): string {
  const c = (globalThis as unknown as { crypto?: { getRandomValues(a: Uint8Array): Uint8Array } }).crypto;
  const bytes = new Uint8Array(16);
  if (c !== undefined) c.getRandomValues(bytes);
  else for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(Math.random() * 256);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

export interface WebptClientOptions {
  /** Default: the global `window`. */
  readonly window?: WindowLike;
  readonly helloTimeoutMs?: number;
}

export interface ConnectOptions extends ConnectRequest {
  readonly signal?: AbortSignal;
}

export interface WebptClient {
  /**
   * Resolves once this site may use webpt: at once if the person approved it
   * before, otherwise when they approve it in webpt's popup. Rejects with
   * ERR_WEBPT_UNAVAILABLE after `timeoutMs` (also when webpt is absent).
   */
  requestAccess(options?: { readonly timeoutMs?: number }): Promise<void>;
  /** Whether webpt answers this site now (installed and approved). */
  isAvailable(): Promise<boolean>;
  /** A connection through the person's bridge (or `bridge`), to `destination` in free mode. */
  connect(request?: ConnectOptions): BrowserConnection;
  /** Closes every connection and the port. */
  close(): void;
}

export function createWebptClient(options: WebptClientOptions = {}): WebptClient {
  const win = options.window ?? (globalThis as unknown as { window?: WindowLike }).window;
  if (win === undefined) throw new TypeError("createWebptClient needs a window");
  const helloTimeoutMs = options.helloTimeoutMs ?? HELLO_TIMEOUT_MS;
  let client: PortClient | null = null;

  /** Posts `type` and resolves with the port of the matching welcome. */
  const ask = (type: "hello" | "request-access", timeoutMs: number): Promise<PortLink> =>
    new Promise((resolve, reject) => {
      const nonce = randomNonce();
      const onMessage = (e: WindowMessageEventLike): void => {
        if (e.source !== win) return;
        const m = parseWindowMessage(e.data);
        const port = e.ports[0];
        if (m === null || m.type !== "welcome" || m.nonce !== nonce || port === undefined) return;
        done();
        resolve(messagePortLink(port));
      };
      const timer = setTimeout(() => {
        done();
        reject(new WebptUnavailableError());
      }, timeoutMs);
      const done = (): void => {
        clearTimeout(timer);
        win.removeEventListener("message", onMessage);
      };
      win.addEventListener("message", onMessage);
      const message: WindowMessage = { webpt: WEBPT_WINDOW_VERSION, type, nonce };
      win.postMessage(message, "/"); // "/": this document's own origin only
    });

  const session = (link: Promise<PortLink>): PortClient => {
    const c = new PortClient(pendingLink(link));
    client = c;
    void c.closed.then(() => {
      if (client === c) client = null; // revoked, or the extension restarted: the next connect asks again
    });
    return c;
  };

  return {
    async requestAccess(o = {}) {
      if (client !== null) return;
      const link = await ask("request-access", o.timeoutMs ?? ACCESS_REQUEST_TIMEOUT_MS);
      if (client === null) session(Promise.resolve(link));
      else link.close();
    },
    async isAvailable() {
      if (client !== null) return true;
      try {
        session(Promise.resolve(await ask("hello", helloTimeoutMs)));
        return true;
      } catch {
        return false;
      }
    },
    connect(request = {}) {
      const c = client ?? session(ask("hello", helloTimeoutMs));
      const { signal, ...req } = request;
      const conn = c.open(req);
      if (signal !== undefined) {
        const onAbort = (): void => void conn.close();
        if (signal.aborted) onAbort();
        else signal.addEventListener("abort", onAbort, { once: true });
      }
      return conn;
    },
    close() {
      client?.close();
      client = null;
    },
  };
}
