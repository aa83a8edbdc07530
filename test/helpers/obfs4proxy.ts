/**
 * Debian's obfs4proxy as the real peer for interop tests and the benchmark
 * anchor, launched through our own parent-side adapter.
 */
import type net from "node:net";
import { execFileSync } from "node:child_process";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { socksDial } from "../../src/server/net/socks-dial.js";

export const OBFS4PROXY = process.env.OBFS4PROXY ?? "/usr/bin/obfs4proxy";

/** Fails loudly (never skips) when the peer is missing: `npm test` installs it. */
export function requireObfs4proxy(): string {
  try {
    execFileSync(OBFS4PROXY, ["-version"], { stdio: "pipe" });
  } catch (err) {
    throw new Error(`${OBFS4PROXY} is not runnable; run scripts/setup.sh (apt-get install obfs4proxy)`, { cause: err });
  }
  return OBFS4PROXY;
}

export interface Obfs4proxyServer {
  readonly pt: PtProcess;
  readonly host: string;
  readonly port: number;
  readonly cert: string;
  readonly iatMode: number;
  close(): Promise<void>;
}

/** obfs4proxy as a server forwarding to a plain ORPort (`orport`), optionally in an existing state dir. */
export async function startObfs4proxyServer(opts: {
  orport: number;
  iatMode?: 0 | 1 | 2;
  stateDir?: string;
}): Promise<Obfs4proxyServer> {
  const env: Record<string, string> = {
    TOR_PT_SERVER_BINDADDR: "obfs4-127.0.0.1:0",
    TOR_PT_ORPORT: `127.0.0.1:${opts.orport}`,
  };
  if (opts.iatMode !== undefined) env.TOR_PT_SERVER_TRANSPORT_OPTIONS = `obfs4:iat-mode=${opts.iatMode}`;
  const pt = await launchPt({
    command: [requireObfs4proxy()],
    role: "server",
    transports: ["obfs4"],
    env,
    ...(opts.stateDir !== undefined ? { stateDir: opts.stateDir } : {}),
  });
  const m = pt.smethods.find((s) => s.transport === "obfs4");
  const cert = m?.args?.get("cert")?.[0];
  const iat = m?.args?.get("iat-mode")?.[0];
  if (m === undefined || cert === undefined || iat === undefined) {
    await pt.close();
    throw new Error("obfs4proxy announced no obfs4 SMETHOD with cert and iat-mode");
  }
  return {
    pt,
    host: m.address.host,
    port: m.address.port,
    cert,
    iatMode: Number(iat),
    close: async () => void (await pt.close()),
  };
}

export interface Obfs4proxyClient {
  readonly pt: PtProcess;
  /** Opens a connection through obfs4proxy's SOCKS port to an obfs4 bridge. */
  dial(bridge: { host: string; port: number; cert: string; iatMode: number }): Promise<net.Socket>;
  close(): Promise<void>;
}

export async function startObfs4proxyClient(): Promise<Obfs4proxyClient> {
  const pt = await launchPt({ command: [requireObfs4proxy()], role: "client", transports: ["obfs4"] });
  const m = pt.cmethods.find((c) => c.transport === "obfs4");
  if (m === undefined) {
    await pt.close();
    throw new Error("obfs4proxy announced no obfs4 CMETHOD");
  }
  return {
    pt,
    dial: (bridge) =>
      socksDial({
        proxy: { host: m.address.host, port: m.address.port },
        target: { host: bridge.host, port: bridge.port },
        ptVersion: "1",
        args: { cert: [bridge.cert], "iat-mode": [String(bridge.iatMode)] },
      }),
    close: async () => void (await pt.close()),
  };
}
