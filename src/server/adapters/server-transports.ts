/**
 * The server side shared by ServerAdapter and ExtServerAdapter: the
 * transports to launch with their bind addresses (TOR_PT_SERVER_BINDADDR,
 * pt-spec §3.2.3: IP literals, one per transport, in TOR_PT_SERVER_TRANSPORTS
 * order) and options (TOR_PT_SERVER_TRANSPORT_OPTIONS, escaped), and the
 * SMETHOD lines read back with their ARGS unescaped.
 */
import {
  encodeServerTransportOptions,
  isPtTransportName,
  parseBindAddr,
  type Args,
  type ArgsInput,
  type SmethodMessage,
} from "../../shared/codec/pt-ipc/index.js";
import { formatHostPort } from "../../shared/net/host-port.js";
import { PtAdapter, type PtAdapterEvents, type PtAdapterOptions } from "./base-adapter.js";
import { AdapterError, type MethodFailure } from "./errors.js";

export interface ServerTransportSpec {
  /** The transport name (a C identifier, pt-spec §3.1). */
  readonly name: string;
  /** Where the PT listens for clients; default 127.0.0.1 port 0 (the PT picks a port). */
  readonly bind?: { readonly host: string; readonly port: number };
  /** This transport's options (obfs4: node-id, private-key, iat-mode…), escaped for the PT. */
  readonly options?: ArgsInput;
}

/** A launched server transport: its public address and the ARGS clients need. */
export interface ServerTransport {
  readonly transport: string;
  readonly host: string;
  readonly port: number;
  /** The SMETHOD `ARGS:` option, unescaped (empty when there is none). */
  readonly args: Args;
  /** Any other SMETHOD options, verbatim. */
  readonly options: readonly string[];
}

export interface ServerPtAdapterOptions extends PtAdapterOptions {
  readonly transports: readonly ServerTransportSpec[];
}

/** The default bind address: loopback, any port, as tor's default ServerTransportListenAddr. */
export const DEFAULT_SERVER_BIND = { host: "127.0.0.1", port: 0 } as const;

/** TOR_PT_SERVER_TRANSPORTS, TOR_PT_SERVER_BINDADDR and (when any) TOR_PT_SERVER_TRANSPORT_OPTIONS. */
export function serverTransportEnv(specs: readonly ServerTransportSpec[]): Record<string, string> {
  if (specs.length === 0) throw new AdapterError("ERR_ADAPTER_OPTIONS", "name at least one transport");
  const binds: string[] = [];
  const options = new Map<string, ArgsInput>();
  const seen = new Set<string>();
  for (const spec of specs) {
    if (!isPtTransportName(spec.name)) {
      throw new AdapterError(
        "ERR_ADAPTER_OPTIONS",
        `transport name ${JSON.stringify(spec.name)} is not a C identifier`,
      );
    }
    if (seen.has(spec.name)) throw new AdapterError("ERR_ADAPTER_OPTIONS", `transport ${spec.name} named twice`);
    seen.add(spec.name);
    const bind = spec.bind ?? DEFAULT_SERVER_BIND;
    let text: string;
    try {
      // Bracket IPv6; then require what the PT will require: an IP literal and a port.
      text = formatHostPort({ host: bind.host, port: bind.port, type: bind.host.includes(":") ? "ipv6" : "ipv4" });
      parseBindAddr(text);
    } catch (err) {
      throw new AdapterError("ERR_ADAPTER_OPTIONS", `bad bind address for ${spec.name}: ${(err as Error).message}`, {
        cause: err,
      });
    }
    binds.push(`${spec.name}-${text}`);
    if (spec.options !== undefined) options.set(spec.name, spec.options);
  }
  const encoded = encodeServerTransportOptions(options);
  return {
    TOR_PT_SERVER_BINDADDR: binds.join(","),
    ...(encoded === "" ? {} : { TOR_PT_SERVER_TRANSPORT_OPTIONS: encoded }),
  };
}

export abstract class ServerPtAdapter<
  E extends PtAdapterEvents & Record<keyof E, unknown[]> = PtAdapterEvents,
> extends PtAdapter<E> {
  protected readonly specs: readonly ServerTransportSpec[];
  protected readonly transportEnv: Record<string, string>;

  constructor(options: ServerPtAdapterOptions) {
    super(options);
    this.specs = [...options.transports];
    this.transportEnv = serverTransportEnv(this.specs);
  }

  /** The launched transports by name (empty before start). */
  get transports(): ReadonlyMap<string, ServerTransport> {
    const out = new Map<string, ServerTransport>();
    for (const m of this.launched?.smethods ?? []) out.set(m.transport, toServerTransport(m));
    return out;
  }

  /** SMETHOD-ERROR lines, by transport. */
  get methodErrors(): readonly MethodFailure[] {
    return this.launched?.methodErrors ?? [];
  }
}

function toServerTransport(m: SmethodMessage): ServerTransport {
  return {
    transport: m.transport,
    host: m.address.host,
    port: m.address.port,
    args: m.args ?? new Map(),
    options: m.options ?? [],
  };
}
