/**
 * obfs4 over any Node byte carrier (a net.Socket, or a WebSocket /
 * DataChannel wrapped as a Duplex): a Duplex whose writes are framed and
 * whose reads are unframed by the shared sans-IO session. Only this file
 * touches streams; every protocol decision is in src/shared/codec/obfs4.
 *
 * Backpressure both ways: a full carrier holds our write callback until
 * 'drain'; a reader that stops reading pauses the carrier.
 */
import { Duplex } from "node:stream";
import type { Obfs4ClientSession, Obfs4Receive, Obfs4ServerSession } from "../../shared/codec/obfs4/index.js";
import type { ShapedWrite } from "../../shared/codec/obfs4/iat.js";
import { UnexpectedEOFError, WebptError } from "../../shared/errors.js";

export type Obfs4Session = Obfs4ClientSession | Obfs4ServerSession;

/** The subset of net.Socket an obfs4 stream needs from its carrier. */
export type Carrier = Duplex & { setNoDelay?(noDelay?: boolean): unknown };

export interface Obfs4StreamStats {
  bytesIn: number;
  bytesOut: number;
  /** The peer closed in the middle of a frame (normal for obfs4proxy in iat-modes 1 and 2). */
  truncatedAtEnd?: boolean;
}

/** Server: the peer failed the handshake and was closed after the silent delay. */
export class Obfs4ProbeClosed extends WebptError {
  override name = "Obfs4ProbeClosed";
  constructor() {
    super("ERR_OBFS4_PROBE_CLOSED", "closed after a failed obfs4 handshake");
  }
}

/** The carrier closed before the handshake completed. */
export class Obfs4ClosedEarly extends WebptError {
  override name = "Obfs4ClosedEarly";
  constructor() {
    super("ERR_OBFS4_CLOSED_EARLY", "the connection closed during the obfs4 handshake");
  }
}

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.isBuffer(u) ? u : Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

export class Obfs4Stream extends Duplex {
  readonly carrier: Carrier;
  readonly session: Obfs4Session;
  readonly stats: Obfs4StreamStats = { bytesIn: 0, bytesOut: 0 };
  #onEstablished: (() => void)[] = [];
  #deadlineTimer: ReturnType<typeof setTimeout> | undefined;
  #closeTimer: ReturnType<typeof setTimeout> | undefined;
  #handshakeFailed = false;

