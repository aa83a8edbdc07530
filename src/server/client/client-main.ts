/**
 * `webpt client` managed by tor (ClientTransportPlugin obfs4,websocket,webrtc
 * exec …/webpt client): read TOR_PT_* and 2.x flags, validate the upstream
 * proxy before anything else (PROXY DONE, or PROXY-ERROR and exit 69), open
 * one SOCKS listener per transport we implement (unknown ones are ignored
 * silently, CONFORMANCE), announce each with CMETHOD, report every
 * connection attempt with STATUS, and end by the same shutdown rules as the
 * server.
 */
import type { PtEnv } from "../../shared/codec/pt-ipc/index.js";
import { isTransportName, parseSettings, type TransportName } from "../../shared/settings/index.js";
import { readClientConfig } from "../pt/config-entry.js";
import { IpcOut } from "../pt/ipc-out.js";
import { installShutdown } from "../pt/lifecycle.js";
import { readUdpClientFlags } from "../udp/flags.js";
import { runUdpClient, type RunningUdpClient } from "../udp/run-client.js";
import { startSocksFront, type ConnectStatus, type SocksFront } from "./socks-front.js";
import { startTransparentFront } from "./transparent-front.js";

export const WEBPT_UNSAFE_LOGGING_ENV = "WEBPT_UNSAFE_LOGGING";

/** The transports this client implements, in announcement order. */
export const CLIENT_TRANSPORTS: readonly TransportName[] = ["obfs4", "websocket", "webrtc"];

export async function runManagedClient(env: PtEnv, argv: readonly string[]): Promise<number> {
  const read = readClientConfig(env, argv, (c) => readUdpClientFlags(c.extraFlags, c.version));
  if (typeof read === "number") return read;
  const { config, extra: udpFlags } = read;

  const out = new IpcOut({ version: config.version, unsafeLogging: env[WEBPT_UNSAFE_LOGGING_ENV] === "1" });
  out.send({ kind: "VERSION", version: config.version });
  // The proxy URI was validated while parsing (a bad one never gets here); we say we will use it before any
  // CMETHOD (pt-spec 1.0 §3.3), and every connection then goes through it or fails: no direct fallback.
  if (config.proxy !== undefined) out.send({ kind: "PROXY DONE" });

  const fronts: SocksFront[] = [];
  for (const name of config.transports) {
    if (!isTransportName(name) || !CLIENT_TRANSPORTS.includes(name)) continue; // ignored silently
    if (name === "webrtc" && config.proxy !== undefined) {
      out.send({
        kind: "CMETHOD-ERROR",
        transport: name,
        message: "webrtc cannot go through TOR_PT_PROXY (its carrier is UDP)",
      });
      continue;
    }
    const onStatus = (s: ConnectStatus): void =>
      out.status(s.transport, [
        ["ADDRESS", s.address],
        ["CONNECT", s.ok ? "Success" : "Failed"],
        ...(s.error === undefined ? [] : [["ERRSTR", s.error.slice(0, 200)] as const]),
      ]);
    try {
      // 2.1 -target: transparent TCP to that one destination, the bridge's args from -options.
      const front =
        config.target === undefined
          ? await startSocksFront({ transport: name, proxy: config.proxy, log: out, onStatus })
          : await startTransparentFront({
              settings: parseSettings(name, Object.fromEntries(config.options.get(name) ?? []), "args"),
              target: config.target,
              proxy: config.proxy,
              log: out,
              onStatus,
            });
      fronts.push(front);
      out.send({
        kind: "CMETHOD",
        transport: name,
        proxyType: config.target === undefined ? "socks5" : "transparent-TCP",
        address: { host: front.address.address, port: front.address.port, type: "ipv4" },
      });
    } catch (err) {
      out.send({ kind: "CMETHOD-ERROR", transport: name, message: (err as Error).message.slice(0, 300) });
    }
  }
  // PT 2.x UDP (seed 000 §3.3.5): -udp transparent|stun adds a UDP listener relaying through -udp-bridge.
  let udp: RunningUdpClient | undefined;
  if (udpFlags !== undefined) {
    try {
      udp = await runUdpClient({ flags: udpFlags, proxy: config.proxy, log: out });
      out.send(udp.cmethod);
    } catch (err) {
      out.send({ kind: "CMETHOD-ERROR", transport: "udp", message: (err as Error).message.slice(0, 300) });
    }
  }
  // Handlers before DONE: tor may signal us the moment it reads it.
  const exited = new Promise<number>((resolve) =>
    installShutdown(config.exitOnStdinClose, {
      stopAccepting: () => {
        for (const f of fronts) void f.stopAccepting();
      },
      closeAll: () => {
        for (const f of fronts) f.closeAll();
        void udp?.close();
      },
      openConnections: () => fronts.reduce((n, f) => n + f.openConnections, 0) + (udp?.openConnections ?? 0),
      exit: resolve,
    }),
  );
  out.send({ kind: "CMETHODS DONE" });

  return exited;
}
