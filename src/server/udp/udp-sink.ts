/**
 * The PT server's UDP side (seed 000 §3.3.5.5) as a StreamSink for the
 * bridge manager: every authenticated stream is one pool entry of the shared
 * UdpServerPool (Table 2), paired with its own UDP socket towards the
 * configured target — the Server App in transparent mode, the TURN server in
 * STUN-aware mode. Datagrams deframed from the stream go to the target; the
 * target's datagrams go back framed. One socket per stream is what makes
 * "matching Connection" exact: the target's replies arrive on the socket of
 * the client they belong to, and a TURN server sees each client as its own
 * 5-tuple (its allocations are keyed by it, RFC 5766 §2.2).
 *
 * Only datagrams from the target's own address and port are relayed back
 * (others are "stray"), as a connected UDP socket would filter them.
 */
import dgram from "node:dgram";
import { lookup } from "node:dns/promises";
import net from "node:net";
import type { StunFramingOptions } from "../../shared/codec/stun/index.js";
import {
  DEFAULT_MAX_UDP_POOL_ENTRIES,
  UdpServerPool,
  type UdpFramingMode,
  type UdpServerOutput,
} from "../../shared/udp/index.js";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";
import type { Logger, SinkResult, StreamSink } from "../service/types.js";
import {
  DeadlineTimer,
  MAX_UDP_TRANSPORT_BACKLOG_BYTES,
  UdpCounters,
  UdpNodeError,
  UdpNodeErrorCode,
  asWebptError,
  monotonicNow,
  type UdpDropCause,
  type UdpRelayEvent,
  type UdpRelayStats,
} from "./relay-common.js";

/**
 * Kernel buffers asked for each stream's socket: one flow's burst of large
 * datagrams (sixteen of 64 KiB) while the event loop is busy. Smaller than the
 * client listener's, which carries every local flow; capped by the kernel.
 */
export const UDP_ASSOCIATION_BUFFER_BYTES = 1024 * 1024;

export interface UdpSinkOptions {
  /** The Server App (transparent) or TURN server (stun); a host name is resolved for every stream. */
  readonly target: { readonly host: string; readonly port: number };
  /** §3.3.5.4 framing; must match the clients' (§3.3.5.6). */
  readonly mode: UdpFramingMode;
  readonly stun?: StunFramingOptions;
  /** Table 2 "Timeout since last packet"; default DEFAULT_UDP_IDLE_TIMEOUT_MS. */
  readonly idleTimeoutMs?: number;
  /** Streams relayed at once; default DEFAULT_MAX_UDP_POOL_ENTRIES. Past it new streams are closed. */
  readonly maxEntries?: number;
  /** Local address for the per-stream sockets; default the wildcard of the target's family. */
  readonly bindHost?: string;
  readonly maxBacklogBytes?: number;
  readonly log: Logger;
  readonly onEvent?: (event: UdpRelayEvent) => void;
  readonly now?: () => number;
}

/** A StreamSink that also reports its books and can shut every association down. */
export interface UdpSink extends StreamSink {
  readonly size: number;
  getStats(): UdpRelayStats;
  /** Closes every stream and socket (the manager's closeAll does the streams; this also frees the sockets). */
  close(): void;
}

interface Assoc {
  readonly id: number;
  readonly stream: Obfs4Stream;
  readonly socket: dgram.Socket;
  readonly address: string;
  readonly port: number;
  readonly done: (r: SinkResult) => void;
  bytesUp: number;
  bytesDown: number;
  error: UdpNodeError | undefined;
}

const ignore = (): void => undefined;

