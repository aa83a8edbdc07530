/**
 * The signaling endpoint under probing. Every request that is not a fresh
 * offer sealed to this bridge gets the same answer the WebSocket carrier's
 * cover site gives an unknown path (byte for byte, Date aside), nothing
 * crashes, memory stays bounded, and no peer connection is ever made: the
 * seal is checked before the answerer is asked. Raw TCP, so requests reach
 * the server exactly as sent.
 */
import net from "node:net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { generateServerState } from "../../src/shared/codec/obfs4/index.js";
import { MAX_SEALED_OFFER_BYTES, sealOffer } from "../../src/shared/codec/signaling/index.js";
import { createRtcEngine, type RtcEngine } from "../../src/server/carriers/webrtc/engine.js";
import { localDescriptionWhenGathered } from "../../src/server/carriers/webrtc/gathering.js";
import { LOOPBACK, startBridge, type StartedBridge } from "./carrier-webrtc-helpers.js";

/** Anything that would tell a prober what this is. */
const TELLTALE = /webrtc|sdp|offer|answer|signal|obfs|\btor\b|transport|pluggable|octet-stream/i;

let bridge: StartedBridge;
let port: number;
let path: string;
let engine: RtcEngine;

beforeAll(async () => {
  bridge = await startBridge({}, { headersTimeoutMs: 500, requestTimeoutMs: 1000, connectionsCheckingIntervalMs: 100 });
  port = bridge.transport.address.port;
  path = bridge.transport.path;
  engine = await createRtcEngine("node-datachannel");
});

afterAll(async () => {
  await bridge.stop();
  engine.close();
});

/** Sends raw bytes (optionally in timed pieces) and returns what the server wrote before it closed. */
function raw(request: string | Buffer | (string | Buffer)[], timeoutMs = 4000, gapMs = 0): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.connect({ host: "127.0.0.1", port });
    const got: Buffer[] = [];
    const timer = setTimeout(() => {
      sock.destroy();
      reject(new Error(`no close within ${timeoutMs} ms; got ${JSON.stringify(Buffer.concat(got).toString())}`));
    }, timeoutMs);
    sock.on("data", (b: Buffer) => got.push(b));
    sock.on("error", () => undefined);
    sock.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(got).toString("latin1"));
    });
    const parts = Array.isArray(request) ? request : [request];
    let i = 0;
    const next = (): void => {
      if (i >= parts.length || sock.destroyed) return;
      sock.write(parts[i++]!);
      setTimeout(next, gapMs);
    };
    next();
  });
}

function post(target: string, body: Uint8Array, extra = ""): Buffer {
  const head =
    `POST ${target} HTTP/1.1\r\nHost: bridge.example\r\nContent-Type: application/octet-stream\r\n` +
    `Content-Length: ${body.length}\r\nConnection: close\r\n${extra}\r\n`;
  return Buffer.concat([Buffer.from(head), body]);
}

/** The response without its Date header (the only line that may differ between two answers). */
const normal = (response: string): string => response.replace(/^Date: .*\r\n/im, "");

async function coverFor(method: "GET" | "POST", body: Uint8Array = new Uint8Array(0)): Promise<string> {
  const other = "/" + "0".repeat(32);
  return normal(
    await raw(
      method === "GET"
        ? `GET ${other} HTTP/1.1\r\nHost: bridge.example\r\nConnection: close\r\n\r\n`
        : post(other, body),
    ),
  );
}

/** A real offer SDP from a real peer, so an authentic seal around it would be answered. */
async function realOfferSdp(): Promise<{ sdp: string; close: () => void }> {
  const pc = await engine.createPeerConnection({ hostAddresses: LOOPBACK });
  pc.createDataChannel("webpt");
  await pc.setLocalDescription(await pc.createOffer());
  const d = await localDescriptionWhenGathered(pc);
  return { sdp: d.sdp, close: () => void pc.close() };
}

