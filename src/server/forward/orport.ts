/**
 * The last hop of the server: tor's ORPort, or its Extended ORPort with
 * SAFE_COOKIE (tor-ext-orport-spec.txt), telling tor the client's address
 * (USERADDR) and our transport's name (TRANSPORT). The cookie file is re-read
 * on every dial (CONFORMANCE: tor rewrites it when it restarts).
 */
import { readFile } from "node:fs/promises";
import type net from "node:net";
import {
  EXTOR_HANDSHAKE_TIMEOUT_MS,
  ExtOrClientHandshake,
  formatUserAddr,
  parseAuthCookieFile,
} from "../../shared/codec/extorport/index.js";
import type { HostPort } from "../../shared/net/index.js";
import { TimeoutError } from "../../shared/errors.js";
import { connectTcp } from "../net/proxy-dial.js";
import { relay } from "../net/relay.js";
import type { ClientInfo, Logger, StreamSink } from "../service/types.js";

export interface OrTarget {
  /** TOR_PT_ORPORT: used when there is no Extended ORPort. */
  readonly orport: HostPort | undefined;
  readonly extendedServerPort: HostPort | undefined;
  readonly authCookieFile: string | undefined;
}

/**
 * How long the TCP connect to tor's (Extended) ORPort may take. tor is local, so a connect that has not finished
 * by then means its accept queue overflowed or it is gone; the client is dropped rather than held for the kernel's
 * two minutes of SYN retries.
 */
export const OR_CONNECT_TIMEOUT_MS = 10_000;

const connect = (to: HostPort): Promise<net.Socket> =>
  connectTcp(to.host, to.port, { timeoutMs: OR_CONNECT_TIMEOUT_MS });

/** Opens the connection to tor for one client; rejects (and closes) on DENY, a bad cookie, or the 5 s deadline. */
export async function dialOr(target: OrTarget, transport: string, client: ClientInfo): Promise<net.Socket> {
  if (target.extendedServerPort === undefined) {
    if (target.orport === undefined) throw new Error("neither an ORPort nor an Extended ORPort is configured");
    return connect(target.orport);
  }
  if (target.authCookieFile === undefined) throw new Error("the Extended ORPort needs an auth cookie file");
  const cookie = parseAuthCookieFile(new Uint8Array(await readFile(target.authCookieFile)));
  const userAddr = formatUserAddr(client.remoteAddress, client.remotePort);
  const hs = new ExtOrClientHandshake({ cookie, transport, ...(userAddr === undefined ? {} : { userAddr }) });
  const sock = await connect(target.extendedServerPort);
  return new Promise((resolve, reject) => {
    let settled = false;
    const fail = (err: unknown): void => {
      settled = true;
      cleanup();
      sock.destroy();
      reject(err instanceof Error ? err : new Error(String(err)));
    };
    const timer = setTimeout(
      () => fail(new TimeoutError(`Extended ORPort handshake took over ${EXTOR_HANDSHAKE_TIMEOUT_MS} ms`)),
      EXTOR_HANDSHAKE_TIMEOUT_MS,
    );
    // Paused mode, as in socksDial: bytes tor sends right after OKAY must reach the relay, not a removed listener.
    const onReadable = (): void => {
      let chunk: Buffer | null;
      while (!settled && (chunk = sock.read() as Buffer | null) !== null) {
        try {
          const step = hs.push(chunk);
          if (step.send.length > 0) sock.write(step.send);
          if (step.done) {
            settled = true;
            cleanup();
            if (step.leftover.length > 0) sock.unshift(Buffer.from(step.leftover));
            resolve(sock);
          }
        } catch (err) {
          fail(err);
        }
      }
    };
    const onEnd = (): void => fail(new Error("tor closed the Extended ORPort connection during the handshake"));
    const cleanup = (): void => {
      clearTimeout(timer);
      sock.off("readable", onReadable);
      sock.off("end", onEnd);
      sock.off("error", fail);
    };
    sock.on("readable", onReadable);
    sock.on("end", onEnd);
    sock.on("error", fail);
  });
}

/**
 * Managed mode's sink: each authenticated stream goes to tor's (Extended)
 * ORPort, announcing the client's address and our transport's name.
 */
export function orSink(target: OrTarget, log: Logger): StreamSink {
  return async (stream, client, transport) => {
    let or: net.Socket;
    try {
      or = await dialOr(target, transport, client);
    } catch (err) {
      log.log("warning", `${transport}: cannot reach tor's ORPort: ${(err as Error).message}`);
      stream.destroy();
      return { refused: "unreachable" };
    }
    await relay(stream, or);
    return {};
  };
}
