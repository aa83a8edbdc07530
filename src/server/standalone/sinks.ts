/**
 * Where standalone mode sends authenticated obfs4 streams (the StreamSink of
 * src/server/service/types.ts; seed 002 §"Bound vs. Free"):
 *
 * - boundSink: every stream goes to one target the operator chose (a local
 *   OpenVPN, SSH or SOCKS service): the PT 1.0 shape, TOR_PT_ORPORT without
 *   tor (seed 001 `-target`). The stream carries only application bytes.
 * - freeSink: the client names its destination with SOCKS5 inside the stream
 *   (socks-in-stream.ts); the destination policy (policy.ts) judges every
 *   resolved address and we dial exactly the checked one. Refusals are
 *   answered with RFC 1928 §6 replies: X'02' not allowed by the ruleset,
 *   X'03'/X'04'/X'05' network/host unreachable/refused, X'07' for a command
 *   other than CONNECT (the shared handshake answers that one).
 *
 * Both resolve with a SinkResult once the stream is over and never reject.
 */
import net from "node:net";
import { AuthMethod, Socks5Reply, type SocksAddress } from "../../shared/codec/socks/index.js";
import { formatHostPort } from "../../shared/net/index.js";
import { connectTcp } from "../net/proxy-dial.js";
import { relay } from "../net/relay.js";
import { acceptSocks, replyForDialError } from "../net/socks-accept.js";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";
import type { ClientInfo, Logger, SinkResult, StreamSink } from "../service/types.js";
import { vetDestination, type VetOptions } from "./destination.js";
import type { DestinationPolicy } from "./policy.js";
import { FREE_SOCKS_HANDSHAKE_TIMEOUT_MS } from "./socks-in-stream.js";

/** One TCP connect attempt to a destination or the bound target. */
export const CONNECT_TIMEOUT_MS = 10_000;
/** Checked addresses of one name tried in turn before the client is told the host is unreachable. */
export const MAX_DIAL_ATTEMPTS = 3;
/** After a refusal reply, how long the client has to close before we drop the connection. */
export const REFUSAL_LINGER_MS = 5_000;

export interface SinkOptions {
  readonly log: Logger;
  /** Default CONNECT_TIMEOUT_MS. */
  readonly connectTimeoutMs?: number;
  /**
   * Name destinations in logs. Default false: where a user goes says as much
   * about them as where they come from, so it is logged only with unsafe logging.
   */
  readonly logDestinations?: boolean;
}

export interface FreeSinkOptions extends SinkOptions, VetOptions {
  /** Default FREE_SOCKS_HANDSHAKE_TIMEOUT_MS. */
  readonly handshakeTimeoutMs?: number;
}

const NOTHING: SinkResult = {};
const ignore = (): void => undefined;

/**
 * Ends the stream (after `reply`, if any) and drops it if the client has not
 * closed its side REFUSAL_LINGER_MS later. Whatever the client still sends is
 * read and discarded so its end can be seen. Returns at once: the sink's
 * result must reach the manager before the close does, or the refusal would
 * not be counted.
 */
function closeStream(stream: Obfs4Stream, reply?: Uint8Array): void {
  if (stream.destroyed) return;
  const timer = setTimeout(() => stream.destroy(), REFUSAL_LINGER_MS);
  timer.unref();
  stream.once("close", () => clearTimeout(timer));
  stream.resume();
  if (reply === undefined) stream.end();
  else stream.end(Buffer.from(reply.buffer, reply.byteOffset, reply.byteLength));
}

function who(client: ClientInfo): string {
  return client.remoteAddress === undefined ? "a client" : `client ${client.remoteAddress}`;
}

/** Bound mode: relay every stream to `target` (an operator's host:port; a host name is resolved per connection). */
export function boundSink(target: { readonly host: string; readonly port: number }, options: SinkOptions): StreamSink {
  const timeoutMs = options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS;
  const type = net.isIPv6(target.host) ? "ipv6" : net.isIPv4(target.host) ? "ipv4" : "domain";
  const where = formatHostPort({ host: target.host, type, port: target.port });
  return async (stream, client, transport) => {
    stream.on("error", ignore);
    const gone = new AbortController();
    stream.once("close", () => gone.abort());
    let sock: net.Socket;
    try {
      sock = await connectTcp(target.host, target.port, { timeoutMs, signal: gone.signal });
    } catch (err) {
      if (gone.signal.aborted) return NOTHING;
      options.log.log("warning", `${transport}: cannot reach the target ${where}: ${(err as Error).message}`);
      // After the result has reached the manager, so the refusal is counted (see closeStream).
      setImmediate(() => stream.destroy());
      return { refused: "unreachable" };
    }
    options.log.log("debug", `${transport}: ${who(client)} relayed to the target`);
    await relay(stream, sock);
    return NOTHING;
  };
}

