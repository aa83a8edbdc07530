/**
 * The webrtc transport's server-side pieces without a network: SDP edits
 * (public addresses, candidate split), ICE server URLs per engine, the client
 * address from the selected pair, Node's X25519 against noble's, the
 * answerer's bounds and clean-up against a scripted engine, and the
 * DataChannel Duplex's close linger.
 */
import { x25519 } from "@noble/curves/ed25519.js";
import { describe, expect, it, vi } from "vitest";
import { generateServerState } from "../../src/shared/codec/obfs4/index.js";
import { openOffer, sealOffer } from "../../src/shared/codec/signaling/index.js";
import { WebptError } from "../../src/shared/errors.js";
import type {
  RTCDataChannelLike,
  RTCDataChannelStateLike,
  RTCErrorEventLike,
  RTCMessageEventLike,
  RTCSessionDescriptionLike,
} from "../../src/shared/transport/rtc-like.js";
import {
  clientInfoFromCandidate,
  createWebRtcAnswerer,
  type RtcCandidateInfo,
  type RtcEngine,
  type RtcPeer,
} from "../../src/server/carriers/webrtc/index.js";
import { dataChannelDuplex } from "../../src/server/carriers/webrtc/duplex.js";
import { ndcIceServers, parseIceServerUrl, w3cIceServers } from "../../src/server/carriers/webrtc/ice-servers.js";
import { nodeX25519For } from "../../src/server/carriers/webrtc/node-x25519.js";
import { advertisePublicAddresses, candidateAddresses, splitCandidates } from "../../src/server/carriers/webrtc/sdp.js";

const ANSWER_SDP = [
  "v=0",
  "o=rtc 1 0 IN IP4 10.0.0.5",
  "s=-",
  "t=0 0",
  "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel",
  "c=IN IP4 10.0.0.5",
  "a=mid:0",
  "a=candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host",
  "a=candidate:2 1 UDP 2114977535 10.0.0.6 40000 typ host",
  "a=candidate:3 1 UDP 2114977791 2001:db8::5 40002 typ host",
  "a=candidate:4 1 UDP 1677729535 198.51.100.9 40001 typ srflx raddr 10.0.0.5 rport 40000",
  "a=end-of-candidates",
  "",
].join("\r\n");

describe("advertisePublicAddresses", () => {
  it("rewrites host candidates, c=, o= and raddr of the public family; leaves the others; drops duplicates", () => {
    const out = advertisePublicAddresses(ANSWER_SDP, ["203.0.113.7"]);
    expect(out.split("\r\n")).toEqual([
      "v=0",
      "o=rtc 1 0 IN IP4 203.0.113.7",
      "s=-",
      "t=0 0",
      "m=application 40000 UDP/DTLS/SCTP webrtc-datachannel",
      "c=IN IP4 203.0.113.7",
      "a=mid:0",
      "a=candidate:1 1 UDP 2114977791 203.0.113.7 40000 typ host",
      // candidate 2 (10.0.0.6:40000) becomes 203.0.113.7:40000 too, with its own foundation: kept
      "a=candidate:2 1 UDP 2114977535 203.0.113.7 40000 typ host",
      "a=candidate:3 1 UDP 2114977791 2001:db8::5 40002 typ host",
      "a=candidate:4 1 UDP 1677729535 198.51.100.9 40001 typ srflx raddr 203.0.113.7 rport 40000",
      "a=end-of-candidates",
      "",
    ]);
  });

  it("maps each family to its own public address, and is the identity without any", () => {
    const out = advertisePublicAddresses(ANSWER_SDP, ["[2001:db8::99]", "203.0.113.7"]);
    expect(candidateAddresses(out).map((c) => c.address)).toEqual([
      "203.0.113.7",
      "203.0.113.7",
      "2001:db8::99",
      "198.51.100.9",
    ]);
    expect(advertisePublicAddresses(ANSWER_SDP, [])).toBe(ANSWER_SDP);
    expect(advertisePublicAddresses(ANSWER_SDP, ["not an ip"])).toBe(ANSWER_SDP);
  });

  it("drops a candidate that becomes an exact duplicate", () => {
    const sdp = "v=0\na=candidate:1 1 UDP 1 10.0.0.5 4 typ host\na=candidate:1 1 UDP 1 10.0.0.6 4 typ host\n";
    expect(advertisePublicAddresses(sdp, ["192.0.2.1"])).toBe("v=0\na=candidate:1 1 UDP 1 192.0.2.1 4 typ host\n");
  });
});

