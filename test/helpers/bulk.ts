import { createCipheriv, createHash } from "node:crypto";
import net from "node:net";
import type { Duplex } from "node:stream";

/**
 * Deterministic pseudo-random test data (AES-256-CTR keystream keyed by the
 * seed): fast enough for 16 MiB transfers, and both ends can recompute it.
 */
export function patternBytes(seed: string, length: number): Buffer {
  const key = createHash("sha256").update(seed).digest();
  const cipher = createCipheriv("aes-256-ctr", key, Buffer.alloc(16));
  return Buffer.concat([cipher.update(Buffer.alloc(length)), cipher.final()]);
}

export function sha256(data: Uint8Array): string {
  return createHash("sha256").update(data).digest("hex");
}

export interface TransferResult {
  readonly received: number;
  readonly sha256: string;
}

/**
 * Writes `send` to a duplex stream in `chunkSize` pieces (honouring
 * backpressure), ends it, and resolves with the byte count and sha256 of
 * everything read until the peer ends. Rejects on error or when `timeoutMs`
 * passes, so a stuck transfer fails the test instead of hanging it.
 */
export function exchange(
  stream: Duplex,
  send: Uint8Array,
  timeoutMs = 60_000,
  chunkSize = 64 * 1024,
): Promise<TransferResult> {
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let received = 0;
    const timer = setTimeout(() => {
      stream.destroy();
      reject(new Error(`transfer timed out after ${timeoutMs} ms (${received} bytes received)`));
    }, timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      received += chunk.length;
      hash.update(chunk);
    });
    stream.once("end", () => {
      clearTimeout(timer);
      resolve({ received, sha256: hash.digest("hex") });
    });
    stream.once("error", (err) => {
      clearTimeout(timer);
      reject(err);
    });
    let off = 0;
    const pump = (): void => {
      while (off < send.length) {
        const piece = send.subarray(off, off + chunkSize);
        off += piece.length;
        if (!stream.write(piece)) {
          stream.once("drain", pump);
          return;
        }
      }
      stream.end();
    };
    pump();
  });
}

export interface ExchangePeer {
  readonly port: number;
  /** One entry per accepted connection, resolved when it finishes. */
  readonly results: Promise<TransferResult>[];
  close(): Promise<void>;
}

/**
 * A TCP server that, on every connection, sends `replyFor(index)` and hashes
 * what it receives: the far end of every sha256-checked interop transfer.
 */
export async function startExchangePeer(
  replyFor: (index: number) => Uint8Array,
  host = "127.0.0.1",
): Promise<ExchangePeer> {
  const results: Promise<TransferResult>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    results.push(exchange(sock, replyFor(results.length), 120_000));
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const addr = server.address() as net.AddressInfo;
  return {
    port: addr.port,
    results,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
