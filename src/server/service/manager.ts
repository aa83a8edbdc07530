/**
 * The bridge server: one obfs4 identity, several transports, one sink.
 *
 *   carrier (TCP / WebSocket / DataChannel) → transport → obfs4 engine
 *     → authenticated Obfs4Stream → sink (ExtORPort, bound target, free SOCKS)
 *
 * The manager loads (or creates) the identity in the state directory exactly
 * as obfs4proxy does, starts each transport with a shared replay filter and
 * close delay, hands every stream to the sink, and keeps the books that
 * `getStats()` and the metrics endpoint report. Managed mode (server-main.ts)
 * and standalone mode (standalone/) differ only in the sink and in how they
 * print what a client needs.
 */
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import {
  BRIDGE_LINE_FILE_NAME,
  ReplayFilter,
  STATE_FILE_NAME,
  chooseCloseDelayMs,
  resolveServerState,
  serverMethodArgs,
  type Obfs4ServerState,
} from "../../shared/codec/obfs4/index.js";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";
import type { Obfs4ServerOptions } from "../obfs4/tcp.js";
import { ensureDir } from "./fs.js";
import { transportFactory } from "./registry.js";
import type { ClientInfo, Logger, RunningTransport, StreamSink } from "./types.js";

export interface TransportSpec {
  readonly name: string;
  readonly bind: { readonly host: string; readonly port: number };
  readonly options: ReadonlyMap<string, string>;
}

export interface BridgeServerOptions {
  readonly stateDir: string;
  readonly transports: readonly TransportSpec[];
  /** node-id, private-key, drbg-seed, iat-mode (and cert): override obfs4_state.json, obfs4proxy's rule. */
  readonly stateOptions?: ReadonlyMap<string, string>;
  readonly sink: StreamSink;
  readonly log: Logger;
  /** The name or address clients reach us at, for the URLs transports advertise. */
  readonly publicHost?: string;
  readonly engineOptions?: Partial<Obfs4ServerOptions>;
}

export interface HandshakeStats {
  /** Carriers that began an obfs4 handshake. */
  readonly accepted: number;
  readonly established: number;
  /** Failed or timed out: probes, wrong certs, broken clients. Never answered. */
  readonly failed: number;
  /** Refused because too many handshakes were pending. */
  readonly dropped: number;
}

export interface TransportStats {
  readonly transport: string;
  /** Where it listens, host:port. */
  readonly address: string;
  readonly connectionsOpen: number;
  readonly connectionsTotal: number;
  /** Payload bytes from clients to their destination, and back (obfs4 overhead not counted). */
  readonly bytesUp: number;
  readonly bytesDown: number;
  readonly handshakes: HandshakeStats;
  /** Requests answered as the cover site (wrong path, bad seal, not an upgrade). */
  readonly declined: number;
  /** Authenticated streams the sink refused (unreachable destination, policy, bad SOCKS). */
  readonly refused: number;
}

export interface BridgeStats {
  readonly startedAt: string;
  readonly uptimeSeconds: number;
  readonly connectionsOpen: number;
  readonly transports: readonly TransportStats[];
}

export interface BridgeServer {
  readonly state: Obfs4ServerState;
  readonly running: readonly RunningTransport[];
  readonly failed: readonly { readonly name: string; readonly error: Error }[];
  /** Everything a client needs for one running transport: cert, iat-mode, then the transport's own args. */
  clientArgs(t: RunningTransport): [string, string][];
  getStats(): BridgeStats;
  /** Stops every listener; open connections go on. */
  stopAccepting(): Promise<void>;
  /** Destroys every open connection. */
  closeAll(): void;
  readonly openConnections: number;
}

async function readOptional(file: string): Promise<string | null> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return null;
    throw err;
  }
}

/** Loads the identity as obfs4proxy does: options override the state file, which is (re)written on every start. */
export async function loadBridgeState(
  stateDir: string,
  stateOptions: ReadonlyMap<string, string> = new Map(),
): Promise<Obfs4ServerState> {
  await ensureDir(stateDir);
  const resolved = resolveServerState({
    options: stateOptions,
    stateJson: await readOptional(path.join(stateDir, STATE_FILE_NAME)),
  });
  await writeFile(path.join(stateDir, STATE_FILE_NAME), resolved.stateJson, { mode: 0o600 });
  await writeFile(path.join(stateDir, BRIDGE_LINE_FILE_NAME), resolved.bridgeLineFile);
  return resolved.state;
}

