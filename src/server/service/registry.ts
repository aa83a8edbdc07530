/**
 * The transports this server implements, by the name tor and bridge lines
 * use. Each is imported when first asked for, so a server that runs only
 * obfs4 never loads a WebRTC engine.
 */
import type { TransportFactory } from "./types.js";

const FACTORIES: Readonly<Record<string, () => Promise<TransportFactory>>> = {
  obfs4: async () => (await import("../obfs4/transport.js")).obfs4Transport,
  websocket: async () => (await import("../carriers/websocket/transport.js")).websocketTransport,
  webrtc: async () => (await import("../carriers/webrtc/transport.js")).webrtcTransport,
};

/** The names we implement, in the order we announce them. */
export const SERVER_TRANSPORTS: readonly string[] = Object.keys(FACTORIES);

export function isServerTransport(name: string): boolean {
  return Object.hasOwn(FACTORIES, name);
}

export async function transportFactory(name: string): Promise<TransportFactory> {
  const load = FACTORIES[name];
  if (load === undefined) throw new Error(`unknown transport ${JSON.stringify(name)}`);
  return load();
}
