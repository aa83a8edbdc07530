/**
 * The `webrtc` transport: obfs4 over a WebRTC DataChannel, signaled through
 * an HTTP(S) endpoint whose offers and answers are sealed to the bridge's
 * identity key (src/shared/codec/signaling), or by hand (manual.ts) when the
 * endpoint is blocked. Probes of the endpoint get the WebSocket carrier's
 * cover site and never create a peer.
 *
 * Options (TOR_PT_SERVER_TRANSPORT_OPTIONS `webrtc:k=v;…` or the standalone config):
 *   path             the secret signaling path (default: random, kept in the state dir)
 *   url              the public signaling URL clients use, when a reverse proxy or a name fronts us
 *                    (default: http[s]://<public host or bind>:<port><path>)
 *   ice              comma-separated STUN/TURN URLs the bridge gathers with; the stun: ones are also
 *                    advertised to clients (TURN credentials never leave the bridge)
 *   ice-username / ice-credential   for the turn:/turns: URLs in ice
 *   public-ip        comma-separated public addresses (≤ 1 per family) to advertise instead of host
 *                    candidates' (1:1 NAT)
 *   ice-address      the local address to gather host candidates on (default: every interface)
 *   ice-port-range   min-max: the UDP ports ICE may use (a firewall's open range)
 *   engine           node-datachannel (default) or werift
 *   tls-cert/tls-key PEM files: serve HTTPS ourselves
 *   cover-file       an HTML file served at / instead of the bland default
 */
import { readFile } from "node:fs/promises";
import type { Readable, Writable } from "node:stream";
import { parseIp } from "../../../shared/net/index.js";
import { createObfs4ServerEngine } from "../../obfs4/tcp.js";
import { isUnspecifiedHost, listOption, tlsOption, TransportOptionError, urlHost } from "../../service/options.js";
import { secretPath } from "../../service/secrets.js";
import type { RunningTransport, TransportContext, TransportFactory } from "../../service/types.js";
import { createWebRtcAnswerer, type WebRtcAnswerer } from "./answerer.js";
import type { DataChannelDuplexOptions } from "./duplex.js";
import { createRtcEngine, DEFAULT_RTC_ENGINE, isRtcEngineName, type RtcPeerConfig } from "./engine.js";
import { parseIceServerUrl } from "./ice-servers.js";
import { answerManualOffer, answerOfferFromStream, createManualReplayCache } from "./manual.js";
import { nodeX25519For } from "./node-x25519.js";
import { checkSignalPath, createSignalingServer, type SignalingCounters } from "./signaling-server.js";

/** Option keys this transport reads; others are reported once in the log and ignored. */
export const WEBRTC_OPTION_KEYS: readonly string[] = [
  "path",
  "url",
  "ice",
  "ice-username",
  "ice-credential",
  "public-ip",
  "ice-address",
  "ice-port-range",
  "engine",
  "tls-cert",
  "tls-key",
  "cover-file",
];

/** Knobs tests turn (the defaults are the named constants of each module). */
export interface WebRtcTransportTuning {
  readonly headersTimeoutMs?: number;
  readonly requestTimeoutMs?: number;
  readonly connectionsCheckingIntervalMs?: number;
  readonly connectTimeoutMs?: number;
  readonly manualConnectTimeoutMs?: number;
  readonly gatheringTimeoutMs?: number;
  readonly maxPendingPeers?: number;
  readonly maxPeers?: number;
  readonly maxClockSkewMs?: number;
  readonly now?: () => number;
  readonly duplex?: DataChannelDuplexOptions;
}

export interface RunningWebRtcTransport extends RunningTransport {
  readonly carrier: SignalingCounters;
  /** The secret path served, and the signaling URL advertised. */
  readonly path: string;
  readonly signalUrl: string;
  readonly answerer: WebRtcAnswerer;
  /** Manual signaling: answers a pasted `webpt-offer:…` text with a `webpt-answer:…` text (manual.ts). */
  answerManualOffer(text: string): Promise<string>;
  /** The CLI form (`webpt server answer-offer`): reads the offer from `input`, writes the answer to `output`. */
  answerOfferFromStream(input: Readable, output: Writable): Promise<void>;
}

export function isRunningWebRtcTransport(t: RunningTransport): t is RunningWebRtcTransport {
  return typeof (t as Partial<RunningWebRtcTransport>).answerManualOffer === "function";
}

