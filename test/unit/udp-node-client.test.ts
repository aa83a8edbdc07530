/**
 * UdpClientRelay (src/server/udp/client-relay.ts): the Node side of Table 1
 * (seed 000 §3.3.5.3) with real Duplex transport connections in memory. Each
 * test drives real events (dial resolved or rejected, data, FIN, write error,
 * timers) and asserts what reached the far end and the peer, byte for byte.
 */
import { Duplex } from "node:stream";
import { afterEach, describe, expect, it } from "vitest";
import { UdpClientRelay, type UdpClientRelayOptions } from "../../src/server/udp/index.js";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { EventLog, collect, fakeTransport, sleep, until } from "../helpers/udp.js";
import { encodeStun, messageType, newTransactionId, StunMethod } from "../helpers/stun-client.js";

const PEER = "127.0.0.1:5000";
const OTHER = "[::1]:5001";
const h = (s: string): Uint8Array => fromHex(s);

const relays: UdpClientRelay[] = [];
afterEach(() => {
  for (const r of relays.splice(0)) r.close();
});

function setup(options: Partial<UdpClientRelayOptions> = {}, hold = false) {
  const t = fakeTransport({ hold });
  const log = new EventLog();
  const delivered: { to: string; hex: string }[] = [];
  const relay = new UdpClientRelay({
    dial: t.dial,
    deliver: (to, d) => delivered.push({ to, hex: toHex(d) }),
    onEvent: log.on,
    idleTimeoutMs: 60_000,
    ...options,
  });
  relays.push(relay);
  return { t, log, relay, delivered };
}

/** Opens PEER's flow: the first datagram is dropped (row 1) and the dial completes (row 4). */
async function connected(s: ReturnType<typeof setup>, key = PEER): Promise<void> {
  s.relay.datagram(key, h("00"));
  await until(() => s.relay.state(key) === "Connected", "Connected");
}

