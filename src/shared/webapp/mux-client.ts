/**
 * The opening side of the stream protocol (protocol.ts): each `open()` is a
 * BrowserConnection (src/shared/transport/connection.ts) whose bytes travel
 * over the link. Used by web apps (through the content script to the
 * extension) and by the Chrome service worker (to its offscreen document).
 *
 * Flow control (protocol.ts): we send at most PORT_WINDOW_BYTES ahead of the
 * host's credit; we hold at most PORT_WINDOW_BYTES the host sent, and credit
 * bytes back only once the application has read them, so a slow reader
 * stops the host (and, through the host's bounded read buffer, the carrier).
 */
import { WebptError, type ErrorData } from "../errors.js";
import {
  BrowserTransportError,
  asError,
  type BrowserConnection,
  type BrowserConnectionStats,
  type BrowserTransportName,
  type ConnectionInfo,
} from "../transport/connection.js";
import {
  byteStrategy,
  streamConstructors,
  type ReadableStreamDefaultControllerLike,
  type WritableStreamDefaultControllerLike,
} from "../transport/streams-like.js";
import type { PortLink } from "./link.js";
import {
  MAX_PORT_CHUNK_BYTES,
  MAX_PORT_STREAMS,
  MAX_STREAM_ID,
  PORT_CREDIT_BATCH_BYTES,
  PORT_WINDOW_BYTES,
  PortProtocolError,
  parsePortMessage,
  type ConnectRequest,
  type PortMessage,
} from "./protocol.js";

/** An error the far end reported, with its name, code and extra fields intact. */
export class RemoteError extends WebptError {
  constructor(data: ErrorData) {
    super(data.code, data.message);
    this.name = data.name;
    for (const [k, v] of Object.entries(data)) {
      if (k !== "name" && k !== "code" && k !== "message") (this as Record<string, unknown>)[k] = v;
    }
  }
}

export function fromErrorData(data: ErrorData): Error {
  return new RemoteError(data);
}

interface Deferred<T> {
  readonly promise: Promise<T>;
  resolve(v: T): void;
  reject(e: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
}

class ClientStream implements BrowserConnection {
  readonly readable;
  readonly writable;
  readonly #opened = deferred<ConnectionInfo>();
  readonly #closed = deferred<undefined>();
  readonly #id: number;
  readonly #link: PortLink;
  readonly #done: () => void;
  readonly #started = Date.now();
  #state: "connecting" | "open" | "closed" = "connecting";
  #transport: BrowserTransportName;
  #readCtl!: ReadableStreamDefaultControllerLike<Uint8Array>;
  #writeCtl!: WritableStreamDefaultControllerLike;
  #queue: Uint8Array[] = [];
  #inFlight = 0;
  #unacked = 0;
  #remoteEnded = false;
  #readCancelled = false;
  #writeClosed = false;
  #pullWaiter: (() => void) | null = null;
  #credit = PORT_WINDOW_BYTES;
  #creditWaiters: (() => void)[] = [];
  #openWaiters: (() => void)[] = [];
  #sent = 0;
  #received = 0;
  #connectMs: number | undefined;

