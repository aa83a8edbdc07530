import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { exchange, patternBytes, sha256, startExchangePeer, type ExchangePeer } from "../helpers/bulk.js";
import {
  startObfs4proxyClient,
  startObfs4proxyServer,
  type Obfs4proxyClient,
  type Obfs4proxyServer,
} from "../helpers/obfs4proxy.js";

// The harness itself, proven on obfs4proxy ↔ obfs4proxy: if this fails, the
// webpt ↔ obfs4proxy tests below it mean nothing.
describe("obfs4proxy harness (obfs4proxy client → obfs4proxy server)", () => {
  const up = patternBytes("harness-up", 1 << 20);
  const down = patternBytes("harness-down", 1 << 20);
  let peer: ExchangePeer;
  let server: Obfs4proxyServer;
  let client: Obfs4proxyClient;

  beforeAll(async () => {
    peer = await startExchangePeer(
      () => down,
      () => up.length,
    );
    server = await startObfs4proxyServer({ orport: peer.port });
    client = await startObfs4proxyClient();
  });
  afterAll(async () => {
    await client?.close();
    await server?.close();
    await peer?.close();
  });

  it("announces a 70-character cert and moves 1 MiB each way intact", async () => {
    expect(server.cert).toMatch(/^[A-Za-z0-9+/]{70}$/);
    const sock = await client.dial(server);
    const got = await exchange(sock, up, down.length);
    expect(got).toEqual({ received: down.length, sha256: sha256(down) });
    const far = await peer.results[0]!;
    expect(far).toEqual({ received: up.length, sha256: sha256(up) });
  });
});
