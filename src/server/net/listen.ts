/**
 * A TCP listener that keeps the books every front of ours needs (the PT
 * client's SOCKS and transparent listeners, the obfs4 server): a set of open
 * sockets with a cap, errors kept from reaching the process, Nagle off, and
 * the two halves of a shutdown (stop accepting; close what is open).
 */
import net from "node:net";

/**
 * The accept-queue length every listener of ours asks for. Node's default
 * (511) drops SYNs when a burst of clients arrives while the event loop is
 * busy with handshakes, and a dropped SYN costs the client a retransmit of
 * 1, 3, 7… seconds. The kernel caps it at net.core.somaxconn (4096 on
 * current Linux).
 */
export const LISTEN_BACKLOG = 4096;

export interface TcpListener {
  readonly server: net.Server;
  readonly address: net.AddressInfo;
  readonly openConnections: number;
  stopAccepting(): Promise<void>;
  closeAll(): void;
}

/** Listens on `bind`; past `maxConnections` open sockets a new one is closed at once. */
export async function listenTcp(
  bind: { readonly host: string; readonly port: number },
  onConnection: (sock: net.Socket) => void,
  maxConnections: number,
): Promise<TcpListener> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((sock) => {
    if (sockets.size >= maxConnections) return void sock.destroy();
    sockets.add(sock);
    sock.once("close", () => sockets.delete(sock));
    sock.on("error", () => sock.destroy());
    sock.setNoDelay(true);
    onConnection(sock);
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen({ port: bind.port, host: bind.host, backlog: LISTEN_BACKLOG }, () => {
      server.off("error", reject);
      resolve();
    });
  });
  return {
    server,
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
