/**
 * Replays handshakes recorded against the real obfs4proxy 0.0.14 (test/vectors/obfs4-interop-transcripts.json):
 * wire compatibility in both directions, down to which 72 bytes of key material each direction uses.
 */
import { describe, expect, it } from "vitest";
import { ClientHandshake } from "../../src/shared/codec/obfs4/handshake-client.js";
import { ServerHandshake } from "../../src/shared/codec/obfs4/handshake-server.js";
import { decodeCert } from "../../src/shared/codec/obfs4/identity-cert.js";
import { generateServerState, parseServerStateJson } from "../../src/shared/codec/obfs4/identity.js";
import { ReplayFilter } from "../../src/shared/codec/obfs4/replay-filter.js";
import { detRng, hex, openFrame, transcripts, unhex, vectorText } from "./obfs4-handshake-fixtures.js";

const recorded = transcripts();
const proxyState = parseServerStateJson(vectorText("obfs4-proxy-state.txt"));
const HOUR = 3_600_000;

describe("our client against obfs4proxy's server", () => {
  const cert = /ARGS:cert=([^,]+),iat-mode=0/.exec(recorded.obfs4proxySmethod)![1]!;

  it("the cert obfs4proxy announced names the identity in its state file", () => {
    const { nodeId, identityPublicKey } = decodeCert(cert);
    expect(hex(nodeId)).toBe(hex(proxyState.nodeId));
    expect(hex(identityPublicKey)).toBe(hex(proxyState.publicKey));
  });

  it.each(recorded.obfs4proxyServer.map((t, i) => [i, t] as const))("transcript %i", (_i, t) => {
    const { nodeId, identityPublicKey } = decodeCert(cert);
    const make = (): ClientHandshake =>
      new ClientHandshake({ nodeId, identityPublicKey, rng: detRng(t.rngSeed), now: () => t.nowMs });
    const c = make();
    expect(hex(c.request)).toBe(t.request); // we reproduce what obfs4proxy accepted
    const response = unhex(t.response);
    const r = c.push(response);
    if (r.kind !== "done") throw new Error("obfs4proxy's response was not accepted");
    // All that follows MAC_S is obfs4proxy's 45-byte PRNG-seed frame. obfs4proxy's server encodes with key material
    // bytes 72..143; its secretbox (counter 1) carries packet type 1, length 24 and the drbg-seed of its state file.
    expect(r.leftover.length).toBe(45);
    const packet = openFrame(r.keyMaterial.subarray(72, 144), 1, r.leftover.subarray(2));
    expect(packet).not.toBeNull();
    expect(hex(packet!.subarray(0, 3))).toBe("010018");
    expect(hex(packet!.subarray(3))).toBe(hex(proxyState.drbgSeed));
    expect(openFrame(r.keyMaterial.subarray(0, 72), 1, r.leftover.subarray(2))).toBeNull();
    // The same bytes one at a time give the same keys.
    const c1 = make();
    let last = c1.push(response.subarray(0, 1));
    for (let i = 1; i < response.length && last.kind === "pending"; i++) last = c1.push(response.subarray(i, i + 1));
    expect(last.kind === "done" ? hex(last.keyMaterial) : "pending").toBe(hex(r.keyMaterial));
  });

  it("our server accepts the requests we sent obfs4proxy, with its identity", () => {
    for (const t of recorded.obfs4proxyServer) {
      const s = new ServerHandshake({
        nodeId: proxyState.nodeId,
        identityKeypair: proxyState,
        replayFilter: new ReplayFilter(),
        now: () => t.nowMs,
        closeDelayMs: 0,
      });
      expect(s.push(unhex(t.request)).kind).toBe("done");
    }
  });
});

describe("obfs4proxy's client against our server", () => {
  it.each(recorded.obfs4proxyClient.map((t, i) => [i, t] as const))("transcript %i", (_i, t) => {
    const state = generateServerState(detRng(t.identityRngSeed));
    expect(JSON.parse(t.stateJson)).toMatchObject({
      "node-id": hex(state.nodeId),
      "private-key": hex(state.privateKey),
    });
    const make = (now: number, filter = new ReplayFilter()): ServerHandshake =>
      new ServerHandshake({
        nodeId: state.nodeId,
        identityKeypair: state,
        replayFilter: filter,
        rng: detRng(t.serverRngSeed),
        now: () => now,
        closeDelayMs: 0,
      });
    const filter = new ReplayFilter();
    const r = make(t.nowMs, filter).push(unhex(t.request));
    if (r.kind !== "done") throw new Error(`obfs4proxy's request was not accepted: ${JSON.stringify(r)}`);
    expect(hex(r.response)).toBe(t.response); // the response obfs4proxy accepted
    expect(r.leftover.length).toBe(0);
    // obfs4proxy's client encodes with key material bytes 0..71; its first frame holds a payload packet (type 0).
    const frame = unhex(t.firstClientFrame);
    const packet = openFrame(r.keyMaterial.subarray(0, 72), 1, frame.subarray(2));
    expect(packet).not.toBeNull();
    const length = (packet![1]! << 8) | packet![2]!;
    expect(packet![0]).toBe(0);
    expect(Buffer.from(packet!.subarray(3, 3 + length)).toString()).toBe(t.payload);
    // A second copy of the same request is a replay.
    const again = make(t.nowMs, filter).push(unhex(t.request));
    expect(again.kind === "failed" ? again.error.code : again.kind).toBe("ERR_OBFS4_REPLAY");
  });

  it("accepts obfs4proxy's request with our clock an hour off either way, and not two", () => {
    const t = recorded.obfs4proxyClient[0]!;
    const state = generateServerState(detRng(t.identityRngSeed));
    const attempt = (skew: number): string => {
      const r = new ServerHandshake({
        nodeId: state.nodeId,
        identityKeypair: state,
        replayFilter: new ReplayFilter(),
        now: () => t.nowMs + skew,
        closeDelayMs: 0,
      }).push(unhex(t.request));
      return r.kind === "failed" ? r.error.code : r.kind;
    };
    expect(attempt(-HOUR)).toBe("done");
    expect(attempt(HOUR)).toBe("done");
    expect(attempt(-2 * HOUR)).toBe("ERR_OBFS4_BAD_MAC");
    expect(attempt(2 * HOUR)).toBe("ERR_OBFS4_BAD_MAC");
  });
});
