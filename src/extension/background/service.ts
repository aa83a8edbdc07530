/**
 * The extension's engine, in the background context: the person's bridges
 * and approvals (Store), the connections web apps and connection tests open
 * (websocket here through the browser Transport API; webrtc through the
 * RtcBackend), their books for `getStats()`, pending access requests, and
 * the log. Entry files (main.ts, webapp-host.ts, ui-api.ts) only route
 * messages to it.
 *
 * Everything that must survive the worker being stopped is in storage:
 * bridges and approvals (storage.local), pending access requests
 * (storage.session), the log. Connections do not survive (their ports and
 * sockets die with the worker); the next one opens from stored settings.
 */
import { errorData, type ConnectRequest, type PortServer } from "../../shared/webapp/index.js";
import { parseBridgeInput, settingsFromBridgeLine } from "../../shared/settings/index.js";
import {
  BrowserTransportError,
  createBrowserTransports,
  type BrowserConnection,
  type BrowserTransportStats,
} from "../../shared/transport/index.js";
import type { ErrorData } from "../../shared/errors.js";
import type { BridgeView, ConnectionView, Status, TestResult } from "../lib/messages.js";
import type { RtcBackend } from "../lib/rtc-backend.js";
import { parseDestination } from "../lib/rtc-backend.js";
import {
  MAX_APPROVALS,
  MAX_BRIDGES,
  StoreError,
  bridgeFromInput,
  bridgeLine,
  checkOrigin,
  type Signaling,
  type StorageAreaLike,
  type Store,
  type StoredBridge,
  type StoredState,
} from "../lib/store.js";
import type { Log } from "./log.js";

export const PENDING_KEY = "webpt-pending";
/** Access requests remembered at once (oldest dropped). */
export const MAX_PENDING_REQUESTS = 20;
/** Connections the books list individually (closed ones are summed). */
export const MAX_LIVE_CONNECTIONS = 256;

export interface PendingRequest {
  readonly origin: string;
  readonly tabId: number;
  readonly at: number;
}

export interface ServiceDeps {
  readonly store: Store;
  readonly log: Log;
  readonly rtc: RtcBackend;
  /** storage.session: pending requests live as long as the browser session. */
  readonly session: StorageAreaLike;
  /** Tells a tab's content script that its origin was approved. */
  readonly notifyTab: (tabId: number) => void;
  readonly setBadge: (count: number) => void;
}

interface Books {
  total: number;
  failed: number;
  sent: number;
  received: number;
  lastError: ErrorData | null;
}

interface Live {
  readonly id: number;
  readonly conn: BrowserConnection;
  readonly origin: string;
  readonly transport: "websocket" | "webrtc";
  readonly startedAt: number;
}