  constructor(carrier: Carrier, session: Obfs4Session) {
    // Large chunks amortise framing and syscalls; obfs4 frames are 1448 bytes anyway.
    super({ readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024, allowHalfOpen: true });
    this.carrier = carrier;
    this.session = session;
    carrier.on("data", (chunk: Buffer) => this.#receive(chunk));
    carrier.on("end", () => this.#carrierEnded());
    carrier.on("error", (err) => this.destroy(err));
    carrier.on("close", () => {
      if (!this.readableEnded) this.push(null);
      if (!this.destroyed) this.destroy();
    });
    if ("expire" in session) {
      // The server gives a client SERVER_HANDSHAKE_TIMEOUT_MS to complete its request.
      this.#deadlineTimer = setTimeout(
        () => {
          const r = session.expire();
          if (r?.closeAt !== undefined) this.#failedHandshake(r.closeAt);
        },
        Math.max(0, session.deadline - Date.now()),
      );
    }
  }

  get established(): boolean {
    return this.session.established;
  }

  /** Resolves once keys exist (immediately if they do); rejects if the stream dies first. */
  whenEstablished(): Promise<void> {
    if (this.session.established) return Promise.resolve();
    return new Promise((resolve, reject) => {
      const onClose = (): void =>
        reject(this.errored ?? (this.#handshakeFailed ? new Obfs4ProbeClosed() : new Obfs4ClosedEarly()));
      this.once("close", onClose);
      this.#onEstablished.push(() => {
        this.off("close", onClose);
        resolve();
      });
    });
  }

  #receive(chunk: Buffer): void {
    let r: Obfs4Receive;
    try {
      r = this.session.receive(chunk);
    } catch (err) {
      this.destroy(err as Error);
      return;
    }
    if (r.send !== undefined) this.carrier.write(asBuffer(r.send));
    if (r.closeAt !== undefined) {
      this.#failedHandshake(r.closeAt);
      return;
    }
    if (this.session.established && this.#deadlineTimer !== undefined) {
      clearTimeout(this.#deadlineTimer);
      this.#deadlineTimer = undefined;
    }
    if (this.#onEstablished.length > 0 && this.session.established) {
      for (const f of this.#onEstablished.splice(0)) f();
    }
    let more = true;
    for (const d of r.data) {
      this.stats.bytesIn += d.length;
      more = this.push(asBuffer(d));
    }
    if (!more) this.carrier.pause();
  }

  /**
   * Server only (obfs4-spec §4, probing resistance): a failed handshake is
   * never answered. Keep reading and discarding (the session buffers nothing
   * more) and close at the time the session chose, so every failure from
   * this bridge looks alike on the wire.
   */
  #failedHandshake(closeAt: number): void {
    if (this.#closeTimer !== undefined) return;
    clearTimeout(this.#deadlineTimer);
    this.#handshakeFailed = true;
    this.#closeTimer = setTimeout(() => this.destroy(), Math.max(0, closeAt - Date.now()));
  }

  #carrierEnded(): void {
    try {
      this.session.finish();
    } catch (err) {
      // A frame cut short by the peer's close (obfs4proxy writes frames in pieces in iat-modes 1 and 2, and closes
      // both directions at once) held nothing deliverable: end cleanly, as obfs4proxy's own Read does. Before the
      // handshake completed, a cut is a failure.
      if (!(this.session.established && err instanceof UnexpectedEOFError)) {
        this.destroy(err as Error);
        return;
      }
      this.stats.truncatedAtEnd = true;
    }
    this.push(null);
  }

  override _read(): void {
    if (this.carrier.isPaused()) this.carrier.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    this.#write(chunk, cb);
  }

  /** Several queued writes become one shaped write: fewer, fuller frames. */
  override _writev(chunks: { chunk: Buffer }[], cb: (err?: Error | null) => void): void {
    this.#write(chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map((c) => c.chunk)), cb);
  }

  #write(chunk: Buffer, cb: (err?: Error | null) => void): void {
    if (!this.session.established) {
      this.#onEstablished.push(() => this.#write(chunk, cb));
      return;
    }
    this.#send(chunk, cb);
  }

  #send(payload: Buffer, cb: (err?: Error | null) => void): void {
    let shaped: ShapedWrite;
    try {
      shaped = this.session.send(payload);
    } catch (err) {
      cb(err as Error);
      return;
    }
    this.stats.bytesOut += payload.length;
    const data = asBuffer(shaped.data);
    if (this.session.iatMode === 0 || shaped.chunks.length <= 1) {
      if (this.carrier.write(data)) cb();
      else this.carrier.once("drain", () => cb());
      return;
    }
    this.#writeChunks(data, shaped, 0, 0, cb);
  }

  /** iat-mode 1/2: write each chunk after its delay (obfs4proxy sleeps between writes). */
  #writeChunks(data: Buffer, shaped: ShapedWrite, index: number, off: number, cb: (err?: Error | null) => void): void {
    const c = shaped.chunks[index];
    if (c === undefined) {
      cb();
      return;
    }
    const write = (): void => {
      if (this.destroyed) return cb(new Error("obfs4 stream destroyed"));
      const ok = this.carrier.write(data.subarray(off, off + c.length));
      const next = (): void => this.#writeChunks(data, shaped, index + 1, off + c.length, cb);
      if (ok) next();
      else this.carrier.once("drain", next);
    };
    if (c.delayMicros > 0) setTimeout(write, c.delayMicros / 1000);
    else write();
  }

  override _final(cb: (err?: Error | null) => void): void {
    this.carrier.end();
    cb();
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    clearTimeout(this.#deadlineTimer);
    clearTimeout(this.#closeTimer);
    this.carrier.destroy();
    cb(err);
  }
}
