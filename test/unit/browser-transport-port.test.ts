/**
 * The stream protocol over message ports (src/shared/webapp): a PortClient
 * and servePort joined by a real MessageChannel, serving obfs4 connections
 * to a fake bridge. Round trips, the credit windows (a host never runs more
 * than PORT_WINDOW_BYTES ahead of a reader), errors crossing as data, a
 * hostile client losing its port, and the web-app handshake that answers
 * approved pages only.
 */
import { afterEach, describe, expect, it } from "vitest";
import { Obfs4ClientSession } from "../../src/shared/codec/obfs4/index.js";
import { createObfs4Connection, webSocketCarrier, type BrowserConnection } from "../../src/shared/transport/index.js";
import {
  LINK_CLOSE_MESSAGE,
  PORT_WINDOW_BYTES,
  PortClient,
  createWebptClient,
  messagePortLink,
  parseWindowMessage,
  servePort,
  type MessagePortLike,
  type PortLink,
  type PortMessage,
  type WindowLike,
  type WindowMessageEventLike,
} from "../../src/shared/webapp/index.js";
import { patternBytes, sha256 } from "../helpers/bulk.js";
import { FakeWebSocket, fakeBridge, readN, writeAll } from "./browser-transport-fakes.js";

const channels: MessageChannel[] = [];
afterEach(() => {
  for (const c of channels.splice(0)) {
    c.port1.close();
    c.port2.close();
  }
});

function channel(): [MessagePortLike, MessagePortLike] {
  const c = new MessageChannel();
  channels.push(c);
  return [c.port1 as unknown as MessagePortLike, c.port2 as unknown as MessagePortLike];
}

/** An obfs4 connection to a fresh fake bridge; `ws` is its far end. */
function bridgeConnection(sockets: FakeWebSocket[]): BrowserConnection {
  const { state } = fakeBridge();
  const ws = new FakeWebSocket(state);
  sockets.push(ws);
  const session = new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 });
  const carrier = new Promise<ReturnType<typeof webSocketCarrier>>((resolve) =>
    ws.addEventListener("open", () => resolve(webSocketCarrier(ws))),
  );
  return createObfs4Connection({ transport: "websocket", session, carrier });
}

/** Wraps a link, counting the data bytes and credit each way. */
function counting(link: PortLink, tally: { data: number; credit: number }): PortLink {
  return {
    ...link,
    send(m: PortMessage) {
      if (m.t === "data") tally.data += m.b.length;
      link.send(m);
    },
    onMessage(listener) {
      link.onMessage((raw) => {
        const m = raw as PortMessage;
        if (m.t === "credit") tally.credit += m.n;
        listener(raw);
      });
    },
  };
}

const tick = (ms = 20): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe("stream protocol over a MessageChannel", () => {
  it("carries 2 MiB each way through client, host and obfs4, sha256-equal", async () => {
    const [a, b] = channel();
    const sockets: FakeWebSocket[] = [];
    const server = servePort(messagePortLink(b), () => {
      const c = bridgeConnection(sockets);
      sockets.at(-1)!.echo = true;
      return c;
    });
    const client = new PortClient(messagePortLink(a));
    const conn = client.open({ transport: "websocket" });
    const info = await conn.opened;
    expect(info.transport).toBe("websocket");
    expect(server.openStreams).toBe(1);
    const data = patternBytes("port", 2 << 20);
    const [, got] = await Promise.all([writeAll(conn, data), readN(conn, data.length)]);
    expect(got).toEqual({ received: data.length, sha256: sha256(data) });
    await conn.close();
    await tick();
    expect(server.openStreams).toBe(0);
    expect(sockets[0]!.closedWith).toBe(1000);
    client.close();
  });

  it("never lets the host run more than the window ahead of a reader that does not read", async () => {
    const [a, b] = channel();
    const sockets: FakeWebSocket[] = [];
    const hostTally = { data: 0, credit: 0 };
    servePort(counting(messagePortLink(b), hostTally), () => bridgeConnection(sockets));
    const client = new PortClient(messagePortLink(a));
    const conn = client.open({});
    await conn.opened;
    const block = new Uint8Array(64 * 1024);
    for (let i = 0; i < 64; i++) sockets[0]!.serverSend(block); // 4 MiB arrive at the host's connection
    await tick(200);
    expect(hostTally.data).toBe(PORT_WINDOW_BYTES); // exactly one window crossed the port
    expect(hostTally.credit).toBe(0);
    const got = await readN(conn, 4 << 20); // reading credits the rest through
    expect(got.received).toBe(4 << 20);
    expect(hostTally.credit).toBeGreaterThanOrEqual((4 << 20) - PORT_WINDOW_BYTES);
    client.close();
  });

  it("hands the host's errors to the client as data, with their code", async () => {
    const [a, b] = channel();
    servePort(messagePortLink(b), (req) => {
      throw Object.assign(new Error(`no bridge for ${String(req.transport)}`), { code: "ERR_NO_BRIDGE" });
    });
    const client = new PortClient(messagePortLink(a));
    const conn = client.open({ transport: "webrtc" });
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_NO_BRIDGE", message: "no bridge for webrtc" });
    client.close();
  });

  it("closes the port of a client that breaks the grammar or its window", async () => {
    for (const bad of [
      { t: "data", id: 1, b: "not bytes" },
      { t: "open", id: 0, req: {} },
      { t: "open", id: 1, req: { bridge: "x".repeat(5000) } },
      { t: "nope", id: 1 },
      "text",
    ]) {
      const [a, b] = channel();
      const errors: Error[] = [];
      const server = servePort(messagePortLink(b), () => bridgeConnection([]), {
        onProtocolError: (e) => errors.push(e),
      });
      const closedAtClient = new Promise<boolean>((resolve) => {
        (a as unknown as { onmessage: (e: { data: unknown }) => void }).onmessage = (e) =>
          resolve((e.data as { t?: string }).t === LINK_CLOSE_MESSAGE.t);
      });
      a.postMessage(bad);
      expect(await closedAtClient).toBe(true);
      expect(errors[0]).toMatchObject({ code: "ERR_PORT_PROTOCOL" });
      expect(server.openStreams).toBe(0);
    }
    // Past the window: open a stream, then send more than PORT_WINDOW_BYTES without credit.
    // The bridge's carrier holds everything (a stalled network), so the host's writes stop completing.
    const [a, b] = channel();
    const errors: Error[] = [];
    const sockets: FakeWebSocket[] = [];
    servePort(messagePortLink(b), () => bridgeConnection(sockets), { onProtocolError: (e) => errors.push(e) });
    a.postMessage({ t: "open", id: 7, req: {} });
    await tick(100);
    sockets[0]!.hold = true;
    for (let i = 0; i < (4 * PORT_WINDOW_BYTES) / 65536; i++)
      a.postMessage({ t: "data", id: 7, b: new Uint8Array(65536) });
    await tick(200);
    expect(errors.map((e) => e.message)).toContain("the client sent past its window");
  });

  it("fails every stream when the port closes", async () => {
    const [a, b] = channel();
    const sockets: FakeWebSocket[] = [];
    const server = servePort(messagePortLink(b), () => bridgeConnection(sockets));
    const client = new PortClient(messagePortLink(a));
    const conn = client.open({});
    await conn.opened;
    server.close();
    await expect(conn.closed).resolves.toBeUndefined(); // the host closed its streams first
    await client.closed;
    const late = client.open({});
    await expect(late.opened).rejects.toMatchObject({ code: "ERR_TRANSPORT_CLOSED" });
  });
});

