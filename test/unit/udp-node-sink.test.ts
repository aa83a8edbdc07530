/**
 * udpSink (src/server/udp/udp-sink.ts): the Node side of Table 2 (seed 000
 * §3.3.5.5) between in-memory transport streams and a real UDP echo server
 * on loopback. Each test asserts the exact bytes on both sides and the
 * removal reason.
 */
import { Duplex } from "node:stream";
import dgram from "node:dgram";
import { afterEach, describe, expect, it } from "vitest";
import type { Obfs4Stream } from "../../src/server/obfs4/obfs4-stream.js";
import type { SinkResult } from "../../src/server/service/types.js";
import { udpSink, type UdpSink, type UdpSinkOptions } from "../../src/server/udp/index.js";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { encodeUdpFrame } from "../../src/shared/codec/framing/index.js";
import { encodeStun, messageType, newTransactionId, StunMethod } from "../helpers/stun-client.js";
import { EventLog, collect, startUdpEcho, streamPair, until, type UdpEcho } from "../helpers/udp.js";

const quiet = { log: () => undefined };
const client = { remoteAddress: "192.0.2.7", remotePort: 40000 };
const h = (s: string): Uint8Array => fromHex(s.replaceAll(" ", ""));

const cleanup: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanup.splice(0).reverse()) await c();
});

async function setup(options: Partial<UdpSinkOptions> = {}) {
  const echo = await startUdpEcho();
  cleanup.push(() => echo.close());
  const log = new EventLog();
  const sink = udpSink({
    target: { host: "127.0.0.1", port: echo.port },
    mode: "transparent",
    log: quiet,
    onEvent: log.on,
    ...options,
  });
  cleanup.push(() => sink.close());
  return { echo, log, sink };
}

function open(sink: UdpSink, stream?: Duplex) {
  const [near, far] = stream === undefined ? streamPair() : [stream, undefined];
  const got = far === undefined ? [] : collect(far);
  let settled: SinkResult | undefined;
  const result = sink(near as unknown as Obfs4Stream, client, "obfs4").then((r) => (settled = r));
  return { near, far: far!, got, result, settled: () => settled };
}

const hexOf = (bufs: Buffer[]): string => toHex(Buffer.concat(bufs));
const seenHex = (echo: UdpEcho): string[] => echo.seen.map((s) => toHex(s.msg));

