import type { StreamDecoder } from "../codec/decoder.js";
import { WebptError } from "../errors.js";
import {
  ActivityOrder,
  Clock,
  type ResolvedPoolOptions,
  type UdpDropReason,
  type UdpPoolOptions,
  type UdpRemoveReason,
  resolvePoolOptions,
} from "./pool-common.js";

/**
 * The PT client's UDP connection pool (seed 000 §3.3.5.3, Table 1 "Client-side
 * UDP state transitions") as a sans-IO state machine.
 *
 * Keying: one transport connection per local UDP peer (the source
 * address:port of the Client App's packets), an opaque string the adapter
 * builds. The seed's prose says connections are "associated with a PT Server
 * destination address", but the PT client has one configured server and must
 * send replies back to the right local peer; the dispatcher this section
 * describes (shapeshifter-dispatcher, transparent_udp.go) keys its tracker by
 * the packet's source address for the same reason.
 *
 * Each transport connection gets a pool-assigned numeric `id`; transport
 * events name the id, not the key, so a late event from a connection the pool
 * already removed (say, a dial that completes after an idle timeout) can
 * never be mistaken for the peer's next connection.
 *
 * Table 1, row by row (Event | Current State | New State | Effect):
 *   1. Packet received | No matching Connection in pool |
 *      New Connection added to pool with state = Waiting | Packet dropped
 *   2. Packet received | Matching Connection in pool with state = Waiting | | Packet dropped
 *   3. Packet received | Matching Connection in pool with state = Connected | | Packet sent using Connection
 *   4. Connection successful | ... state = Waiting | ... state = Connected |
 *   5. Connection closed | ... state = Connected | Remove Connection from pool |
 *   6. Connection failed | ... state = Waiting | Remove Connection from pool |
 *   7. Write failure sending packet | ... state = Connected | Remove Connection from pool | Packet dropped
 *   8. Timeout since last packet | Matching Connection in pool | Remove Connection from pool |
 * So the packet that opens a connection is dropped (row 1), and so is every
 * later packet until the connection is established (row 2): nothing is
 * queued. The first packet sent is the first one received after row 4.
 */

export type UdpClientState = "Waiting" | "Connected";

export type UdpClientOutput =
  /** Dial a transport connection to the PT server for local peer `key`; report back with `id`. */
  | { readonly kind: "open-transport"; readonly key: string; readonly id: number }
  /** Write these framed bytes to transport `id`. */
  | { readonly kind: "send-transport"; readonly key: string; readonly id: number; readonly bytes: Uint8Array }
  /** Close transport `id`, or abort its dial and close it if it completes. */
  | { readonly kind: "close-transport"; readonly key: string; readonly id: number }
  /** Send a datagram that arrived on transport `id` to the local peer `to`. */
  | { readonly kind: "send-udp"; readonly id: number; readonly to: string; readonly datagram: Uint8Array }
  /** A datagram was not delivered. `length` is absent when the adapter did not say which packet failed. */
  | {
      readonly kind: "drop";
      readonly key: string;
      readonly reason: UdpDropReason;
      readonly length?: number;
      readonly error?: WebptError;
    }
  /** Entry `id` left the pool; no further output names it. */
  | {
      readonly kind: "removed";
      readonly key: string;
      readonly id: number;
      readonly reason: UdpRemoveReason;
      readonly error?: WebptError;
    };

interface ClientEntry {
  readonly key: string;
  readonly id: number;
  state: UdpClientState;
  lastActivity: number;
  decoder: StreamDecoder<Uint8Array> | undefined;
}

export class UdpClientPool {
  readonly #options: ResolvedPoolOptions;
  readonly #byKey = new ActivityOrder<string, ClientEntry>();
  readonly #byId = new Map<number, ClientEntry>();
  readonly #clock = new Clock();
  #nextId = 1;

  constructor(options: UdpPoolOptions = {}) {
    this.#options = resolvePoolOptions(options);
  }

  /** Entries in the pool (Waiting or Connected). */
  get size(): number {
    return this.#byKey.size;
  }

  get idleTimeoutMs(): number {
    return this.#options.idleTimeoutMs;
  }

  /** The state of local peer `key`'s connection, or undefined when none is in the pool. */
  state(key: string): UdpClientState | undefined {
    return this.#byKey.get(key)?.state;
  }

  /** The id of local peer `key`'s connection, or undefined. */
  idOf(key: string): number | undefined {
    return this.#byKey.get(key)?.id;
  }

  /**
   * When the next entry times out: call `tick` at (or after) this time.
   * Undefined when the pool is empty. Moves later whenever a packet passes.
   */
  nextDeadline(): number | undefined {
    const oldest = this.#byKey.oldest();
    return oldest === undefined ? undefined : oldest[1].lastActivity + this.#options.idleTimeoutMs;
  }

  /** Removes every entry idle for idleTimeoutMs or longer at `now` (Table 1 row 8). */
  tick(now: number): UdpClientOutput[] {
    const out: UdpClientOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    return out;
  }

