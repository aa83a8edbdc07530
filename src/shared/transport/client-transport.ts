/**
 * The PT Transport API in the browser (seed 000 §3.2.5.1, the same names as
 * the Node API in src/server/api): a transport object per carrier with
 * `createConnector(configuration, localStorage, signals)` → connectors with
 * `name`, `isBound()` and `createConnection(settings, options)`, plus
 * `getStats()`. Connections are WHATWG `{ readable, writable, opened,
 * closed, close() }` objects (connection.ts) instead of `net.Socket`s.
 *
 *     import { createBrowserTransports } from "webpt/shared";
 *     const [connector] = createBrowserTransports().websocket.createConnector({ bridge: "websocket … url=wss://…" });
 *     const conn = connector.createConnection();
 *     const { readable, writable } = await conn.opened;
 *
 * Only the carriers a browser can open exist here: `websocket` and `webrtc`
 * (plain obfs4 needs a raw TCP socket).
 */
import { Obfs4ClientSession } from "../codec/obfs4/index.js";
import type { ErrorData } from "../errors.js";
import {
  parseBridgeInput,
  parseSettings,
  settingsFromBridgeLine,
  type SettingsSource,
  type WebRtcSettings,
  type WebSocketSettings,
} from "../settings/index.js";
import type { MessageCarrier } from "./carrier.js";
import {
  BrowserTransportError,
  type BrowserConnection,
  type BrowserConnectionStats,
  type BrowserTransportName,
} from "./connection.js";
import {
  createManualWebRtcOffer,
  dialWebRtcCarrier,
  dialWebSocketCarrier,
  WEBRTC_DIAL_TIMEOUT_MS,
  type DialEnvironment,
  type ManualWebRtcOffer,
} from "./dial.js";
import { createObfs4Connection, socksPreamble } from "./obfs4-connection.js";

export type BrowserSettings = WebSocketSettings | WebRtcSettings;

/** Out-of-band messages (seed 000 §3.2.2 `signals`): webrtc's manual signaling sends offers and reads answers. */
export interface SignalsPipe {
  send(message: string): void;
  onMessage(listener: (message: string) => void): void;
}

export interface BrowserClientConfiguration {
  /** A bridge line or `web+webpt://bridge/…` share link giving the default settings. */
  readonly bridge?: string;
  /** "bound" (default): the bridge decides where bytes go. "free": each connection names its destination. */
  readonly mode?: "bound" | "free";
  /** webrtc: "http" (default) POSTs to signal=; "manual" exchanges text over the `signals` pipe. */
  readonly signaling?: "http" | "manual";
}

export interface BrowserConnectOptions {
  /** Free mode: the destination. */
  readonly host?: string;
  readonly port?: number;
  /** How `settings` are given (default "json"). */
  readonly source?: SettingsSource;
  readonly signal?: AbortSignal;
  /** The whole open (default 60 s). */
  readonly timeoutMs?: number;
}

export interface BrowserConnector {
  readonly name: BrowserTransportName;
  isBound(): boolean;
  /** `settings` (cert, iat-mode, url or signal…) override the configuration's bridge; may be empty. */
  createConnection(settings?: object, options?: BrowserConnectOptions): BrowserConnection;
}

export interface BrowserTransportStats {
  readonly transport: BrowserTransportName;
  readonly connectionsOpen: number;
  readonly connectionsTotal: number;
  readonly connectionsFailed: number;
  /** Payload bytes of closed and open connections. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  readonly lastError: ErrorData | null;
}

export interface BrowserClientTransport {
  readonly name: BrowserTransportName;
  createConnector(
    configuration?: BrowserClientConfiguration,
    localStorage?: string,
    signals?: SignalsPipe,
  ): BrowserConnector[];
  getStats(): BrowserTransportStats;
}

export class ConfigurationError extends BrowserTransportError {
  override name = "ConfigurationError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TRANSPORT_SETTINGS", message, options);
  }
}

/** How one connection reaches its carrier: over HTTP signaling, or a manual exchange. */
export interface OpenOptions {
  readonly env?: DialEnvironment;
  /** Free mode: SOCKS5 to this destination inside the tunnel. */
  readonly destination?: { readonly host: string; readonly port: number };
  /** webrtc: make a manual offer and wait for `answer` instead of POSTing to signal=. */
  readonly manual?: (offer: ManualWebRtcOffer) => Promise<MessageCarrier>;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
  readonly onClose?: (stats: BrowserConnectionStats, error: Error | undefined) => void;
}

/** One connection with these settings (the building block of connectors, the extension and tests). */
export function openConnection(settings: BrowserSettings, options: OpenOptions = {}): BrowserConnection {
  const env = options.env ?? {};
  const dial = { ...(options.signal === undefined ? {} : { signal: options.signal }) };
  let carrier: Promise<MessageCarrier>;
  if (settings.transport === "websocket") carrier = dialWebSocketCarrier(settings.url, env, dial);
  else if (options.manual !== undefined) {
    const manual = options.manual;
    carrier = createManualWebRtcOffer(settings, env).then(manual);
  } else carrier = dialWebRtcCarrier(settings, env, dial);
  const session = new Obfs4ClientSession({
    nodeId: settings.nodeId,
    identityPublicKey: settings.publicKey,
    iatMode: settings.iatMode,
  });
  const d = options.destination;
  return createObfs4Connection({
    transport: settings.transport,
    session,
    carrier,
    timeoutMs:
      options.timeoutMs ?? (options.manual !== undefined ? MANUAL_SIGNALING_TIMEOUT_MS : WEBRTC_DIAL_TIMEOUT_MS),
    ...(d === undefined ? {} : { preamble: socksPreamble(d), destination: hostPortText(d) }),
    ...(options.signal === undefined ? {} : { signal: options.signal }),
    ...(options.onClose === undefined ? {} : { onClose: options.onClose }),
  });
}

/** "host:port", IPv6 in brackets (RFC 3986 §3.2.2). */
function hostPortText(d: { readonly host: string; readonly port: number }): string {
  return d.host.includes(":") && !d.host.startsWith("[") ? `[${d.host}]:${d.port}` : `${d.host}:${d.port}`;
}

/** A person copies an offer, asks the operator, pastes the answer: minutes, not seconds. */
export const MANUAL_SIGNALING_TIMEOUT_MS = 15 * 60_000;

/** Manual answers that arrive over `signals` are tried against each waiting offer; the one they open takes them. */
function manualExchange(signals: SignalsPipe): (offer: ManualWebRtcOffer) => Promise<MessageCarrier> {
  const waiting = new Set<{ offer: ManualWebRtcOffer; resolve(c: MessageCarrier): void; reject(e: unknown): void }>();
  signals.onMessage((text) => {
    for (const w of waiting) {
      w.offer.accept(text).then(
        (c) => {
          waiting.delete(w);
          w.resolve(c);
        },
        (err: unknown) => {
          // Not this offer's answer (a SignalingError) leaves it waiting; a failed connect ends it.
          if ((err as { name?: string }).name !== "SignalingError") {
            waiting.delete(w);
            w.reject(err);
          }
        },
      );
    }
  });
  return (offer) =>
    new Promise<MessageCarrier>((resolve, reject) => {
      waiting.add({ offer, resolve, reject });
      signals.send(offer.text);
    });
}

class Books {
  open = 0;
  total = 0;
  failed = 0;
  sent = 0;
  received = 0;
  lastError: ErrorData | null = null;
  readonly live = new Set<BrowserConnection>();