/** Free mode: SOCKS5 CONNECT inside the stream, judged by `policy`. */
export function freeSink(policy: DestinationPolicy, options: FreeSinkOptions): StreamSink {
  return async (stream, client, transport) => {
    try {
      return await serveFree(stream, client, transport, policy, options);
    } catch (err) {
      // Nothing above should throw; if it does, drop this connection and keep the server.
      options.log.log("error", `${transport}: free-mode connection failed: ${(err as Error).message}`);
      stream.destroy();
      return { refused: "protocol" };
    }
  };
}

async function serveFree(
  stream: Obfs4Stream,
  client: ClientInfo,
  transport: string,
  policy: DestinationPolicy,
  options: FreeSinkOptions,
): Promise<SinkResult> {
  const { log } = options;
  // Between the handshake and the relay nobody else listens; an unheard 'error' would end the process.
  stream.on("error", ignore);
  const gone = new AbortController();
  stream.once("close", () => gone.abort());

  // Only X'00' and CONNECT: the obfs4 handshake already authenticated the client.
  const read = await acceptSocks(stream, {
    methods: [AuthMethod.NO_AUTH],
    socks4: false,
    handshakeTimeoutMs: options.handshakeTimeoutMs ?? FREE_SOCKS_HANDSHAKE_TIMEOUT_MS,
  });
  if (read.kind === "failed") {
    if (gone.signal.aborted) return NOTHING;
    log.log("info", `${transport}: ${who(client)} sent no usable SOCKS request: ${read.error.message}`);
    closeStream(stream);
    return { refused: "protocol" };
  }
  const { request, handshake } = read;
  const dest = describe(request.target, options.logDestinations === true);
  const refuse = (reply: number, refused: "policy" | "unreachable", why: string): SinkResult => {
    log.log("info", `${transport}: ${who(client)} refused ${dest}: ${why}`);
    closeStream(stream, handshake.reject(reply));
    return { refused };
  };

  // Error messages name the destination ("getaddrinfo ENOTFOUND <name>"): without unsafe logging, only the code.
  const reason = (err: unknown): string => {
    const e = err as { code?: unknown; message?: unknown } | null;
    if (options.logDestinations === true) return String(e?.message ?? err);
    return typeof e?.code === "string" ? e.code : "error";
  };

  const verdict = await vetDestination(policy, request.target, options);
  if (gone.signal.aborted) return NOTHING;
  if (verdict.kind === "refused") {
    const why = options.logDestinations === true ? verdict.decision.detail : verdict.decision.basis;
    return refuse(Socks5Reply.NOT_ALLOWED, "policy", `not allowed (${why})`);
  }
  if (verdict.kind === "unresolved") {
    return refuse(Socks5Reply.HOST_UNREACHABLE, "unreachable", `cannot resolve: ${reason(verdict.error)}`);
  }

  let sock: net.Socket | undefined;
  let lastError: unknown;
  for (const address of verdict.addresses.slice(0, MAX_DIAL_ATTEMPTS)) {
    try {
      sock = await connectTcp(address, request.target.port, {
        timeoutMs: options.connectTimeoutMs ?? CONNECT_TIMEOUT_MS,
        signal: gone.signal,
      });
      break;
    } catch (err) {
      if (gone.signal.aborted) return NOTHING;
      lastError = err;
    }
  }
  if (sock === undefined) {
    return refuse(replyForDialError(lastError), "unreachable", `cannot connect: ${reason(lastError)}`);
  }
  if (gone.signal.aborted) {
    sock.destroy();
    return NOTHING;
  }
  // The success reply goes out before any destination byte can (relay starts reading after this write is queued).
  stream.write(Buffer.from(handshake.grant()));
  log.log("debug", `${transport}: ${who(client)} connected to ${dest}`);
  await relay(stream, sock);
  return NOTHING;
}

function describe(target: SocksAddress, named: boolean): string {
  return named ? formatHostPort(target) : "a destination";
}
