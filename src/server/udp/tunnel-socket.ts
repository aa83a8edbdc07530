/**
 * The UDP connector of the Node Transport API (seed 000 §3.2.5.3:
 * `UDPConnector.createUDPSocket(options) => dgram.Socket`, "arguments match
 * node's dgram.createSocket"): a dgram.Socket-shaped object whose datagrams
 * cross a transport connection instead of the network. It is the same
 * UdpClientRelay as `webpt client`'s UDP listener with one local peer (the
 * socket itself), so Table 1 holds unchanged: the first datagram opens the
 * connection and is dropped, as is every datagram sent while it is Waiting;
 * after that datagrams flow until the idle timeout, and the next datagram
 * dials again. Applications already retransmit (UDP loses packets); one that
 * must know can listen for the non-standard 'drop' event.
 *
 * The destination is the PT server's configured one (its UDP target or TURN
 * server, §3.3.5.5), so the `port`/`address` arguments of send() are accepted
 * for compatibility and only remembered as the sender reported in 'message'
 * events (`rinfo`), like connect()'s. There is no local port: bind() only
 * emits 'listening'.
 */
import { EventEmitter } from "node:events";
import type { AddressInfo } from "node:net";
import type { StunFramingOptions } from "../../shared/codec/stun/index.js";
import type { UdpFramingMode } from "../../shared/udp/index.js";
import { UdpClientRelay } from "./client-relay.js";
import {
  UdpNodeError,
  UdpNodeErrorCode,
  type UdpDial,
  type UdpRelayEvent,
  type UdpRelayStats,
} from "./relay-common.js";

/** The pool key of a tunnel socket's one flow. */
const SELF = "socket";

export interface TunnelUdpSocketOptions {
  /** As dgram.createSocket: the family reported by address() and in rinfo. Default "udp4". */
  readonly type?: "udp4" | "udp6";
  readonly dial: UdpDial;
  /** Default "transparent"; must match the server (§3.3.5.6). */
  readonly mode?: UdpFramingMode;
  readonly stun?: StunFramingOptions;
  readonly idleTimeoutMs?: number;
  readonly dialTimeoutMs?: number;
  /** The sender 'message' events report until connect() or send() names one. */
  readonly remote?: { readonly address: string; readonly port: number };
  /** As dgram.createSocket: aborting closes the socket. */
  readonly signal?: AbortSignal;
}

export interface RemoteInfo {
  readonly address: string;
  readonly family: "IPv4" | "IPv6";
  readonly port: number;
  readonly size: number;
}

type Bytes = Uint8Array | DataView | string;
type SendCallback = (error: Error | null, bytes: number) => void;

function toBytes(msg: Bytes | readonly Bytes[]): Uint8Array {
  if (Array.isArray(msg)) return Buffer.concat((msg as readonly Bytes[]).map(toBytes));
  if (typeof msg === "string") return Buffer.from(msg, "utf8");
  if (msg instanceof Uint8Array) return msg;
  if (msg instanceof DataView) return new Uint8Array(msg.buffer, msg.byteOffset, msg.byteLength);
  throw new TypeError("a datagram must be a string, Buffer, TypedArray, DataView or an array of them");
}

export class TunnelUdpSocket extends EventEmitter {
  readonly #relay: UdpClientRelay;
  readonly #family: "IPv4" | "IPv6";
  #remote: { address: string; port: number };
  #connected = false;
  #bound = false;
  #closed = false;