describe("splitCandidates", () => {
  it("takes every candidate out with its section's mid, and the end-of-candidates line", () => {
    const { sdp, candidates } = splitCandidates(ANSWER_SDP);
    expect(sdp).not.toMatch(/a=candidate|end-of-candidates/);
    expect(sdp.split("\r\n")).toHaveLength(ANSWER_SDP.split("\r\n").length - 5);
    expect(candidates[0]).toEqual({ candidate: "candidate:1 1 UDP 2114977791 10.0.0.5 40000 typ host", mid: "0" });
    expect(candidates.map((c) => c.mid)).toEqual(["0", "0", "0", "0"]);
  });

  it("attributes candidates to the right media section", () => {
    const sdp = "v=0\nm=a 1\na=candidate:1 x\na=mid:a\nm=b 2\na=mid:b\na=candidate:2 y\n";
    expect(splitCandidates(sdp).candidates).toEqual([
      { candidate: "candidate:1 x", mid: "a" },
      { candidate: "candidate:2 y", mid: "b" },
    ]);
  });
});

describe("ICE server URLs", () => {
  it.each([
    ["stun:stun.example", { scheme: "stun", host: "stun.example", port: 3478, transport: undefined }],
    ["stun:192.0.2.1:19302", { scheme: "stun", host: "192.0.2.1", port: 19302, transport: undefined }],
    ["turn:[2001:db8::1]:3479?transport=tcp", { scheme: "turn", host: "2001:db8::1", port: 3479, transport: "tcp" }],
    ["turns:turn.example", { scheme: "turns", host: "turn.example", port: 5349, transport: undefined }],
    ["TURN:Turn.Example?transport=udp", { scheme: "turn", host: "turn.example", port: 3478, transport: "udp" }],
  ])("parses %s", (url, want) => {
    expect(parseIceServerUrl(url)).toMatchObject(want);
  });

  it.each(["http://x", "stun://x", "stun:", "turn:x?transport=sctp", "stun:x?transport=udp"])("refuses %s", (url) => {
    expect(() => parseIceServerUrl(url)).toThrow(expect.objectContaining({ code: "ERR_RTC_ICE_URL" }));
  });

  it("maps to node-datachannel objects with relay types, and W3C dictionaries", () => {
    const urls = ["stun:s.example:1", "turn:t.example?transport=tcp", "turns:t.example", "turn:t.example"];
    expect(ndcIceServers(urls, "u", "p")).toEqual([
      { hostname: "s.example", port: 1 },
      { hostname: "t.example", port: 3478, username: "u", password: "p", relayType: "TurnTcp" },
      { hostname: "t.example", port: 5349, username: "u", password: "p", relayType: "TurnTls" },
      { hostname: "t.example", port: 3478, username: "u", password: "p", relayType: "TurnUdp" },
    ]);
    expect(w3cIceServers(urls.slice(0, 2), "u", "p")).toEqual([
      { urls: "stun:s.example:1" },
      { urls: "turn:t.example?transport=tcp", username: "u", credential: "p" },
    ]);
    expect(() => ndcIceServers(["turn:t.example"])).toThrow(/ice-username/);
  });
});