function optionError(key: string, err: unknown): TransportOptionError {
  return new TransportOptionError(`${key}: ${err instanceof Error ? err.message : String(err)}`);
}

function ipList(options: ReadonlyMap<string, string>, key: string): string[] | undefined {
  const list = listOption(options, key);
  return list?.map((a) => {
    const ip = parseIp(a, { brackets: true });
    if (ip === undefined) throw new TransportOptionError(`${key}: not an IP address: ${JSON.stringify(a)}`);
    return ip.host;
  });
}

/** Reads the ICE options into a peer configuration, and the STUN URLs clients are told about. */
function peerOptions(options: ReadonlyMap<string, string>): {
  config: RtcPeerConfig;
  publicIps: string[];
  stun: string[];
} {
  const ice = (listOption(options, "ice") ?? []).map((u) => {
    try {
      return parseIceServerUrl(u);
    } catch (err) {
      throw optionError("ice", err);
    }
  });
  const username = options.get("ice-username");
  const credential = options.get("ice-credential");
  if ((username === undefined) !== (credential === undefined)) {
    throw new TransportOptionError("ice-username and ice-credential must be given together");
  }
  if (ice.some((u) => u.scheme !== "stun") && username === undefined) {
    throw new TransportOptionError("ice: a turn: or turns: URL needs ice-username and ice-credential");
  }
  const hosts = ipList(options, "ice-address");
  const engineName = options.get("engine") ?? DEFAULT_RTC_ENGINE;
  if (hosts !== undefined && hosts.length > 1 && engineName === "node-datachannel") {
    throw new TransportOptionError("ice-address: node-datachannel gathers on one address at most");
  }
  let portRange: { min: number; max: number } | undefined;
  const range = options.get("ice-port-range");
  if (range !== undefined) {
    const m = /^(\d{1,5})-(\d{1,5})$/.exec(range.trim());
    const min = Number(m?.[1]);
    const max = Number(m?.[2]);
    if (m === null || min < 1 || max > 65535 || min > max) {
      throw new TransportOptionError(`ice-port-range: expected min-max within 1-65535, got ${JSON.stringify(range)}`);
    }
    portRange = { min, max };
  }
  const publicIps = ipList(options, "public-ip") ?? [];
  for (const fam of [4, 6]) {
    if (publicIps.filter((a) => parseIp(a)?.family === fam).length > 1) {
      throw new TransportOptionError(`public-ip: at most one IPv${fam} address`);
    }
  }
  const config: RtcPeerConfig = {
    iceServers: ice.map((u) => u.url),
    ...(username === undefined ? {} : { iceUsername: username }),
    ...(credential === undefined ? {} : { iceCredential: credential }),
    ...(hosts === undefined ? {} : { hostAddresses: hosts }),
    ...(portRange === undefined ? {} : { portRange }),
  };
  return { config, publicIps, stun: ice.filter((u) => u.scheme === "stun").map((u) => u.url) };
}

async function coverPageOption(options: ReadonlyMap<string, string>): Promise<{ body: Uint8Array } | undefined> {
  const file = options.get("cover-file");
  if (file === undefined) return undefined;
  try {
    return { body: await readFile(file) };
  } catch (err) {
    throw new TransportOptionError(`cover-file: cannot read ${file}: ${(err as Error).message}`);
  }
}

/** The factory with its timeouts and limits overridden (tests); `webrtcTransport` is it with the defaults. */
export function createWebRtcTransportFactory(tuning: WebRtcTransportTuning = {}): TransportFactory {
  return (ctx) => startWebRtcTransport(ctx, tuning);
}

export const webrtcTransport: TransportFactory = createWebRtcTransportFactory();