export class Service {
  readonly startedAt = Date.now();
  readonly transports = createBrowserTransports();
  readonly deps: ServiceDeps;
  readonly #live = new Map<number, Live>();
  readonly #books: Record<"websocket" | "webrtc", Books> = {
    websocket: { total: 0, failed: 0, sent: 0, received: 0, lastError: null },
    webrtc: { total: 0, failed: 0, sent: 0, received: 0, lastError: null },
  };
  readonly #tests = new Map<string, TestResult>();
  readonly #webapps = new Map<string, Set<PortServer>>();
  #nextId = 1;
  /** Told when the person revokes an origin (main.ts ends its tabs' streams). */
  onRevoke: (origin: string) => void = () => undefined;

  constructor(deps: ServiceDeps) {
    this.deps = deps;
  }

  get rtc(): RtcBackend {
    return this.deps.rtc;
  }

  state(): Promise<StoredState> {
    return this.deps.store.load();
  }

  async isApproved(origin: string): Promise<boolean> {
    return (await this.state()).approvals.some((a) => a.origin === origin);
  }

  // --- web apps -------------------------------------------------------------------------------------------------

  /** A content script asks for its page: approved already, or remembered for the person to decide. */
  async requestAccess(origin: string, tabId: number): Promise<boolean> {
    if (await this.isApproved(origin)) return true;
    const pending = await this.#pending();
    const rest = pending.filter((p) => !(p.origin === origin && p.tabId === tabId));
    const next = [...rest, { origin, tabId, at: Date.now() }].slice(-MAX_PENDING_REQUESTS);
    await this.deps.session.set({ [PENDING_KEY]: next });
    this.deps.setBadge(new Set(next.map((p) => p.origin)).size);
    if (!pending.some((p) => p.origin === origin)) this.deps.log.add("notice", `${origin} asks to use webpt`);
    return false;
  }

  async #pending(): Promise<PendingRequest[]> {
    const got = (await this.deps.session.get(PENDING_KEY))[PENDING_KEY];
    return Array.isArray(got) ? (got as PendingRequest[]).filter((p) => checkOrigin(p?.origin) !== null) : [];
  }

  async #dropPending(origin: string): Promise<PendingRequest[]> {
    const pending = await this.#pending();
    const rest = pending.filter((p) => p.origin !== origin);
    await this.deps.session.set({ [PENDING_KEY]: rest });
    this.deps.setBadge(new Set(rest.map((p) => p.origin)).size);
    return pending.filter((p) => p.origin === origin);
  }

  async approve(origin: string): Promise<void> {
    if (checkOrigin(origin) === null) throw new StoreError("ERR_ORIGIN", `${origin} is not a web origin webpt serves`);
    await this.deps.store.update((s) => {
      if (s.approvals.some((a) => a.origin === origin)) return s;
      if (s.approvals.length >= MAX_APPROVALS) throw new StoreError("ERR_TOO_MANY", `at most ${MAX_APPROVALS} sites`);
      return { ...s, approvals: [...s.approvals, { origin, at: Date.now() }] };
    });
    this.deps.log.add("notice", `approved ${origin}`);
    for (const p of await this.#dropPending(origin)) this.deps.notifyTab(p.tabId);
  }

  async deny(origin: string): Promise<void> {
    await this.#dropPending(origin);
    this.deps.log.add("info", `ignored the request of ${origin}`);
  }

  async revoke(origin: string): Promise<void> {
    await this.deps.store.update((s) => ({ ...s, approvals: s.approvals.filter((a) => a.origin !== origin) }));
    for (const server of this.#webapps.get(origin) ?? []) server.close();
    this.#webapps.delete(origin);
    this.onRevoke(origin);
    this.deps.log.add("notice", `revoked ${origin}`);
  }

  /** Keeps a served port so revoking its origin closes it. */
  registerWebapp(origin: string, server: PortServer, closed: Promise<void>): void {
    const set = this.#webapps.get(origin) ?? new Set();
    set.add(server);
    this.#webapps.set(origin, set);
    void closed.then(() => set.delete(server));
  }

  /**
   * A web app's connection: the app's own bridge line, or the person's bridge
   * (of `transport`, else the active one), bound or to `destination`.
   * Synchronous: the store was loaded when the port was accepted.
   */
  openForWebapp(origin: string, req: ConnectRequest): BrowserConnection {
    const state = this.deps.store.current;
    if (state === null || !state.approvals.some((a) => a.origin === origin)) {
      throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "this site is not approved");
    }
    if (req.bridge !== undefined) {
      const bridge = parseBridgeInput(req.bridge).bridge;
      const settings = settingsFromBridgeLine(bridge);
      if (settings.transport !== "websocket" && settings.transport !== "webrtc") {
        throw new BrowserTransportError(
          "ERR_TRANSPORT_UNSUPPORTED",
          `a browser cannot use ${settings.transport} bridges`,
        );
      }
      return this.#open(settings.transport, req.bridge, req.destination, origin, undefined);
    }
    const want = req.transport;
    if (want !== undefined && want !== "websocket" && want !== "webrtc") {
      throw new BrowserTransportError("ERR_TRANSPORT_UNSUPPORTED", `no such carrier: ${want}`);
    }
    const active = state.bridges.find((b) => b.id === state.active);
    const b =
      want === undefined || active?.transport === want ? active : state.bridges.find((x) => x.transport === want);
    if (b === undefined) {
      throw new BrowserTransportError(
        "ERR_TRANSPORT_SETTINGS",
        `the person has no ${want ?? ""} bridge set up`.replace("  ", " "),
      );
    }
    return this.#openBridge(b, req.destination, origin);
  }

  #openBridge(b: StoredBridge, destination: string | undefined, purpose: string): BrowserConnection {
    const manual =
      b.transport === "webrtc" && b.signaling === "manual" ? { bridge: bridgeName(b), purpose } : undefined;
    return this.#open(b.transport, bridgeLine(b), destination, purpose, manual);
  }

  #open(
    transport: "websocket" | "webrtc",
    line: string,
    destination: string | undefined,
    origin: string,
    manual: { bridge: string; purpose: string } | undefined,
  ): BrowserConnection {
    if (this.#live.size >= MAX_LIVE_CONNECTIONS) {
      throw new BrowserTransportError("ERR_TRANSPORT_DIAL", `at most ${MAX_LIVE_CONNECTIONS} connections at once`);
    }
    let conn: BrowserConnection;
    if (transport === "websocket") {
      const mode = destination === undefined ? "bound" : "free";
      const [connector] = this.transports.websocket.createConnector({ bridge: line, mode });
      conn = connector!.createConnection({}, destination === undefined ? {} : parseDestination(destination));
    } else {
      conn = this.deps.rtc.open({
        line,
        ...(destination === undefined ? {} : { destination }),
        ...(manual === undefined ? {} : { manual }),
      });
    }
    this.#track(conn, origin, transport);
    return conn;
  }

  #track(conn: BrowserConnection, origin: string, transport: "websocket" | "webrtc"): void {
    const id = this.#nextId++;
    this.#live.set(id, { id, conn, origin, transport, startedAt: Date.now() });
    const books = this.#books[transport];
    books.total++;
    const done = (error: unknown): void => {
      this.#live.delete(id);
      const s = conn.getStats();
      books.sent += s.bytesSent;
      books.received += s.bytesReceived;
      if (error !== undefined) {
        books.failed++;
        books.lastError = errorData(error);
        this.deps.log.add(
          "warning",
          `${transport} connection for ${origin} failed: ${books.lastError.code}: ${books.lastError.message}`,
        );
      }
    };
    conn.closed.then(
      () => done(undefined),
      (e: unknown) => done(e),
    );
  }

  // --- bridges --------------------------------------------------------------------------------------------------

  async importBridge(text: string, label?: string): Promise<BridgeView> {
    const b = bridgeFromInput(text, label ?? null);
    const s = await this.deps.store.update((st) => {
      if (st.bridges.length >= MAX_BRIDGES) throw new StoreError("ERR_TOO_MANY", `at most ${MAX_BRIDGES} bridges`);
      return { ...st, bridges: [...st.bridges, b], active: st.active ?? b.id };
    });
    this.deps.log.add("notice", `imported ${bridgeName(b)} (${b.transport})`);
    return bridgeView(b, s.active);
  }

  async removeBridge(id: string): Promise<void> {
    await this.deps.store.update((s) => {
      const bridges = s.bridges.filter((b) => b.id !== id);
      return { ...s, bridges, active: s.active === id ? (bridges[0]?.id ?? null) : s.active };
    });
    this.#tests.delete(id);
  }

  async setActive(id: string): Promise<void> {
    await this.deps.store.update((s) => {
      if (!s.bridges.some((b) => b.id === id)) throw new StoreError("ERR_NO_BRIDGE", "no such bridge");
      return { ...s, active: id };
    });
  }

  async setSignaling(id: string, signaling: Signaling): Promise<void> {
    await this.deps.store.update((s) => ({
      ...s,
      bridges: s.bridges.map((b) => {
        if (b.id !== id) return b;
        if (signaling === "manual" && b.transport !== "webrtc")
          throw new StoreError("ERR_SIGNALING", "manual signaling is for webrtc");
        return { ...b, signaling };
      }),
    }));
  }

  /** Starts a connection test; its result appears in status().tests (a manual exchange waits for the person). */
  async testBridge(id: string): Promise<void> {
    const b = (await this.state()).bridges.find((x) => x.id === id);
    if (b === undefined) throw new StoreError("ERR_NO_BRIDGE", "no such bridge");
    const at = Date.now();
    this.#tests.set(id, { ok: false, at, running: true });
    const conn = this.#openBridge(b, undefined, "connection test");
    conn.opened.then(
      () => {
        const ms = conn.getStats().connectMs ?? Date.now() - at;
        this.#tests.set(id, { ok: true, at, ms });
        this.deps.log.add("notice", `${bridgeName(b)} works: obfs4 session in ${ms} ms over ${b.transport}`);
        void conn.close();
      },
      (e: unknown) => {
        const error = errorData(e);
        this.#tests.set(id, { ok: false, at, error });
        this.deps.log.add("warning", `${bridgeName(b)} does not work: ${error.code}: ${error.message}`);
      },
    );
  }

  // --- status ---------------------------------------------------------------------------------------------------

  stats(): BrowserTransportStats[] {
    return (["websocket", "webrtc"] as const).map((transport) => {
      const b = this.#books[transport];
      let open = 0;
      let sent = b.sent;
      let received = b.received;
      for (const l of this.#live.values()) {
        if (l.transport !== transport) continue;
        open++;
        const s = l.conn.getStats();
        sent += s.bytesSent;
        received += s.bytesReceived;
      }
      return {
        transport,
        connectionsOpen: open,
        connectionsTotal: b.total,
        connectionsFailed: b.failed,
        bytesSent: sent,
        bytesReceived: received,
        lastError: b.lastError,
      };
    });
  }

  async status(): Promise<Status> {
    const s = await this.state();
    const pending = await this.#pending();
    const seen = new Set<string>();
    const connections: ConnectionView[] = [...this.#live.values()].map((l) => {
      const st = l.conn.getStats();
      return {
        id: l.id,
        origin: l.origin,
        transport: l.transport,
        state: st.state,
        bytesSent: st.bytesSent,
        bytesReceived: st.bytesReceived,
        startedAt: l.startedAt,
      };
    });
    let manualOffers: Status["manualOffers"] = [];
    try {
      manualOffers = await this.deps.rtc.manualOffers();
    } catch {
      // no offscreen document yet: no offers
    }
    return {
      workerStartedAt: this.startedAt,
      bridges: s.bridges.map((b) => bridgeView(b, s.active)),
      approvals: s.approvals,
      pending: pending
        .filter((p) => !seen.has(p.origin) && seen.add(p.origin))
        .map(({ origin, at }) => ({ origin, at })),
      stats: this.stats(),
      connections,
      manualOffers,
      tests: Object.fromEntries(this.#tests),
      logs: await this.deps.log.entries(),
    };
  }
}

export function bridgeName(b: StoredBridge): string {
  return b.label ?? `${b.host.includes(":") ? `[${b.host}]` : b.host}:${b.port}`;
}

function bridgeView(b: StoredBridge, active: string | null): BridgeView {
  return {
    id: b.id,
    label: b.label,
    transport: b.transport,
    address: `${b.host.includes(":") ? `[${b.host}]` : b.host}:${b.port}`,
    signaling: b.signaling,
    line: bridgeLine(b),
    active: b.id === active,
  };
}