describe("clientInfoFromCandidate (USERADDR)", () => {
  it.each([
    [
      { address: "198.51.100.4", port: 50000, type: "srflx" },
      { remoteAddress: "198.51.100.4", remotePort: 50000 },
    ],
    [
      { address: "::ffff:198.51.100.4", port: 1, type: "prflx" },
      { remoteAddress: "198.51.100.4", remotePort: 1 },
    ],
    [
      { address: "2001:db8::1", port: 9, type: "host" },
      { remoteAddress: "2001:db8::1", remotePort: 9 },
    ],
    [
      { address: "192.0.2.7", port: 3478, type: "relay" },
      { remoteAddress: undefined, remotePort: undefined },
    ],
    [
      { address: "abcd.local", port: 9, type: "host" },
      { remoteAddress: undefined, remotePort: undefined },
    ],
    [
      { address: "192.0.2.1", port: 0, type: "host" },
      { remoteAddress: "192.0.2.1", remotePort: undefined },
    ],
    [undefined, { remoteAddress: undefined, remotePort: undefined }],
  ] as [RtcCandidateInfo | undefined, object][])("%j → %j", (c, want) => {
    expect(clientInfoFromCandidate(c)).toEqual(want);
  });
});

describe("nodeX25519For", () => {
  it("agrees with @noble/curves, and opens offers exactly as the default does", () => {
    const state = generateServerState();
    const fn = nodeX25519For(state.privateKey);
    for (let i = 0; i < 20; i++) {
      const other = x25519.utils.randomSecretKey();
      const pub = x25519.getPublicKey(other);
      expect(fn(state.privateKey, pub)).toEqual(x25519.scalarMult(state.privateKey, pub));
      expect(fn(other, state.publicKey)).toEqual(x25519.scalarMult(other, state.publicKey));
    }
    const offer = sealOffer("v=0\r\n", state);
    expect(openOffer(offer.bytes, state, { x25519: fn }).sdp).toBe("v=0\r\n");
  });

  it("throws on a low-order point (all-zero result), which the envelope maps to a bad seal", () => {
    const state = generateServerState();
    expect(() => nodeX25519For(state.privateKey)(state.privateKey, new Uint8Array(32))).toThrow();
  });
});

type H<E> = ((e: E) => void) | null | undefined;

class FakeChannel implements RTCDataChannelLike {
  label = "webpt";
  readyState: RTCDataChannelStateLike = "connecting";
  binaryType = "blob";
  bufferedAmount = 0;
  bufferedAmountLowThreshold = 0;
  onopen: H<unknown> = null;
  onmessage: H<RTCMessageEventLike> = null;
  onbufferedamountlow: H<unknown> = null;
  onclose: H<unknown> = null;
  onerror: H<RTCErrorEventLike> = null;
  closeCalls = 0;
  send(): void {}
  close(): void {
    this.closeCalls++;
    this.readyState = "closed";
    this.onclose?.({});
  }
  open(): void {
    this.readyState = "open";
    this.onopen?.({});
  }
}

class FakePeer implements RtcPeer {
  localDescription: RTCSessionDescriptionLike | null = null;
  iceGatheringState: "new" | "gathering" | "complete" = "new";
  connectionState: "new" | "connecting" | "connected" | "disconnected" | "failed" | "closed" = "new";
  onicecandidate: H<{ candidate: unknown }> = null;
  onicegatheringstatechange: H<unknown> = null;
  onconnectionstatechange: H<unknown> = null;
  ondatachannel: H<{ channel: RTCDataChannelLike }> = null;
  remote: string | undefined;
  added: [string, string][] = [];
  closed = 0;
  async createOffer(): Promise<RTCSessionDescriptionLike> {
    return { type: "offer", sdp: "v=0\r\n" };
  }
  async createAnswer(): Promise<RTCSessionDescriptionLike> {
    return { type: "answer", sdp: "v=0\r\na=candidate:1 1 UDP 1 10.0.0.5 9 typ host\r\n" };
  }
  async setLocalDescription(d: RTCSessionDescriptionLike): Promise<void> {
    this.localDescription = d;
    this.iceGatheringState = "complete";
  }
  async setRemoteDescription(d: RTCSessionDescriptionLike): Promise<void> {
    if (d.sdp.includes("bad")) throw new Error("engine says no");
    this.remote = d.sdp;
  }
  createDataChannel(): RTCDataChannelLike {
    return new FakeChannel();
  }
  close(): void {
    this.closed++;
  }
  selectedRemoteCandidate(): RtcCandidateInfo | undefined {
    return { address: "198.51.100.4", port: 4444, type: "srflx" };
  }
  async addRemoteCandidate(candidate: string, mid: string): Promise<void> {
    this.added.push([candidate, mid]);
  }
}

