/**
 * The server half of the PT Transport API for Node (seed 000 §3.2.5.2):
 *
 *   const { client, server } = transports.websocket.generateConfiguration();
 *   const srv = await transports.websocket.createServer(server, "127.0.0.1:0", undefined, {}, (stream) => stream.pipe(stream));
 *   console.log(srv.bridgeLine());            // what a client needs
 *   const proxy = await transports.obfs4.createProxy(server, "0.0.0.0:443", undefined, { target: "127.0.0.1:22" });
 *
 * Both are the bridge manager (service/manager.ts) that `webpt server`
 * runs: createServer hands authenticated streams to a listener, createProxy
 * relays them to a fixed target (bound) or to destinations clients name
 * (free, with a destination policy). Unlike the seed's sketch they resolve a
 * Promise once listening, Node's modern shape for asynchronous setup.
 */
import { mkdtemp } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Duplex } from "node:stream";
import {
  encodeCert,
  formatServerStateJson,
  generateServerState,
  type IatMode,
} from "../../shared/codec/obfs4/index.js";
import { parseHostPort } from "../../shared/net/index.js";
import { formatBridgeLine, type TransportName } from "../../shared/settings/index.js";
import { startBridgeServer, type BridgeServer, type BridgeStats } from "../service/manager.js";
import type { ClientInfo, Logger, StreamSink } from "../service/types.js";
import { makePolicy, type PolicySpec } from "../standalone/policy.js";
import { boundSink, freeSink } from "../standalone/sinks.js";
import type { SignalsPipe } from "./client.js";

/** obfs4proxy's server options (hex strings) plus the transport's own (path, url, tls-cert…), all strings. */
export type ServerConfiguration = Readonly<Record<string, string | number>>;

export interface GeneratedConfiguration {
  /** What clients need besides the address and the transport's own args: cert and iat-mode. */
  readonly client: { readonly cert: string; readonly "iat-mode": IatMode };
  /** The secret identity: give it back to createServer/createProxy; store it like a private key. */
  readonly server: {
    readonly "node-id": string;
    readonly "private-key": string;
    readonly "drbg-seed": string;
    readonly "iat-mode": IatMode;
  };
}

export interface ServerOptions {
  /** Where transport secrets persist (e.g. the websocket path); default: a new temporary directory. */
  readonly stateDir?: string;
  /** The name or address clients reach us at, for URLs in the args. */
  readonly publicHost?: string;
  readonly log?: Logger;
}

export interface ServerManager {
  getStats(): BridgeStats;
  close(callback?: () => void): Promise<void>;
}

export interface TransportServer extends ServerManager {
  address(): AddressInfo;
  /** Args a client needs: cert, iat-mode and the transport's own (url, signal…). */
  clientArgs(): [string, string][];
  /** A tor bridge line (without the `Bridge` keyword) for this server at `host` (default: the bound address). */
  bridgeLine(host?: string): string;
}

export interface ProxyOptions extends ServerOptions {
  /** Bound mode: every client goes to this host:port. */
  readonly target?: string;
  /** Free mode: clients name destinations (SOCKS5 inside the tunnel), judged by this policy. */
  readonly free?: PolicySpec;
}

export interface ServerTransport {
  readonly name: TransportName;
  generateConfiguration(): GeneratedConfiguration;
  createServer(
    configuration: ServerConfiguration,
    local: string,
    signals: SignalsPipe | undefined,
    options: ServerOptions,
    connectionListener: (stream: Duplex, client: ClientInfo) => void,
  ): Promise<TransportServer>;
  createProxy(
    configuration: ServerConfiguration,
    local: string,
    signals: SignalsPipe | undefined,
    options: ProxyOptions,
  ): Promise<ServerManager>;
}

const silent: Logger = { log: () => undefined };

async function start(
  name: TransportName,
  configuration: ServerConfiguration,
  local: string,
  options: ServerOptions,
  sink: StreamSink,
): Promise<TransportServer> {
  const bind = parseHostPort(local, { allowZeroPort: true });
  const entries = Object.entries(configuration).map(([k, v]): [string, string] => [k, String(v)]);
  const bridge: BridgeServer = await startBridgeServer({
    stateDir: options.stateDir ?? (await mkdtemp(path.join(tmpdir(), "webpt-api-"))),
    transports: [{ name, bind: { host: bind.host, port: bind.port }, options: new Map(entries) }],
    stateOptions: new Map(entries),
    sink,
    log: options.log ?? silent,
    ...(options.publicHost === undefined ? {} : { publicHost: options.publicHost }),
  });
  const failure = bridge.failed[0];
  if (failure !== undefined) throw failure.error;
  const t = bridge.running[0]!;
  const close = async (callback?: () => void): Promise<void> => {
    await bridge.stopAccepting();
    bridge.closeAll();
    callback?.();
  };
  return {
    address: () => t.address,
    clientArgs: () => bridge.clientArgs(t),
    bridgeLine: (host = t.address.address) =>
      formatBridgeLine({
        transport: name,
        host,
        port: t.address.port,
        args: bridge.clientArgs(t),
      }),
    getStats: () => bridge.getStats(),
    close,
  };
}

export function createServerTransport(name: TransportName): ServerTransport {
  return {
    name,
    generateConfiguration() {
      const state = generateServerState();
      const json = JSON.parse(formatServerStateJson(state)) as Record<string, string>;
      return {
        client: { cert: encodeCert(state.nodeId, state.publicKey), "iat-mode": state.iatMode },
        server: {
          "node-id": json["node-id"]!,
          "private-key": json["private-key"]!,
          "drbg-seed": json["drbg-seed"]!,
          "iat-mode": state.iatMode,
        },
      };
    },
    createServer(configuration, local, _signals, options, connectionListener) {
      const sink: StreamSink = (stream, client) =>
        new Promise((resolve) => {
          stream.once("close", () => resolve({}));
          connectionListener(stream, client);
        });
      return start(name, configuration, local, options, sink);
    },
    async createProxy(configuration, local, _signals, options) {
      const log = options.log ?? silent;
      let sink: StreamSink;
      if (options.target !== undefined && options.free === undefined) {
        const t = parseHostPort(options.target, { allowDomain: true });
        sink = boundSink({ host: t.host, port: t.port }, { log });
      } else if (options.free !== undefined && options.target === undefined) {
        sink = freeSink(makePolicy(options.free), { log });
      } else {
        throw new TypeError("createProxy needs exactly one of options.target (bound) and options.free (free)");
      }
      return start(name, configuration, local, options, sink);
    },
  };
}
