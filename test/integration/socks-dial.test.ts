/**
 * socksDial must hand over the bytes a SOCKS server sends in the same segment
 * as its reply (obfs4proxy often does, once data is already flowing). It once
 * dropped them: 65,526 bytes lost behind a 10-byte reply.
 */
import net from "node:net";
import { expect, it } from "vitest";
import { socksDial } from "../../src/server/net/socks-dial.js";
import { fromHex } from "../../src/shared/bytes/index.js";

it("delivers data that arrives together with the CONNECT reply", async () => {
  const payload = Buffer.alloc(65_526, 0x5a);
  const server = net.createServer((sock) => {
    let stage = 0;
    sock.on("data", () => {
      if (stage++ === 0)
        sock.write(fromHex("0500")); // no auth
      // success reply (IPv4 0.0.0.0:0) and the first application bytes in one write
      else sock.end(Buffer.concat([fromHex("05000001 00000000 0000"), payload]));
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  try {
    const port = (server.address() as net.AddressInfo).port;
    const sock = await socksDial({ proxy: { host: "127.0.0.1", port }, target: { host: "192.0.2.1", port: 80 } });
    // A tick later, as a real caller would attach its reader.
    await new Promise((r) => setTimeout(r, 20));
    let got = 0;
    sock.on("data", (d: Buffer) => (got += d.length));
    await new Promise((r) => sock.once("end", r));
    expect(got).toBe(payload.length);
  } finally {
    server.close();
  }
});
