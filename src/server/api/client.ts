/**
 * The client half of the PT Transport API for Node (seed 000 §3.2.5.1):
 *
 *   const [connector] = transports.websocket.createConnector({ bridge: "websocket 192.0.2.1:443 cert=… url=…" });
 *   const conn = connector.createConnection({}, {}, () => console.log("connected"));
 *   conn.write("hello");
 *
 * A connector is bound (seed 002: the bridge decides where bytes go) unless
 * created with `mode: "free"`, in which case `options.host/port` name the
 * destination and the server (standalone free mode) is asked for it with
 * SOCKS5 inside the tunnel. The dial is the one `webpt client` uses
 * (bridge-dial.ts): no second code path.
 */
import { WebptError } from "../../shared/errors.js";
import { parseProxyUri, type UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import {
  parseBridgeInput,
  parseSettings,
  settingsFromBridgeLine,
  type SettingsSource,
  type TransportName,
  type TransportSettings,
} from "../../shared/settings/index.js";
import { dialBridge } from "../client/bridge-dial.js";
import { socksConnectInStream } from "../standalone/socks-in-stream.js";
import { TransportConnection } from "./connection.js";

export interface ClientConfiguration {
  /** A bridge line or `web+webpt://bridge/…` share link: default settings and bridge address. */
  readonly bridge?: string;
  /** An upstream proxy URI as TOR_PT_PROXY takes it (socks5://, socks4a://, http://); fail-closed. */
  readonly proxy?: string;
  /** "bound" (default): the bridge's side decides the destination; "free": each connection names it. */
  readonly mode?: "bound" | "free";
}

export interface ConnectOptions {
  /** Bound: the bridge's address (default: the configuration's bridge line). Free: the destination. */
  readonly host?: string;
  readonly port?: number;
  /** How `settings` are given: "json"/"storage" objects (default) or PT 1.0 "args" records. */
  readonly source?: SettingsSource;
  readonly signal?: AbortSignal;
  readonly timeoutMs?: number;
}

export interface Connector {
  readonly name: string;
  isBound(): boolean;
  /** Per-connection `settings` (cert, iat-mode, url…) override the configuration's bridge; may be empty. */
  createConnection(settings?: object, options?: ConnectOptions, connectListener?: () => void): TransportConnection;
}

/** A pipe of out-of-band messages (seed 000 §3.2.2 `signals`); used by webrtc's manual signaling. */
export interface SignalsPipe {
  send(message: string): void;
  onMessage(listener: (message: string) => void): void;
}

export interface ClientTransport {
  readonly name: TransportName;
  createConnector(configuration?: ClientConfiguration, localStorage?: string, signals?: SignalsPipe): Connector[];
}

export class ConfigurationError extends WebptError {
  override name = "ConfigurationError";
  constructor(message: string) {
    super("ERR_TRANSPORT_CONFIGURATION", message);
  }
}

interface Base {
  readonly settings: TransportSettings | undefined;
  readonly address: { host: string; port: number } | undefined;
}

function fromBridge(name: TransportName, text: string | undefined): Base {
  if (text === undefined) return { settings: undefined, address: undefined };
  const { bridge } = parseBridgeInput(text);
  if (bridge.transport !== name) {
    throw new ConfigurationError(`the bridge is for ${bridge.transport}, not ${name}`);
  }
  return { settings: settingsFromBridgeLine(bridge), address: { host: bridge.host, port: bridge.port } };
}

export function createClientTransport(name: TransportName): ClientTransport {
  return {
    name,
    createConnector(configuration = {}) {
      const base = fromBridge(name, configuration.bridge);
      const proxy: UpstreamProxy | undefined =
        configuration.proxy === undefined ? undefined : parseProxyUri(configuration.proxy);
      const free = configuration.mode === "free";
      const connector: Connector = {
        name,
        isBound: () => !free,
        createConnection(settings = {}, options = {}, connectListener) {
          const given = Object.keys(settings).length > 0;
          const s = given ? parseSettings(name, settings, options.source ?? "json") : base.settings;
          if (s === undefined) throw new ConfigurationError("no settings: give a bridge in the configuration or here");
          const named = options.host !== undefined && options.port !== undefined;
          const bridgeAddress = free || !named ? base.address : { host: options.host!, port: options.port! };
          if (free && !named) throw new ConfigurationError("a free connector needs options.host and options.port");
          const conn = new TransportConnection(name, async (signal) => {
            const linked = options.signal === undefined ? signal : AbortSignal.any([signal, options.signal]);
            const stream = await dialBridge(s, {
              ...(bridgeAddress === undefined ? {} : { target: bridgeAddress }),
              proxy,
              signal: linked,
              ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
            });
            if (free) await socksConnectInStream(stream, { host: options.host!, port: options.port! });
            return stream;
          });
          if (connectListener !== undefined) conn.once("connect", connectListener);
          return conn;
        },
      };
      return [connector];
    },
  };
}
