/**
 * The PT client's UDP relay for Node (seed 000 §3.3.5.3): the shared
 * UdpClientPool (Table 1) driven by real transport connections. A datagram
 * from local peer `key` goes through the pool; its outputs are carried out
 * here: dial a transport connection (lazily, through the injected `dial`, so
 * any carrier works), write framed bytes to it, close it, and hand datagrams
 * coming back to `deliver`. Both front ends use this one class: the UDP
 * listener of `webpt client` (udp-client.ts) and the Transport API's
 * dgram-like socket (tunnel-socket.ts).
 */
import type { Duplex } from "node:stream";
import { TimeoutError, type WebptError } from "../../shared/errors.js";
import {
  UdpClientPool,
  type UdpClientOutput,
  type UdpFramingMode,
  type UdpPoolOptions,
} from "../../shared/udp/index.js";
import type { Logger } from "../service/types.js";
import {
  DEFAULT_UDP_DIAL_TIMEOUT_MS,
  DeadlineTimer,
  MAX_UDP_DIAL_TIMEOUT_MS,
  MAX_UDP_TRANSPORT_BACKLOG_BYTES,
  UdpCounters,
  UdpNodeError,
  UdpNodeErrorCode,
  asWebptError,
  monotonicNow,
  type UdpDial,
  type UdpDropCause,
  type UdpRelayEvent,
  type UdpRelayStats,
} from "./relay-common.js";

export interface UdpClientRelayOptions extends UdpPoolOptions {
  /** Opens one transport connection to the PT server. */
  readonly dial: UdpDial;
  /** Sends a datagram from the transport back to local peer `to`; calls `failed` if the socket refuses it. */
  readonly deliver: (to: string, datagram: Uint8Array, failed: (err: unknown) => void) => void;
  /** Default DEFAULT_UDP_DIAL_TIMEOUT_MS. */
  readonly dialTimeoutMs?: number;
  /** Default MAX_UDP_TRANSPORT_BACKLOG_BYTES. */
  readonly maxBacklogBytes?: number;
  readonly onEvent?: (event: UdpRelayEvent) => void;
  readonly log?: Logger;
  /** Milliseconds on a monotonic clock; default performance.now. */
  readonly now?: () => number;
}

interface Conn {
  readonly key: string;
  readonly id: number;
  readonly abort: AbortController;
  dialTimer: ReturnType<typeof setTimeout> | undefined;
  duplex: Duplex | undefined;
  error: WebptError | undefined;
}

export function checkDialTimeout(ms: number): number {
  if (!Number.isSafeInteger(ms) || ms <= 0 || ms > MAX_UDP_DIAL_TIMEOUT_MS) {
    throw new RangeError(`dialTimeoutMs must be an integer in 1..${MAX_UDP_DIAL_TIMEOUT_MS}, got ${ms}`);
  }
  return ms;
}

export class UdpClientRelay {
  readonly #pool: UdpClientPool;
  readonly #conns = new Map<number, Conn>();
  readonly #counters = new UdpCounters();
  readonly #timer: DeadlineTimer;
  readonly #dial: UdpDial;
  readonly #deliver: UdpClientRelayOptions["deliver"];
  readonly #dialTimeoutMs: number;
  readonly #maxBacklog: number;
  readonly #onEvent: ((e: UdpRelayEvent) => void) | undefined;
  readonly #log: Logger | undefined;
  readonly #now: () => number;
  readonly #mode: UdpFramingMode;
  #closed = false;

  constructor(options: UdpClientRelayOptions) {
    this.#pool = new UdpClientPool(options);
    this.#mode = options.mode ?? "transparent";
    this.#dial = options.dial;
    this.#deliver = options.deliver;
    this.#dialTimeoutMs = checkDialTimeout(options.dialTimeoutMs ?? DEFAULT_UDP_DIAL_TIMEOUT_MS);
    const backlog = options.maxBacklogBytes ?? MAX_UDP_TRANSPORT_BACKLOG_BYTES;
    if (!Number.isSafeInteger(backlog) || backlog < 1) throw new RangeError(`bad maxBacklogBytes ${backlog}`);
    this.#maxBacklog = backlog;
    this.#onEvent = options.onEvent;
    this.#log = options.log;
    this.#now = options.now ?? monotonicNow;
    this.#timer = new DeadlineTimer(this.#now, () => this.#run(this.#pool.tick(this.#now())));
  }

  get mode(): UdpFramingMode {
    return this.#mode;
  }