  /** Table 1 rows 1-3: a packet from the Client App's peer `from`. */
  onDatagram(from: string, datagram: Uint8Array, now: number): UdpClientOutput[] {
    const t = this.#clock.advance(now);
    const out: UdpClientOutput[] = [];
    this.#expire(t, out);
    // Framing check first: a packet this mode cannot carry is never sent, so
    // it neither opens a connection nor counts as activity.
    let bytes: Uint8Array;
    try {
      bytes = this.#options.framing.encode(datagram);
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      out.push({ kind: "drop", key: from, reason: "invalid-datagram", length: datagram.length, error: e });
      return out;
    }
    const entry = this.#byKey.get(from);
    if (entry === undefined) {
      // Row 1: add a Waiting connection and drop the packet that caused it.
      if (this.#byKey.size >= this.#options.maxEntries) {
        out.push({ kind: "drop", key: from, reason: "pool-full", length: datagram.length });
        return out;
      }
      const id = this.#nextId++;
      const created: ClientEntry = { key: from, id, state: "Waiting", lastActivity: t, decoder: undefined };
      this.#byKey.add(from, created);
      this.#byId.set(id, created);
      out.push({ kind: "open-transport", key: from, id });
      out.push({ kind: "drop", key: from, reason: "connection-opening", length: datagram.length });
      return out;
    }
    this.#byKey.touch(from, entry, t);
    if (entry.state === "Waiting") {
      // Row 2: still connecting; the packet is dropped, not queued.
      out.push({ kind: "drop", key: from, reason: "waiting", length: datagram.length });
    } else {
      // Row 3.
      out.push({ kind: "send-transport", key: from, id: entry.id, bytes });
    }
    return out;
  }

  /** Table 1 row 4: transport `id` is established. Stale ids (already removed) are ignored. */
  onConnected(id: number, now: number): UdpClientOutput[] {
    const out: UdpClientOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    const entry = this.#byId.get(id);
    if (entry?.state === "Waiting") {
      entry.state = "Connected";
      entry.decoder = this.#options.framing.decoder();
    }
    return out;
  }

  /** Table 1 row 6: the dial of transport `id` failed. */
  onConnectFailed(id: number, now: number, error?: WebptError): UdpClientOutput[] {
    return this.onTransportClosed(id, now, error);
  }

  /**
   * Table 1 row 5 (Connected) and row 6 (Waiting: a transport that ends
   * before it is established has failed). The stream must end on a frame
   * boundary: a partial frame is malformed framing, reported on the removal.
   */
  onTransportClosed(id: number, now: number, error?: WebptError): UdpClientOutput[] {
    const out: UdpClientOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    const entry = this.#byId.get(id);
    if (entry === undefined) return out;
    if (entry.state === "Waiting") {
      this.#remove(entry, "connection-failed", false, error, out);
      return out;
    }
    try {
      entry.decoder?.finish();
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      this.#remove(entry, "malformed-framing", false, e, out);
      return out;
    }
    this.#remove(entry, "connection-closed", false, error, out);
    return out;
  }

  /** Table 1 row 7: writing to transport `id` failed. The adapter closes nothing itself; the pool says close. */
  onWriteFailure(id: number, now: number, error?: WebptError, length?: number): UdpClientOutput[] {
    const out: UdpClientOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    const entry = this.#byId.get(id);
    if (entry?.state !== "Connected") return out;
    out.push({
      kind: "drop",
      key: entry.key,
      reason: "write-failure",
      ...(length === undefined ? {} : { length }),
      ...(error === undefined ? {} : { error }),
    });
    this.#remove(entry, "write-failure", true, error, out);
    return out;
  }

  /**
   * Bytes from transport `id`: deframed into datagrams for the local peer.
   * Malformed framing closes this transport only (CONFORMANCE UDP framing);
   * datagrams completed earlier in the same chunk are lost with it.
   */
  onTransportData(id: number, bytes: Uint8Array, now: number): UdpClientOutput[] {
    const t = this.#clock.advance(now);
    const out: UdpClientOutput[] = [];
    this.#expire(t, out);
    const entry = this.#byId.get(id);
    if (entry?.state !== "Connected" || entry.decoder === undefined) return out;
    let datagrams: Uint8Array[];
    try {
      datagrams = entry.decoder.push(bytes);
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      this.#remove(entry, "malformed-framing", true, e, out);
      return out;
    }
    if (datagrams.length > 0) this.#byKey.touch(entry.key, entry, t);
    for (const datagram of datagrams) out.push({ kind: "send-udp", id, to: entry.key, datagram });
    return out;
  }

  /** Shuts the pool down: closes every transport and empties the pool. */
  close(): UdpClientOutput[] {
    const out: UdpClientOutput[] = [];
    for (const key of this.#byKey.keys()) {
      const entry = this.#byKey.get(key);
      if (entry !== undefined) this.#remove(entry, "pool-closed", true, undefined, out);
    }
    return out;
  }

  #expire(now: number, out: UdpClientOutput[]): void {
    for (let o = this.#byKey.oldest(); o !== undefined; o = this.#byKey.oldest()) {
      const entry = o[1];
      // Expired at exactly idleTimeoutMs of silence.
      if (now - entry.lastActivity < this.#options.idleTimeoutMs) return;
      this.#remove(entry, "idle-timeout", true, undefined, out);
    }
  }

  #remove(
    entry: ClientEntry,
    reason: UdpRemoveReason,
    closeTransport: boolean,
    error: WebptError | undefined,
    out: UdpClientOutput[],
  ): void {
    this.#byKey.delete(entry.key);
    this.#byId.delete(entry.id);
    if (closeTransport) out.push({ kind: "close-transport", key: entry.key, id: entry.id });
    out.push({
      kind: "removed",
      key: entry.key,
      id: entry.id,
      reason,
      ...(error === undefined ? {} : { error }),
    });
  }
}
