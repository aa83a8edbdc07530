/**
 * A stand-in for tor's Extended ORPort, built on the shared ExtORPort server
 * codec: it writes a fresh cookie file, checks SAFE_COOKIE, records each
 * connection's USERADDR and TRANSPORT, answers OKAY (or DENY when told to),
 * then runs a sha256-checked exchange like startExchangePeer.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, writeFile } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  ExtOrServerHandshake,
  encodeAuthCookieFile,
  type ExtOrRequest,
} from "../../src/shared/codec/extorport/index.js";
import { exchange, type TransferResult } from "./bulk.js";

export interface ExtOrPortPeer {
  readonly port: number;
  readonly cookieFile: string;
  /** Per connection: the metadata, or the error that ended its handshake. */
  readonly requests: Promise<ExtOrRequest>[];
  readonly results: Promise<TransferResult>[];
  /** Replace the cookie (tor does on restart); the PT must re-read it on the next dial. */
  rotateCookie(): Promise<void>;
  close(): Promise<void>;
}

export async function startExtOrPortPeer(
  opts:
    | {
        reply: (index: number) => Uint8Array;
        expect: (index: number) => number;
        deny?: (req: ExtOrRequest) => boolean;
      }
    | {
        /** After OKAY, send every byte back (results then resolve with nothing received: the client checks). */
        echo: true;
        deny?: (req: ExtOrRequest) => boolean;
      },
): Promise<ExtOrPortPeer> {
  const dir = await mkdtemp(path.join(tmpdir(), "webpt-extor-"));
  const cookieFile = path.join(dir, "extended_orport_auth_cookie");
  let cookie = randomBytes(32);
  await writeFile(cookieFile, encodeAuthCookieFile(cookie));
  const requests: Promise<ExtOrRequest>[] = [];
  const results: Promise<TransferResult>[] = [];
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.on("error", () => undefined);
    const index = requests.length;
    const hs = new ExtOrServerHandshake({ cookie: new Uint8Array(cookie) });
    let settle!: { ok: (r: ExtOrRequest) => void; fail: (e: unknown) => void };
    requests.push(new Promise((ok, fail) => (settle = { ok, fail })));
    let resolveResult!: (r: Promise<TransferResult>) => void;
    results.push(new Promise<TransferResult>((r) => (resolveResult = r)).then((p) => p));
    sock.write(hs.start());
    const onData = (chunk: Buffer): void => {
      try {
        const step = hs.push(chunk);
        if (step.send.length > 0) sock.write(step.send);
        if (step.request === undefined) return;
        sock.off("data", onData);
        settle.ok(step.request);
        if (opts.deny?.(step.request)) {
          sock.end(hs.deny());
          return;
        }
        sock.write(hs.okay());
        if ("echo" in opts) {
          sock.pipe(sock);
          resolveResult(Promise.resolve({ received: 0, sha256: "" }));
        } else {
          resolveResult(exchange(sock, opts.reply(index), opts.expect(index), 120_000));
        }
      } catch (err) {
        sock.off("data", onData);
        settle.fail(err);
        sock.destroy();
      }
    };
    sock.on("data", onData);
  });
  await new Promise<void>((r) => server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, r));
  return {
    port: (server.address() as net.AddressInfo).port,
    cookieFile,
    requests,
    results,
    async rotateCookie() {
      cookie = randomBytes(32);
      await writeFile(cookieFile, encodeAuthCookieFile(cookie));
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
