/**
 * The accept-queue length every listener of ours asks for. Node's default
 * (511) drops SYNs when a burst of clients arrives while the event loop is
 * busy with handshakes, and a dropped SYN costs the client a retransmit of
 * 1, 3, 7… seconds. The kernel caps it at net.core.somaxconn (4096 on
 * current Linux).
 */
export const LISTEN_BACKLOG = 4096;
