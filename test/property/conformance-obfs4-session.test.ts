// The sans-IO obfs4 sessions (src/shared/codec/obfs4/session.ts), which join
// the handshake to the framing and had only interop coverage: the first
// flight at every split point and in 1-byte chunks, a round trip in both
// directions for any iat-mode and chunking, and random-bytes fuzzing of both
// roles (fixed seed, 10,000 runs each). Mapping: /work/notes/conformance-map.md.
import { createHash } from "node:crypto";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { isWebptError } from "../../src/shared/errors.js";
import {
  MAX_HANDSHAKE_LENGTH,
  Obfs4ClientSession,
  Obfs4ServerSession,
  ReplayFilter,
  ServerHandshake,
  createFramers,
  generateRepresentableKeypair,
  generateServerState,
} from "../../src/shared/codec/obfs4/index.js";
import type { IatMode, RepresentableKeypair } from "../../src/shared/codec/obfs4/index.js";
import { splits, cutAt } from "../helpers/chunking.js";
import { fcParams } from "../helpers/fc.js";

/** A deterministic random source: SHA-256(seed/0) | SHA-256(seed/1) | … consumed in order. */
function detRng(seed: string): (n: number) => Uint8Array {
  let counter = 0;
  let pool = new Uint8Array(0);
  return (n) => {
    const out = new Uint8Array(n);
    for (let off = 0; off < n;) {
      if (pool.length === 0) pool = createHash("sha256").update(`${seed}/${counter++}`).digest();
      const take = Math.min(pool.length, n - off);
      out.set(pool.subarray(0, take), off);
      pool = pool.subarray(take);
      off += take;
    }
    return out;
  };
}

const setup = detRng("conformance-session");
const identity = generateServerState(setup);
const keypairs: RepresentableKeypair[] = Array.from({ length: 4 }, () => generateRepresentableKeypair(setup));
const NOW = 1_700_000_000_000;

function clientSession(iatMode: IatMode, k = 0, padLength = 77): Obfs4ClientSession {
  return new Obfs4ClientSession({
    nodeId: identity.nodeId,
    identityPublicKey: identity.publicKey,
    keypair: keypairs[k % keypairs.length]!,
    now: () => NOW,
    rng: detRng(`client-${k}`),
    padLength,
    iatMode,
  });
}

function serverSession(iatMode: IatMode, k = 1, padLength = 0): Obfs4ServerSession {
  return new Obfs4ServerSession({
    nodeId: identity.nodeId,
    identityKeypair: identity,
    replayFilter: new ReplayFilter(),
    keypair: keypairs[k % keypairs.length]!,
    now: () => NOW,
    rng: detRng(`server-${k}`),
    closeDelayMs: 0,
    padLength,
    drbgSeed: identity.drbgSeed,
    iatMode,
  });
}

/** The key material serverSession(0) derives for `request` (the session does not expose it). */
function serverKeyMaterial(request: Uint8Array): Uint8Array {
  const hs = new ServerHandshake({
    nodeId: identity.nodeId,
    identityKeypair: identity,
    replayFilter: new ReplayFilter(),
    keypair: keypairs[1]!,
    now: () => NOW,
    rng: detRng("server-1"),
    closeDelayMs: 0,
    padLength: 0,
  });
  const r = hs.push(request);
  if (r.kind !== "done") throw new Error(r.kind);
  return r.keyMaterial;
}

/** Cuts `bytes` at the given offsets (modulo length + 1, sorted, deduplicated). */
const cutsArb = fc.array(fc.nat(), { maxLength: 8 });

/** A cheap assertion for the 10,000-run loops. */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`violated: ${what}`);
}

/** Feeds chunks to a session, collecting what it decodes and what it asks to send. */
function feed(
  s: Obfs4ClientSession | Obfs4ServerSession,
  chunks: readonly Uint8Array[],
): { data: Uint8Array; send: Uint8Array } {
  const data: Uint8Array[] = [];
  const send: Uint8Array[] = [];
  for (const c of chunks) {
    const r = s.receive(c);
    data.push(...r.data);
    if (r.send !== undefined) send.push(r.send);
  }
  return { data: concatBytes(...data), send: concatBytes(...send) };
}

