/**
 * SOCKS5 (RFC 1928) spoken *inside* an established obfs4 stream, the way a
 * free-mode client names its destination (seed 002 §"Bound vs. Free": a free
 * transport's connection factory takes a destination endpoint). The server
 * side is net/socks-accept.ts (sinks.ts calls it with X'00' and CONNECT
 * only: the obfs4 handshake already authenticated the client); the client
 * side is net/socks-dial.ts's socksHandshake with the tunnel's timeout.
 */
import type { Duplex } from "node:stream";
import type { SocksTarget } from "../../shared/codec/socks/index.js";
import { socksHandshake } from "../net/socks-dial.js";

/**
 * How long a client has, from the tunnel opening, to send its greeting and
 * CONNECT request (two round trips over the carrier). The client is already
 * authenticated, so this only bounds a broken or stalled one; 30 s matches
 * the obfs4 server's own handshake deadline.
 */
export const FREE_SOCKS_HANDSHAKE_TIMEOUT_MS = 30_000;

/** The client side's deadline for the whole exchange, including the server's dial of the destination. */
export const SOCKS_TUNNEL_TIMEOUT_MS = 60_000;

/**
 * The client side: asks the free-mode server at the far end of `stream` (an
 * established obfs4 stream) to connect to `target`, and resolves once it
 * has, with the stream positioned at the destination's first byte. Rejects
 * with the SocksError the server's reply maps to (its `reply` is the REP
 * byte: X'02' refused by policy, X'04'/X'05' unreachable/refused), or with
 * TimeoutError/AbortError; the stream is destroyed on failure.
 */
export function socksConnectInStream<S extends Duplex>(
  stream: S,
  target: SocksTarget,
  options: SocksTunnelOptions = {},
): Promise<S> {
  return socksHandshake(stream, {
    target,
    timeoutMs: options.timeoutMs ?? SOCKS_TUNNEL_TIMEOUT_MS,
    ...(options.signal === undefined ? {} : { signal: options.signal }),
  });
}

export interface SocksTunnelOptions {
  /** Default SOCKS_TUNNEL_TIMEOUT_MS. */
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}
