/**
 * Free mode over real sockets on 127.0.0.1: an obfs4 client, the bridge
 * server manager with freeSink, SOCKS5 inside the tunnel, and real TCP
 * destinations. Everything here is loopback, which the default policy
 * refuses, so the "allowed" server allows 127.0.0.1 explicitly.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Socks5Reply } from "../../src/shared/codec/socks/index.js";
import { DEFAULT_POLICY, makePolicy } from "../../src/server/standalone/policy.js";
import { freeSink } from "../../src/server/standalone/sinks.js";
import { socksConnectInStream } from "../../src/server/standalone/socks-in-stream.js";
import { exchange, patternBytes, sha256, startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import {
  closedPort,
  eventually,
  readBytes,
  readToEnd,
  startCountingEcho,
  startSinkRig,
  type SinkRig,
} from "../helpers/standalone.js";

const MiB = 1 << 20;

describe("free mode, policy allowing 127.0.0.1", () => {
  const up = patternBytes("free-up", 4 * MiB);
  const down = patternBytes("free-down", 4 * MiB);
  let peer: ExchangePeer;
  let echo: Awaited<ReturnType<typeof startCountingEcho>>;
  let rig: SinkRig;

  beforeAll(async () => {
    peer = await startExchangePeer(
      (i) => (i === 0 ? down : Buffer.alloc(0)),
      (i) => (i === 0 ? up.length : 0),
    );
    echo = await startCountingEcho();
    rig = await startSinkRig((log) => freeSink(makePolicy({ allow: ["127.0.0.1"] }), { log, logDestinations: true }));
  });
  afterAll(async () => {
    await rig?.close();
    await peer?.close();
    await echo?.close();
  });

  it("relays 4 MiB each way to the destination the client names, sha256-equal", async () => {
    const stream = await rig.dial();
    await socksConnectInStream(stream, { host: "127.0.0.1", port: peer.port });
    const got = await exchange(stream, up, down.length);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    expect(await peer.results[0]).toEqual({ received: up.length, sha256: sha256(up) });
    await eventually(() => rig.server.openConnections === 0);
    const stats = rig.server.getStats().transports[0]!;
    expect(stats.bytesUp).toBeGreaterThanOrEqual(up.length);
    expect(stats.bytesDown).toBeGreaterThanOrEqual(down.length);
    expect(stats.refused).toBe(0);
  });

  it("delivers bytes sent right behind the CONNECT request, before the reply", async () => {
    const stream = await rig.dial();
    stream.write(Buffer.from([0x05, 0x01, 0x00]));
    expect((await readBytes(stream, 2)).toString("hex")).toBe("0500");
    const port = Buffer.alloc(2);
    port.writeUInt16BE(echo.port);
    // CONNECT 127.0.0.1:<echo> and the first application bytes in one write.
    stream.write(Buffer.concat([Buffer.from([0x05, 0x01, 0x00, 0x01, 127, 0, 0, 1]), port, Buffer.from("early")]));
    // The reply: VER REP RSV ATYP=1 BND.ADDR=0.0.0.0 BND.PORT=0, then the echo of "early".
    expect((await readBytes(stream, 15)).toString("hex")).toBe(
      "05000001000000000000" + Buffer.from("early").toString("hex"),
    );
    stream.destroy();
  });

  it("answers X'05' when the destination refuses the connection", async () => {
    const stream = await rig.dial();
    const err = await socksConnectInStream(stream, { host: "127.0.0.1", port: await closedPort() }).catch((e) => e);
    expect(err).toMatchObject({ code: "ERR_SOCKS_REQUEST_REJECTED", reply: Socks5Reply.CONNECTION_REFUSED });
  });

  it("refuses port 25 by default (X'02') and never dials it", async () => {
    const stream = await rig.dial();
    const err = await socksConnectInStream(stream, { host: "127.0.0.1", port: 25 }).catch((e) => e);
    expect(err).toMatchObject({ reply: Socks5Reply.NOT_ALLOWED });
  });

  it("answers X'07' to a command other than CONNECT and closes", async () => {
    const stream = await rig.dial();
    stream.write(Buffer.from([0x05, 0x01, 0x00]));
    expect((await readBytes(stream, 2)).toString("hex")).toBe("0500");
    // BIND (CMD 2) 127.0.0.1:80.
    stream.write(Buffer.from([0x05, 0x02, 0x00, 0x01, 127, 0, 0, 1, 0x00, 0x50]));
    const rest = await readToEnd(stream);
    expect(rest).toEqual({ data: Buffer.from("05070001000000000000", "hex"), ended: true });
  });

  it("answers X'FF' to a client that offers no acceptable method, and closes", async () => {
    const stream = await rig.dial();
    stream.write(Buffer.from([0x05, 0x01, 0x02]));
    expect(await readToEnd(stream)).toEqual({ data: Buffer.from("05ff", "hex"), ended: true });
  });

  it.each([
    ["HTTP instead of SOCKS", Buffer.from("GET / HTTP/1.1\r\nHost: x\r\n\r\n")],
    ["SOCKS4", Buffer.from([0x04, 0x01, 0x00, 0x50, 127, 0, 0, 1, 0x00])],
    ["a truncated greeting and then nothing", Buffer.from([0x05])],
  ])("closes cleanly on bad SOCKS inside the tunnel: %s", async (what, bytes) => {
    const before = echo.accepted();
    const refusedBefore = rig.server.getStats().transports[0]!.refused;
    const stream = await rig.dial();
    stream.write(bytes);
    if (what.startsWith("a truncated")) stream.end();
    expect(await readToEnd(stream)).toEqual({ data: Buffer.alloc(0), ended: true });
    await eventually(() => rig.server.getStats().transports[0]!.refused === refusedBefore + 1);
    expect(echo.accepted()).toBe(before);
  });
});

describe("free mode, default policy", () => {
  let echo: Awaited<ReturnType<typeof startCountingEcho>>;
  let rig: SinkRig;

  beforeAll(async () => {
    echo = await startCountingEcho();
    rig = await startSinkRig((log) => freeSink(DEFAULT_POLICY, { log, handshakeTimeoutMs: 300 }));
  });
  afterAll(async () => {
    await rig?.close();
    await echo?.close();
  });

  it.each([
    ["a loopback address", "127.0.0.1"],
    ["the IPv6 loopback", "::1"],
    ["an IPv4-mapped loopback", "::ffff:127.0.0.1"],
    ["a host name that resolves to loopback", "localhost"],
    ["a NAT64 form of loopback", "64:ff9b::7f00:1"],
  ])("refuses %s with X'02'; the target never sees a connection", async (_what, host) => {
    const refusedBefore = rig.server.getStats().transports[0]!.refused;
    const stream = await rig.dial();
    const err = await socksConnectInStream(stream, { host, port: echo.port }).catch((e) => e);
    expect(err).toMatchObject({ code: "ERR_SOCKS_REQUEST_REJECTED", reply: Socks5Reply.NOT_ALLOWED });
    await eventually(() => rig.server.getStats().transports[0]!.refused === refusedBefore + 1);
    expect(echo.accepted()).toBe(0);
    // The refusal is logged without the destination (no unsafe logging).
    expect(rig.logs.at(-1)).toMatch(
      /^\[info\] obfs4: client .* refused a destination: not allowed \(special-purpose\)$/,
    );
  });

  it("answers X'04' for a name that does not resolve", async () => {
    const stream = await rig.dial();
    const err = await socksConnectInStream(stream, { host: "nonexistent.invalid", port: 80 }).catch((e) => e);
    expect(err).toMatchObject({ reply: Socks5Reply.HOST_UNREACHABLE });
    await eventually(() => rig.logs.some((l) => l.includes("cannot resolve")));
    // Without unsafe logging the name stays out of the log, even inside the resolver's error message.
    expect(rig.logs.join("\n")).not.toContain("nonexistent");
  });

  it("closes a tunnel that sends no SOCKS request within the handshake timeout", async () => {
    const stream = await rig.dial();
    const t0 = Date.now();
    expect(await readToEnd(stream)).toEqual({ data: Buffer.alloc(0), ended: true });
    expect(Date.now() - t0).toBeGreaterThanOrEqual(250);
    expect(rig.logs.some((l) => l.includes("no SOCKS request within 300 ms"))).toBe(true);
  });
});
