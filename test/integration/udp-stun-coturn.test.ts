/**
 * STUN-aware UDP (seed 000 §3.3.5.4-5) against a real TURN server: a STUN
 * client → webpt client's UDP listener (STUN mode) → obfs4 over TCP → the
 * bridge manager with the STUN-mode UDP sink → coturn on loopback. A Binding
 * request, an Allocate answered 401 with realm and nonce, an authenticated
 * Allocate (long-term credentials, MESSAGE-INTEGRITY) that yields a relayed
 * address, a ChannelBind and a ChannelData round trip through the relay to a
 * UDP peer all get the right answers. Malformed framing on a tunnel stream
 * closes that stream and nothing else.
 */
import dgram from "node:dgram";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { dialBridge } from "../../src/server/client/bridge-dial.js";
import type { UdpClient } from "../../src/server/udp/index.js";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { coturnInstalled, startCoturn, type Coturn } from "../helpers/coturn.js";
import {
  Attr,
  StunMethod,
  attr,
  channelData,
  encodeStun,
  encodeXorAddress,
  errorCode,
  longTermKey,
  messageType,
  newTransactionId,
  parseStun,
  text,
  textAttr,
  u32,
  xorAddress,
  type ParsedStun,
  type StunAttr,
} from "../helpers/stun-client.js";
import type { EventLog } from "../helpers/udp.js";
import { startUdpEcho, until, type UdpEcho } from "../helpers/udp.js";
import { startClient, startUdpBridge, type UdpBridge } from "./udp-stack.js";

/** REQUESTED-TRANSPORT: UDP (protocol 17) then three RFFU bytes (RFC 5766 §14.7). */
const UDP_TRANSPORT: StunAttr = { type: Attr.REQUESTED_TRANSPORT, value: u32(17 << 24) };
const CHANNEL = 0x4000;

let turn: Coturn;
let peer: UdpEcho;
let bridge: UdpBridge;
let client: UdpClient;
let clientLog: EventLog;
let app: dgram.Socket;
/** Datagrams the app received, parsed lazily by the waiters. */
const inbox: Buffer[] = [];

beforeAll(async () => {
  expect(coturnInstalled(), "coturn's turnserver is missing: run scripts/setup.sh (apt-get install coturn)").toBe(true);
  turn = await startCoturn();
  peer = await startUdpEcho();
  bridge = await startUdpBridge({ target: { host: turn.host, port: turn.port }, mode: "stun" });
  ({ client, log: clientLog } = await startClient({ dial: bridge.dial, mode: "stun" }));
  app = dgram.createSocket("udp4");
  app.on("message", (m: Buffer) => inbox.push(m));
  await new Promise<void>((r) => app.bind(0, "127.0.0.1", r));
}, 30_000);

afterAll(async () => {
  app?.close();
  await client?.close();
  await bridge?.close();
  await peer?.close();
  await turn?.stop();
});

/**
 * One STUN transaction as a client over UDP runs it (RFC 5389 §7.2.1): the
 * request is retransmitted until a response with its transaction ID arrives.
 * The first packet of a flow is dropped by the PT client (Table 1 row 1),
 * and the retransmission is what gets it through.
 */
async function transact(request: Uint8Array): Promise<ParsedStun> {
  const txid = toHex(request.subarray(8, 20));
  const find = (): ParsedStun | undefined => {
    for (const m of inbox) {
      if (m.length >= 20 && toHex(m.subarray(8, 20)) === txid) return parseStun(m);
    }
    return undefined;
  };
  const send = (): void => app.send(request, client.address.port, client.address.address);
  const timer = setInterval(send, 150);
  send();
  try {
    await until(() => find() !== undefined, `a response to ${txid}`, 10_000);
  } finally {
    clearInterval(timer);
  }
  return find()!;
}

const type = (method: number, cls: "request" | "success" | "error") => messageType(method, cls);