describe("obfs4 sessions: the first flight at every split point", () => {
  it("the server answers the same request cut anywhere; the client reads the answer cut anywhere", () => {
    const request = clientSession(0).request;
    const whole = feed(serverSession(0), [request]);
    expect(whole.send.length).toBeGreaterThan(96 + 45 - 1); // Y' | AUTH | M_S | MAC_S, then the seed frame
    for (const { label, chunks } of splits(request)) {
      const s = serverSession(0);
      const got = feed(s, chunks);
      expect(toHex(got.send), label).toBe(toHex(whole.send));
      expect(s.established, label).toBe(true);
    }
    // The client consumes the response and the PRNG-seed frame at every split, and then speaks. Every split
    // derives the same keys (same keypairs, same nonces), so a fresh server-side decoder for those keys must
    // read each split's first frame (its padding is random, so the bytes differ).
    const keyMaterial = serverKeyMaterial(request);
    const hello = new TextEncoder().encode("hello, bridge");
    for (const { label, chunks } of splits(whole.send)) {
      const c = clientSession(0);
      const got = feed(c, chunks);
      expect(c.established, label).toBe(true);
      expect(got.data.length, label).toBe(0);
      const { decoder } = createFramers(keyMaterial, "server");
      const packets = decoder.push(c.send(hello).data);
      expect(
        packets.map((p) => (p.type === "payload" ? toHex(p.data) : p.type)),
        label,
      ).toEqual([toHex(hello)]);
    }
  });
});

describe("obfs4 sessions: decode(encode(x)) = x both ways", () => {
  it("any iat-modes, payloads, paddings and chunkings", () => {
    const payloads = fc.array(fc.uint8Array({ maxLength: 3000 }), { maxLength: 3 });
    fc.assert(
      fc.property(
        fc.constantFrom<IatMode>(0, 1, 2),
        fc.constantFrom<IatMode>(0, 1, 2),
        fc.integer({ min: 77, max: 2000 }),
        fc.integer({ min: 0, max: 2000 }),
        payloads,
        payloads,
        cutsArb,
        cutsArb,
        (clientIat, serverIat, clientPad, serverPad, up, down, cutsUp, cutsDown) => {
          const c = clientSession(clientIat, 0, clientPad);
          const s = serverSession(serverIat, 1, serverPad);
          const first = feed(s, cutAt(c.request, cutsUp));
          expect(s.established).toBe(true);
          // The server's first flight, with its data right behind it, as one stream.
          const flight = concatBytes(first.send, ...down.map((d) => s.send(d).data));
          const atClient = feed(c, cutAt(flight, cutsDown));
          expect(c.established).toBe(true);
          expect(toHex(atClient.data)).toBe(toHex(concatBytes(...down)));
          const atServer = feed(s, cutAt(concatBytes(...up.map((u) => c.send(u).data)), cutsUp));
          expect(toHex(atServer.data)).toBe(toHex(concatBytes(...up)));
          c.finish();
          s.finish();
        },
      ),
      fcParams(40),
    );
  });
});

/** Fast filler for long inputs (xorshift32). */
function filler(seed: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let x = seed | 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}
const noise = fc
  .tuple(fc.uint8Array({ maxLength: 300 }), fc.oneof(fc.constant(0), fc.nat({ max: 9000 })), fc.integer())
  .map(([head, bulk, seed]) => concatBytes(head, filler(seed, bulk)));

describe("obfs4 sessions: random bytes (10,000 runs each)", () => {
  it("the server session never throws, never answers, and fails silently with one closeAt", () => {
    fc.assert(
      fc.property(noise, cutsArb, (bytes, cuts) => {
        const s = serverSession(0);
        let closeAt: number | undefined;
        let total = 0;
        for (const c of cutAt(bytes, cuts)) {
          const r = s.receive(c); // a throw fails the property
          total += c.length;
          check(r.send === undefined && r.data.length === 0, "no answer, no data");
          if (closeAt !== undefined) check(r.closeAt === closeAt, "the same closeAt after failing");
          closeAt ??= r.closeAt;
        }
        check(!s.established, "random bytes never establish a session");
        check((closeAt !== undefined) === total >= MAX_HANDSHAKE_LENGTH, "fails exactly when 8192 bytes pass");
      }),
      fcParams(10_000),
    );
  });

  it("the client session throws only project errors and never establishes", () => {
    fc.assert(
      fc.property(noise, cutsArb, (bytes, cuts) => {
        const c = clientSession(0);
        try {
          for (const piece of cutAt(bytes, cuts)) check(c.receive(piece).data.length === 0, "no data");
          c.finish();
        } catch (e) {
          if (!isWebptError(e)) throw e;
        }
        check(!c.established, "random bytes never establish a session");
      }),
      fcParams(10_000),
    );
  });

  // Each run needs a fresh session (the first error poisons it), so a handshake per run: fewer runs here; the
  // framing decoder underneath has its own 10,000-run fuzz (test/property/obfs4-framing.test.ts).
  it("an established session fed random frames throws only project errors", () => {
    const c = clientSession(0);
    const s = serverSession(0);
    const flight = feed(s, [c.request]).send;
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 1600 }), { maxLength: 4 }), (chunks) => {
        const client = clientSession(0);
        feed(client, [flight]);
        try {
          feed(client, chunks);
          client.finish();
        } catch (e) {
          if (!isWebptError(e)) throw e;
        }
      }),
      fcParams(300),
    );
  });
});
