/**
 * A raw TCP probe for the checker: write exact bytes, read an exact number
 * of bytes, and learn whether the peer answered, closed or stayed silent —
 * always within a deadline. Protocol meaning is the caller's.
 */
import net from "node:net";

/** Most bytes a probe buffers; a peer that floods us is cut off. */
export const MAX_PROBE_BUFFER = 1 << 20;

export type ReadResult =
  | { readonly kind: "bytes"; readonly bytes: Buffer }
  | { readonly kind: "closed"; readonly bytes: Buffer }
  | { readonly kind: "timeout"; readonly bytes: Buffer };

export class ProbeSocket {
  readonly socket: net.Socket;
  #buf: Buffer = Buffer.alloc(0);
  #closed = false;
  #wake: (() => void) | undefined;

  private constructor(socket: net.Socket) {
    this.socket = socket;
    socket.on("data", (d: Buffer) => {
      if (this.#buf.length + d.length > MAX_PROBE_BUFFER) {
        socket.destroy();
        return;
      }
      this.#buf = Buffer.concat([this.#buf, d]);
      this.#wake?.();
    });
    const closed = (): void => {
      this.#closed = true;
      this.#wake?.();
    };
    socket.on("end", closed);
    socket.on("close", closed);
    socket.on("error", closed);
  }

  /** Connects within `timeoutMs`; rejects with the connect error or a timeout. */
  static connect(host: string, port: number, timeoutMs: number): Promise<ProbeSocket> {
    return new Promise((resolve, reject) => {
      const sock = net.connect({ host, port });
      const timer = setTimeout(() => {
        sock.destroy();
        reject(new Error(`connect to ${host}:${port} timed out after ${timeoutMs} ms`));
      }, timeoutMs);
      sock.once("connect", () => {
        clearTimeout(timer);
        sock.removeAllListeners("error");
        resolve(new ProbeSocket(sock));
      });
      sock.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  get localPort(): number | undefined {
    return this.socket.localPort;
  }

  write(bytes: Uint8Array): void {
    if (!this.socket.destroyed) this.socket.write(bytes);
  }

  /** Reads exactly `n` bytes, or reports what arrived before a close or the deadline. */
  read(n: number, timeoutMs: number): Promise<ReadResult> {
    return new Promise((resolve) => {
      const finish = (r: ReadResult): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve(r);
      };
      const check = (): void => {
        if (this.#buf.length >= n) {
          const bytes = this.#buf.subarray(0, n);
          this.#buf = this.#buf.subarray(n);
          finish({ kind: "bytes", bytes });
        } else if (this.#closed) {
          finish({ kind: "closed", bytes: this.#buf });
        }
      };
      const timer = setTimeout(() => finish({ kind: "timeout", bytes: this.#buf }), timeoutMs);
      this.#wake = check;
      check();
    });
  }

  /** Bytes received and not yet read. */
  get pending(): number {
    return this.#buf.length;
  }

  close(): void {
    this.socket.destroy();
  }
}

export function hex(bytes: Uint8Array): string {
  return Buffer.from(bytes)
    .toString("hex")
    .replace(/(..)(?!$)/g, "$1 ");
}
