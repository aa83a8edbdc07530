/** The `obfs4` transport: obfs4 straight over TCP, interoperable with obfs4proxy/lyrebird clients. */
import type { RunningTransport, TransportFactory } from "../service/types.js";
import { listenObfs4Tcp } from "./tcp.js";

export const obfs4Transport: TransportFactory = async (ctx) => {
  const srv = await listenObfs4Tcp(ctx.bind, ctx.state, ctx.onStream, ctx.engineOptions);
  const running: RunningTransport = {
    name: ctx.name,
    address: srv.address,
    args: [],
    engine: srv.engine,
    // Every failed handshake over TCP is a probe or a broken client; the engine counts them.
    carrier: { declined: 0 },
    close: () => srv.close(),
  };
  return running;
};