/** A window whose content script (the approving half of the extension) answers only when `approved`. */
function fakeWindow(approved: () => boolean): { win: WindowLike; hosts: PortLink[] } {
  const listeners = new Set<(e: WindowMessageEventLike) => void>();
  const hosts: PortLink[] = [];
  const win: WindowLike = {
    postMessage(message) {
      const m = parseWindowMessage(message);
      setTimeout(() => {
        for (const l of [...listeners]) l({ data: message, source: win, ports: [] });
        if (m === null || m.type === "welcome" || !approved()) return; // silence: as if not installed
        const [page, ext] = channel();
        hosts.push(messagePortLink(ext));
        const welcome = { webpt: 1, type: "welcome", nonce: m.nonce };
        for (const l of [...listeners]) l({ data: welcome, source: win, ports: [page] });
      }, 0);
    },
    addEventListener: (_t, l) => void listeners.add(l),
    removeEventListener: (_t, l) => void listeners.delete(l),
  };
  return { win, hosts };
}

describe("web-app client", () => {
  it("gets silence, one error code, and no port while the site is not approved", async () => {
    const { win, hosts } = fakeWindow(() => false);
    const webpt = createWebptClient({ window: win, helloTimeoutMs: 50 });
    expect(await webpt.isAvailable()).toBe(false);
    const conn = webpt.connect({ destination: "example.com:80" });
    await expect(conn.opened).rejects.toMatchObject({ code: "ERR_WEBPT_UNAVAILABLE" });
    await expect(webpt.requestAccess({ timeoutMs: 50 })).rejects.toMatchObject({ code: "ERR_WEBPT_UNAVAILABLE" });
    expect(hosts).toEqual([]);
  });

  it("connects through the welcome port once approved, and asks again after the port closes", async () => {
    let approved = false;
    const { win, hosts } = fakeWindow(() => approved);
    const webpt = createWebptClient({ window: win, helloTimeoutMs: 200 });
    const access = webpt.requestAccess({ timeoutMs: 1000 });
    approved = true; // (the real content script re-answers when the person approves; here the first ask succeeds)
    await access;
    const sockets: FakeWebSocket[] = [];
    servePort(hosts[0]!, (req) => {
      expect(req).toEqual({ destination: "example.com:80" });
      const c = bridgeConnection(sockets);
      sockets.at(-1)!.echo = true;
      return c;
    });
    const conn = webpt.connect({ destination: "example.com:80" });
    await conn.opened;
    await writeAll(conn, new Uint8Array([1, 2, 3]));
    expect((await readN(conn, 3)).received).toBe(3);
    hosts[0]!.close(); // revoked, or the extension restarted
    await expect(conn.closed).rejects.toMatchObject({ code: "ERR_TRANSPORT_CLOSED" });
    await tick(20);
    expect(await webpt.isAvailable()).toBe(true);
    expect(hosts.length).toBe(2);
    webpt.close();
  });
});