describe("webrtc signaling endpoint probes", () => {
  it("the cover answer itself is an ordinary 404 that says nothing", async () => {
    const cover = await coverFor("POST", new Uint8Array(600));
    expect(cover).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(cover).not.toMatch(TELLTALE);
  });

  it("GET, HEAD and PUT on the secret path get the unknown-path answer", async () => {
    const get = await raw(`GET ${path} HTTP/1.1\r\nHost: bridge.example\r\nConnection: close\r\n\r\n`);
    expect(normal(get)).toBe(await coverFor("GET"));
    const put = await raw(post(path, new Uint8Array(600)).toString("latin1").replace(/^POST/, "PUT"));
    expect(put).toMatch(/^HTTP\/1\.1 404 /);
  });

  it("an offer sealed to another bridge (wrong cert) gets the cover answer", async () => {
    const other = generateServerState();
    const { sdp, close } = await realOfferSdp();
    const body = sealOffer(sdp, other).bytes;
    close();
    expect(normal(await raw(post(path, body)))).toBe(await coverFor("POST", body));
  });

  it("random bytes of every plausible size get the cover answer", async () => {
    for (const n of [0, 1, 559, 560, 1000, 4096, MAX_SEALED_OFFER_BYTES]) {
      const body = new Uint8Array(n).map((_, i) => (i * 131 + n) & 0xff);
      expect(normal(await raw(post(path, body)))).toBe(await coverFor("POST", body));
    }
  });

  it("an offer outside the clock window gets the cover answer", async () => {
    const { sdp, close } = await realOfferSdp();
    const body = sealOffer(sdp, bridge.state, { now: Date.now() - 6 * 60_000 }).bytes;
    close();
    expect(normal(await raw(post(path, body)))).toBe(await coverFor("POST", body));
  });

  it("a replayed offer gets the cover answer although the original was answered", async () => {
    const before = bridge.transport.answerer.peersTotal;
    const { sdp, close } = await realOfferSdp();
    const body = sealOffer(sdp, bridge.state).bytes;
    const first = await raw(post(path, body));
    expect(first).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(bridge.transport.answerer.peersTotal).toBe(before + 1);
    const replay = await raw(post(path, body));
    expect(normal(replay)).toBe(await coverFor("POST", body));
    expect(bridge.transport.answerer.peersTotal).toBe(before + 1);
    close();
  }, 15_000);

  it("a declared huge body is refused at once and the connection closed", async () => {
    const head =
      `POST ${path} HTTP/1.1\r\nHost: bridge.example\r\nContent-Length: ${100 * 1024 * 1024}\r\n\r\n` +
      "x".repeat(1000);
    const res = await raw(head);
    expect(res).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    expect(res).toMatch(/\r\nConnection: close\r\n/i);
  });

  it("an endless chunked body is cut at the limit: cover answer, connection closed, nothing buffered past it", async () => {
    const chunk = "4000\r\n" + "y".repeat(0x4000) + "\r\n";
    const parts = [`POST ${path} HTTP/1.1\r\nHost: bridge.example\r\nTransfer-Encoding: chunked\r\n\r\n`];
    for (let i = 0; i < 8; i++) parts.push(chunk); // 128 KiB, past MAX_SEALED_OFFER_BYTES
    const res = await raw(parts, 4000, 5);
    expect(res).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it("slowloris: slow headers and a slow body both meet the request timeouts with the same 408, no peer", async () => {
    const started = Date.now();
    const slowHeaders = await raw(`POST ${path} HTTP/1.1\r\nHost: bridge.example\r\n`, 4000);
    const slowBody = await raw(
      `POST ${path} HTTP/1.1\r\nHost: bridge.example\r\nContent-Length: 600\r\n\r\n` + "z".repeat(10),
      4000,
    );
    const slowCover = await raw(
      `POST /other HTTP/1.1\r\nHost: bridge.example\r\nContent-Length: 600\r\n\r\n` + "z",
      4000,
    );
    expect(slowHeaders).toMatch(/^HTTP\/1\.1 408 Request Timeout\r\n/);
    expect(slowBody).toBe(slowHeaders);
    expect(slowCover).toBe(slowHeaders); // every path reads its body first, so a slow body looks the same everywhere
    expect(Date.now() - started).toBeLessThan(8000);
  }, 15_000);

  it("a WebSocket upgrade or CONNECT on the secret path gets the cover answer", async () => {
    const up = await raw(
      `GET ${path} HTTP/1.1\r\nHost: bridge.example\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n` +
        `Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
    );
    expect(up).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
    const connect = await raw(`CONNECT 127.0.0.1:22 HTTP/1.1\r\nHost: 127.0.0.1:22\r\n\r\n`);
    expect(connect).toMatch(/^HTTP\/1\.1 404 Not Found\r\n/);
  });

  it("none of the probes made a peer, and the server still answers a real client", async () => {
    // Only the replay test's original offer was answered.
    expect(bridge.transport.answerer.peersTotal).toBe(1);
    expect(bridge.transport.carrier.answered).toBe(1);
    expect(bridge.transport.carrier.declined).toBeGreaterThanOrEqual(15);
    const { sdp, close } = await realOfferSdp();
    const res = await raw(post(path, sealOffer(sdp, bridge.state).bytes));
    close();
    expect(res).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(res).toMatch(/\r\nCache-Control: no-store\r\n/i);
  }, 15_000);
});