interface Books {
  connectionsOpen: number;
  connectionsTotal: number;
  bytesUp: number;
  bytesDown: number;
  refused: number;
  readonly live: Set<Obfs4Stream>;
}

export async function startBridgeServer(options: BridgeServerOptions): Promise<BridgeServer> {
  const state = await loadBridgeState(options.stateDir, options.stateOptions);
  const engineOptions: Obfs4ServerOptions = {
    replayFilter: new ReplayFilter(),
    closeDelayMs: chooseCloseDelayMs(),
    ...options.engineOptions,
  };
  const startedAt = new Date();
  const books = new Map<string, Books>();
  const connections = new Set<Obfs4Stream>();
  const running: RunningTransport[] = [];
  const failed: { name: string; error: Error }[] = [];

  const onStream = (name: string, b: Books) => (stream: Obfs4Stream, client: ClientInfo) => {
    b.connectionsOpen++;
    b.connectionsTotal++;
    b.live.add(stream);
    connections.add(stream);
    const done = (refused: boolean): void => {
      if (!b.live.delete(stream)) return;
      connections.delete(stream);
      b.connectionsOpen--;
      b.bytesUp += stream.stats.bytesIn;
      b.bytesDown += stream.stats.bytesOut;
      if (refused) b.refused++;
    };
    // Booked when the sink settles (after its relay ended), not on 'close': the sink's result says whether the
    // stream was refused, and a refusal often closes the stream first.
    options.sink(stream, client, name).then(
      (r) => done(r.refused !== undefined),
      (err: unknown) => {
        // A sink must not reject; if one does, the connection is dropped and the server goes on.
        options.log.log("error", `${name}: sink failed: ${(err as Error).message}`);
        stream.destroy();
        done(true);
      },
    );
  };

  for (const spec of options.transports) {
    const b: Books = { connectionsOpen: 0, connectionsTotal: 0, bytesUp: 0, bytesDown: 0, refused: 0, live: new Set() };
    try {
      const factory = await transportFactory(spec.name);
      const t = await factory({
        name: spec.name,
        bind: spec.bind,
        options: spec.options,
        state: state,
        stateDir: options.stateDir,
        engineOptions,
        onStream: onStream(spec.name, b),
        log: options.log,
        ...(options.publicHost === undefined ? {} : { publicHost: options.publicHost }),
      });
      books.set(spec.name, b);
      running.push(t);
    } catch (err) {
      failed.push({ name: spec.name, error: err instanceof Error ? err : new Error(String(err)) });
    }
  }

  return {
    state,
    running,
    failed,
    clientArgs: (t) => [...serverMethodArgs(state), ...t.args.map(([k, v]): [string, string] => [k, v])],
    getStats() {
      const transports = running.map((t): TransportStats => {
        const b = books.get(t.name)!;
        let liveUp = 0;
        let liveDown = 0;
        for (const s of b.live) {
          liveUp += s.stats.bytesIn;
          liveDown += s.stats.bytesOut;
        }
        const c = t.engine.counters;
        return {
          transport: t.name,
          address: `${t.address.family === "IPv6" ? `[${t.address.address}]` : t.address.address}:${t.address.port}`,
          connectionsOpen: b.connectionsOpen,
          connectionsTotal: b.connectionsTotal,
          bytesUp: b.bytesUp + liveUp,
          bytesDown: b.bytesDown + liveDown,
          handshakes: {
            accepted: c.accepted,
            established: c.established,
            failed: c.failedHandshakes,
            dropped: c.dropped,
          },
          declined: t.carrier.declined,
          refused: b.refused,
        };
      });
      return {
        startedAt: startedAt.toISOString(),
        uptimeSeconds: Math.floor((Date.now() - startedAt.getTime()) / 1000),
        connectionsOpen: connections.size,
        transports,
      };
    },
    async stopAccepting() {
      await Promise.all(running.map((t) => t.close()));
    },
    closeAll() {
      for (const c of connections) c.destroy();
    },
    get openConnections() {
      return connections.size;
    },
  };
}