export async function startWebRtcTransport(
  ctx: TransportContext,
  tuning: WebRtcTransportTuning = {},
): Promise<RunningWebRtcTransport> {
  const unknown = [...ctx.options.keys()].filter((k) => !WEBRTC_OPTION_KEYS.includes(k));
  if (unknown.length > 0) ctx.log.log("warning", `${ctx.name}: ignoring unknown options: ${unknown.join(", ")}`);
  const engineName = ctx.options.get("engine") ?? DEFAULT_RTC_ENGINE;
  if (!isRtcEngineName(engineName)) {
    throw new TransportOptionError(`engine: expected node-datachannel or werift, got ${JSON.stringify(engineName)}`);
  }
  const { config, publicIps, stun } = peerOptions(ctx.options);
  const tls = await tlsOption(ctx.options);
  const coverPage = await coverPageOption(ctx.options);
  let path: string;
  try {
    path = checkSignalPath(await secretPath(ctx.stateDir, ctx.name, ctx.options.get("path")));
  } catch (err) {
    throw optionError("path", err);
  }
  const obfs4 = createObfs4ServerEngine(ctx.state, ctx.onStream, ctx.engineOptions);
  const engine = await createRtcEngine(engineName);
  const log = (severity: Parameters<typeof ctx.log.log>[0], message: string): void => ctx.log.log(severity, message);
  const answerer = createWebRtcAnswerer({
    engine,
    peerConfig: config,
    publicAddresses: publicIps,
    onCarrier: (carrier, client) => obfs4.accept(carrier, client),
    log,
    ...(tuning.maxPendingPeers === undefined ? {} : { maxPendingPeers: tuning.maxPendingPeers }),
    ...(tuning.maxPeers === undefined ? {} : { maxPeers: tuning.maxPeers }),
    ...(tuning.connectTimeoutMs === undefined ? {} : { connectTimeoutMs: tuning.connectTimeoutMs }),
    ...(tuning.gatheringTimeoutMs === undefined ? {} : { gatheringTimeoutMs: tuning.gatheringTimeoutMs }),
    ...(tuning.duplex === undefined ? {} : { duplex: tuning.duplex }),
  });
  const x25519 = nodeX25519For(ctx.state.privateKey);
  const now = tuning.now ?? Date.now;
  const signaling = createSignalingServer({
    path,
    identity: ctx.state,
    answerer,
    x25519,
    now,
    log,
    ...(coverPage === undefined ? {} : { coverPage }),
    ...(tuning.maxClockSkewMs === undefined ? {} : { maxClockSkewMs: tuning.maxClockSkewMs }),
    ...(tuning.headersTimeoutMs === undefined ? {} : { headersTimeoutMs: tuning.headersTimeoutMs }),
    ...(tuning.requestTimeoutMs === undefined ? {} : { requestTimeoutMs: tuning.requestTimeoutMs }),
    ...(tuning.connectionsCheckingIntervalMs === undefined
      ? {}
      : { connectionsCheckingIntervalMs: tuning.connectionsCheckingIntervalMs }),
  });
  let address;
  try {
    address = await signaling.listen({ ...ctx.bind, ...(tls === undefined ? {} : { tls }) });
  } catch (err) {
    answerer.close();
    engine.close();
    throw err;
  }
  let signalUrl = ctx.options.get("url");
  if (signalUrl === undefined) {
    const host = ctx.publicHost ?? publicIps[0] ?? ctx.bind.host;
    if (isUnspecifiedHost(host)) {
      ctx.log.log(
        "warning",
        `${ctx.name}: listening on every interface but no public host is known; ` +
          `set the transport option url=https://<name><path> so clients know where to signal`,
      );
    }
    const shown = urlHost(isUnspecifiedHost(host) ? address.address : host);
    signalUrl = `${tls === undefined ? "http" : "https"}://${shown}:${address.port}${path}`;
  }
  const manualReplay = createManualReplayCache();
  const manualContext = {
    identity: ctx.state,
    answerer,
    replayCache: manualReplay,
    x25519,
    now,
    ...(tuning.manualConnectTimeoutMs === undefined ? {} : { connectTimeoutMs: tuning.manualConnectTimeoutMs }),
  };
  const answerManual = (text: string): Promise<string> => answerManualOffer(manualContext, text);
  const args: [string, string][] = [["signal", signalUrl]];
  if (stun.length > 0) args.push(["ice", stun.join(",")]);
  let closing: Promise<void> | undefined;
  return {
    name: ctx.name,
    address,
    args,
    engine: obfs4,
    carrier: signaling.counters,
    path,
    signalUrl,
    answerer,
    answerManualOffer: answerManual,
    answerOfferFromStream: (input, output) => answerOfferFromStream(answerManual, ctx.state, input, output),
    close() {
      closing ??= (async () => {
        await signaling.close();
        answerer.close();
        // libdatachannel closes peers on its own threads; let their callbacks drain before cleanup().
        await new Promise((resolve) => setTimeout(resolve, 50));
        engine.close();
      })();
      return closing;
    },
  };
}
