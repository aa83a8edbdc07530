/**
 * obfs4 over TCP for Node: dial a bridge (client) and listen for clients
 * (server), interoperable with obfs4proxy. The carrier-neutral work is in
 * Obfs4Stream; this file only opens and accepts sockets.
 */
import { listenTcp } from "../net/listen.js";
import net from "node:net";
import {
  Obfs4ClientSession,
  Obfs4ServerSession,
  ReplayFilter,
  chooseCloseDelayMs,
  keypairFromPrivateKey,
  type IatMode,
  type Obfs4CryptoBackend,
  type Obfs4ServerState,
} from "../../shared/codec/obfs4/index.js";
import { AbortError, TimeoutError } from "../../shared/errors.js";
import { nodeCryptoBackend } from "../crypto/backend.js";
import { Obfs4Stream } from "./obfs4-stream.js";

/** TCP connect plus the whole handshake (obfs4proxy's client allows 60 s for the handshake alone). */
export const OBFS4_DIAL_TIMEOUT_MS = 60_000;
/** Connections still in the handshake at once; past it new ones are dropped (memory stays bounded under a flood). */
export const MAX_PENDING_OBFS4_HANDSHAKES = 4096;

export interface Obfs4BridgeIdentity {
  readonly nodeId: Uint8Array;
  readonly publicKey: Uint8Array;
  readonly iatMode: IatMode;
}

/** Runs the client handshake over an already-connected carrier and resolves when keys exist. */
export async function startObfs4Client(
  carrier: net.Socket | Obfs4Stream["carrier"],
  bridge: Obfs4BridgeIdentity,
  options: { backend?: Obfs4CryptoBackend; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Obfs4Stream> {
  const session = new Obfs4ClientSession({
    nodeId: bridge.nodeId,
    identityPublicKey: bridge.publicKey,
    iatMode: bridge.iatMode,
    backend: options.backend ?? nodeCryptoBackend(),
  });
  const stream = new Obfs4Stream(carrier, session);
  // The failure reaches the caller as the rejection below, not as an unheard 'error' event.
  const swallow = (): void => undefined;
  stream.on("error", swallow);
  carrier.write(Buffer.from(session.request));
  const timeoutMs = options.timeoutMs ?? OBFS4_DIAL_TIMEOUT_MS;
  const timer = setTimeout(
    () => stream.destroy(new TimeoutError(`obfs4 handshake timed out after ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onAbort = (): void =>
    void stream.destroy(new AbortError("obfs4 dial aborted", { cause: options.signal?.reason }));
  options.signal?.addEventListener("abort", onAbort, { once: true });
  try {
    await stream.whenEstablished();
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
    stream.off("error", swallow);
  }
  return stream;
}

export async function dialObfs4Tcp(
  target: { host: string; port: number },
  bridge: Obfs4BridgeIdentity,
  options: { backend?: Obfs4CryptoBackend; signal?: AbortSignal; timeoutMs?: number } = {},
): Promise<Obfs4Stream> {
  options.signal?.throwIfAborted();
  const sock = net.connect({ host: target.host, port: target.port });
  sock.setNoDelay(true);
  await new Promise<void>((resolve, reject) => {
    sock.once("connect", resolve);
    sock.once("error", reject);
  });
  return startObfs4Client(sock, bridge, options);
}

export interface Obfs4ServerCounters {
  accepted: number;
  established: number;
  failedHandshakes: number;
  dropped: number;
}

export interface Obfs4AcceptInfo {
  readonly remoteAddress: string | undefined;
  readonly remotePort: number | undefined;
}

export interface Obfs4ServerEngine {
  readonly counters: Obfs4ServerCounters;
  /** Wraps an accepted carrier; `onStream` gets it once the client authenticated. Never answers a bad client. */
  accept(carrier: Obfs4Stream["carrier"], info: Obfs4AcceptInfo): void;
}

/**
 * The per-bridge server state every carrier shares: identity, one replay
 * filter, one close delay (obfs4proxy picks it once per server so every
 * failure from a bridge looks alike), and the handshake bound.
 */
export interface Obfs4ServerOptions {
  readonly backend?: Obfs4CryptoBackend;
  readonly maxPendingHandshakes?: number;
  /** Default SERVER_HANDSHAKE_TIMEOUT_MS (30 s) as obfs4proxy; tests shorten it. */
  readonly handshakeTimeoutMs?: number;
  /** Default chooseCloseDelayMs(): once per server, whole seconds in [0, 60). */
  readonly closeDelayMs?: number;
  /**
   * Share one filter between every engine of a bridge, so a handshake seen on
   * one transport cannot be replayed on another to link them. Default: own.
   */
  readonly replayFilter?: ReplayFilter;
}

export function createObfs4ServerEngine(
  state: Obfs4ServerState,
  onStream: (stream: Obfs4Stream, info: Obfs4AcceptInfo) => void,
  options: Obfs4ServerOptions = {},
): Obfs4ServerEngine {
  const identityKeypair = keypairFromPrivateKey(state.privateKey);
  const replayFilter = options.replayFilter ?? new ReplayFilter();
  const closeDelayMs = options.closeDelayMs ?? chooseCloseDelayMs();
  const timeout = options.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: options.handshakeTimeoutMs };
  const backend = options.backend ?? nodeCryptoBackend();
  const maxPending = options.maxPendingHandshakes ?? MAX_PENDING_OBFS4_HANDSHAKES;
  const counters: Obfs4ServerCounters = { accepted: 0, established: 0, failedHandshakes: 0, dropped: 0 };
  let pending = 0;
  return {
    counters,
    accept(carrier, info) {
      if (pending >= maxPending) {
        counters.dropped++;
        carrier.destroy();
        return;
      }
      counters.accepted++;
      pending++;
      const session = new Obfs4ServerSession({
        nodeId: state.nodeId,
        identityKeypair,
        replayFilter,
        closeDelayMs,
        ...timeout,
        drbgSeed: state.drbgSeed,
        iatMode: state.iatMode,
        backend,
      });
      const stream = new Obfs4Stream(carrier, session);
      // Until the owner takes the stream, errors (resets, bad frames) are ours to swallow: an unheard
      // 'error' event would take the whole server down.
      const swallow = (): void => undefined;
      stream.on("error", swallow);
      stream.whenEstablished().then(
        () => {
          stream.off("error", swallow);
          pending--;
          counters.established++;
          onStream(stream, info);
        },
        () => {
          pending--;
          counters.failedHandshakes++;
        },
      );
    },
  };
}

export interface Obfs4TcpServer {
  readonly server: net.Server;
  readonly engine: Obfs4ServerEngine;
  readonly address: net.AddressInfo;
  close(): Promise<void>;
}

export async function listenObfs4Tcp(
  bind: { host: string; port: number },
  state: Obfs4ServerState,
  onStream: (stream: Obfs4Stream, info: Obfs4AcceptInfo) => void,
  options: Obfs4ServerOptions = {},
): Promise<Obfs4TcpServer> {
  const engine = createObfs4ServerEngine(state, onStream, options);
  // The engine bounds pending handshakes; established streams are bounded by what the OS allows.
  const listener = await listenTcp(
    bind,
    (sock) => engine.accept(sock, { remoteAddress: sock.remoteAddress, remotePort: sock.remotePort }),
    Number.MAX_SAFE_INTEGER,
  );
  return {
    server: listener.server,
    engine,
    address: listener.address,
    close: async () => {
      const stopped = listener.stopAccepting();
      listener.closeAll();
      await stopped;
    },
  };
}