  /** Pool entries (Waiting or Connected). */
  get size(): number {
    return this.#pool.size;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** Table 1 state of local peer `key`'s connection. */
  state(key: string): "Waiting" | "Connected" | undefined {
    return this.#pool.state(key);
  }

  getStats(): UdpRelayStats {
    return this.#counters.snapshot(this.#pool.size);
  }

  /** A datagram from local peer `from` (Table 1 rows 1-3). */
  datagram(from: string, datagram: Uint8Array): void {
    if (this.#closed) {
      this.#drop(from, "closed", datagram.length, datagram);
      return;
    }
    this.#run(this.#pool.onDatagram(from, datagram, this.#now()), from, datagram);
  }

  /** Closes every transport connection and empties the pool; later datagrams are dropped. */
  close(): void {
    if (this.#closed) return;
    this.#run(this.#pool.close());
    this.#closed = true;
    this.#timer.cancel();
  }

  #run(outputs: UdpClientOutput[], from?: string, datagram?: Uint8Array): void {
    for (const o of outputs) {
      switch (o.kind) {
        case "open-transport":
          this.#open(o.key, o.id);
          break;
        case "send-transport":
          this.#write(o.id, o.bytes, datagram?.length ?? o.bytes.length);
          break;
        case "close-transport":
          this.#closeTransport(o.id);
          break;
        case "send-udp":
          this.#sendUdp(o.to, o.datagram);
          break;
        case "drop": {
          const mine = o.key === from && o.length === datagram?.length;
          this.#drop(o.key, o.reason, o.length, mine ? datagram : undefined, o.error);
          break;
        }
        case "removed": {
          this.#closeTransport(o.id);
          this.#conns.delete(o.id);
          this.#counters.removed[o.reason]++;
          const error = o.error === undefined ? {} : { error: o.error };
          this.#log?.log(
            o.reason === "malformed-framing" ? "warning" : "debug",
            `udp: flow ${o.id} removed (${o.reason}${o.error === undefined ? "" : `: ${o.error.message}`})`,
          );
          this.#onEvent?.({ kind: "removed", key: o.key, id: o.id, reason: o.reason, ...error });
          break;
        }
      }
    }
    if (!this.#closed) this.#timer.arm(this.#pool.nextDeadline());
  }

  #drop(key: string, reason: UdpDropCause, length?: number, datagram?: Uint8Array, error?: WebptError): void {
    this.#counters.dropped[reason]++;
    this.#onEvent?.({
      kind: "drop",
      key,
      reason,
      length,
      ...(datagram === undefined ? {} : { datagram }),
      ...(error === undefined ? {} : { error }),
    });
  }

  /** Table 1 row 1's new connection: dial lazily, and report success (row 4) or failure (row 6). */
  #open(key: string, id: number): void {
    const conn: Conn = {
      key,
      id,
      abort: new AbortController(),
      dialTimer: undefined,
      duplex: undefined,
      error: undefined,
    };
    this.#conns.set(id, conn);
    this.#counters.flowsTotal++;
    this.#onEvent?.({ kind: "open", key, id });
    const current = (): boolean => this.#conns.get(id) === conn && !conn.abort.signal.aborted;
    conn.dialTimer = setTimeout(() => {
      const err = new TimeoutError(`transport dial timed out after ${this.#dialTimeoutMs} ms`);
      conn.abort.abort(err);
      this.#run(this.#pool.onConnectFailed(id, this.#now(), err));
    }, this.#dialTimeoutMs);
    conn.dialTimer.unref();
    let dialing: Promise<Duplex>;
    try {
      dialing = this.#dial(conn.abort.signal);
    } catch (err) {
      dialing = Promise.reject(err as Error);
    }
    dialing.then(
      (duplex) => {
        clearTimeout(conn.dialTimer);
        if (!current()) {
          duplex.destroy();
          return;
        }
        if (duplex.destroyed || duplex.writableEnded) {
          const err = new UdpNodeError(UdpNodeErrorCode.TRANSPORT, "the transport closed as it connected");
          this.#run(this.#pool.onConnectFailed(id, this.#now(), err));
          return;
        }
        this.#attach(conn, duplex);
      },
      (err: unknown) => {
        clearTimeout(conn.dialTimer);
        if (!current()) return;
        this.#log?.log("info", `udp: cannot reach the bridge: ${(err as Error).message}`);
        this.#run(this.#pool.onConnectFailed(id, this.#now(), asWebptError(err)));
      },
    );
  }

  #attach(conn: Conn, duplex: Duplex): void {
    const { id } = conn;
    conn.duplex = duplex;
    duplex.on("data", (chunk: Buffer) => this.#run(this.#pool.onTransportData(id, chunk, this.#now())));
    // Table 1 row 5. The far end's FIN ends the connection: a UDP flow has no half-closed state.
    duplex.on("end", () => this.#run(this.#pool.onTransportClosed(id, this.#now(), conn.error)));
    duplex.on("error", (err) => {
      conn.error ??= asWebptError(err);
    });
    duplex.on("close", () => this.#run(this.#pool.onTransportClosed(id, this.#now(), conn.error)));
    this.#run(this.#pool.onConnected(id, this.#now()));
    this.#onEvent?.({ kind: "connected", key: conn.key, id });
  }

  /** Table 1 row 3, and row 7 when the write fails. */
  #write(id: number, bytes: Uint8Array, length: number): void {
    const conn = this.#conns.get(id);
    const d = conn?.duplex;
    if (conn === undefined || d === undefined || d.destroyed || d.writableEnded) {
      const err = new UdpNodeError(UdpNodeErrorCode.WRITE_FAILED, "the transport connection is closed");
      this.#run(this.#pool.onWriteFailure(id, this.#now(), err, length));
      return;
    }
    if (d.writableLength >= this.#maxBacklog) {
      this.#drop(conn.key, "congested", length);
      return;
    }
    this.#counters.up(length);
    d.write(bytes, (err) => {
      if (err === null || err === undefined) return;
      conn.error ??= asWebptError(err, UdpNodeErrorCode.WRITE_FAILED);
      this.#run(this.#pool.onWriteFailure(id, this.#now(), conn.error, length));
    });
  }

  #closeTransport(id: number): void {
    const conn = this.#conns.get(id);
    if (conn === undefined) return;
    clearTimeout(conn.dialTimer);
    if (!conn.abort.signal.aborted) conn.abort.abort();
    conn.duplex?.destroy();
  }

  #sendUdp(to: string, datagram: Uint8Array): void {
    this.#counters.down(datagram.length);
    const failed = (err: unknown): void => {
      this.#counters.datagramsDown--;
      this.#counters.bytesDown -= datagram.length;
      this.#drop(to, "send-failed", datagram.length, datagram, asWebptError(err));
    };
    try {
      this.#deliver(to, datagram, failed);
    } catch (err) {
      failed(err);
    }
  }
}
