/**
 * ServerAdapter (seed 003 "PT Server"): runs a PT server that forwards each
 * deobfuscated connection to a plain TCP destination (TOR_PT_ORPORT). As a
 * parent without an Extended ORPort it sets TOR_PT_EXTENDED_SERVER_PORT to
 * the empty string, as pt-spec §3.2.3 requires ("If the parent process does
 * not support the ExtORPort protocol, it MUST set TOR_PT_EXTENDED_SERVER_PORT
 * to an empty string"), and never sets TOR_PT_AUTH_COOKIE_FILE.
 */
import { formatHostPort } from "../../shared/net/host-port.js";
import { AdapterError } from "./errors.js";
import type { PtLaunchOptions } from "./pt-process.js";
import { ServerPtAdapter, type ServerPtAdapterOptions } from "./server-transports.js";

export interface ServerAdapterOptions extends ServerPtAdapterOptions {
  /** TOR_PT_ORPORT: where each client's plain stream goes (an IP literal or, for 2.x PTs, a host name). */
  readonly forward: { readonly host: string; readonly port: number };
}

export class ServerAdapter extends ServerPtAdapter {
  readonly #forward: string;

  constructor(options: ServerAdapterOptions) {
    super(options);
    const { host, port } = options.forward;
    if (!Number.isInteger(port) || port < 1 || port > 65535) {
      throw new AdapterError("ERR_ADAPTER_OPTIONS", `forward port ${port} is not in 1..65535`);
    }
    this.#forward = formatHostPort({ host, port, type: host.includes(":") ? "ipv6" : "ipv4" });
  }

  /** `new ServerAdapter(options).start()`. */
  static start(options: ServerAdapterOptions): Promise<ServerAdapter> {
    return new ServerAdapter(options).start();
  }

  protected launchOptions(): Promise<Pick<PtLaunchOptions, "role" | "transports" | "env" | "proxy">> {
    return Promise.resolve({
      role: "server",
      transports: this.specs.map((s) => s.name),
      env: { ...this.transportEnv, TOR_PT_ORPORT: this.#forward, TOR_PT_EXTENDED_SERVER_PORT: "" },
    });
  }
}
