/**
 * A bench worker: one side of a webpt tunnel over a web carrier, in its own
 * process as deployed, with or without obfs4 on top.
 *
 *   server <carrier> <crypto> <targetPort>         accepts carriers; relays each (after its obfs4
 *                                                  handshake, unless crypto is "none") to
 *                                                  127.0.0.1:<targetPort>; prints {"port","cert"}
 *   client <carrier> <crypto> <serverPort> <cert>  listens on plain TCP; carries each connection
 *                                                  to the server; prints {"port"}
 *
 * carrier: ws | rtc-ndc | rtc-werift (the WebRTC engine of this process);
 * crypto:  none (the raw carrier) | native (sodium-native) | js (@noble, as in browsers).
 *
 * WebRTC signaling is one HTTP POST on loopback (offer in, answer out, both
 * non-trickle, as our real signaling is sealed offer and answer); its port
 * is the server's `port`. Candidates are host candidates on 127.0.0.1.
 *
 * As in obfs4-pair.ts the client writes one READY byte back on a connection
 * once its carrier is open (and its obfs4 handshake done): the bench's clock
 * starts there, so no connection setup is timed, for any case.
 */
import http from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import { decodeCert, encodeCert, generateServerState, jsCryptoBackend } from "../../src/shared/codec/obfs4/index.js";
import type { Obfs4CryptoBackend } from "../../src/shared/codec/obfs4/index.js";
import { createObfs4ServerEngine, startObfs4Client } from "../../src/server/obfs4/tcp.js";
import { relay } from "../../src/server/net/relay.js";
import { nodeCryptoBackend } from "../../src/server/crypto/backend.js";
import { createWebSocketCarrierServer, dialWebSocket } from "../../src/server/carriers/websocket/index.js";
import {
  channelOpen,
  createRtcEngine,
  dataChannelDuplex,
  localDescriptionWhenGathered,
  type RtcEngine,
} from "../../src/server/carriers/webrtc/index.js";
import type { RTCDataChannelLike, RTCPeerConnectionLike } from "../../src/shared/transport/rtc-like.js";

const READY = Uint8Array.of(0x52);
const WS_PATH = "/bench-carrier";
const LOOPBACK = { hostAddresses: ["127.0.0.1"] };

const [role, carrier, crypto, portArg, certArg] = process.argv.slice(2);
if (
  (role !== "server" && role !== "client") ||
  !["ws", "rtc-ndc", "rtc-werift"].includes(carrier ?? "") ||
  !["none", "native", "js"].includes(crypto ?? "")
) {
  process.stderr.write("usage: carrier-pair server|client ws|rtc-ndc|rtc-werift none|native|js <port> [cert]\n");
  process.exit(64);
}
const backend: Obfs4CryptoBackend | undefined =
  crypto === "none" ? undefined : crypto === "js" ? jsCryptoBackend : nodeCryptoBackend();
/**
 * BENCH_WS_MSG=<bytes>: a prototype of a src/ change, not the deployed
 * setting. The WebSocket carrier's largest message (WEBSOCKET_MAX_MESSAGE_BYTES,
 * 32 KiB) and, above 64 KiB, both ends' maxPayload become <bytes>, so each
 * obfs4 write (~66 KB for 64 KiB of payload) can leave as one message.
 */
const wsMessage = Number(process.env.BENCH_WS_MSG ?? 0);
const wsOptions =
  wsMessage > 0
    ? { duplex: { maxMessageBytes: wsMessage }, ...(wsMessage > 65536 ? { maxPayload: wsMessage } : {}) }
    : {};
const rtc: RtcEngine | undefined = carrier?.startsWith("rtc-")
  ? await createRtcEngine(carrier === "rtc-ndc" ? "node-datachannel" : "werift")
  : undefined;

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    let s = "";
    req.setEncoding("utf8");
    req.on("data", (d: string) => (s += d));
    req.on("end", () => resolve(s));
    req.on("error", reject);
  });
}

/** Closes the peer connection once its channel's Duplex is gone (one channel per connection). */
function closeWith(d: Duplex, pc: RTCPeerConnectionLike): Duplex {
  d.once("close", () => void pc.close());
  return d;
}