export function udpSink(options: UdpSinkOptions): UdpSink {
  const { target, log } = options;
  const now = options.now ?? monotonicNow;
  const maxBacklog = options.maxBacklogBytes ?? MAX_UDP_TRANSPORT_BACKLOG_BYTES;
  const where = `${net.isIPv6(target.host) ? `[${target.host}]` : target.host}:${target.port}`;
  const pool = new UdpServerPool({
    destination: where,
    mode: options.mode,
    ...(options.stun === undefined ? {} : { stun: options.stun }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.maxEntries === undefined ? {} : { maxEntries: options.maxEntries }),
  });
  const assocs = new Map<number, Assoc>();
  const counters = new UdpCounters();
  const timer = new DeadlineTimer(now, () => run(pool.tick(now())));
  const key = (id: number): string => `stream ${id}`;

  const drop = (id: number, reason: UdpDropCause, length: number | undefined, error?: Error): void => {
    counters.dropped[reason]++;
    const e = error === undefined ? {} : { error: asWebptError(error) };
    options.onEvent?.({ kind: "drop", key: key(id), reason, length, ...e });
  };

  function run(outputs: UdpServerOutput[], length?: number): void {
    for (const o of outputs) {
      const a = assocs.get(o.id);
      switch (o.kind) {
        case "open-udp":
          break; // the socket was bound before accept (see serve)
        case "send-udp":
          if (a !== undefined) sendUdp(a, o.datagram);
          break;
        case "send-transport":
          if (a !== undefined) write(a, o.bytes, length ?? o.bytes.length);
          break;
        case "close-transport":
          a?.stream.destroy();
          break;
        case "close-udp":
          if (a !== undefined) closeSocket(a.socket);
          break;
        case "drop":
          drop(o.id, o.reason, o.length, o.error);
          break;
        case "removed":
          if (a === undefined) break;
          assocs.delete(o.id);
          counters.removed[o.reason]++;
          a.stream.destroy();
          closeSocket(a.socket);
          log.log(
            o.reason === "malformed-framing" ? "info" : "debug",
            `udp: stream ${o.id} removed (${o.reason}${o.error === undefined ? "" : `: ${o.error.message}`})`,
          );
          options.onEvent?.({
            kind: "removed",
            key: key(o.id),
            id: o.id,
            reason: o.reason,
            ...(o.error === undefined ? {} : { error: o.error }),
          });
          a.done({});
          break;
      }
    }
    timer.arm(pool.nextDeadline());
  }

  /** Datagrams from the stream, to the target. A refused send is a lost datagram, nothing more. */
  function sendUdp(a: Assoc, datagram: Uint8Array): void {
    counters.up(datagram.length);
    a.bytesUp += datagram.length;
    const failed = (err: Error): void => drop(a.id, "send-failed", datagram.length, err);
    try {
      a.socket.send(datagram, a.port, a.address, (err) => {
        if (err !== null && err !== undefined) failed(err);
      });
    } catch (err) {
      failed(err as Error);
    }
  }

  /** Table 2 row 2, and row 4 when the write fails. */
  function write(a: Assoc, bytes: Uint8Array, length: number): void {
    const s = a.stream;
    if (s.destroyed || s.writableEnded) {
      const err = new UdpNodeError(UdpNodeErrorCode.WRITE_FAILED, "the transport connection is closed");
      run(pool.onWriteFailure(a.id, now(), err, length));
      return;
    }
    if (s.writableLength >= maxBacklog) {
      drop(a.id, "congested", length);
      return;
    }
    counters.down(length);
    a.bytesDown += length;
    s.write(bytes, (err) => {
      if (err === null || err === undefined) return;
      a.error ??= new UdpNodeError(UdpNodeErrorCode.WRITE_FAILED, err.message, { cause: err });
      run(pool.onWriteFailure(a.id, now(), a.error, length));
    });
  }

  async function resolveTarget(): Promise<{ address: string; family: 4 | 6 }> {
    const family = net.isIP(target.host);
    if (family === 4 || family === 6) return { address: target.host, family };
    const r = await lookup(target.host);
    return { address: r.address, family: r.family === 6 ? 6 : 4 };
  }

  async function bindSocket(family: 4 | 6): Promise<dgram.Socket> {
    const socket = dgram.createSocket({
      type: family === 6 ? "udp6" : "udp4",
      recvBufferSize: UDP_ASSOCIATION_BUFFER_BYTES,
      sendBufferSize: UDP_ASSOCIATION_BUFFER_BYTES,
    });
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind(0, options.bindHost, () => {
        socket.off("error", reject);
        resolve();
      });
    });
    return socket;
  }

  const maxEntries = options.maxEntries ?? DEFAULT_MAX_UDP_POOL_ENTRIES;
  /** Streams between arrival and accept (resolving the target, binding their socket). */
  let pending = 0;
  const full = (transport: string, stream: Obfs4Stream): SinkResult => {
    log.log("info", `${transport}: udp pool full; closing a new stream`);
    setImmediate(() => stream.destroy());
    return { refused: "policy" };
  };

  const serve = async (stream: Obfs4Stream, transport: string): Promise<SinkResult> => {
    stream.on("error", ignore);
    // Refused before any socket is bound, so a flood of streams cannot hold more than maxEntries sockets.
    if (pool.size + pending >= maxEntries) return full(transport, stream);
    // Bind first, accept after: the stream is not read until its socket exists, so nothing is queued meanwhile.
    let socket: dgram.Socket;
    let address: string;
    pending++;
    try {
      const resolved = await resolveTarget();
      address = resolved.address;
      socket = await bindSocket(resolved.family);
    } catch (err) {
      log.log("warning", `${transport}: udp target ${where} unusable: ${(err as Error).message}`);
      setImmediate(() => stream.destroy());
      return { refused: "unreachable" };
    } finally {
      pending--;
    }
    if (stream.destroyed) {
      closeSocket(socket);
      return {};
    }
    const accepted = pool.accept(now());
    if (!accepted.accepted) {
      closeSocket(socket);
      run(accepted.outputs);
      return full(transport, stream);
    }
    const { id } = accepted;
    return new Promise<SinkResult>((done) => {
      const a: Assoc = {
        id,
        stream,
        socket,
        address,
        port: target.port,
        done,
        bytesUp: 0,
        bytesDown: 0,
        error: undefined,
      };
      assocs.set(id, a);
      counters.flowsTotal++;
      options.onEvent?.({ kind: "open", key: key(id), id });
      socket.on("message", (msg, rinfo) => {
        if (rinfo.port !== a.port || rinfo.address !== a.address) {
          drop(id, "stray", msg.length);
          return;
        }
        run(pool.onDatagram(id, msg, now()), msg.length);
      });
      socket.on("error", (err) => log.log("debug", `udp: stream ${id} socket error: ${err.message}`));
      stream.on("data", (chunk: Buffer) => run(pool.onTransportData(id, chunk, now())));
      stream.on("error", (err) => {
        a.error ??= new UdpNodeError(UdpNodeErrorCode.TRANSPORT, err.message, { cause: err });
      });
      // Table 2 row 3; a FIN ends the flow as a close does (UDP has no half-closed state).
      stream.on("end", () => run(pool.onTransportClosed(id, now(), a.error)));
      stream.on("close", () => run(pool.onTransportClosed(id, now(), a.error)));
      run(accepted.outputs);
    });
  };

  const sink: StreamSink = async (stream, _client, transport) => {
    try {
      return await serve(stream, transport);
    } catch (err) {
      // Nothing above should throw; if it does, drop this stream and keep the server.
      log.log("error", `${transport}: udp sink failed: ${(err as Error).message}`);
      stream.destroy();
      return { refused: "protocol" };
    }
  };
  const result = Object.assign(sink, {
    getStats: () => counters.snapshot(pool.size),
    close: () => run(pool.close()),
  });
  Object.defineProperty(result, "size", { get: () => pool.size, enumerable: true });
  return result as UdpSink;
}

function closeSocket(socket: dgram.Socket): void {
  try {
    socket.close();
  } catch {
    // Already closed (ERR_SOCKET_DGRAM_NOT_RUNNING).
  }
}
