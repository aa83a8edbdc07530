/**
 * A PT client's transparent-TCP listener (PT 2.1 `-target`, CMETHOD
 * `transparent-TCP`): no SOCKS handshake, so every accepted connection goes
 * to the one target through the transport, with the bridge args given once
 * in `-options`.
 */
import type net from "node:net";
import type { UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import type { TransportSettings } from "../../shared/settings/index.js";
import { listenTcp } from "../net/listen.js";
import { relay } from "../net/relay.js";
import type { Logger } from "../service/types.js";
import { dialBridge } from "./bridge-dial.js";
import { MAX_SOCKS_CONNECTIONS, type ConnectStatus, type SocksFront } from "./socks-front.js";

export interface TransparentFrontOptions {
  readonly settings: TransportSettings;
  readonly target: { readonly host: string; readonly port: number };
  readonly proxy?: UpstreamProxy | undefined;
  readonly log: Logger;
  readonly onStatus?: (status: ConnectStatus) => void;
  readonly bind?: { readonly host: string; readonly port: number };
}

export async function startTransparentFront(options: TransparentFrontOptions): Promise<SocksFront> {
  const { settings, target, log } = options;
  const address = `${target.host.includes(":") ? `[${target.host}]` : target.host}:${target.port}`;
  const onConnection = (sock: net.Socket): void => {
    // Bytes the app sends while we dial wait in the socket (paused until the relay pipes it).
    sock.pause();
    dialBridge(settings, { target, proxy: options.proxy }).then(
      (stream) => {
        options.onStatus?.({ transport: settings.transport, address, ok: true });
        if (sock.destroyed) return void stream.destroy();
        void relay(sock, stream);
      },
      (err: unknown) => {
        const message = (err as Error).message;
        options.onStatus?.({ transport: settings.transport, address, ok: false, error: message });
        log.log("warning", `${settings.transport}: cannot reach the bridge: ${message}`);
        sock.destroy();
      },
    );
  };
  return listenTcp(options.bind ?? { host: "127.0.0.1", port: 0 }, onConnection, MAX_SOCKS_CONNECTIONS);
}