async function runServer(targetPort: number): Promise<void> {
  const state = generateServerState();
  const toTarget = (): net.Socket => {
    const out = net.connect({ host: "127.0.0.1", port: targetPort });
    out.setNoDelay(true);
    return out;
  };
  const engine =
    backend === undefined
      ? undefined
      : createObfs4ServerEngine(state, (stream) => void relay(stream, toTarget()), { backend, closeDelayMs: 0 });
  const accept = (d: Duplex): void => {
    d.on("error", () => d.destroy());
    if (engine === undefined) void relay(d, toTarget());
    else engine.accept(d, { remoteAddress: "127.0.0.1", remotePort: undefined });
  };
  let port: number;
  if (rtc === undefined) {
    const ws = createWebSocketCarrierServer({ path: WS_PATH, onConnection: (d) => accept(d), ...wsOptions });
    port = (await ws.listen({ host: "127.0.0.1", port: 0 })).port;
  } else {
    const signaling = http.createServer((req, res) => {
      void (async () => {
        const offer = await readBody(req);
        const pc = await rtc.createPeerConnection(LOOPBACK);
        pc.ondatachannel = (ev) => accept(closeWith(dataChannelDuplex(ev.channel), pc));
        // A dial the client gave up on (see RTC_DIAL_ATTEMPTS) never opens a channel here.
        pc.onconnectionstatechange = () => {
          if (pc.connectionState === "failed") void pc.close();
        };
        await pc.setRemoteDescription({ type: "offer", sdp: offer });
        await pc.setLocalDescription(await pc.createAnswer());
        const answer = await localDescriptionWhenGathered(pc);
        res.end(answer.sdp);
      })().catch((err: unknown) => {
        res.statusCode = 500;
        res.end(String(err));
      });
    });
    await new Promise<void>((r) => signaling.listen(0, "127.0.0.1", r));
    port = (signaling.address() as net.AddressInfo).port;
  }
  process.stdout.write(JSON.stringify({ port, cert: encodeCert(state.nodeId, state.publicKey) }) + "\n");
}

/**
 * How many times a WebRTC dial is tried. node-datachannel as the offerer
 * rejects a correct answer in ~10-25% of dials on this loopback ("Got a
 * remote candidate without ICE transport"): its log shows the answerer's ICE
 * checks succeeding before the answer is applied, both DTLS ends then failing
 * the certificate check ("unknown CA"), which closes the offerer's transports
 * while the answer's candidates are still going in. Seen with and without
 * other peers closing at the time, and with pauses between dials; a fresh
 * attempt succeeds.
 */
const RTC_DIAL_ATTEMPTS = 4;

/** Opens one carrier to the server: a WebSocket, or a PeerConnection with one DataChannel. */
async function dialCarrier(serverPort: number): Promise<Duplex> {
  if (rtc === undefined) return dialWebSocket(`ws://127.0.0.1:${serverPort}${WS_PATH}`, wsOptions);
  for (let attempt = 1; ; attempt++) {
    try {
      return await dialRtc(rtc, serverPort);
    } catch (err) {
      if (attempt >= RTC_DIAL_ATTEMPTS) throw err;
      const cause = (err as Error).cause;
      process.stderr.write(
        `carrier-pair client: WebRTC dial attempt ${attempt} failed, retrying (${String(cause ?? err)})\n`,
      );
    }
  }
}

async function dialRtc(engine: RtcEngine, serverPort: number): Promise<Duplex> {
  const pc = await engine.createPeerConnection(LOOPBACK);
  try {
    const ch: RTCDataChannelLike = pc.createDataChannel("webpt", { ordered: true });
    await pc.setLocalDescription(await pc.createOffer());
    const offer = await localDescriptionWhenGathered(pc);
    const res = await fetch(`http://127.0.0.1:${serverPort}/`, { method: "POST", body: offer.sdp });
    if (!res.ok) throw new Error(`signaling failed: ${res.status} ${await res.text()}`);
    await pc.setRemoteDescription({ type: "answer", sdp: await res.text() });
    await channelOpen(ch);
    return closeWith(dataChannelDuplex(ch), pc);
  } catch (err) {
    void pc.close();
    throw err;
  }
}

function runClient(serverPort: number, cert: string): void {
  const { nodeId, identityPublicKey } = decodeCert(cert);
  const server = net.createServer((sock) => {
    sock.setNoDelay(true);
    sock.pause();
    sock.on("error", () => sock.destroy());
    void (async () => {
      const c = await dialCarrier(serverPort);
      const tunnel =
        backend === undefined
          ? c
          : await startObfs4Client(c, { nodeId, publicKey: identityPublicKey, iatMode: 0 }, { backend });
      sock.write(READY);
      sock.resume();
      void relay(sock, tunnel);
    })().catch((err: unknown) => {
      const cause = (err as Error).cause;
      process.stderr.write(`carrier-pair client: ${String(err)}${cause === undefined ? "" : ` (${String(cause)})`}\n`);
      sock.destroy();
    });
  });
  server.listen(0, "127.0.0.1", () => {
    process.stdout.write(JSON.stringify({ port: (server.address() as net.AddressInfo).port }) + "\n");
  });
}

if (role === "server") await runServer(Number(portArg));
else runClient(Number(portArg), certArg!);
// No rtc.close() here: node-datachannel's cleanup() waits for every native peer to finish closing
// (it can time out), and exit ends the process's threads anyway.
process.stdin.on("end", () => process.exit(0));
process.stdin.resume();
