/** Our obfs4 server in-process, forwarding each authenticated stream to a TCP target (the test's ORPort). */
import net from "node:net";
import { generateServerState, type Obfs4ServerState } from "../../src/shared/codec/obfs4/index.js";
import { encodeCert } from "../../src/shared/codec/obfs4/index.js";
import { listenObfs4Tcp, type Obfs4ServerOptions, type Obfs4TcpServer } from "../../src/server/obfs4/tcp.js";
import { relay } from "../../src/server/net/relay.js";

export interface WebptObfs4Server extends Obfs4TcpServer {
  readonly state: Obfs4ServerState;
  readonly cert: string;
  readonly host: string;
  readonly port: number;
  readonly iatMode: number;
}

export async function startWebptObfs4Server(opts: {
  target: number;
  state?: Obfs4ServerState;
  iatMode?: 0 | 1 | 2;
  options?: Obfs4ServerOptions;
}): Promise<WebptObfs4Server> {
  const base = opts.state ?? generateServerState();
  const state = opts.iatMode === undefined ? base : { ...base, iatMode: opts.iatMode };
  const srv = await listenObfs4Tcp(
    { host: "127.0.0.1", port: 0 },
    state,
    (stream) => {
      const out = net.connect({ host: "127.0.0.1", port: opts.target });
      out.setNoDelay(true);
      void relay(stream, out);
    },
    opts.options,
  );
  return {
    ...srv,
    state,
    cert: encodeCert(state.nodeId, state.publicKey),
    host: "127.0.0.1",
    port: srv.address.port,
    iatMode: state.iatMode,
  };
}
