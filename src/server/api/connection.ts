/**
 * The connection object the Node Transport API hands out: a Duplex that
 * exists at once (as net.createConnection's socket does) and connects in the
 * background, emitting 'connect' when the obfs4 handshake is done. Writes
 * made before then wait with their callbacks held, so backpressure holds
 * from the first byte; a failed dial destroys it with the dial's error.
 */
import { Duplex } from "node:stream";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";

export interface ConnectionStats {
  readonly transport: string;
  /** "connecting", "open" or "closed". */
  readonly state: "connecting" | "open" | "closed";
  /** Payload bytes written by us and delivered to the bridge's obfs4 layer, and received from it. */
  readonly bytesSent: number;
  readonly bytesReceived: number;
  /** Milliseconds from createConnection to 'connect'; undefined until then. */
  readonly connectMs: number | undefined;
}

export class TransportConnection extends Duplex {
  readonly transport: string;
  #inner: Obfs4Stream | undefined;
  #waiting: (() => void)[] = [];
  readonly #abort = new AbortController();
  readonly #started = Date.now();
  #connectMs: number | undefined;

  /** `open` receives the signal that aborts the dial when this connection is destroyed first. */
  constructor(transport: string, open: (signal: AbortSignal) => Promise<Obfs4Stream>) {
    super({ allowHalfOpen: true, readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
    this.transport = transport;
    open(this.#abort.signal).then(
      (inner) => this.#attach(inner),
      (err: unknown) => this.destroy(err instanceof Error ? err : new Error(String(err))),
    );
  }

  get connecting(): boolean {
    return this.#inner === undefined && !this.destroyed;
  }

  getStats(): ConnectionStats {
    return {
      transport: this.transport,
      state: this.destroyed ? "closed" : this.#inner === undefined ? "connecting" : "open",
      bytesSent: this.#inner?.stats.bytesOut ?? 0,
      bytesReceived: this.#inner?.stats.bytesIn ?? 0,
      connectMs: this.#connectMs,
    };
  }

  #attach(inner: Obfs4Stream): void {
    if (this.destroyed) {
      inner.destroy();
      return;
    }
    this.#inner = inner;
    this.#connectMs = Date.now() - this.#started;
    inner.on("data", (d: Buffer) => {
      if (!this.push(d)) inner.pause();
    });
    inner.on("end", () => this.push(null));
    inner.on("error", (err) => this.destroy(err));
    inner.on("close", () => {
      if (!this.destroyed) this.destroy();
    });
    this.emit("connect");
    for (const w of this.#waiting.splice(0)) w();
  }

  override _read(): void {
    this.#inner?.resume();
  }

  override _write(chunk: Buffer, _enc: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (this.#inner !== undefined) this.#inner.write(chunk, cb);
    else this.#waiting.push(() => this.#inner!.write(chunk, cb));
  }

  override _final(cb: (err?: Error | null) => void): void {
    const end = (): void => {
      this.#inner!.end();
      cb();
    };
    if (this.#inner !== undefined) end();
    else this.#waiting.push(end);
  }

  override _destroy(err: Error | null, cb: (err?: Error | null) => void): void {
    this.#abort.abort(err ?? undefined);
    this.#inner?.destroy();
    cb(err);
  }
}
