/**
 * obfs4 over a browser message carrier (carrier.ts), as a WHATWG-streams
 * connection (connection.ts): the browser twin of the Node `Obfs4Stream`
 * (src/server/obfs4/obfs4-stream.ts), driving the same sans-IO
 * `Obfs4ClientSession` (src/shared/codec/obfs4/session.ts) unchanged.
 *
 * Order of events: the carrier opens → the client request goes out
 * (obfs4-spec §4) → the server's response keys the session → an optional
 * preamble runs inside the tunnel (SOCKS5 for free mode, seed 002 "Bound vs
 * Free") → `opened` resolves and application bytes flow.
 *
 * Backpressure. Send: each write is framed and handed to the carrier in
 * messages of at most `carrier.maxMessageBytes`; while the carrier holds
 * more than CARRIER_HIGH_WATER_BYTES the write waits for it to drain to
 * CARRIER_LOW_WATER_BYTES, so the writable's queue (WRITE_HIGH_WATER_BYTES)
 * fills and `writer.ready` waits. Receive: the carrier cannot be paused, so
 * what the reader has not taken is bounded by MAX_READ_BUFFER_BYTES, past
 * which the connection fails (never an unbounded queue).
 */
import { SocksClientHandshake, type SocksTarget } from "../codec/socks/index.js";
import { CLIENT_HANDSHAKE_TIMEOUT_MS, type Obfs4ClientSession } from "../codec/obfs4/index.js";
import { AbortError, TimeoutError, UnexpectedEOFError } from "../errors.js";
import { CARRIER_HIGH_WATER_BYTES, CARRIER_LOW_WATER_BYTES, type MessageCarrier } from "./carrier.js";
import {
  BrowserTransportError,
  MAX_READ_BUFFER_BYTES,
  READ_HIGH_WATER_BYTES,
  WRITE_HIGH_WATER_BYTES,
  asError,
  readBufferError,
  type BrowserConnection,
  type BrowserConnectionStats,
  type BrowserTransportName,
  type ConnectionInfo,
} from "./connection.js";
import { byteStrategy, streamConstructors, type ReadableStreamDefaultControllerLike } from "./streams-like.js";
import type { WritableStreamDefaultControllerLike } from "./streams-like.js";

/** Application bytes are framed in slices of this size, so drain checks happen between them. */
export const WRITE_SLICE_BYTES = 64 * 1024;

/** A protocol spoken inside the tunnel before the application's bytes (SOCKS5 in free mode). */
export interface Preamble {
  /** What to send first. */
  start(): Uint8Array;
  /** Feeds tunnel bytes; `rest` (once done) are the first application bytes. Throws a WebptError on failure. */
  push(data: Uint8Array): { readonly send?: Uint8Array; readonly rest?: Uint8Array };
  /** The tunnel closed during the preamble. */
  readonly what: string;
}

/** Free mode: SOCKS5 CONNECT inside the tunnel (the server side is the standalone free-mode sink). */
export function socksPreamble(target: SocksTarget): Preamble {
  const hs = new SocksClientHandshake({ target });
  return {
    what: "the SOCKS handshake inside the tunnel",
    start: () => hs.start(),
    push(data) {
      const step = hs.push(data);
      if (step.kind === "error") throw step.error; // a SocksError: its `reply` is the server's REP byte
      if (step.kind === "connected") return { rest: step.rest };
      return step.send === undefined ? {} : { send: step.send };
    },
  };
}

export interface Obfs4ConnectionOptions {
  readonly transport: BrowserTransportName;
  readonly session: Obfs4ClientSession;
  /** The carrier, once dialed; a rejection fails the connection with that error. */
  readonly carrier: Promise<MessageCarrier>;
  readonly preamble?: Preamble;
  /** "host:port" reported in ConnectionInfo (free mode). */
  readonly destination?: string;
  /** The whole open: dial, obfs4 handshake and preamble (default CLIENT_HANDSHAKE_TIMEOUT_MS). */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
  /** Told when the connection closes (for a transport's books). */
  readonly onClose?: (stats: BrowserConnectionStats, error: Error | undefined) => void;
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
  reject(error: unknown): void;
}

function deferred<T>(): Deferred<T> {
  let resolve!: (v: T) => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined); // observed through `opened`/`closed` by whoever cares
  return { promise, resolve, reject };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