function fakeEngine(): { engine: RtcEngine; peers: FakePeer[] } {
  const peers: FakePeer[] = [];
  return {
    peers,
    engine: {
      name: "werift",
      close: () => undefined,
      createPeerConnection: async () => {
        const p = new FakePeer();
        peers.push(p);
        return p;
      },
    },
  };
}

const OFFER =
  "v=0\r\nm=application 9 UDP/DTLS/SCTP webrtc-datachannel\r\na=mid:0\r\na=candidate:1 1 UDP 1 192.0.2.9 5 typ host\r\na=end-of-candidates\r\n";

describe("createWebRtcAnswerer against a scripted engine", () => {
  it("applies the offer without candidates, answers, adds them after the delivery promise and the delay", async () => {
    vi.useFakeTimers();
    try {
      const { engine, peers } = fakeEngine();
      const a = createWebRtcAnswerer({ engine, onCarrier: () => undefined, publicAddresses: ["203.0.113.1"] });
      let delivered!: () => void;
      const after = new Promise<void>((r) => (delivered = r));
      const sdp = await a.answer(OFFER, { candidatesAfter: after });
      expect(sdp).toContain("203.0.113.1 9 typ host"); // public address applied
      const pc = peers[0]!;
      expect(pc.remote).not.toMatch(/candidate/);
      await vi.advanceTimersByTimeAsync(5000);
      expect(pc.added).toEqual([]); // not delivered yet
      delivered();
      await vi.advanceTimersByTimeAsync(999);
      expect(pc.added).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
      expect(pc.added).toEqual([["candidate:1 1 UDP 1 192.0.2.9 5 typ host", "0"]]);
      a.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("never adds candidates with candidatesAfter: null (manual signaling)", async () => {
    vi.useFakeTimers();
    try {
      const { engine, peers } = fakeEngine();
      const a = createWebRtcAnswerer({ engine, onCarrier: () => undefined });
      await a.answer(OFFER, { candidatesAfter: null });
      await vi.advanceTimersByTimeAsync(60_000);
      expect(peers[0]!.added).toEqual([]);
      a.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("hands on the first channel when it opens, with the selected pair's address; closes a second", async () => {
    const { engine, peers } = fakeEngine();
    const carriers: [unknown, unknown][] = [];
    const a = createWebRtcAnswerer({ engine, onCarrier: (c, info) => carriers.push([c, info]) });
    await a.answer(OFFER);
    expect(a.pendingPeers).toBe(1);
    const first = new FakeChannel();
    const second = new FakeChannel();
    peers[0]!.ondatachannel?.({ channel: first });
    peers[0]!.ondatachannel?.({ channel: second });
    expect(second.closeCalls).toBe(1);
    expect(carriers).toHaveLength(0);
    first.open();
    expect(carriers).toHaveLength(1);
    expect(carriers[0]![1]).toEqual({ remoteAddress: "198.51.100.4", remotePort: 4444 });
    expect(a.pendingPeers).toBe(0);
    expect(a.peers).toBe(1);
    // The carrier's close closes the peer.
    (carriers[0]![0] as { destroy(): void }).destroy();
    await new Promise((r) => setImmediate(r));
    expect(peers[0]!.closed).toBe(1);
    expect(a.peers).toBe(0);
  });

  it("refuses past maxPendingPeers before making a peer, and frees the slot when a peer times out", async () => {
    vi.useFakeTimers();
    try {
      const { engine, peers } = fakeEngine();
      const a = createWebRtcAnswerer({
        engine,
        onCarrier: () => undefined,
        maxPendingPeers: 2,
        connectTimeoutMs: 1000,
      });
      await a.answer(OFFER);
      await a.answer(OFFER);
      expect(a.hasRoom()).toBe(false);
      await expect(a.answer(OFFER)).rejects.toMatchObject({ code: "ERR_RTC_BUSY" });
      expect(peers).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(1000);
      expect(peers.map((p) => p.closed)).toEqual([1, 1]);
      expect(a.pendingPeers).toBe(0);
      expect(a.hasRoom()).toBe(true);
      expect(a.peersTotal).toBe(2);
      a.close();
    } finally {
      vi.useRealTimers();
    }
  });

  it("closes the peer when the engine fails, on ICE failure, on abort, and on close()", async () => {
    const { engine, peers } = fakeEngine();
    const a = createWebRtcAnswerer({ engine, onCarrier: () => undefined });
    await expect(a.answer("v=0 bad")).rejects.toMatchObject({ code: "ERR_RTC_ANSWER_FAILED" });
    expect(peers[0]!.closed).toBe(1);

    await a.answer(OFFER);
    peers[1]!.connectionState = "failed";
    peers[1]!.onconnectionstatechange?.({});
    expect(peers[1]!.closed).toBe(1);

    const ac = new AbortController();
    ac.abort();
    await expect(a.answer(OFFER, { signal: ac.signal })).rejects.toMatchObject({ code: "ERR_ABORTED" });
    expect(peers).toHaveLength(2); // withdrawn before a peer was made
    const late = new AbortController();
    const pending = a.answer(OFFER, { signal: late.signal });
    late.abort(); // the HTTP client went away while we were answering
    await expect(pending).rejects.toBeInstanceOf(WebptError);
    expect(peers[2]!.closed).toBe(1);

    await a.answer(OFFER);
    a.close();
    expect(peers[3]!.closed).toBe(1);
    expect(a.peers).toBe(0);
    await expect(a.answer(OFFER)).rejects.toMatchObject({ code: "ERR_RTC_CLOSED" });
  });
});

describe("DataChannelDuplex close linger (node-datachannel drops messages racing a close)", () => {
  it("closes the channel closeLingerMs after the send buffer drained, then finishes", async () => {
    vi.useFakeTimers();
    try {
      const ch = new FakeChannel();
      ch.readyState = "open";
      const d = dataChannelDuplex(ch, { closeLingerMs: 200 });
      let finished = false;
      d.on("finish", () => (finished = true));
      d.end(Buffer.from("bye"));
      await vi.advanceTimersByTimeAsync(199);
      expect(ch.closeCalls).toBe(0);
      expect(finished).toBe(false);
      await vi.advanceTimersByTimeAsync(1);
      expect(ch.closeCalls).toBe(1);
      expect(finished).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });

  it("does not linger on destroy, and a peer's close during the linger ends it", async () => {
    const ch = new FakeChannel();
    ch.readyState = "open";
    const d = dataChannelDuplex(ch);
    d.destroy();
    expect(ch.closeCalls).toBe(1);

    const ch2 = new FakeChannel();
    ch2.readyState = "open";
    const d2 = dataChannelDuplex(ch2);
    const finished = new Promise((r) => d2.once("finish", r));
    d2.end();
    await new Promise((r) => setImmediate(r));
    ch2.close(); // the peer closed first
    await finished;
    expect(() => dataChannelDuplex(new FakeChannel(), { closeLingerMs: -1 })).toThrow(RangeError);
  });
});
