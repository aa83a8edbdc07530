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
 * Writes `send` to a duplex stream (honouring backpressure) while reading
 * until `expect` bytes have arrived, then ends the stream: both directions at
 * once, as real traffic flows. It never relies on half-close as a message
 * boundary (obfs4proxy closes both directions as soon as one ends). Resolves
 * early, with what arrived, if the peer ends first; rejects on error or after
 * `timeoutMs`, so a stuck transfer fails the test instead of hanging it.
 */
export function exchange(
  stream: Duplex,
  send: Uint8Array,
  expect: number,
  timeoutMs = 60_000,
): Promise<TransferResult> {
  const chunkSize = 64 * 1024;
  return new Promise((resolve, reject) => {
    const hash = createHash("sha256");
    let received = 0;
    let sent = false;
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stream.end();
      resolve({ received, sha256: hash.digest("hex") });
    };
    const timer = setTimeout(() => {
      done = true;
      stream.destroy();
      reject(new Error(`transfer timed out after ${timeoutMs} ms (${received} of ${expect} bytes received)`));
    }, timeoutMs);
    stream.on("data", (chunk: Buffer) => {
      if (done) return; // bytes after the end of the check (an echo still draining) are not ours to count
      received += chunk.length;
      hash.update(chunk);
      if (received >= expect && sent) finish();
    });
    stream.once("end", finish);
    stream.once("close", finish);
    stream.once("error", (err) => {
      if (done) return;
      done = true;
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
      sent = true;
      if (received >= expect) finish();
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
 * the `expect(index)` bytes it receives: the far end of every sha256-checked
 * interop transfer.
 */
export async function startExchangePeer(
  replyFor: (index: number) => Uint8Array,
  expect: (index: number) => number,
  host = "127.0.0.1",
): Promise<ExchangePeer> {
  const results: Promise<TransferResult>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    const i = results.length;
    results.push(exchange(sock, replyFor(i), expect(i), 120_000));
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
