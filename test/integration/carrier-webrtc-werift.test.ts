/**
 * The transport with werift as the bridge's engine (the dependency-free
 * fallback) and node-datachannel as the client's: signaling, the delayed
 * remote candidates (werift's addIceCandidate) and obfs4 across two engines.
 */
import { afterEach, describe, expect, it } from "vitest";
import { exchange, patternBytes, sha256 } from "../helpers/bulk.js";
import { dialObfs4OverWebRtc, startBridge, type StartedBridge } from "./carrier-webrtc-helpers.js";

let bridge: StartedBridge | undefined;
afterEach(async () => {
  await bridge?.stop();
  bridge = undefined;
});

describe("webrtc transport on werift", () => {
  it("serves a node-datachannel client: 1 MiB each way through obfs4, USERADDR from the candidate", async () => {
    bridge = await startBridge({ engine: "werift" });
    const client = await dialObfs4OverWebRtc(bridge.settings);
    client.on("error", () => undefined);
    const [server, info] = await bridge.nextStream();
    expect(info.remoteAddress).toBe("127.0.0.1");
    expect(info.remotePort).toBeGreaterThan(0);
    const up = patternBytes("werift up", 1024 * 1024);
    const down = patternBytes("werift down", 1024 * 1024);
    const [atClient, atServer] = await Promise.all([
      exchange(client, up, down.length, 30_000),
      exchange(server, down, up.length, 30_000),
    ]);
    expect(atServer).toEqual({ received: up.length, sha256: sha256(up) });
    expect(atClient).toEqual({ received: down.length, sha256: sha256(down) });
  }, 40_000);
});
