/**
 * A PT client's transparent-TCP listener (PT 2.1 `-target`, CMETHOD
 * `transparent-TCP`): no SOCKS handshake, so every accepted connection goes
 * to the one target through the transport, with the bridge args given once
 * in `-options`.
 */
import net from "node:net";
import type { UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import type { TransportSettings } from "../../shared/settings/index.js";
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
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    if (sockets.size >= MAX_SOCKS_CONNECTIONS) return void sock.destroy();
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    sock.setNoDelay(true);
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
  });
  const bind = options.bind ?? { host: "127.0.0.1", port: 0 };
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(bind.port, bind.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    address: server.address() as net.AddressInfo,
    get openConnections() {
      return sockets.size;
    },
    stopAccepting: () => new Promise<void>((resolve) => server.close(() => resolve())),
    closeAll() {
      for (const s of sockets) s.destroy();
    },
  };
}
