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
 * The PT server's UDP connection pool (seed 000 §3.3.5.5, Table 2 "Server-side
 * UDP state transitions") as a sans-IO state machine.
 *
 * One entry per accepted transport connection (one PT client peer), each
 * paired with its own UDP association towards the Server App: in transparent
 * mode the configured destination, in STUN-aware mode the TURN server
 * ("forwarded to a destination address specified as a configuration
 * parameter"). The adapter opens one UDP socket per association, so the
 * Server App's replies arrive already tagged with the entry's id; that is
 * what "matching Connection" means here.
 *
 * "Connections in the connection pool are always in a Connected state and
 * never in a Waiting state. Therefore Connection states are removed" (§3.3.5.5).
 *
 * Table 2, row by row (Event | Current State | New State | Effect):
 *   1. Packet received | No matching Connection in pool | | Packet dropped
 *   2. Packet received | Matching Connection in pool | | Packet sent using Connection
 *   3. Connection closed | Connection in pool | Remove Connection from pool |
 *   4. Write failure sending packet | Connection in pool | Remove Connection from pool | Packet dropped
 *   5. Timeout since last packet | Matching Connection in pool | Remove Connection from pool |
 * "Packet" is a datagram from the Server App (rows 1-2); datagrams the
 * transport carries are relayed to the destination. Both directions count as
 * activity for row 5: a one-way flow (client to Server App) must not time out.
 */

export type UdpServerOutput =
  /** Open the UDP association for transport `id`, towards `to`. */
  | { readonly kind: "open-udp"; readonly id: number; readonly to: string }
  /** Send a datagram decoded from transport `id` on its association, to `to`. */
  | { readonly kind: "send-udp"; readonly id: number; readonly to: string; readonly datagram: Uint8Array }
  /** Close transport `id`'s UDP association. */
  | { readonly kind: "close-udp"; readonly id: number }
  /** Write these framed bytes to transport `id`. */
  | { readonly kind: "send-transport"; readonly id: number; readonly bytes: Uint8Array }
  /** Close transport `id`. */
  | { readonly kind: "close-transport"; readonly id: number }
  /** A datagram was not delivered. */
  | {
      readonly kind: "drop";
      readonly id: number;
      readonly reason: UdpDropReason;
      readonly length?: number;
      readonly error?: WebptError;
    }
  /** Entry `id` left the pool; no further output names it. */
  | { readonly kind: "removed"; readonly id: number; readonly reason: UdpRemoveReason; readonly error?: WebptError };

export interface UdpServerPoolOptions extends UdpPoolOptions {
  /** Where decoded datagrams go: the Server App (transparent) or the TURN server (STUN-aware). Opaque to the pool. */
  readonly destination: string;
}

/** What `accept` did: the new connection's id, and whether the pool took it (false: full, and it is closed). */
export interface UdpServerAccept {
  readonly id: number;
  readonly accepted: boolean;
  readonly outputs: UdpServerOutput[];
}

interface ServerEntry {
  readonly id: number;
  lastActivity: number;
  readonly decoder: StreamDecoder<Uint8Array>;
}

export class UdpServerPool {
  readonly #options: ResolvedPoolOptions;
  readonly #destination: string;
  readonly #entries = new ActivityOrder<number, ServerEntry>();
  readonly #clock = new Clock();
  #nextId = 1;

  constructor(options: UdpServerPoolOptions) {
    if (typeof options.destination !== "string" || options.destination === "") {
      throw new TypeError("a UDP server pool needs a destination");
    }
    this.#options = resolvePoolOptions(options);
    this.#destination = options.destination;
  }

  get size(): number {
    return this.#entries.size;
  }

  get idleTimeoutMs(): number {
    return this.#options.idleTimeoutMs;
  }

  has(id: number): boolean {
    return this.#entries.get(id) !== undefined;
  }

  /** When the next entry times out; undefined when the pool is empty. */
  nextDeadline(): number | undefined {
    const oldest = this.#entries.oldest();
    return oldest === undefined ? undefined : oldest[1].lastActivity + this.#options.idleTimeoutMs;
  }

  /** Removes every entry idle for idleTimeoutMs or longer at `now` (Table 2 row 5). */
  tick(now: number): UdpServerOutput[] {
    const out: UdpServerOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    return out;
  }

  /**
   * A transport connection was accepted: it joins the pool Connected, with a
   * new association. When the pool is full it is closed at once (a bound the
   * seed leaves open; closing the newcomer keeps established flows intact).
   */
  accept(now: number): UdpServerAccept {
    const t = this.#clock.advance(now);
    const outputs: UdpServerOutput[] = [];
    this.#expire(t, outputs);
    const id = this.#nextId++;
    if (this.#entries.size >= this.#options.maxEntries) {
      outputs.push({ kind: "close-transport", id });
      return { id, accepted: false, outputs };
    }
    this.#entries.add(id, { id, lastActivity: t, decoder: this.#options.framing.decoder() });
    outputs.push({ kind: "open-udp", id, to: this.#destination });
    return { id, accepted: true, outputs };
  }

  /** Table 2 rows 1-2: a datagram from the Server App on association `id`. */
  onDatagram(id: number, datagram: Uint8Array, now: number): UdpServerOutput[] {
    const t = this.#clock.advance(now);
    const out: UdpServerOutput[] = [];
    this.#expire(t, out);
    const entry = this.#entries.get(id);
    if (entry === undefined) {
      out.push({ kind: "drop", id, reason: "no-connection", length: datagram.length });
      return out;
    }
    let bytes: Uint8Array;
    try {
      bytes = this.#options.framing.encode(datagram);
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      out.push({ kind: "drop", id, reason: "invalid-datagram", length: datagram.length, error: e });
      return out;
    }
    this.#entries.touch(id, entry, t);
    out.push({ kind: "send-transport", id, bytes });
    return out;
  }

  /**
   * Bytes from transport `id`, deframed (§3.3.5.5) and relayed to the
   * destination. Malformed framing closes this transport only.
   */
  onTransportData(id: number, bytes: Uint8Array, now: number): UdpServerOutput[] {
    const t = this.#clock.advance(now);
    const out: UdpServerOutput[] = [];
    this.#expire(t, out);
    const entry = this.#entries.get(id);
    if (entry === undefined) return out;
    let datagrams: Uint8Array[];
    try {
      datagrams = entry.decoder.push(bytes);
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      this.#remove(entry, "malformed-framing", true, e, out);
      return out;
    }
    if (datagrams.length > 0) this.#entries.touch(id, entry, t);
    for (const datagram of datagrams) out.push({ kind: "send-udp", id, to: this.#destination, datagram });
    return out;
  }

  /** Table 2 row 3. A stream that ends inside a frame is reported as malformed framing. */
  onTransportClosed(id: number, now: number, error?: WebptError): UdpServerOutput[] {
    const out: UdpServerOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    const entry = this.#entries.get(id);
    if (entry === undefined) return out;
    try {
      entry.decoder.finish();
    } catch (e) {
      if (!(e instanceof WebptError)) throw e;
      this.#remove(entry, "malformed-framing", false, e, out);
      return out;
    }
    this.#remove(entry, "connection-closed", false, error, out);
    return out;
  }

  /** Table 2 row 4: writing to transport `id` failed; the packet is dropped and the connection removed. */
  onWriteFailure(id: number, now: number, error?: WebptError, length?: number): UdpServerOutput[] {
    const out: UdpServerOutput[] = [];
    this.#expire(this.#clock.advance(now), out);
    const entry = this.#entries.get(id);
    if (entry === undefined) return out;
    out.push({
      kind: "drop",
      id,
      reason: "write-failure",
      ...(length === undefined ? {} : { length }),
      ...(error === undefined ? {} : { error }),
    });
    this.#remove(entry, "write-failure", true, error, out);
    return out;
  }

  /** Shuts the pool down: closes every transport and association. */
  close(): UdpServerOutput[] {
    const out: UdpServerOutput[] = [];
    for (const id of this.#entries.keys()) {
      const entry = this.#entries.get(id);
      if (entry !== undefined) this.#remove(entry, "pool-closed", true, undefined, out);
    }
    return out;
  }

  #expire(now: number, out: UdpServerOutput[]): void {
    for (let o = this.#entries.oldest(); o !== undefined; o = this.#entries.oldest()) {
      if (now - o[1].lastActivity < this.#options.idleTimeoutMs) return;
      this.#remove(o[1], "idle-timeout", true, undefined, out);
    }
  }

  #remove(
    entry: ServerEntry,
    reason: UdpRemoveReason,
    closeTransport: boolean,
    error: WebptError | undefined,
    out: UdpServerOutput[],
  ): void {
    this.#entries.delete(entry.id);
    if (closeTransport) out.push({ kind: "close-transport", id: entry.id });
    out.push({ kind: "close-udp", id: entry.id });
    out.push({ kind: "removed", id: entry.id, reason, ...(error === undefined ? {} : { error }) });
  }
}