  constructor(options: TunnelUdpSocketOptions) {
    super();
    this.#family = options.type === "udp6" ? "IPv6" : "IPv4";
    this.#remote = { ...(options.remote ?? { address: this.#family === "IPv6" ? "::" : "0.0.0.0", port: 0 }) };
    this.#relay = new UdpClientRelay({
      dial: options.dial,
      maxEntries: 1,
      ...(options.mode === undefined ? {} : { mode: options.mode }),
      ...(options.stun === undefined ? {} : { stun: options.stun }),
      ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
      ...(options.dialTimeoutMs === undefined ? {} : { dialTimeoutMs: options.dialTimeoutMs }),
      deliver: (_to, datagram) => {
        const msg = Buffer.from(datagram.buffer, datagram.byteOffset, datagram.byteLength);
        const rinfo: RemoteInfo = { ...this.#remote, family: this.#family, size: msg.length };
        this.emit("message", msg, rinfo);
      },
      onEvent: (e: UdpRelayEvent) => {
        if (e.kind === "drop") this.emit("drop", e);
        else this.emit(e.kind, e);
      },
    });
    if (options.signal !== undefined) {
      if (options.signal.aborted) queueMicrotask(() => this.close());
      else options.signal.addEventListener("abort", () => this.close(), { once: true });
    }
  }

  /** Table 1 state of this socket's transport connection (undefined: none yet, or it timed out). */
  get flowState(): "Waiting" | "Connected" | undefined {
    return this.#relay.state(SELF);
  }

  getStats(): UdpRelayStats {
    return this.#relay.getStats();
  }

  /** No local port exists; emits 'listening' (once) as dgram does. */
  bind(...args: unknown[]): this {
    this.#checkOpen();
    const cb = args.find((a): a is () => void => typeof a === "function");
    if (cb !== undefined) this.once("listening", cb);
    this.#listen();
    return this;
  }

  /** Sets the sender reported in rinfo; emits 'connect'. The bridge still decides where datagrams go. */
  connect(port: number, address?: string | (() => void), callback?: () => void): this {
    this.#checkOpen();
    if (this.#connected) throw new UdpNodeError("ERR_SOCKET_DGRAM_IS_CONNECTED", "already connected");
    const cb = typeof address === "function" ? address : callback;
    const host = typeof address === "string" ? address : this.#family === "IPv6" ? "::1" : "127.0.0.1";
    this.#remote = { address: host, port };
    this.#connected = true;
    if (cb !== undefined) this.once("connect", cb);
    this.#listen();
    queueMicrotask(() => this.emit("connect"));
    return this;
  }

  disconnect(): void {
    if (!this.#connected) throw new UdpNodeError("ERR_SOCKET_DGRAM_NOT_CONNECTED", "not connected");
    this.#connected = false;
  }

  /** dgram's overloads: send(msg[, offset, length][, port][, address][, callback]). */
  send(msg: Bytes | readonly Bytes[], callback?: SendCallback): void;
  send(msg: Bytes | readonly Bytes[], port: number, address?: string | SendCallback, callback?: SendCallback): void;
  send(
    msg: Bytes | readonly Bytes[],
    offset: number,
    length: number,
    port?: number | SendCallback,
    address?: string | SendCallback,
    callback?: SendCallback,
  ): void;
  send(msg: Bytes | readonly Bytes[], ...rest: unknown[]): void {
    this.#checkOpen();
    const cb = typeof rest[rest.length - 1] === "function" ? (rest.pop() as SendCallback) : undefined;
    let data = toBytes(msg);
    if (typeof rest[0] === "number" && typeof rest[1] === "number" && !Array.isArray(msg)) {
      const offset = rest.shift() as number;
      const length = rest.shift() as number;
      if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
        throw new RangeError("offset and length must be non-negative integers");
      }
      if (offset + length > data.length) throw new RangeError("offset + length is beyond the message");
      data = data.subarray(offset, offset + length);
    }
    const [port, address] = rest;
    if (!this.#connected && typeof port === "number") {
      this.#remote = { address: typeof address === "string" ? address : this.#remote.address, port };
    }
    this.#listen();
    this.#relay.datagram(SELF, data);
    const sent = data.length;
    if (cb !== undefined) queueMicrotask(() => cb(null, sent));
  }

  close(callback?: () => void): this {
    if (this.#closed) {
      if (callback !== undefined) queueMicrotask(callback);
      return this;
    }
    this.#closed = true;
    this.#relay.close();
    if (callback !== undefined) this.once("close", callback);
    queueMicrotask(() => this.emit("close"));
    return this;
  }

  address(): AddressInfo {
    this.#checkOpen();
    return { address: this.#family === "IPv6" ? "::" : "0.0.0.0", family: this.#family, port: 0 };
  }

  remoteAddress(): AddressInfo {
    if (!this.#connected) throw new UdpNodeError("ERR_SOCKET_DGRAM_NOT_CONNECTED", "not connected");
    return { ...this.#remote, family: this.#family };
  }

  /** Timers are already unref'd; the transport connection keeps the process alive while open. */
  ref(): this {
    return this;
  }
  unref(): this {
    return this;
  }

  #listen(): void {
    if (this.#bound) return;
    this.#bound = true;
    queueMicrotask(() => this.emit("listening"));
  }

  #checkOpen(): void {
    if (this.#closed) throw new UdpNodeError(UdpNodeErrorCode.CLOSED, "the socket is closed");
  }
}
