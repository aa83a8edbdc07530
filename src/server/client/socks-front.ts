/**
 * A PT client's SOCKS listener for one transport (pt-spec 1.0 §3.3 "CMETHOD
 * … socks5"): tor (or any SOCKS app) connects, names the bridge as the
 * target and passes the bridge's args as PT 1.0 username/password args or a
 * PT 2.1 0x09 JSON block. The args are validated by the transport's settings
 * schema (a problem is answered X'13'), the bridge is dialed through the
 * transport, and bytes are relayed. Each attempt is reported as a STATUS.
 */
import type net from "node:net";
import type { UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import type { SocksArgs } from "../../shared/codec/socks/index.js";
import { isWebptError } from "../../shared/errors.js";
import {
  parseSettings,
  SettingsError,
  type TransportName,
  type TransportSettings,
} from "../../shared/settings/index.js";
import { listenTcp, type TcpListener } from "../net/listen.js";
import { relay } from "../net/relay.js";
import { acceptSocks, replyForDialError } from "../net/socks-accept.js";
import type { Logger } from "../service/types.js";
import { socksConnectInStream } from "../standalone/socks-in-stream.js";
import { dialBridge } from "./bridge-dial.js";

/** SOCKS connections handled at once per listener; past it new ones are closed at once. */
export const MAX_SOCKS_CONNECTIONS = 4096;

export interface ConnectStatus {
  readonly transport: string;
  /** The bridge address tor named (for STATUS ADDRESS=); not a user's address. */
  readonly address: string;
  readonly ok: boolean;
  readonly error?: string;
}

export interface SocksFrontOptions {
  readonly transport: TransportName;
  readonly bind?: { readonly host: string; readonly port: number };
  readonly proxy?: UpstreamProxy | undefined;
  readonly log: Logger;
  readonly onStatus?: (status: ConnectStatus) => void;
  /** Settings to use when a SOCKS client sends none (the standalone client's bridge). */
  readonly defaultSettings?: TransportSettings;
  /** Methods to offer: PT 1.0 clients need 0x02; tor ≥ 0.4.x speaks 0x02; PT 2.1 parents 0x09. */
  readonly socks4?: boolean;
  readonly dialTimeoutMs?: number;
  /**
   * The standalone client: every connection goes to this bridge (the SOCKS
   * target is the app's destination, not the bridge), and with `free` the
   * destination is asked of a free-mode server with SOCKS5 inside the tunnel.
   */
  readonly bridge?: { readonly host: string; readonly port: number; readonly free: boolean };
}

export type SocksFront = TcpListener;

function argsToSettings(transport: TransportName, args: SocksArgs, fallback: TransportSettings | undefined) {
  switch (args.kind) {
    case "pt1":
      return parseSettings(transport, Object.fromEntries(args.args), "args");
    case "json":
      return parseSettings(transport, args.params, "json");
    case "none":
      if (fallback !== undefined) return fallback;
      throw new SettingsError("", "schema", "no connection settings were given (the bridge line's args)");
  }
}

const hostPort = (h: string, p: number): string => `${h.includes(":") ? `[${h}]` : h}:${p}`;

export async function startSocksFront(options: SocksFrontOptions): Promise<SocksFront> {
  const { transport, log } = options;
  const handle = async (sock: net.Socket): Promise<void> => {
    let settings: TransportSettings | undefined;
    const accepted = await acceptSocks(sock, {
      ...(options.socks4 === undefined ? {} : { socks4: options.socks4 }),
      validateArgs: (args) => {
        try {
          settings = argsToSettings(transport, args, options.defaultSettings);
          return undefined;
        } catch (err) {
          if (err instanceof SettingsError) return { pointer: err.pointer, message: err.message };
          throw err;
        }
      },
    });
    if (accepted.kind === "failed") {
      sock.destroySoon();
      return;
    }
    const { request, handshake } = accepted;
    const bridge = options.bridge ?? request.target;
    const address = hostPort(bridge.host, bridge.port);
    let stream;
    try {
      stream = await dialBridge(settings!, {
        target: bridge,
        proxy: options.proxy,
        ...(options.dialTimeoutMs === undefined ? {} : { timeoutMs: options.dialTimeoutMs }),
      });
    } catch (err) {
      const message = isWebptError(err) || err instanceof Error ? err.message : String(err);
      options.onStatus?.({ transport, address, ok: false, error: message });
      log.log("warning", `${transport}: cannot reach the bridge: ${message}`);
      sock.end(handshake.reject(replyForDialError(err)));
      return;
    }
    options.onStatus?.({ transport, address, ok: true });
    if (options.bridge?.free === true) {
      try {
        await socksConnectInStream(stream, request.target);
      } catch (err) {
        // The server's own answer (X'02' policy, X'04' unreachable…) is the app's answer.
        const reply = (err as { reply?: unknown }).reply;
        sock.end(handshake.reject(typeof reply === "number" ? reply : replyForDialError(err)));
        return;
      }
    }
    if (sock.destroyed) {
      stream.destroy();
      return;
    }
    sock.write(handshake.grant());
    await relay(sock, stream);
  };

  return listenTcp(options.bind ?? { host: "127.0.0.1", port: 0 }, (sock) => void handle(sock), MAX_SOCKS_CONNECTIONS);
}
