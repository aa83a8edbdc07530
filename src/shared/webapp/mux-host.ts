/**
 * The serving side of the stream protocol (protocol.ts): each `open`
 * becomes a BrowserConnection made by `open(req)`, pumped over the link with
 * the protocol's credit windows. The extension serves web apps with it (the
 * service worker) and serves the service worker with it (the Chrome
 * offscreen document, which owns RTCPeerConnection).
 *
 * Bounds: at most MAX_PORT_STREAMS streams; per stream at most
 * PORT_WINDOW_BYTES of the client's bytes queued toward the connection (the
 * client's window), and nothing read from the connection beyond what the
 * client has room for (so the connection's own bounded read buffer is what
 * holds a slow client's bytes). A client that breaks the grammar or its
 * window loses the whole port.
 */
import type { ErrorData } from "../errors.js";
import { asError, type BrowserConnection } from "../transport/connection.js";
import type { ReadableStreamDefaultReaderLike, WritableStreamDefaultWriterLike } from "../transport/streams-like.js";
import type { PortLink } from "./link.js";
import {
  MAX_PORT_CHUNK_BYTES,
  MAX_PORT_STREAMS,
  PORT_CREDIT_BATCH_BYTES,
  PORT_WINDOW_BYTES,
  PortProtocolError,
  errorData,
  parsePortMessage,
  type ConnectRequest,
  type PortMessage,
} from "./protocol.js";

export interface ServePortOptions {
  /** Told about a client that broke the protocol (its port is closed). */
  readonly onProtocolError?: (error: Error) => void;
}

export interface PortServer {
  readonly openStreams: number;
  /** Closes every stream's connection and the link. */
  close(): void;
}

class HostStream {
  readonly #id: number;
  readonly #link: PortLink;
  readonly #conn: BrowserConnection;
  readonly #writer: WritableStreamDefaultWriterLike<Uint8Array>;
  readonly #reader: ReadableStreamDefaultReaderLike<Uint8Array>;
  readonly #done: () => void;
  #credit = PORT_WINDOW_BYTES;
  #creditWaiter: (() => void) | null = null;
  #inFlight = 0;
  #unacked = 0;
  #finished = false;

  constructor(id: number, link: PortLink, conn: BrowserConnection, done: () => void) {
    this.#id = id;
    this.#link = link;
    this.#conn = conn;
    this.#done = done;
    this.#writer = conn.writable.getWriter();
    this.#reader = conn.readable.getReader();
    conn.opened.then(
      (info) => {
        if (this.#finished) return;
        this.#send({
          t: "opened",
          id,
          info: {
            transport: info.transport,
            ...(info.destination === undefined ? {} : { destination: info.destination }),
          },
        });
        void this.#pump();
      },
      (err: unknown) => this.#end(errorData(err)),
    );
  }

  #send(m: PortMessage): void {
    if (!this.#finished) this.#link.send(m);
  }

  /** Connection → client, never more than the client's credit ahead. */
  async #pump(): Promise<void> {
    try {
      for (;;) {
        const r = await this.#reader.read();
        if (r.done) break;
        for (let off = 0; off < r.value.length;) {
          while (this.#credit === 0 && !this.#finished) await new Promise<void>((res) => (this.#creditWaiter = res));
          if (this.#finished) return;
          const n = Math.min(this.#credit, MAX_PORT_CHUNK_BYTES, r.value.length - off);
          this.#send({ t: "data", id: this.#id, b: r.value.slice(off, off + n) });
          this.#credit -= n;
          off += n;
        }
      }
      this.#send({ t: "end", id: this.#id });
      await this.#conn.closed;
      this.#end(undefined);
    } catch (err) {
      this.#end(errorData(err));
    }
  }

  receive(m: PortMessage): void {
    switch (m.t) {
      case "data": {
        this.#inFlight += m.b.length;
        if (this.#inFlight > PORT_WINDOW_BYTES) throw new PortProtocolError("the client sent past its window");
        const n = m.b.length;
        this.#writer.write(m.b).then(
          () => {
            this.#unacked += n;
            if (this.#unacked >= PORT_CREDIT_BATCH_BYTES) {
              this.#send({ t: "credit", id: this.#id, n: this.#unacked });
              this.#inFlight -= this.#unacked;
              this.#unacked = 0;
            }
          },
          () => undefined, // the connection failed: #pump reports it
        );
        return;
      }
      case "credit":
        this.#credit += m.n;
        if (this.#credit > PORT_WINDOW_BYTES) throw new PortProtocolError("credit past the window");
        this.#creditWaiter?.();
        this.#creditWaiter = null;
        return;
      case "end":
        this.#writer.close().catch(() => undefined);
        return;
      case "close":
        this.#end(undefined, false);
        return;
      default:
        throw new PortProtocolError(`${m.t} is not sent to a host`);
    }
  }

  /** Closes the connection and the stream; `tell` sends our close to the client. */
  #end(error: ErrorData | undefined, tell = true): void {
    if (this.#finished) return;
    if (tell) this.#send(error === undefined ? { t: "close", id: this.#id } : { t: "close", id: this.#id, error });
    this.#finished = true;
    this.#creditWaiter?.();
    void this.#conn.close();
    this.#done();
  }

  close(): void {
    this.#end(undefined);
  }
}

/**
 * Serves streams on `link`: `open(req)` makes the connection for each
 * request (and may throw: the client gets the error in its `opened`).
 */
export function servePort(
  link: PortLink,
  open: (req: ConnectRequest) => BrowserConnection,
  options: ServePortOptions = {},
): PortServer {
  const streams = new Map<number, HostStream>();
  let closed = false;
  const closeAll = (): void => {
    if (closed) return;
    closed = true;
    for (const s of [...streams.values()]) s.close();
    link.close();
  };
  const refuse = (id: number, e: unknown): void => link.send({ t: "close", id, error: errorData(e) });
  link.onMessage((raw) => {
    if (closed) return;
    try {
      const m = parsePortMessage(raw);
      if (m.t !== "open") {
        streams.get(m.id)?.receive(m); // late messages for a finished stream are dropped
        return;
      }
      if (streams.has(m.id)) throw new PortProtocolError(`stream ${m.id} is open already`);
      if (streams.size >= MAX_PORT_STREAMS) {
        refuse(m.id, new PortProtocolError(`at most ${MAX_PORT_STREAMS} streams per port`));
        return;
      }
      let conn: BrowserConnection;
      try {
        conn = open(m.req);
      } catch (err) {
        refuse(m.id, err);
        return;
      }
      streams.set(m.id, new HostStream(m.id, link, conn, () => streams.delete(m.id)));
    } catch (err) {
      options.onProtocolError?.(asError(err));
      closeAll();
    }
  });
  link.onClose(closeAll);
  return {
    get openStreams() {
      return streams.size;
    },
    close: closeAll,
  };
}
