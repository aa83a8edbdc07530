import { describe, expect, it } from "vitest";
import { LimitError, UnexpectedEOFError, isWebptError } from "../../src/shared/errors.js";
import { ClientHandshake, type ClientHandshakeResult } from "../../src/shared/codec/obfs4/handshake-client.js";
import { Obfs4HandshakeError, Obfs4HandshakeStateError } from "../../src/shared/codec/obfs4/handshake-errors.js";
import {
  computeMac,
  computeMark,
  encodeServerResponse,
  handshakeMacKey,
} from "../../src/shared/codec/obfs4/handshake-messages.js";
import {
  MAX_CLOSE_DELAY_MS,
  MAX_FAILED_CLOSE_AFTER_MS,
  MIN_FAILED_CLOSE_AFTER_MS,
  SERVER_HANDSHAKE_TIMEOUT_MS,
  ServerHandshake,
  type ServerHandshakeOptions,
  type ServerHandshakeResult,
  chooseCloseDelayMs,
} from "../../src/shared/codec/obfs4/handshake-server.js";
import { generateServerState } from "../../src/shared/codec/obfs4/identity.js";
import { generateRepresentableKeypair } from "../../src/shared/codec/obfs4/ntor.js";
import { ReplayFilter } from "../../src/shared/codec/obfs4/replay-filter.js";
import { splits } from "../helpers/chunking.js";
import { detRng, hex } from "./obfs4-handshake-fixtures.js";

const setup = detRng("handshake-setup");
const identity = generateServerState(setup);
const clientKeypair = generateRepresentableKeypair(setup);
const serverKeypair = generateRepresentableKeypair(setup);
const NOW = 1_700_000_000_000; // epoch hour 472222
const HOUR = 3_600_000;
const CLOSE_DELAY = 7_000;
const macKey = handshakeMacKey(identity.publicKey, identity.nodeId);

function client(extra: { padLength?: number; now?: number } = {}): ClientHandshake {
  return new ClientHandshake({
    nodeId: identity.nodeId,
    identityPublicKey: identity.publicKey,
    keypair: clientKeypair,
    now: () => extra.now ?? NOW,
    rng: detRng("client"),
    ...(extra.padLength === undefined ? {} : { padLength: extra.padLength }),
  });
}

function server(extra: Partial<ServerHandshakeOptions> = {}): ServerHandshake {
  return new ServerHandshake({
    nodeId: identity.nodeId,
    identityKeypair: identity,
    replayFilter: new ReplayFilter(),
    keypair: serverKeypair,
    now: () => NOW,
    rng: detRng("server"),
    closeDelayMs: CLOSE_DELAY,
    ...extra,
  });
}

function done<T extends { kind: string }>(r: T): Extract<T, { kind: "done" }> {
  if (r.kind !== "done") throw new Error(`expected done, got ${JSON.stringify(r)}`);
  return r as Extract<T, { kind: "done" }>;
}

function failed(r: ServerHandshakeResult | null): Extract<ServerHandshakeResult, { kind: "failed" }> {
  if (r === null || r.kind !== "failed") throw new Error(`expected failed, got ${JSON.stringify(r)}`);
  return r;
}

/** A fake 45-byte PRNG-seed frame: the client must hand it back untouched as leftover. */
const SEED_FRAME = detRng("seed-frame")(45);

