/**
 * The PT client's UDP listener (seed 000 §3.3.5.3: "The first step is for the
 * PT Client to listen for UDP packets on a designated port"): one dgram
 * socket on a local address, each Client App peer (source address:port)
 * relayed over its own lazily dialed transport connection by
 * UdpClientRelay, replies sent back to that peer from the same socket.
 * Announced to a 2.x parent as `CMETHOD <t> transparent-UDP|STUN <addr>`.
 */
import dgram from "node:dgram";
import net from "node:net";
import type { AddressInfo } from "node:net";
import type { UdpFramingMode } from "../../shared/udp/index.js";
import { UdpClientRelay, type UdpClientRelayOptions } from "./client-relay.js";
import type { UdpRelayStats } from "./relay-common.js";

/** Where the client listens unless told: loopback only (a UDP port open to the network would relay for anyone). */
export const DEFAULT_UDP_LISTEN = { host: "127.0.0.1", port: 0 } as const;
/**
 * Kernel receive buffer asked for the listening socket: room for a burst of
 * full-size datagrams (a WireGuard or OpenVPN tunnel sends in bursts) while
 * the event loop is busy. The kernel may cap it (net.core.rmem_max).
 */
export const UDP_SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export interface UdpClientOptions extends Omit<UdpClientRelayOptions, "deliver"> {
  /** Default DEFAULT_UDP_LISTEN. An IPv6 host listens with a udp6 socket. */
  readonly listen?: { readonly host: string; readonly port: number };
}

export interface UdpClient {
  readonly address: AddressInfo;
  readonly mode: UdpFramingMode;
  /** Transport connections now (Waiting or Connected). */
  readonly openConnections: number;
  /** Table 1 state of the flow from local peer `host:port` (IPv6 in brackets). */
  state(peer: string): "Waiting" | "Connected" | undefined;
  getStats(): UdpRelayStats;
  /** Stops listening and closes every transport connection. */
  close(): Promise<void>;
}

/** The pool key of a local peer: `host:port`, IPv6 in brackets. */
export function peerKey(address: string, port: number): string {
  return `${net.isIPv6(address) ? `[${address}]` : address}:${port}`;
}

/** The inverse of peerKey. */
export function parsePeerKey(key: string): { address: string; port: number } {
  const colon = key.lastIndexOf(":");
  const host = key.slice(0, colon);
  return { address: host.startsWith("[") ? host.slice(1, -1) : host, port: Number(key.slice(colon + 1)) };
}

export async function startUdpClient(options: UdpClientOptions): Promise<UdpClient> {
  const listen = options.listen ?? DEFAULT_UDP_LISTEN;
  const socket = dgram.createSocket({
    type: net.isIPv6(listen.host) ? "udp6" : "udp4",
    recvBufferSize: UDP_SOCKET_BUFFER_BYTES,
    sendBufferSize: UDP_SOCKET_BUFFER_BYTES,
  });
  const relay = new UdpClientRelay({
    ...options,
    deliver: (to, datagram, failed) => {
      const { address, port } = parsePeerKey(to);
      socket.send(datagram, port, address, (err) => {
        if (err !== null && err !== undefined) failed(err);
      });
    },
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(listen.port, listen.host, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  socket.on("message", (msg, rinfo) => relay.datagram(peerKey(rinfo.address, rinfo.port), msg));
  // After bind, errors are per-send (reported through the send callback) or ICMP noise; the listener stays up.
  socket.on("error", (err) => options.log?.log("warning", `udp: listener error: ${err.message}`));
  let closing: Promise<void> | undefined;
  return {
    address: socket.address(),
    mode: relay.mode,
    get openConnections() {
      return relay.size;
    },
    state: (peer) => relay.state(peer),
    getStats: () => relay.getStats(),
    close() {
      closing ??= new Promise<void>((resolve) => {
        relay.close();
        socket.close(() => resolve());
      });
      return closing;
    },
  };
}