describe("STUN-aware mode against coturn", () => {
  let nonce = "";
  let relayed: { address: string; port: number };
  const key = () => longTermKey(turn.user, turn.realm, turn.password);
  const credentials = (): StunAttr[] => [
    { type: Attr.USERNAME, value: text(turn.user) },
    { type: Attr.REALM, value: text(turn.realm) },
    { type: Attr.NONCE, value: text(nonce) },
  ];

  it("Binding: the success response names the PT server's address, not the app's", async () => {
    const res = await transact(encodeStun(type(StunMethod.BINDING, "request"), newTransactionId(), []));
    expect(res.type).toBe(type(StunMethod.BINDING, "success"));
    const mapped = xorAddress(attr(res, Attr.XOR_MAPPED_ADDRESS)!);
    expect(mapped.address).toBe("127.0.0.1");
    expect(mapped.port).not.toBe(app.address().port);
    expect(clientLog.count("drop:connection-opening")).toBe(1);
  });

  it("Allocate without credentials: 401 with REALM and NONCE", async () => {
    const res = await transact(encodeStun(type(StunMethod.ALLOCATE, "request"), newTransactionId(), [UDP_TRANSPORT]));
    expect(res.type).toBe(type(StunMethod.ALLOCATE, "error"));
    expect(errorCode(res)).toBe(401);
    expect(textAttr(res, Attr.REALM)).toBe(turn.realm);
    nonce = textAttr(res, Attr.NONCE) ?? "";
    expect(nonce).not.toBe("");
  });

  it("Allocate with long-term credentials and MESSAGE-INTEGRITY: success with XOR-RELAYED-ADDRESS", async () => {
    const req = encodeStun(
      type(StunMethod.ALLOCATE, "request"),
      newTransactionId(),
      [UDP_TRANSPORT, ...credentials()],
      key(),
    );
    const res = await transact(req);
    expect({ type: res.type, error: errorCode(res) }).toEqual({
      type: type(StunMethod.ALLOCATE, "success"),
      error: undefined,
    });
    relayed = xorAddress(attr(res, Attr.XOR_RELAYED_ADDRESS)!);
    expect(relayed.address).toBe("127.0.0.1");
    expect(relayed.port).toBeGreaterThanOrEqual(50_000);
    expect(attr(res, Attr.LIFETIME)).toHaveLength(4);
    expect(attr(res, Attr.MESSAGE_INTEGRITY)).toHaveLength(20);
  });

  it("ChannelBind, then ChannelData (odd length: padded in the tunnel) through the relay to a peer and back", async () => {
    const peerAttr: StunAttr = { type: Attr.XOR_PEER_ADDRESS, value: encodeXorAddress("127.0.0.1", peer.port) };
    const channel: StunAttr = { type: Attr.CHANNEL_NUMBER, value: u32(CHANNEL << 16) };
    const bind = encodeStun(
      type(StunMethod.CHANNEL_BIND, "request"),
      newTransactionId(),
      [channel, peerAttr, ...credentials()],
      key(),
    );
    const res = await transact(bind);
    expect({ type: res.type, error: errorCode(res) }).toEqual({
      type: type(StunMethod.CHANNEL_BIND, "success"),
      error: undefined,
    });
    const payload = fromHex("68656c6c6f"); // "hello"
    const before = inbox.length;
    app.send(channelData(CHANNEL, payload), client.address.port, "127.0.0.1");
    await until(() => inbox.slice(before).some((m) => m.readUInt16BE(0) === CHANNEL), "ChannelData back");
    const back = inbox.slice(before).find((m) => m.readUInt16BE(0) === CHANNEL)!;
    // Unpadded on the app's side (RFC 5766 §11.5: padding is for the stream only).
    expect(toHex(back)).toBe("4000" + "0005" + "68656c6c6f");
    expect(peer.seen.map((s) => [toHex(s.msg), s.port])).toEqual([["68656c6c6f", relayed.port]]);
  });

  it("a datagram that is not STUN or ChannelData is dropped by the client and the flow goes on", async () => {
    app.send(fromHex("ff00ff00"), client.address.port, "127.0.0.1");
    await until(() => clientLog.count("drop:invalid-datagram") === 1, "invalid-datagram");
    const res = await transact(encodeStun(type(StunMethod.BINDING, "request"), newTransactionId(), []));
    expect(res.type).toBe(type(StunMethod.BINDING, "success"));
    expect(client.openConnections).toBe(1);
  });

  it.each([
    ["a bad magic cookie", "0001 0000 2112a443 000000000000000000000000", false, "ERR_STUN_BAD_MAGIC_COOKIE"],
    [
      "a length that is not a multiple of 4",
      "0001 0002 2112a442 000000000000000000000000 0000",
      false,
      "ERR_STUN_BAD_LENGTH",
    ],
    ["a truncated message", "0001 0008 2112a442 000000000000000000000000 0000", true, "ERR_UNEXPECTED_EOF"],
  ])("%s on a tunnel stream closes that stream only", async (_name, hex, end, code) => {
    const before = bridge.sinkLog.events.length;
    const stream = await dialBridge(bridge.settings, { target: bridge.address });
    stream.on("error", () => undefined);
    const closed = new Promise((r) => stream.once("close", r));
    const bytes = fromHex(hex.replaceAll(" ", ""));
    if (end) stream.end(bytes);
    else stream.write(bytes);
    await closed;
    const removed = bridge.sinkLog.events.slice(before).find((e) => e.kind === "removed");
    expect(removed).toMatchObject({ reason: "malformed-framing", error: { code } });
    // The relay and the app's flow are untouched.
    const res = await transact(encodeStun(type(StunMethod.BINDING, "request"), newTransactionId(), []));
    expect(res.type).toBe(type(StunMethod.BINDING, "success"));
  });
});