  track(conn: BrowserConnection): void {
    this.open++;
    this.total++;
    this.live.add(conn);
  }

  done(conn: BrowserConnection, stats: BrowserConnectionStats, error: Error | undefined): void {
    if (!this.live.delete(conn)) return;
    this.open--;
    this.sent += stats.bytesSent;
    this.received += stats.bytesReceived;
    if (error !== undefined) {
      this.failed++;
      const e = error as Error & { code?: unknown };
      this.lastError = { name: e.name, code: typeof e.code === "string" ? e.code : "ERR_UNKNOWN", message: e.message };
    }
  }
}

function settingsOf(name: BrowserTransportName, text: string | undefined): BrowserSettings | undefined {
  if (text === undefined) return undefined;
  const { bridge } = parseBridgeInput(text);
  if (bridge.transport !== name) throw new ConfigurationError(`the bridge is for ${bridge.transport}, not ${name}`);
  return settingsFromBridgeLine(bridge) as BrowserSettings;
}

export function createBrowserTransport(name: BrowserTransportName, env: DialEnvironment = {}): BrowserClientTransport {
  const books = new Books();
  return {
    name,
    getStats() {
      let sent = books.sent;
      let received = books.received;
      for (const c of books.live) {
        const s = c.getStats();
        sent += s.bytesSent;
        received += s.bytesReceived;
      }
      return {
        transport: name,
        connectionsOpen: books.open,
        connectionsTotal: books.total,
        connectionsFailed: books.failed,
        bytesSent: sent,
        bytesReceived: received,
        lastError: books.lastError,
      };
    },
    createConnector(configuration = {}, _localStorage, signals) {
      const base = settingsOf(name, configuration.bridge);
      const free = configuration.mode === "free";
      const manual = configuration.signaling === "manual";
      if (manual && (name !== "webrtc" || signals === undefined)) {
        throw new ConfigurationError("manual signaling is for webrtc and needs a signals pipe");
      }
      const exchange = manual ? manualExchange(signals!) : undefined;
      return [
        {
          name,
          isBound: () => !free,
          createConnection(settings = {}, options = {}) {
            const given = Object.keys(settings).length > 0;
            const s = given ? (parseSettings(name, settings, options.source ?? "json") as BrowserSettings) : base;
            if (s === undefined)
              throw new ConfigurationError("no settings: give a bridge in the configuration or here");
            if (free && (options.host === undefined || options.port === undefined)) {
              throw new ConfigurationError("a free connector needs options.host and options.port");
            }
            // onClose may run inside openConnection (an aborted signal), before `ref.conn` is set.
            const ref: { conn?: BrowserConnection } = {};
            let early: [BrowserConnectionStats, Error | undefined] | undefined;
            const conn = openConnection(s, {
              env,
              ...(free ? { destination: { host: options.host!, port: options.port! } } : {}),
              ...(exchange === undefined ? {} : { manual: exchange }),
              ...(options.signal === undefined ? {} : { signal: options.signal }),
              ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
              onClose: (stats, error) => {
                if (conn === undefined)
                  early = [stats, error]; // failed inside the constructor
                else books.done(conn, stats, error);
              },
            });
            ref.conn = conn;
            books.track(conn);
            if (early !== undefined) books.done(conn, ...early);
            return conn;
          },
        },
      ];
    },
  };
}

/** Both browser transports, sharing one dial environment. */
export function createBrowserTransports(
  env: DialEnvironment = {},
): Readonly<Record<BrowserTransportName, BrowserClientTransport>> {
  return Object.freeze({
    websocket: createBrowserTransport("websocket", env),
    webrtc: createBrowserTransport("webrtc", env),
  });
}
