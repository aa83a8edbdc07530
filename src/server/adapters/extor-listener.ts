/**
 * An Extended ORPort server (tor-ext-orport-spec.txt), the bridge's side
 * that tor normally plays: SAFE_COOKIE authentication (§2.1), the PT's
 * USERADDR / TRANSPORT commands up to DONE (§3.1-§3.2), a verdict from an
 * optional pre-connect callback, OKAY or DENY, then the stream handed to the
 * connection callback. The protocol itself is the shared sans-IO
 * ExtOrServerHandshake; this file only moves its bytes over net.Socket.
 */
import net from "node:net";
import {
  EXTOR_HANDSHAKE_TIMEOUT_MS,
  ExtOrError,
  ExtOrServerHandshake,
  type ExtOrRequest,
} from "../../shared/codec/extorport/index.js";
import type { IpFamily } from "../../shared/net/ip.js";
import { TimeoutError, UnexpectedEOFError } from "../../shared/errors.js";

/** Connections the ExtORPort holds at once (handshaking or handed over); more are refused by the kernel queue. */
export const DEFAULT_EXTOR_MAX_CONNECTIONS = 1024;

/** Who connected through the PT (seed 003's ExtOrPortClientConnection). */
export interface ExtOrClientInfo {
  /** From TRANSPORT; undefined when the PT sent none. */
  readonly transport: string | undefined;
  /** From USERADDR (canonical IP text, no brackets); undefined when the PT sent none. */
  readonly host: string | undefined;
  readonly port: number | undefined;
  readonly family: IpFamily | undefined;
}

export interface ExtOrListenerOptions {
  /** The 32-byte CookieString (the file's contents after its header). */
  readonly cookie: Uint8Array;
  /** Listen address; default 127.0.0.1 port 0. The spec wants loopback (§4). */
  readonly host?: string;
  readonly port?: number;
  /** Deadline from accept to our OKAY/DENY, pre-connect callback included (default EXTOR_HANDSHAKE_TIMEOUT_MS). */
  readonly handshakeTimeoutMs?: number;
  readonly maxConnections?: number;
  /** Return false to DENY; the connection callback is then not called. */
  readonly preConnect?: (info: ExtOrClientInfo) => boolean | Promise<boolean>;
  /** Gets the stream after OKAY: the client's deobfuscated bytes, both ways. */
  readonly onConnection: (socket: net.Socket, info: ExtOrClientInfo) => void | Promise<void>;
  /** A failed handshake, a failing callback. `info` is set once DONE arrived. */
  readonly onError?: (err: unknown, info: ExtOrClientInfo | undefined) => void;
  readonly onDeny?: (info: ExtOrClientInfo) => void;
}

export interface ExtOrListener {
  readonly host: string;
  readonly port: number;
  /** Open connections (handshaking or handed over). */
  readonly connections: number;
  /** Stops listening and destroys every connection. */
  close(): Promise<void>;
}

export function toClientInfo(req: ExtOrRequest): ExtOrClientInfo {
  return {
    transport: req.transport,
    host: req.userAddr?.host,
    port: req.userAddr?.port,
    family: req.userAddr?.family,
  };
}

export async function listenExtOrPort(options: ExtOrListenerOptions): Promise<ExtOrListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer({ noDelay: true }, (sock) => {
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    serve(sock, options);
  });
  server.maxConnections = options.maxConnections ?? DEFAULT_EXTOR_MAX_CONNECTIONS;
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const addr = server.address() as net.AddressInfo;
  return {
    host: addr.address,
    port: addr.port,
    get connections() {
      return sockets.size;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** One connection: handshake (paused-mode reads, so no byte is lost at the handover), verdict, handover. */
function serve(sock: net.Socket, options: ExtOrListenerOptions): void {
  const hs = new ExtOrServerHandshake({ cookie: options.cookie });
  let info: ExtOrClientInfo | undefined;
  let over = false;
  const fail = (err: unknown): void => {
    if (over) return;
    over = true;
    clearTimeout(timer);
    sock.off("readable", onReadable);
    if (err instanceof ExtOrError && err.reply !== undefined && sock.writable) {
      // §2.1.3: Status 0 for a bad ClientHash, flushed before the close.
      sock.end(err.reply);
      setTimeout(() => sock.destroy(), 1000).unref();
    } else {
      sock.destroy();
    }
    options.onError?.(err, info);
  };
  const timeoutMs = options.handshakeTimeoutMs ?? EXTOR_HANDSHAKE_TIMEOUT_MS;
  const timer = setTimeout(
    () => fail(new TimeoutError(`ExtORPort handshake not finished within ${timeoutMs} ms`)),
    timeoutMs,
  );
  const onReadable = (): void => {
    let chunk: Buffer | null;
    while (!over && (chunk = sock.read() as Buffer | null) !== null) {
      let step;
      try {
        step = hs.push(chunk);
      } catch (err) {
        return fail(err);
      }
      if (step.send.length > 0) sock.write(step.send);
      if (step.request !== undefined) {
        sock.off("readable", onReadable);
        info = toClientInfo(step.request);
        void decide(info);
        return;
      }
    }
  };
  const decide = async (client: ExtOrClientInfo): Promise<void> => {
    let allowed: boolean;
    try {
      allowed = options.preConnect === undefined ? true : await options.preConnect(client);
    } catch (err) {
      return fail(err);
    }
    if (over) return;
    if (sock.destroyed) return fail(new UnexpectedEOFError("the ExtORPort handshake (awaiting our verdict)", 0));
    over = true;
    clearTimeout(timer);
    // From here the socket is the callback's; a late error must not crash the process if it adds no listener.
    sock.off("error", fail);
    sock.on("error", () => undefined);
    if (!allowed) {
      // §3.1 DENY; the PT then closes its client's connection.
      sock.end(hs.deny());
      options.onDeny?.(client);
      return;
    }
    sock.write(hs.okay());
    try {
      await options.onConnection(sock, client);
    } catch (err) {
      sock.destroy();
      options.onError?.(err, client);
    }
  };
  sock.on("readable", onReadable);
  sock.on("error", fail);
  sock.once("end", () => fail(new UnexpectedEOFError("the ExtORPort handshake", hs.buffered)));
  sock.write(hs.start());
}