describe("client ↔ server round trip", () => {
  it("shortest messages: a 141-byte request and a 96-byte response agree on 144 bytes of key material", () => {
    const c = client({ padLength: 77 });
    expect(c.request.length).toBe(141);
    const s = server({ padLength: 0 });
    const sr = done(s.push(c.request));
    expect(sr.response.length).toBe(96);
    expect(sr.leftover.length).toBe(0);
    expect(sr.epochHour).toBe(472222);
    const cr = done(c.push(Uint8Array.from([...sr.response, ...SEED_FRAME])));
    expect(cr.keyMaterial.length).toBe(144);
    expect(hex(cr.keyMaterial)).toBe(hex(sr.keyMaterial));
    expect(hex(cr.keySeed)).toBe(hex(sr.keySeed));
    expect(hex(cr.leftover)).toBe(hex(SEED_FRAME));
    expect(c.buffered).toBe(0);
    expect(() => c.finish()).not.toThrow();
  });

  it("longest messages: an 8192-byte request; an 8147-byte response + seed frame + data fill 8192 and more", () => {
    const c = client({ padLength: 8128 });
    expect(c.request.length).toBe(8192);
    const sr = done(server({ padLength: 8051 }).push(c.request));
    expect(sr.response.length).toBe(8147);
    const data = detRng("data")(300);
    const cr = done(c.push(Uint8Array.from([...sr.response, ...SEED_FRAME, ...data])));
    expect(hex(cr.keyMaterial)).toBe(hex(sr.keyMaterial));
    expect(hex(cr.leftover)).toBe(hex(SEED_FRAME) + hex(data));
  });

  it("the server finds the request at every split point and in 1-byte chunks", () => {
    const request = client({ padLength: 77 }).request;
    const whole = done(server({ padLength: 0 }).push(request));
    for (const { label, chunks } of splits(request)) {
      const s = server({ padLength: 0 });
      const results = chunks.filter((ch, i) => ch.length > 0 || i === 0).map((ch) => s.push(ch));
      const last = results.pop()!;
      expect(
        results.every((r) => r.kind === "pending"),
        label,
      ).toBe(true);
      const r = done(last);
      expect(hex(r.response), label).toBe(hex(whole.response));
      expect(hex(r.keyMaterial), label).toBe(hex(whole.keyMaterial));
      expect(r.leftover.length, label).toBe(0);
    }
  });

  it("the client finds the response at every split point and in 1-byte chunks, keeping what follows", () => {
    const c0 = client({ padLength: 77 });
    const sr = done(server({ padLength: 0 }).push(c0.request));
    const stream = Uint8Array.from([...sr.response, ...SEED_FRAME]);
    for (const { label, chunks } of splits(stream)) {
      const c = client({ padLength: 77 });
      let result: ClientHandshakeResult = { kind: "pending" };
      const after: number[] = [];
      for (const ch of chunks) {
        if (result.kind === "done") after.push(...ch);
        else result = c.push(ch);
      }
      const r = done(result);
      expect(hex(r.keyMaterial), label).toBe(hex(sr.keyMaterial));
      expect(hex(Uint8Array.from([...r.leftover, ...after])), label).toBe(hex(SEED_FRAME));
    }
  });

  it("the server hands back bytes that follow MAC_C as leftover (obfs4proxy would reject them)", () => {
    const extra = detRng("trailing")(10);
    const r = done(server().push(Uint8Array.from([...client().request, ...extra])));
    expect(hex(r.leftover)).toBe(hex(extra));
  });

  it.each([
    ["an hour behind", -HOUR],
    ["an hour ahead", HOUR],
  ])("tolerates a client clock %s; the response uses the client's hour", (_label, skew) => {
    const c = client({ now: NOW + skew });
    const sr = done(server().push(c.request));
    expect(sr.epochHour).toBe(c.epochHour);
    expect(hex(done(c.push(sr.response)).keyMaterial)).toBe(hex(sr.keyMaterial));
  });
});

