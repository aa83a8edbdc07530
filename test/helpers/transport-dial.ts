/**
 * A test client for any webpt transport, from the SMETHOD (or bridge line)
 * a server announced: the address plus ARGS (cert, iat-mode, url, signal…).
 * Returns the authenticated obfs4 stream.
 */
import { decodeCert, type IatMode } from "../../src/shared/codec/obfs4/index.js";
import { dialObfs4Tcp, startObfs4Client, type Obfs4BridgeIdentity } from "../../src/server/obfs4/tcp.js";
import { dialWebSocket } from "../../src/server/carriers/websocket/index.js";
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
  const real = identityFromArgs(args);
  const identity =
    options.certOverride === undefined
      ? real
      : (() => {
          const d = decodeCert(options.certOverride);
          return { nodeId: d.nodeId, publicKey: d.identityPublicKey, iatMode: real.iatMode };
        })();
  const timeout = options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs };
  switch (transport) {
    case "obfs4":
      return dialObfs4Tcp(address, identity, timeout);
    case "websocket": {
      const carrier = await dialWebSocket(arg(args, "url"));
      return startObfs4Client(carrier, identity, timeout);
    }
    default:
      throw new Error(`no test dialer for ${transport}`);
  }
}
