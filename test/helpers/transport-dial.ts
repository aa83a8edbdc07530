/**
 * A test client for any webpt transport, from the SMETHOD (or bridge line)
 * a server announced: the address plus ARGS (cert, iat-mode, url, signal…).
 * It is the client's own dial path (dialBridge), so the tests exercise what
 * `webpt client` runs. Returns the authenticated obfs4 stream.
 */
import { decodeCert, type IatMode } from "../../src/shared/codec/obfs4/index.js";
import { isTransportName, parseSettings } from "../../src/shared/settings/index.js";
import { dialBridge } from "../../src/server/client/bridge-dial.js";
import type { Obfs4BridgeIdentity } from "../../src/server/obfs4/tcp.js";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";

export type MethodArgs = ReadonlyMap<string, readonly string[]>;

export function arg(args: MethodArgs | undefined, key: string): string {
  const v = args?.get(key)?.[0];
  if (v === undefined) throw new Error(`the method has no ${key} argument`);
  return v;
}

export function identityFromArgs(args: MethodArgs | undefined): Obfs4BridgeIdentity {
  const { nodeId, identityPublicKey } = decodeCert(arg(args, "cert"));
  return { nodeId, publicKey: identityPublicKey, iatMode: Number(arg(args, "iat-mode")) as IatMode };
}

/** Dials `transport` as a client would with these args; `address` is the SMETHOD address (used by obfs4/TCP). */
export async function dialTransport(
  transport: string,
  address: { host: string; port: number },
  args: MethodArgs | undefined,
  options: { certOverride?: string; timeoutMs?: number } = {},
): Promise<Obfs4Stream> {
  if (!isTransportName(transport)) throw new Error(`no test dialer for ${transport}`);
  const record = Object.fromEntries([...(args ?? new Map<string, string[]>())].map(([k, v]) => [k, [...v]]));
  if (options.certOverride !== undefined) record["cert"] = [options.certOverride];
  const settings = parseSettings(transport, record, "args");
  return dialBridge(settings, {
    target: address,
    ...(options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs }),
  });
}
