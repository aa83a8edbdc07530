/**
 * A bench worker: one side of an obfs4 tunnel in its own process, as deployed.
 *   server <targetPort> <js|native>    listens for obfs4, relays to 127.0.0.1:<targetPort>;
 *                                      prints {"port","cert"} on stdout
 *   client <bridgePort> <cert> <js|native>  listens on plain TCP; each connection is
 *                                      carried over obfs4 to the bridge; prints {"port"}
 *
 * The client writes one READY byte back on a connection once its obfs4
 * handshake is done, and the bench starts its clock then: the analogue of
 * the SOCKS reply obfs4proxy's client sends only after its handshake, so
 * neither side's handshake is in the measured time.
 */
import net from "node:net";
import { decodeCert, generateServerState, encodeCert, jsCryptoBackend } from "../../src/shared/codec/obfs4/index.js";
import { dialObfs4Tcp, listenObfs4Tcp } from "../../src/server/obfs4/tcp.js";
import { relay } from "../../src/server/net/relay.js";
import { nodeCryptoBackend } from "../../src/server/crypto/backend.js";

/** Sent to the bench driver when a client connection's tunnel is up (see above). */
const READY = Uint8Array.of(0x52);

const [role, a, b, c] = process.argv.slice(2);
const backendName = role === "server" ? b : c;
const backend = backendName === "js" ? jsCryptoBackend : nodeCryptoBackend();

if (role === "server") {
  const state = generateServerState();
  const srv = await listenObfs4Tcp(
    { host: "127.0.0.1", port: 0 },
    state,
    (stream) => {
      const out = net.connect({ host: "127.0.0.1", port: Number(a) });
      out.setNoDelay(true);
      void relay(stream, out);
    },
    { backend },
  );
  process.stdout.write(
    JSON.stringify({ port: srv.address.port, cert: encodeCert(state.nodeId, state.publicKey) }) + "\n",
  );
} else if (role === "client") {
  const { nodeId, identityPublicKey } = decodeCert(b!);
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.pause();
    dialObfs4Tcp(
      { host: "127.0.0.1", port: Number(a) },
      { nodeId, publicKey: identityPublicKey, iatMode: 0 },
      { backend },
    ).then(
      (stream) => {
        sock.write(READY);
        sock.resume();
        void relay(sock, stream);
      },
      () => sock.destroy(),
    );
  });
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + "\n");
  });
} else {
  process.stderr.write("usage: obfs4-pair server|client ...\n");
  process.exit(64);
}
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
