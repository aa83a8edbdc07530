/**
 * UDP through the real processes (issue 7): `webpt server -udp transparent`
 * in front of a UDP echo server and `webpt client -udp transparent
 * -udp-bridge …`, as the README tells an operator to run them for WireGuard
 * or OpenVPN. The app retransmits until its first datagram gets through (the
 * first is dropped while the tunnel opens, Table 1), then every datagram
 * must come back intact. The state machines are tested row by row in
 * test/unit and test/integration/udp-*.
 */
import dgram from "node:dgram";
import path from "node:path";
import { afterAll, beforeAll, expect, it } from "vitest";
import { launchPt, type PtProcess } from "../../src/server/adapters/pt-process.js";
import { patternBytes } from "../helpers/bulk.js";

const root = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(root, "bin/webpt.js");

let echo: dgram.Socket;
let server: PtProcess;
let client: PtProcess;
beforeAll(async () => {
  // Large receive buffers: the kernel, not webpt, would otherwise drop a burst at the test's own sockets.
  echo = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20, sendBufferSize: 8 << 20 });
  echo.on("message", (m, r) => echo.send(m, r.port, r.address));
  await new Promise<void>((r) => echo.bind(0, "127.0.0.1", r));
  const udpTarget = `127.0.0.1:${echo.address().port}`;
  server = await launchPt({
    command: [
      process.execPath,
      BIN,
      "server",
      "-ptversion",
      "2",
      "-transports",
      "obfs4",
      "-bindaddr",
      "obfs4-127.0.0.1:0",
      "-orport",
      udpTarget,
      "-udp",
      "transparent",
    ],
    role: "server",
    versions: "2",
    transports: ["obfs4"],
  });
  const m = server.smethods[0]!;
  const line = `obfs4 ${m.address.host}:${m.address.port} ${[...(m.args ?? new Map())].map(([k, v]) => `${k}=${v[0]!}`).join(" ")}`;
  client = await launchPt({
    command: [
      process.execPath,
      BIN,
      "client",
      "-ptversion",
      "2",
      "-transports",
      "obfs4",
      "-udp",
      "transparent",
      "-udp-bridge",
      line,
    ],
    role: "client",
    versions: "2",
    transports: ["obfs4"],
  });
});
afterAll(async () => {
  await client?.close();
  await server?.close();
  echo?.close();
});

it("announces transparent-UDP and echoes 1,000 datagrams of 1..1400 bytes intact and in order", async () => {
  const udp = client.cmethods.find((c) => c.proxyType === "transparent-UDP");
  expect(udp).toBeDefined();
  const app = dgram.createSocket({ type: "udp4", recvBufferSize: 8 << 20 });
  await new Promise<void>((r) => app.bind(0, "127.0.0.1", r));
  const received: Buffer[] = [];
  app.on("message", (m) => received.push(m));
  const send = (b: Buffer): Promise<void> =>
    new Promise((resolve, reject) =>
      app.send(b, udp!.address.port, udp!.address.host, (e) => (e ? reject(e) : resolve())),
    );
  // Retransmit a probe until the tunnel is up, as WireGuard and OpenVPN do.
  const probe = Buffer.from("probe");
  for (let i = 0; i < 100 && received.length === 0; i++) {
    await send(probe);
    await new Promise((r) => setTimeout(r, 100));
  }
  expect(received[0]?.toString()).toBe("probe");
  received.length = 0;
  const sent = Array.from({ length: 1000 }, (_, i) => patternBytes(`dg-${i}`, (i % 1400) + 1));
  // Paced a little, as a real app is: UDP has no backpressure, and a burst beyond the tunnel's bounded backlog
  // (MAX_UDP_TRANSPORT_BACKLOG_BYTES) is dropped by design rather than queued.
  for (const [i, d] of sent.entries()) {
    await send(d);
    if (i % 50 === 49) await new Promise((r) => setTimeout(r, 5));
  }
  for (let i = 0; i < 100 && received.length < sent.length; i++) await new Promise((r) => setTimeout(r, 50));
  app.close();
  expect(received.length).toBe(sent.length);
  expect(received.every((b, i) => b.equals(sent[i]!))).toBe(true);
}, 30_000);