class Obfs4BrowserConnection implements BrowserConnection {
  readonly readable;
  readonly writable;
  readonly #opened = deferred<ConnectionInfo>();
  readonly #closed = deferred<undefined>();
  readonly #o: Obfs4ConnectionOptions;
  readonly #started = Date.now();
  #state: "connecting" | "open" | "closed" = "connecting";
  #carrier: MessageCarrier | null = null;
  #preamble: Preamble | undefined;
  #readCtl!: ReadableStreamDefaultControllerLike<Uint8Array>;
  #writeCtl!: WritableStreamDefaultControllerLike;
  #readDone = false;
  #writeClosed = false;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #connectMs: number | undefined;
  #bytesSent = 0;
  #bytesReceived = 0;
  #carrierSent = 0;
  #carrierReceived = 0;

  constructor(o: Obfs4ConnectionOptions) {
    this.#o = o;
    this.#preamble = o.preamble;
    const { ReadableStream, WritableStream } = streamConstructors();
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.#readCtl = c;
        },
        cancel: () => {
          this.#readDone = true;
          if (this.#writeClosed) void this.close();
        },
      },
      byteStrategy(READ_HIGH_WATER_BYTES),
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.#writeCtl = c;
        },
        write: (chunk) => this.#write(chunk),
        close: () => {
          this.#writeClosed = true;
          if (this.#readDone) void this.close();
        },
        abort: (reason) => this.#fail(asError(reason ?? new AbortError("the writable was aborted"))),
      },
      byteStrategy(WRITE_HIGH_WATER_BYTES),
    );
    const timeoutMs = o.timeoutMs ?? CLIENT_HANDSHAKE_TIMEOUT_MS;
    this.#timer = setTimeout(
      () => this.#fail(new TimeoutError(`the ${o.transport} connection did not open within ${timeoutMs} ms`)),
      timeoutMs,
    );
    if (o.signal !== undefined) {
      const signal = o.signal;
      const onAbort = (): void => {
        if (this.#state === "connecting")
          this.#fail(new AbortError("the connection was aborted", { cause: signal.reason }));
      };
      if (signal.aborted) onAbort();
      else signal.addEventListener("abort", onAbort, { once: true });
    }
    o.carrier.then(
      (c) => this.#attach(c),
      (err: unknown) => this.#fail(asError(err)),
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
      transport: this.#o.transport,
      state: this.#state,
      bytesSent: this.#bytesSent,
      bytesReceived: this.#bytesReceived,
      carrierBytesSent: this.#carrierSent,
      carrierBytesReceived: this.#carrierReceived,
      connectMs: this.#connectMs,
    };
  }

  #attach(carrier: MessageCarrier): void {
    if (this.#state === "closed") {
      carrier.close();
      return;
    }
    this.#carrier = carrier;
    carrier.attach({ message: (d) => this.#onMessage(d), close: (e) => this.#onCarrierClose(e) });
    if (!carrier.closed) this.#sendRaw(this.#o.session.request);
  }

  #sendRaw(data: Uint8Array): void {
    const c = this.#carrier!;
    for (let off = 0; off < data.length; off += c.maxMessageBytes) {
      c.send(data.subarray(off, Math.min(data.length, off + c.maxMessageBytes)));
    }
    this.#carrierSent += data.length;
  }

  /** Frames `payload` and sends it, honouring the iat-mode's pieces and delays (obfs4-spec §6). */
  async #sendPayload(payload: Uint8Array): Promise<void> {
    const shaped = this.#o.session.send(payload);
    if (shaped.chunks.length <= 1 || this.#o.session.iatMode === 0) {
      this.#sendRaw(shaped.data);
      return;
    }
    let off = 0;
    for (const c of shaped.chunks) {
      if (this.#state === "closed") throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the connection closed");
      this.#sendRaw(shaped.data.subarray(off, off + c.length));
      off += c.length;
      if (c.delayMicros > 0) await sleep(c.delayMicros / 1000);
    }
  }

  #onMessage(bytes: Uint8Array): void {
    if (this.#state === "closed") return;
    this.#carrierReceived += bytes.length;
    let data: readonly Uint8Array[];
    const wasKeyed = this.#o.session.established;
    try {
      data = this.#o.session.receive(bytes).data;
      if (!wasKeyed && this.#o.session.established) {
        if (this.#preamble !== undefined) this.#sendRaw(this.#o.session.send(this.#preamble.start()).data);
        else this.#markOpen();
      }
      for (const d of data) this.#onPayload(d);
    } catch (err) {
      this.#fail(asError(err));
    }
  }

  #onPayload(d: Uint8Array): void {
    const p = this.#preamble;
    if (p === undefined || this.#state === "open") {
      this.#deliver(d);
      return;
    }
    const r = p.push(d);
    if (r.send !== undefined) this.#sendRaw(this.#o.session.send(r.send).data);
    if (r.rest !== undefined) {
      this.#markOpen();
      if (r.rest.length > 0) this.#deliver(r.rest);
    }
  }

  #deliver(d: Uint8Array): void {
    this.#bytesReceived += d.length;
    if (this.#readDone) return; // cancelled by the reader: discard
    this.#readCtl.enqueue(d);
    const queued = READ_HIGH_WATER_BYTES - (this.#readCtl.desiredSize ?? 0);
    if (queued > MAX_READ_BUFFER_BYTES) this.#fail(readBufferError(queued));
  }

  #markOpen(): void {
    this.#state = "open";
    this.#connectMs = Date.now() - this.#started;
    clearTimeout(this.#timer);
    this.#opened.resolve({
      readable: this.readable,
      writable: this.writable,
      transport: this.#o.transport,
      ...(this.#o.destination === undefined ? {} : { destination: this.#o.destination }),
    });
    for (const w of this.#openWaiters.splice(0)) w();
  }

  #openWaiters: (() => void)[] = [];

  async #write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError("write a Uint8Array");
    if (this.#state === "connecting") {
      await new Promise<void>((resolve) => this.#openWaiters.push(resolve));
    }
    for (let off = 0; off < chunk.length; off += WRITE_SLICE_BYTES) {
      if (this.#state !== "open") throw new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the connection is closed");
      const slice = chunk.subarray(off, Math.min(chunk.length, off + WRITE_SLICE_BYTES));
      await this.#sendPayload(slice);
      this.#bytesSent += slice.length;
      const c = this.#carrier!;
      if (c.bufferedAmount > CARRIER_HIGH_WATER_BYTES) await c.drained(CARRIER_LOW_WATER_BYTES);
    }
  }

  #onCarrierClose(error: Error | undefined): void {
    if (this.#state === "closed") return;
    if (error !== undefined) {
      this.#fail(error);
      return;
    }
    if (this.#state === "connecting") {
      const what = this.#o.session.established ? (this.#preamble?.what ?? "the open") : "the obfs4 handshake";
      this.#fail(new BrowserTransportError("ERR_TRANSPORT_CLOSED", `the carrier closed during ${what}`));
      return;
    }
    try {
      this.#o.session.finish();
    } catch (err) {
      // A frame cut short by the peer's close held nothing deliverable (obfs4proxy's own Read agrees; see
      // Obfs4Stream): end cleanly.
      if (!(err instanceof UnexpectedEOFError)) {
        this.#fail(asError(err));
        return;
      }
    }
    this.#finish(undefined);
  }

  /** Ends the connection: readable closes (queued bytes stay readable), writes fail. */
  #finish(error: Error | undefined): void {
    if (this.#state === "closed") return;
    const wasConnecting = this.#state === "connecting";
    this.#state = "closed";
    clearTimeout(this.#timer);
    this.#carrier?.close();
    const closedError = error ?? new BrowserTransportError("ERR_TRANSPORT_CLOSED", "the connection is closed");
    if (wasConnecting) this.#opened.reject(closedError);
    for (const w of this.#openWaiters.splice(0)) w(); // they see the closed state and throw
    try {
      if (error !== undefined) this.#readCtl.error(error);
      else if (!this.#readDone) this.#readCtl.close();
    } catch {
      // the reader cancelled already
    }
    if (!this.#writeClosed) this.#writeCtl.error(closedError);
    if (error !== undefined) this.#closed.reject(error);
    else this.#closed.resolve(undefined);
    this.#o.onClose?.(this.getStats(), error);
  }

  #fail(error: Error): void {
    this.#finish(error);
  }

  close(): Promise<void> {
    if (this.#state === "connecting") {
      this.#opened.reject(new BrowserTransportError("ERR_TRANSPORT_CLOSED", "closed before it opened"));
    }
    this.#finish(undefined);
    return this.#closed.promise.catch(() => undefined);
  }
}

/** A connection that exists at once and opens in the background (see connection.ts). */
export function createObfs4Connection(options: Obfs4ConnectionOptions): BrowserConnection {
  return new Obfs4BrowserConnection(options);
}