describe("UdpClientRelay: Table 1 with real transport connections", () => {
  it("rows 1, 2, 4, 3: the first packet opens a Waiting connection and is dropped, so is every packet until it connects", async () => {
    const s = setup({}, true);
    s.relay.datagram(PEER, h("01"));
    s.relay.datagram(PEER, h("0202"));
    expect(s.t.signals).toHaveLength(1); // one dial, not one per packet
    expect(s.relay.state(PEER)).toBe("Waiting");
    expect(s.log.events.map((e) => (e.kind === "drop" ? [e.reason, toHex(e.datagram!)] : e.kind))).toEqual([
      "open",
      ["connection-opening", "01"],
      ["waiting", "0202"],
    ]);
    const far = collect(s.t.far[0]!);
    s.t.release(0);
    await until(() => s.relay.state(PEER) === "Connected", "Connected");
    s.relay.datagram(PEER, h("616263"));
    s.relay.datagram(PEER, h(""));
    await until(() => far.length > 0 && Buffer.concat(far).length === 7, "frames");
    // 00 03 | "abc", then the empty datagram as 00 00. Nothing from before row 4 was queued.
    expect(toHex(Buffer.concat(far))).toBe("0003616263" + "0000");
    expect(s.relay.getStats()).toMatchObject({ datagramsUp: 2, bytesUp: 3, flowsOpen: 1, flowsTotal: 1 });
    expect(s.relay.getStats().dropped).toMatchObject({ "connection-opening": 1, waiting: 1 });
  });

  it("deframes the return path into datagrams for the right local peer, across chunk boundaries", async () => {
    const s = setup();
    await connected(s, PEER);
    await connected(s, OTHER);
    s.t.far[0]!.write(h("0002"));
    s.t.far[0]!.write(h("6869" + "00"));
    s.t.far[1]!.write(h("0001ff"));
    s.t.far[0]!.write(h("00"));
    await until(() => s.delivered.length === 3, "three datagrams");
    // In order per peer; the two transports are independent streams.
    expect(s.delivered.filter((d) => d.to === PEER).map((d) => d.hex)).toEqual(["6869", ""]);
    expect(s.delivered.filter((d) => d.to === OTHER).map((d) => d.hex)).toEqual(["ff"]);
    expect(s.relay.getStats()).toMatchObject({ datagramsDown: 3, bytesDown: 3 });
  });

  it("row 5: the server closing the connection removes it; the next packet opens a new one (and is dropped)", async () => {
    const s = setup();
    await connected(s);
    s.t.far[0]!.end();
    await until(() => s.relay.state(PEER) === undefined, "removal");
    expect(s.log.kinds()).toContain("removed:connection-closed");
    s.relay.datagram(PEER, h("07"));
    expect(s.t.signals).toHaveLength(2);
    expect(s.log.kinds().at(-1)).toBe("drop:connection-opening");
  });

  it("row 6: a failed dial removes the Waiting connection", async () => {
    const s = setup({}, true);
    s.relay.datagram(PEER, h("01"));
    s.t.release(0, new Error("ECONNREFUSED"));
    await until(() => s.relay.state(PEER) === undefined, "removal");
    const removed = s.log.events.find((e) => e.kind === "removed");
    expect(removed).toMatchObject({ reason: "connection-failed", error: { code: "ERR_UDP_TRANSPORT" } });
  });

  it("row 6: a dial slower than dialTimeoutMs fails, is aborted, and its late connection is destroyed", async () => {
    const s = setup({ dialTimeoutMs: 30 }, true);
    s.relay.datagram(PEER, h("01"));
    await until(() => s.relay.state(PEER) === undefined, "dial timeout");
    expect(s.t.signals[0]!.aborted).toBe(true);
    expect(s.log.events.find((e) => e.kind === "removed")).toMatchObject({
      reason: "connection-failed",
      error: { code: "ERR_TIMEOUT" },
    });
    const far = s.t.far[0]!;
    s.t.release(0);
    await until(() => far.destroyed, "late connection closed");
  });

  it("row 7: a write failure drops the packet and removes the connection", async () => {
    const failing = new Duplex({
      read() {},
      write(_c, _e, cb) {
        cb(new Error("EPIPE"));
      },
    });
    const log = new EventLog();
    const relay = new UdpClientRelay({ dial: () => Promise.resolve(failing), deliver: () => {}, onEvent: log.on });
    relays.push(relay);
    relay.datagram(PEER, h("00"));
    await until(() => relay.state(PEER) === "Connected", "Connected");
    relay.datagram(PEER, h("aabbcc"));
    await until(() => relay.state(PEER) === undefined, "removal");
    expect(log.kinds().slice(-2)).toEqual(["drop:write-failure", "removed:write-failure"]);
    expect(log.events.find((e) => e.kind === "drop" && e.reason === "write-failure")).toMatchObject({ length: 3 });
    expect(failing.destroyed).toBe(true);
  });

  it("row 8: a connection idle for idleTimeoutMs is closed and removed, Waiting or Connected", async () => {
    const s = setup({ idleTimeoutMs: 40 });
    await connected(s, PEER);
    const far = s.t.far[0]!;
    const closed = new Promise((r) => far.once("close", r));
    await until(() => s.relay.size === 0, "idle removal", 2000);
    await closed;
    expect(s.log.kinds()).toContain("removed:idle-timeout");

    const held = setup({ idleTimeoutMs: 40 }, true);
    held.relay.datagram(PEER, h("01"));
    await until(() => held.relay.size === 0, "idle removal while Waiting", 2000);
    expect(held.t.signals[0]!.aborted).toBe(true);
  });

  it("activity keeps a flow alive past the idle timeout", async () => {
    const s = setup({ idleTimeoutMs: 80 });
    await connected(s);
    for (let i = 0; i < 6; i++) {
      await sleep(30);
      s.relay.datagram(PEER, h("01"));
    }
    expect(s.relay.state(PEER)).toBe("Connected");
    expect(s.t.signals).toHaveLength(1);
  });

  it("a truncated frame at the end of the stream is malformed framing and closes the connection", async () => {
    const s = setup();
    await connected(s);
    s.t.far[0]!.end(h("000561"));
    await until(() => s.relay.size === 0, "removal");
    expect(s.log.events.find((e) => e.kind === "removed")).toMatchObject({
      reason: "malformed-framing",
      error: { code: "ERR_UNEXPECTED_EOF" },
    });
    expect(s.delivered).toEqual([]);
  });

  it.each([
    ["a bad magic cookie", "0101 0000 2112a443 000000000000000000000000", "ERR_STUN_BAD_MAGIC_COOKIE"],
    ["a length that is not a multiple of 4", "0101 0002", "ERR_STUN_BAD_LENGTH"],
    ["a first byte that starts neither STUN nor ChannelData", "c0", "ERR_STUN_BAD_PREFIX"],
  ])("STUN mode: %s from the server closes that connection only", async (_name, hex, code) => {
    const s = setup({ mode: "stun" });
    const binding = encodeStun(messageType(StunMethod.BINDING, "request"), newTransactionId(), []);
    s.relay.datagram(PEER, binding);
    s.relay.datagram(OTHER, binding);
    await until(() => s.relay.state(PEER) === "Connected" && s.relay.state(OTHER) === "Connected", "both");
    const far = s.t.far[0]!;
    far.write(h(hex.replaceAll(" ", "")));
    await until(() => s.relay.state(PEER) === undefined, "removal");
    expect(s.log.events.find((e) => e.kind === "removed")).toMatchObject({
      key: PEER,
      reason: "malformed-framing",
      error: { code },
    });
    await until(() => far.destroyed, "transport closed");
    expect(s.relay.state(OTHER)).toBe("Connected");
  });

  it("STUN mode: a packet that is not one STUN message is dropped before any connection is made", () => {
    const s = setup({ mode: "stun" });
    s.relay.datagram(PEER, h("deadbeef"));
    expect(s.t.signals).toHaveLength(0);
    expect(s.log.events).toEqual([
      expect.objectContaining({ kind: "drop", reason: "invalid-datagram", length: 4, error: expect.anything() }),
    ]);
  });

  it("drops (does not queue) packets while the transport's write buffer is over maxBacklogBytes", async () => {
    const stuck = new Duplex({ read() {}, write() {} }); // never calls back: writableLength only grows
    const log = new EventLog();
    const relay = new UdpClientRelay({
      dial: () => Promise.resolve(stuck),
      deliver: () => {},
      onEvent: log.on,
      maxBacklogBytes: 10,
    });
    relays.push(relay);
    relay.datagram(PEER, h("00"));
    await until(() => relay.state(PEER) === "Connected", "Connected");
    relay.datagram(PEER, new Uint8Array(20)); // written: the buffer was empty
    relay.datagram(PEER, new Uint8Array(20)); // dropped: 22 bytes wait
    expect(log.kinds().slice(-1)).toEqual(["drop:congested"]);
    expect(relay.getStats()).toMatchObject({ datagramsUp: 1, dropped: { congested: 1 } });
    expect(relay.state(PEER)).toBe("Connected");
  });

  it("a datagram the local socket refuses is counted as send-failed, and the flow stays", async () => {
    const t = fakeTransport();
    const log = new EventLog();
    const relay = new UdpClientRelay({
      dial: t.dial,
      deliver: (_to, _d, failed) => failed(new Error("EMSGSIZE")),
      onEvent: log.on,
    });
    relays.push(relay);
    relay.datagram(PEER, h("00"));
    await until(() => relay.state(PEER) === "Connected", "Connected");
    t.far[0]!.write(h("000101"));
    await until(() => log.count("drop:send-failed") === 1, "send-failed");
    expect(relay.getStats()).toMatchObject({ datagramsDown: 0, dropped: { "send-failed": 1 } });
    expect(relay.state(PEER)).toBe("Connected");
  });

  it("close() closes every transport connection; later packets are dropped as closed", async () => {
    const s = setup();
    await connected(s, PEER);
    await connected(s, OTHER);
    s.relay.close();
    await until(() => s.t.far.every((f) => f.destroyed), "transports closed");
    expect(s.log.count("removed:pool-closed")).toBe(2);
    s.relay.datagram(PEER, h("01"));
    expect(s.log.kinds().at(-1)).toBe("drop:closed");
    expect(s.t.signals).toHaveLength(2);
  });

  it("rejects bad options as programmer errors", () => {
    const base = { dial: fakeTransport().dial, deliver: () => {} };
    expect(() => new UdpClientRelay({ ...base, dialTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new UdpClientRelay({ ...base, maxBacklogBytes: 0 })).toThrow(RangeError);
    expect(() => new UdpClientRelay({ ...base, idleTimeoutMs: -1 })).toThrow(RangeError);
  });
});