  constructor(id: number, link: PortLink, transport: BrowserTransportName, done: () => void) {
    this.#id = id;
    this.#link = link;
    this.#transport = transport;
    this.#done = done;
    const { ReadableStream, WritableStream } = streamConstructors();
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#readCtl = c;
        },
        pull: (c) => this.#pull(c),
        cancel: () => {
          this.#readCancelled = true;
          this.#credit0(this.#queue.splice(0).reduce((n, b) => n + b.length, 0));
          if (this.#writeClosed) void this.close();
        },
      },
      byteStrategy(0), // pull only for a pending read: what the app has read is exactly what we credit
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.#writeCtl = c;
        },
        write: (chunk) => this.#write(chunk),
        close: () => {
          this.#writeClosed = true;
          this.#send({ t: "end", id: this.#id });
          if (this.#readCancelled) void this.close();
        },
        abort: () => void this.close(),
      },
      byteStrategy(MAX_PORT_CHUNK_BYTES * 4),
    );
  }

  get opened(): Promise<ConnectionInfo> {
    return this.#opened.promise;
  }

  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  getStats(): BrowserConnectionStats {
    return {
      transport: this.#transport,
      state: this.#state,
      bytesSent: this.#sent,
      bytesReceived: this.#received,
      carrierBytesSent: this.#sent,
      carrierBytesReceived: this.#received,
      connectMs: this.#connectMs,
    };
  }

  #send(m: PortMessage): void {
    if (this.#state !== "closed") this.#link.send(m);
  }

  /** Consumed `n` bytes: credit them back in batches. */
  #credit0(n: number): void {
    this.#unacked += n;
    if (this.#unacked >= PORT_CREDIT_BATCH_BYTES) {
      this.#send({ t: "credit", id: this.#id, n: this.#unacked });
      this.#inFlight -= this.#unacked;
      this.#unacked = 0;
    }
  }

  #pull(c: ReadableStreamDefaultControllerLike<Uint8Array>): void | Promise<void> {
    const chunk = this.#queue.shift();
    if (chunk !== undefined) {
      c.enqueue(chunk);
      this.#credit0(chunk.length);
      return;
    }
    if (this.#remoteEnded || this.#state === "closed") {
      c.close();
      return;
    }
    return new Promise<void>((resolve) => {
      this.#pullWaiter = () => {
        this.#pullWaiter = null;
        resolve(this.#pull(c) ?? undefined);
      };
    });
  }

  #wakePull(): void {
    this.#pullWaiter?.();
  }

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("write a Uint8Array");
    if (this.#state === "connecting") await new Promise<void>((r) => this.#openWaiters.push(r));
    for (let off = 0; off < chunk.length;) {
      while (this.#credit === 0 && this.#state === "open") await new Promise<void>((r) => this.#creditWaiters.push(r));
      if (this.#state !== "open") throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the connection is closed");
      const n = Math.min(this.#credit, MAX_PORT_CHUNK_BYTES, chunk.length - off);
      this.#send({ t: "data", id: this.#id, b: chunk.slice(off, off + n) }); // a copy: a view would clone its whole buffer
      this.#credit -= n;
      this.#sent += n;
      off += n;
    }
  }

  /** A message for this stream (already parsed). */
  receive(m: PortMessage): void {
    switch (m.t) {
      case "opened":
        if (this.#state !== "connecting") throw new PortProtocolError("opened twice");
        this.#state = "open";
        this.#connectMs = Date.now() - this.#started;
        if (m.info.transport === "websocket" || m.info.transport === "webrtc") this.#transport = m.info.transport;
        this.#opened.resolve({
          readable: this.readable,
          writable: this.writable,
          transport: this.#transport,
          ...(m.info.destination === undefined ? {} : { destination: m.info.destination }),
        });
        for (const w of this.#openWaiters.splice(0)) w();
        return;
      case "data":
        if (this.#state !== "open" || this.#remoteEnded) throw new PortProtocolError("data outside an open stream");
        this.#inFlight += m.b.length;
        if (this.#inFlight > PORT_WINDOW_BYTES) throw new PortProtocolError("the host sent past its window");
        this.#received += m.b.length;
        if (this.#readCancelled) this.#credit0(m.b.length);
        else {
          this.#queue.push(m.b);
          this.#wakePull();
        }
        return;
      case "credit":
        this.#credit += m.n;
        if (this.#credit > PORT_WINDOW_BYTES) throw new PortProtocolError("credit past the window");
        for (const w of this.#creditWaiters.splice(0)) w();
        return;
      case "end":
        this.#remoteEnded = true;
        this.#wakePull();
        return;
      case "close":
        this.finish(m.error === undefined ? undefined : fromErrorData(m.error), false);
        return;
      default:
        throw new PortProtocolError(`${m.t} is not sent to a client`);
    }
  }

  /** Ends the stream; `tell` sends our close to the host. */
  finish(error: Error | undefined, tell: boolean): void {
    if (this.#state === "closed") return;
    if (tell) this.#send({ t: "close", id: this.#id });
    const wasConnecting = this.#state === "connecting";
    this.#state = "closed";
    const closedError = error ?? new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the connection is closed");
    if (wasConnecting) this.#opened.reject(closedError);
    for (const w of [...this.#openWaiters.splice(0), ...this.#creditWaiters.splice(0)]) w();
    if (error !== undefined) {
      this.#queue = [];
      try {
        this.#readCtl.error(error);
      } catch {
        // cancelled already
      }
      this.#closed.reject(error);
    } else {
      this.#remoteEnded = true; // queued bytes stay readable, then the readable closes
      this.#wakePull();
      this.#closed.resolve(undefined);
    }
    if (!this.#writeClosed) this.#writeCtl.error(closedError);
    this.#done();
  }

  close(): Promise<void> {
    this.finish(undefined, true);
    return this.#closed.promise.catch(() => undefined);
  }
}

export interface PortClientOptions {
  /** What `getStats().transport` says until the host reports the carrier. */
  readonly defaultTransport?: BrowserTransportName;
}

/** Opens streams over a link; every stream ends when the link does. */
export class PortClient {
  readonly #link: PortLink;
  readonly #streams = new Map<number, ClientStream>();
  readonly #closed = deferred<undefined>();
  #nextId = 1;
  #isClosed = false;
  readonly #defaultTransport: BrowserTransportName;

  constructor(link: PortLink, options: PortClientOptions = {}) {
    this.#link = link;
    this.#defaultTransport = options.defaultTransport ?? "websocket";
    link.onMessage((raw) => {
      try {
        const m = parsePortMessage(raw);
        this.#streams.get(m.id)?.receive(m); // a late message for a finished stream is dropped
      } catch (err) {
        this.#shutdown(asError(err));
      }
    });
    link.onClose((error) =>
      this.#shutdown(error ?? new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the port closed")),
    );
  }

  /** Resolves when the link has closed. */
  get closed(): Promise<void> {
    return this.#closed.promise;
  }

  get openStreams(): number {
    return this.#streams.size;
  }

  open(req: ConnectRequest): BrowserConnection {
    const id = this.#nextId;
    this.#nextId = id >= MAX_STREAM_ID ? 1 : id + 1;
    const stream = new ClientStream(id, this.#link, this.#defaultTransport, () => this.#streams.delete(id));
    if (this.#isClosed) {
      stream.finish(new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the port is closed"), false);
      return stream;
    }
    if (this.#streams.size >= MAX_PORT_STREAMS) {
      stream.finish(new BrowserTransportError("ERR_TRANSPORT_DIAL", `at most ${MAX_PORT_STREAMS} connections`), false);
      return stream;
    }
    this.#streams.set(id, stream);
    this.#link.send({ t: "open", id, req });
    return stream;
  }

  #shutdown(error: Error): void {
    for (const s of [...this.#streams.values()]) s.finish(error, false);
    if (this.#isClosed) return;
    this.#isClosed = true;
    this.#link.close();
    this.#closed.resolve(undefined);
  }

  close(): void {
    for (const s of [...this.#streams.values()]) s.finish(undefined, true);
    this.#shutdown(new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the port is closed"));
  }
}
