/**
 * Reading per-transport options (TOR_PT_SERVER_TRANSPORT_OPTIONS values, or
 * the standalone config's strings) with errors that name the option, so an
 * operator sees `websocket: tls-key: …` in tor's log rather than a stack.
 */
import { WebptError } from "../../shared/errors.js";
import { readFile } from "node:fs/promises";

export class TransportOptionError extends WebptError {
  override name = "TransportOptionError";
  constructor(message: string) {
    super("ERR_TRANSPORT_OPTION", message);
  }
}

/** A comma-separated list (empty items dropped); undefined when the option is absent. */
export function listOption(options: ReadonlyMap<string, string>, key: string): string[] | undefined {
  const v = options.get(key);
  if (v === undefined) return undefined;
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);
}

/** Reads `tls-cert` and `tls-key` (file paths); both or neither. */
export async function tlsOption(
  options: ReadonlyMap<string, string>,
): Promise<{ cert: Uint8Array; key: Uint8Array } | undefined> {
  const certFile = options.get("tls-cert");
  const keyFile = options.get("tls-key");
  if (certFile === undefined && keyFile === undefined) return undefined;
  if (certFile === undefined || keyFile === undefined) {
    throw new TransportOptionError("tls-cert and tls-key must be given together");
  }
  const read = async (what: string, file: string): Promise<Uint8Array> => {
    try {
      return await readFile(file);
    } catch (err) {
      throw new TransportOptionError(`${what}: cannot read ${file}: ${(err as Error).message}`);
    }
  };
  return { cert: await read("tls-cert", certFile), key: await read("tls-key", keyFile) };
}

/** Hosts that mean "every interface": not something a client can dial. */
export function isUnspecifiedHost(host: string): boolean {
  return host === "0.0.0.0" || host === "::" || host === "";
}

/** `host` as it goes in a URL authority (IPv6 in brackets). */
export function urlHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}
