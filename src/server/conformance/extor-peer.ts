/**
 * The checker's Extended ORPort: tor's side of tor-ext-orport-spec.txt,
 * instrumented. For each PT connection it records what the PT did (its
 * SAFE_COOKIE proof, USERADDR, TRANSPORT, any bytes sent before our OKAY),
 * waits a moment before answering so that early bytes can show, then
 * answers OKAY and echoes, or DENY, as told.
 */
import { randomBytes } from "node:crypto";
import { writeFile } from "node:fs/promises";
import net from "node:net";
import { ExtOrServerHandshake, encodeAuthCookieFile, type ExtOrRequest } from "../../shared/codec/extorport/index.js";

/** How long we hold back OKAY/DENY to see whether the PT sends data before it (tor closes such connections). */
export const EXTOR_VERDICT_DELAY_MS = 300;

export interface ExtOrObservation {
  /** The handshake failed (bad ClientHash, a USERADDR that does not parse…): the error. */
  readonly error?: Error;
  readonly request?: ExtOrRequest;
  /** Bytes that arrived after DONE and before our verdict. */
  readonly earlyBytes: number;
}

export interface ExtOrPeer {
  readonly port: number;
  readonly cookieFile: string;
  /** One promise per accepted connection, settled when its handshake is over. */
  readonly observations: Promise<ExtOrObservation>[];
  /** Waits (bounded) for the n-th connection. */
  nth(n: number, ms: number): Promise<ExtOrObservation | undefined>;
  close(): Promise<void>;
}

export async function startExtOrPeer(cookieFile: string, deny: (index: number) => boolean): Promise<ExtOrPeer> {
  const cookie = new Uint8Array(randomBytes(32));
  await writeFile(cookieFile, encodeAuthCookieFile(cookie), { mode: 0o600 });
  const observations: Promise<ExtOrObservation>[] = [];
  let arrived: (() => void) | undefined;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    const index = observations.length;
    observations.push(observe(sock, cookie, deny(index)));
    arrived?.();
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cookieFile,
    observations,
    async nth(n, ms) {
      const deadline = Date.now() + ms;
      // Every timer here is cleared: a checker must not keep its process alive after the report.
      while (observations.length <= n && Date.now() < deadline) {
        await new Promise<void>((r) => {
          const t = setTimeout(r, Math.max(0, deadline - Date.now()));
          arrived = () => {
            clearTimeout(t);
            r();
          };
        });
      }
      const p = observations[n];
      if (p === undefined) return undefined;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<undefined>((r) => {
        timer = setTimeout(() => r(undefined), Math.max(0, deadline - Date.now()) + 50);
      });
      try {
        return await Promise.race([p, timeout]);
      } finally {
        clearTimeout(timer);
      }
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

function observe(sock: net.Socket, cookie: Uint8Array, deny: boolean): Promise<ExtOrObservation> {
  return new Promise((resolve) => {
    const hs = new ExtOrServerHandshake({ cookie });
    let request: ExtOrRequest | undefined;
    let early = 0;
    const onData = (chunk: Buffer): void => {
      if (request !== undefined) {
        early += chunk.length;
        return;
      }
      try {
        const step = hs.push(chunk);
        if (step.send.length > 0) sock.write(step.send);
        if (step.request === undefined) return;
        request = step.request;
        setTimeout(verdict, EXTOR_VERDICT_DELAY_MS);
      } catch (err) {
        sock.off("data", onData);
        sock.destroy();
        resolve({ error: err as Error, earlyBytes: 0 });
      }
    };
    const verdict = (): void => {
      sock.off("data", onData);
      if (deny) {
        sock.end(Buffer.from(hs.deny()));
      } else {
        sock.write(Buffer.from(hs.okay()));
        sock.pipe(sock);
      }
      resolve({ request: request!, earlyBytes: early });
    };
    sock.on("data", onData);
    sock.once("close", () => {
      if (request === undefined)
        resolve({ error: new Error("the PT closed the connection mid-handshake"), earlyBytes: 0 });
    });
    sock.write(Buffer.from(hs.start()));
  });
}