describe("client failures (fatal: drop the connection)", () => {
  const c0 = client({ padLength: 77 });
  const sr = done(server({ padLength: 10 }).push(c0.request));

  function responseWith(edit: (b: Uint8Array) => void): Uint8Array {
    const b = Uint8Array.from(sr.response);
    edit(b);
    return b;
  }

  it.each([
    ["a flipped bit in MAC_S", (b: Uint8Array) => (b[b.length - 1]! ^= 1)],
    ["a flipped bit in P_S", (b: Uint8Array) => (b[70]! ^= 0x80)],
    ["a flipped bit in AUTH (covered by MAC_S)", (b: Uint8Array) => (b[40]! ^= 4)],
  ])("%s → ERR_OBFS4_BAD_MAC", (_label, edit) => {
    const c = client({ padLength: 77 });
    const bad = responseWith(edit);
    expect(() => c.push(bad)).toThrow(expect.objectContaining({ code: "ERR_OBFS4_BAD_MAC" }));
  });

  it("a MAC_S made with another epoch hour → ERR_OBFS4_BAD_MAC", () => {
    const c = client();
    const body = sr.response.subarray(0, sr.response.length - 16);
    const bad = Uint8Array.from([...body, ...computeMac(macKey, body, c.epochHour + 1)]);
    expect(() => c.push(bad)).toThrow(expect.objectContaining({ code: "ERR_OBFS4_BAD_MAC" }));
  });

  it("a valid MAC over the wrong AUTH → ERR_OBFS4_BAD_AUTH", () => {
    const c = client();
    const bad = encodeServerResponse({
      macKey,
      representative: serverKeypair.representative,
      auth: new Uint8Array(32).fill(7),
      padding: new Uint8Array(0),
      epochHour: c.epochHour,
    });
    expect(() => c.push(bad)).toThrow(expect.objectContaining({ code: "ERR_OBFS4_BAD_AUTH" }));
  });

  it("a representative of a low-order point (r = 0 → u = 0) → ERR_OBFS4_NTOR_FAILED", () => {
    const c = client();
    const bad = encodeServerResponse({
      macKey,
      representative: new Uint8Array(32),
      auth: new Uint8Array(32),
      padding: new Uint8Array(0),
      epochHour: c.epochHour,
    });
    expect(() => c.push(bad)).toThrow(expect.objectContaining({ code: "ERR_OBFS4_NTOR_FAILED" }));
  });

  it("a flipped bit in M_S leaves the mark unfound: pending until 8192 bytes, then ERR_OBFS4_HANDSHAKE_TOO_LONG", () => {
    const c = client();
    const bad = responseWith((b) => (b[b.length - 20]! ^= 1));
    expect(c.push(bad).kind).toBe("pending");
    expect(c.push(new Uint8Array(8191 - bad.length)).kind).toBe("pending");
    expect(c.buffered).toBe(8191);
    let error: unknown;
    try {
      c.push(new Uint8Array(1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(LimitError);
    expect((error as LimitError).code).toBe("ERR_OBFS4_HANDSHAKE_TOO_LONG");
    expect((error as LimitError).limit).toBe(8192);
    // Poisoned: the same error again, for pushes and finish().
    expect(() => c.push(new Uint8Array(1))).toThrow(error as Error);
    expect(() => c.finish()).toThrow(error as Error);
    expect(c.buffered).toBe(0);
  });

  it("finish() before the response completes → UnexpectedEOFError with the buffered count", () => {
    const c = client();
    c.push(sr.response.subarray(0, 50));
    expect(() => c.finish()).toThrow(UnexpectedEOFError);
    expect(() => c.finish()).toThrow(expect.objectContaining({ remaining: 50 }));
  });

  it("push() after completion is a caller bug: Obfs4HandshakeStateError", () => {
    const c = client({ padLength: 77 });
    done(c.push(sr.response));
    expect(() => c.push(new Uint8Array(1))).toThrow(Obfs4HandshakeStateError);
  });

  it("rejects a bad node ID at construction (programmer error)", () => {
    expect(() => new ClientHandshake({ nodeId: new Uint8Array(19), identityPublicKey: identity.publicKey })).toThrow(
      RangeError,
    );
  });
});

describe("server failures (silent: never answer, close at closeAt)", () => {
  const request = client({ padLength: 100 }).request;
  const closeAt = NOW + SERVER_HANDSHAKE_TIMEOUT_MS + CLOSE_DELAY;

  function expectFailed(r: ServerHandshakeResult | null, code: string): void {
    const f = failed(r);
    expect(f.error.code).toBe(code);
    expect(isWebptError(f.error)).toBe(true);
    expect(f.closeAt).toBe(closeAt);
    expect("response" in f).toBe(false);
  }

  it.each([
    ["a flipped bit in MAC_C", request.length - 1],
    ["a flipped bit in P_C", 60],
  ])("%s → ERR_OBFS4_BAD_MAC", (_label, at) => {
    const bad = Uint8Array.from(request);
    bad[at]! ^= 1;
    expectFailed(server().push(bad), "ERR_OBFS4_BAD_MAC");
  });

  it.each([
    ["two hours behind", -2 * HOUR],
    ["two hours ahead", 2 * HOUR],
  ])("a client clock %s → ERR_OBFS4_BAD_MAC", (_label, skew) => {
    expectFailed(server().push(client({ now: NOW + skew }).request), "ERR_OBFS4_BAD_MAC");
  });

  it("a replayed request → ERR_OBFS4_REPLAY while the filter remembers its MAC, accepted once the TTL passes", () => {
    let now = NOW;
    const filter = new ReplayFilter({ ttlMs: 60_000 });
    const make = (): ServerHandshake => server({ replayFilter: filter, now: () => now });
    done(make().push(request));
    now = NOW + 59_999;
    expect(failed(make().push(request)).error.code).toBe("ERR_OBFS4_REPLAY");
    expect(filter.size).toBe(1);
    now = NOW + 60_000;
    done(make().push(request));
  });

  it("a replay caught by the filter fails exactly like a bad MAC: silent, closed at closeAt", () => {
    const filter = new ReplayFilter();
    done(server({ replayFilter: filter }).push(request));
    expectFailed(server({ replayFilter: filter }).push(request), "ERR_OBFS4_REPLAY");
  });

  it("a representative of a low-order point with a valid mark and MAC → ERR_OBFS4_NTOR_FAILED", () => {
    const repr = new Uint8Array(32);
    const body = Uint8Array.from([...repr, ...new Uint8Array(77), ...computeMark(macKey, repr)]);
    const bad = Uint8Array.from([...body, ...computeMac(macKey, body, 472222)]);
    expectFailed(server().push(bad), "ERR_OBFS4_NTOR_FAILED");
  });

  it("no mark within 8192 bytes → ERR_OBFS4_HANDSHAKE_TOO_LONG at exactly 8192, then silence", () => {
    const s = server();
    const noise = detRng("noise")(8192);
    expect(s.push(noise.subarray(0, 8191)).kind).toBe("pending");
    expect(s.buffered).toBe(8191);
    expectFailed(s.push(noise.subarray(8191)), "ERR_OBFS4_HANDSHAKE_TOO_LONG");
    expect(s.buffered).toBe(0);
    // Keep reading and discarding: the same failure, nothing buffered, even for a valid request.
    const again = s.push(request);
    expectFailed(again, "ERR_OBFS4_HANDSHAKE_TOO_LONG");
    expect(s.buffered).toBe(0);
  });

  it("a mark before the minimum padding is never looked for (76 bytes of P_C)", () => {
    const repr = clientKeypair.representative;
    const body = Uint8Array.from([...repr, ...new Uint8Array(76), ...computeMark(macKey, repr)]);
    const early = Uint8Array.from([...body, ...computeMac(macKey, body, 472222)]);
    const s = server();
    expect(s.push(early).kind).toBe("pending");
  });

  it("a request whose MAC would end past 8192 bytes is never accepted (P_C of 8129)", () => {
    const repr = clientKeypair.representative;
    const body = Uint8Array.from([...repr, ...new Uint8Array(8129), ...computeMark(macKey, repr)]);
    const long = Uint8Array.from([...body, ...computeMac(macKey, body, 472222)]);
    expectFailed(server().push(long), "ERR_OBFS4_HANDSHAKE_TOO_LONG");
  });

  it("expire(): a pending handshake fails with ERR_OBFS4_HANDSHAKE_TIMEOUT; a finished one returns null", () => {
    const s = server();
    expect(s.deadline).toBe(NOW + SERVER_HANDSHAKE_TIMEOUT_MS);
    s.push(request.subarray(0, 20));
    expectFailed(s.expire(), "ERR_OBFS4_HANDSHAKE_TIMEOUT");
    expectFailed(s.expire(), "ERR_OBFS4_HANDSHAKE_TIMEOUT");
    const ok = server();
    done(ok.push(request));
    expect(ok.expire()).toBeNull();
    expect(() => ok.push(new Uint8Array(1))).toThrow(Obfs4HandshakeStateError);
  });
});

describe("close delay", () => {
  it("chooseCloseDelayMs picks whole seconds in [0, 60 s), like obfs4proxy's rng.Intn(60)", () => {
    const rng = detRng("close-delay");
    const seen = new Set<number>();
    for (let i = 0; i < 2000; i++) {
      const d = chooseCloseDelayMs(rng);
      expect(d % 1000).toBe(0);
      expect(d >= 0 && d < MAX_CLOSE_DELAY_MS).toBe(true);
      seen.add(d);
    }
    expect(seen.size).toBe(60);
    expect(MIN_FAILED_CLOSE_AFTER_MS).toBe(30_000);
    expect(MAX_FAILED_CLOSE_AFTER_MS).toBe(89_000);
  });

  it("closeDelayMs must lie in [0, 60 s)", () => {
    expect(() => server({ closeDelayMs: MAX_CLOSE_DELAY_MS })).toThrow(RangeError);
    expect(() => server({ closeDelayMs: -1 })).toThrow(RangeError);
  });

  it("the failure error is an Obfs4HandshakeError with a stable code, not a message to match on", () => {
    const bad = Uint8Array.from(client().request);
    bad[bad.length - 1]! ^= 1;
    const f = failed(server().push(bad));
    expect(f.error).toBeInstanceOf(Obfs4HandshakeError);
    expect(f.error.toJSON()).toMatchObject({ name: "Obfs4HandshakeError", code: "ERR_OBFS4_BAD_MAC" });
  });
});
