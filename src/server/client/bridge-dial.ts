/**
 * The client's first hop: from validated per-connection settings to an
 * authenticated obfs4 stream to the bridge, over the transport's carrier.
 * This is the one dial path shared by `webpt client` (tor's SOCKS requests),
 * the standalone client and the Node Transport API.
 *
 *   obfs4      TCP to the SOCKS target (the bridge's address)
 *   websocket  a WebSocket to settings.url (the SOCKS target is ignored, as
 *              snowflake and webtunnel do: the URL is the address)
 *   webrtc     a DataChannel negotiated through settings.signal
 *
 * With an upstream proxy the TCP carriers go through it; WebRTC cannot (UDP),
 * so it fails closed rather than leaking around the proxy.
 */
import type { UpstreamProxy } from "../../shared/codec/pt-ipc/index.js";
import type { Obfs4CryptoBackend } from "../../shared/codec/obfs4/index.js";
import type { TransportSettings } from "../../shared/settings/index.js";
import { dialWebRtc } from "../carriers/webrtc/dial.js";
import { dialWebSocket } from "../carriers/websocket/dial.js";
import { dialTcp, ProxyDialError } from "../net/proxy-dial.js";
import type { Obfs4Stream } from "../obfs4/obfs4-stream.js";
import { startObfs4Client, OBFS4_DIAL_TIMEOUT_MS } from "../obfs4/tcp.js";

export interface BridgeDialOptions {
  /** Where tor asked to connect (the bridge line's address); needed by obfs4 over TCP. */
  readonly target?: { readonly host: string; readonly port: number };
  readonly proxy?: UpstreamProxy | undefined;
  readonly signal?: AbortSignal;
  /** The whole dial: carrier plus obfs4 handshake. */
  readonly timeoutMs?: number;
  readonly backend?: Obfs4CryptoBackend;
}

function defaultPort(url: URL): number {
  if (url.port !== "") return Number(url.port);
  return url.protocol === "wss:" || url.protocol === "https:" ? 443 : 80;
}

export async function dialBridge(settings: TransportSettings, options: BridgeDialOptions = {}): Promise<Obfs4Stream> {
  const timeoutMs = options.timeoutMs ?? OBFS4_DIAL_TIMEOUT_MS;
  const signal = options.signal === undefined ? {} : { signal: options.signal };
  const common = { timeoutMs, ...signal };
  const identity = { nodeId: settings.nodeId, publicKey: settings.publicKey, iatMode: settings.iatMode };
  const obfs4 = { ...common, ...(options.backend === undefined ? {} : { backend: options.backend }) };
  switch (settings.transport) {
    case "obfs4": {
      if (options.target === undefined) throw new TypeError("obfs4 needs the bridge's address");
      const sock = await dialTcp(options.target.host, options.target.port, { ...common, proxy: options.proxy });
      return startObfs4Client(sock, identity, obfs4);
    }
    case "websocket": {
      let socket;
      if (options.proxy !== undefined) {
        const url = new URL(settings.url);
        const host = url.hostname.replace(/^\[|\]$/g, "");
        socket = await dialTcp(host, defaultPort(url), { ...common, proxy: options.proxy });
      }
      const carrier = await dialWebSocket(settings.url, { ...common, ...(socket === undefined ? {} : { socket }) });
      return startObfs4Client(carrier, identity, obfs4);
    }
    case "webrtc": {
      if (options.proxy !== undefined) {
        throw new ProxyDialError(
          "ERR_PROXY_UNSUPPORTED",
          "webrtc cannot go through an upstream proxy (its carrier is UDP); refusing to connect around it",
        );
      }
      const carrier = await dialWebRtc(settings, common);
      return startObfs4Client(carrier, identity, obfs4);
    }
  }
}