describe("udpSink: Table 2 with a real UDP Server App", () => {
  it("row 2: relays deframed datagrams to the target and frames its replies back, byte for byte", async () => {
    const { echo, sink } = await setup();
    const c = open(sink);
    c.far.write(h("0003 616263 00"));
    c.far.write(h("00 0001 ff"));
    await until(() => hexOf(c.got).length === 2 * 10, "echoes");
    expect(seenHex(echo)).toEqual(["616263", "", "ff"]);
    expect(hexOf(c.got)).toBe("0003616263" + "0000" + "0001ff");
    expect(sink.getStats()).toMatchObject({ flowsOpen: 1, datagramsUp: 3, bytesUp: 4, datagramsDown: 3, bytesDown: 4 });
  });

  it("gives every stream its own UDP socket, so replies reach the stream they answer", async () => {
    const { echo, sink } = await setup();
    const a = open(sink);
    const b = open(sink);
    a.far.write(encodeUdpFrame(h("aa")));
    b.far.write(encodeUdpFrame(h("bb")));
    await until(() => a.got.length > 0 && b.got.length > 0, "both echoes");
    expect([hexOf(a.got), hexOf(b.got)]).toEqual(["0001aa", "0001bb"]);
    expect(new Set(echo.seen.map((s) => s.port)).size).toBe(2);
  });

  it("row 1: a datagram from anyone but the target is dropped (stray), not relayed", async () => {
    const { echo, log, sink } = await setup();
    const c = open(sink);
    c.far.write(encodeUdpFrame(h("01")));
    await until(() => echo.seen.length === 1 && c.got.length === 1, "first echo");
    const intruder = dgram.createSocket("udp4");
    cleanup.push(() => intruder.close());
    intruder.send(h("666666"), echo.seen[0]!.port, "127.0.0.1");
    await until(() => log.count("drop:stray") === 1, "stray drop");
    expect(hexOf(c.got)).toBe("000101");
  });

  it.each([
    ["destroyed", (d: Duplex) => d.destroy()],
    ["ended (FIN)", (d: Duplex) => d.end()],
  ])("row 3: a transport connection %s is removed and its sink call resolves", async (_n, close) => {
    const { log, sink } = await setup();
    const c = open(sink);
    c.far.write(encodeUdpFrame(h("0102")));
    await until(() => c.got.length === 1, "echo");
    close(c.far);
    await c.result;
    expect(c.settled()).toEqual({});
    expect(sink.getStats()).toMatchObject({ bytesUp: 2, bytesDown: 2 });
    expect(log.kinds()).toContain("removed:connection-closed");
    expect(c.near.destroyed).toBe(true);
    expect(sink.size).toBe(0);
  });

  it("row 4: a failed write to the transport drops the packet and removes the connection", async () => {
    const { log, sink } = await setup();
    const failing = new Duplex({
      read() {},
      write(_c, _e, cb) {
        cb(new Error("EPIPE"));
      },
    });
    const c = open(sink, failing);
    failing.push(encodeUdpFrame(h("abcd")));
    await c.result;
    expect(log.kinds().slice(-2)).toEqual(["drop:write-failure", "removed:write-failure"]);
    expect(failing.destroyed).toBe(true);
  });

  it("row 5: a connection idle for idleTimeoutMs is closed and removed", async () => {
    const { log, sink } = await setup({ idleTimeoutMs: 40 });
    const c = open(sink);
    c.far.write(encodeUdpFrame(h("01")));
    await c.result;
    expect(log.kinds()).toContain("removed:idle-timeout");
    expect(c.far.destroyed).toBe(true);
  });

  it.each([
    ["a bad magic cookie", "0001 0000 2112a443 000000000000000000000000", "ERR_STUN_BAD_MAGIC_COOKIE"],
    ["a length that is not a multiple of 4", "0001 0006 2112a442", "ERR_STUN_BAD_LENGTH"],
    ["a non-STUN first byte", "ff", "ERR_STUN_BAD_PREFIX"],
  ])("STUN mode: %s closes that transport connection only", async (_n, hex, code) => {
    const { echo, log, sink } = await setup({ mode: "stun" });
    const good = open(sink);
    const bad = open(sink);
    bad.far.write(h(hex));
    await bad.result;
    expect(log.events.find((e) => e.kind === "removed")).toMatchObject({
      reason: "malformed-framing",
      error: { code },
    });
    expect(bad.far.destroyed).toBe(true);
    expect(echo.seen).toEqual([]);
    const binding = encodeStun(messageType(StunMethod.BINDING, "request"), newTransactionId(), []);
    good.far.write(binding);
    await until(() => good.got.length > 0, "the other stream still relays");
    expect(hexOf(good.got)).toBe(toHex(binding));
  });

  it.each([
    ["transparent", "0005 6162", "ERR_UNEXPECTED_EOF"],
    ["stun", "0001 0004 2112a442 000000000000000000000000 0000", "ERR_UNEXPECTED_EOF"],
  ] as const)("%s mode: a stream that ends inside a frame is malformed framing", async (mode, hex, code) => {
    const { echo, log, sink } = await setup({ mode });
    const c = open(sink);
    c.far.end(h(hex));
    await c.result;
    expect(log.events.find((e) => e.kind === "removed")).toMatchObject({
      reason: "malformed-framing",
      error: { code },
    });
    expect(echo.seen).toEqual([]);
  });

  it("never truncates: 65,507 bytes (the IPv4 maximum) cross intact; 65,535 cannot be sent and is dropped whole", async () => {
    const { echo, log, sink } = await setup();
    const c = open(sink);
    const big = new Uint8Array(65_507).map((_, i) => (i * 7) & 0xff);
    c.far.write(encodeUdpFrame(new Uint8Array(65_535)));
    c.far.write(encodeUdpFrame(big));
    await until(() => Buffer.concat(c.got).length === 2 + big.length, "the big echo");
    expect(echo.seen.map((s) => s.msg.length)).toEqual([65_507]);
    expect(Buffer.concat(c.got).equals(Buffer.from(encodeUdpFrame(big)))).toBe(true);
    expect(log.count("drop:send-failed")).toBe(1);
    expect(sink.size).toBe(1);
  });

  it("closes a new stream at once when maxEntries streams are open", async () => {
    const { sink } = await setup({ maxEntries: 1 });
    open(sink);
    const second = open(sink);
    await second.result;
    expect(second.settled()).toEqual({ refused: "policy" });
    await until(() => second.far.destroyed, "second stream closed");
    expect(sink.size).toBe(1);
  });

  it("close() ends every stream", async () => {
    const { log, sink } = await setup();
    const a = open(sink);
    const b = open(sink);
    await until(() => sink.size === 2, "two streams");
    sink.close();
    await Promise.all([a.result, b.result]);
    expect(log.count("removed:pool-closed")).toBe(2);
  });
});
