/**
 * The `websocket` transport: obfs4 inside binary WebSocket messages on an
 * HTTP(S) server that is an ordinary cover site except at one secret path.
 *
 * Options (TOR_PT_SERVER_TRANSPORT_OPTIONS `websocket:k=v;…` or the
 * standalone config):
 *   path             the secret path (default: random, kept in the state dir)
 *   url              the public URL clients use, when a reverse proxy or a
 *                    name fronts us (default: ws[s]://<bind or public host>:<port><path>)
 *   tls-cert/tls-key PEM files: serve HTTPS (wss:) ourselves
 *   trusted-proxies  comma-separated IPs/CIDRs whose X-Forwarded-For we believe
 *   cover-file       an HTML file served at / instead of the bland default
 */
import { readFile } from "node:fs/promises";
import { createObfs4ServerEngine } from "../../obfs4/tcp.js";
import { isUnspecifiedHost, listOption, tlsOption, TransportOptionError, urlHost } from "../../service/options.js";
import { secretPath } from "../../service/secrets.js";
import type { TransportFactory } from "../../service/types.js";
import { createWebSocketCarrierServer } from "./server.js";

export const websocketTransport: TransportFactory = async (ctx) => {
  const tls = await tlsOption(ctx.options);
  const path = await secretPath(ctx.stateDir, ctx.name, ctx.options.get("path"));
  const coverFile = ctx.options.get("cover-file");
  let coverPage: { body: Uint8Array } | undefined;
  if (coverFile !== undefined) {
    try {
      coverPage = { body: await readFile(coverFile) };
    } catch (err) {
      throw new TransportOptionError(`cover-file: cannot read ${coverFile}: ${(err as Error).message}`);
    }
  }
  const engine = createObfs4ServerEngine(ctx.state, ctx.onStream, ctx.engineOptions);
  const trustedProxies = listOption(ctx.options, "trusted-proxies");
  const carrier = createWebSocketCarrierServer({
    path,
    onConnection: (duplex, info) => engine.accept(duplex, info),
    ...(trustedProxies === undefined ? {} : { trustedProxies }),
    ...(coverPage === undefined ? {} : { coverPage }),
  });
  const address = await carrier.listen({ ...ctx.bind, ...(tls === undefined ? {} : { tls }) });
  let url = ctx.options.get("url");
  if (url === undefined) {
    const host = ctx.publicHost ?? ctx.bind.host;
    if (isUnspecifiedHost(host)) {
      ctx.log.log(
        "warning",
        `${ctx.name}: listening on every interface but no public host is known; ` +
          `set the transport option url=wss://<name><path> so clients know where to connect`,
      );
    }
    url = `${tls === undefined ? "ws" : "wss"}://${urlHost(isUnspecifiedHost(host) ? address.address : host)}:${address.port}${path}`;
  }
  return {
    name: ctx.name,
    address,
    args: [["url", url]],
    engine,
    carrier: carrier.counters,
    close: () => carrier.close(),
  };
};
