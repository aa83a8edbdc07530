/**
 * ClientAdapter (seed 003 "PT Client"): runs a PT client and opens
 * connections through it. The transports are named at launch; the
 * destination and per-connection arguments at each connection, carried the
 * way the PT's negotiated version says: PT 1.0 `k=v;k=v` in the RFC 1929
 * fields (pt-spec §3.5), or PT 2.1's JSON parameter block, method 0x09
 * (PT 2.1 §1.4). An upstream proxy (TOR_PT_PROXY) is validated before
 * launch and must be acknowledged with PROXY DONE (pt-spec §3.3.2).
 */
import type net from "node:net";
import { parseProxyUri, type CmethodMessage, type CmethodProxyType } from "../../shared/codec/pt-ipc/index.js";
import type { PtArgsInput } from "../../shared/codec/socks/index.js";
import { socksDial, SOCKS_DIAL_TIMEOUT_MS } from "../net/socks-dial.js";
import { PtAdapter, type PtAdapterEvents, type PtAdapterOptions } from "./base-adapter.js";
import { AdapterError, type MethodFailure } from "./errors.js";
import type { PtLaunchOptions } from "./pt-process.js";

export interface ClientAdapterOptions extends PtAdapterOptions {
  /** TOR_PT_CLIENT_TRANSPORTS: the transports to launch. */
  readonly transports: readonly string[];
  /** TOR_PT_PROXY, e.g. `socks5://user:pass@127.0.0.1:1080`; checked before launch. */
  readonly proxy?: string;
}

/** A launched client transport: where its proxy listens and what it speaks. */
export interface ClientTransport {
  readonly transport: string;
  readonly proxyType: CmethodProxyType;
  readonly host: string;
  readonly port: number;
}

export interface TransportConnectionOptions {
  readonly signal?: AbortSignal;
  /** The TCP connect plus SOCKS exchange (default SOCKS_DIAL_TIMEOUT_MS). */
  readonly timeoutMs?: number;
}

export class ClientAdapter extends PtAdapter<PtAdapterEvents> {
  readonly #transports: readonly string[];
  readonly #proxy: string | undefined;

  constructor(options: ClientAdapterOptions) {
    super(options);
    if (options.transports.length === 0) throw new AdapterError("ERR_ADAPTER_OPTIONS", "name at least one transport");
    if (options.proxy !== undefined) {
      try {
        parseProxyUri(options.proxy);
      } catch (err) {
        throw new AdapterError("ERR_ADAPTER_OPTIONS", `unusable proxy URI: ${(err as Error).message}`, { cause: err });
      }
    }
    this.#transports = [...options.transports];
    this.#proxy = options.proxy;
  }

  /** `new ClientAdapter(options).start()`. */
  static start(options: ClientAdapterOptions): Promise<ClientAdapter> {
    return new ClientAdapter(options).start();
  }

  protected launchOptions(): Promise<Pick<PtLaunchOptions, "role" | "transports" | "env" | "proxy">> {
    return Promise.resolve({
      role: "client",
      transports: this.#transports,
      env: {},
      ...(this.#proxy === undefined ? {} : { proxy: this.#proxy }),
    });
  }

  /** The launched transports by name (empty before start). */
  get transports(): ReadonlyMap<string, ClientTransport> {
    const out = new Map<string, ClientTransport>();
    for (const m of this.launched?.cmethods ?? []) out.set(m.transport, toClientTransport(m));
    return out;
  }

  /** CMETHOD-ERROR lines, by transport. */
  get methodErrors(): readonly MethodFailure[] {
    return this.launched?.methodErrors ?? [];
  }

  /**
   * Opens a connection to `host`:`port` through `transport` with its
   * per-connection `args` (ptadapter's open_transport_connection). Resolves
   * with the socket once the PT's SOCKS server reports success.
   */
  async openTransportConnection(
    transport: string,
    host: string,
    port: number,
    args?: PtArgsInput,
    options: TransportConnectionOptions = {},
  ): Promise<net.Socket> {
    const pt = this.process;
    const m = pt.cmethods.find((c) => c.transport === transport);
    if (m === undefined) {
      const why = pt.methodErrors.find((e) => e.transport === transport)?.message ?? "not launched";
      throw new AdapterError("ERR_ADAPTER_NO_TRANSPORT", `transport ${transport}: ${why}`);
    }
    if (m.proxyType !== "socks5" && m.proxyType !== "socks4") {
      throw new AdapterError(
        "ERR_ADAPTER_PROXY_TYPE",
        `transport ${transport} is a ${m.proxyType} proxy: it cannot carry a connection to a chosen destination`,
      );
    }
    return socksDial({
      proxy: { host: m.address.host, port: m.address.port },
      target: { host, port },
      socksVersion: m.proxyType === "socks4" ? 4 : 5,
      // The PT's VERSION decides the args encoding: 0x09 JSON for 2.x, RFC 1929 for 1.
      ptVersion: pt.version === "2" && m.proxyType === "socks5" ? "2" : "1",
      ...(args === undefined ? {} : { args }),
      timeoutMs: options.timeoutMs ?? SOCKS_DIAL_TIMEOUT_MS,
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
  }
}

function toClientTransport(m: CmethodMessage): ClientTransport {
  return { transport: m.transport, proxyType: m.proxyType, host: m.address.host, port: m.address.port };
}
