import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { isWebptError } from "../../src/shared/errors.js";
import { ClientHandshake, type ClientHandshakeResult } from "../../src/shared/codec/obfs4/handshake-client.js";
import { MAX_HANDSHAKE_LENGTH } from "../../src/shared/codec/obfs4/handshake-messages.js";
import { ServerHandshake, type ServerHandshakeResult } from "../../src/shared/codec/obfs4/handshake-server.js";
import { generateServerState } from "../../src/shared/codec/obfs4/identity.js";
import { generateRepresentableKeypair } from "../../src/shared/codec/obfs4/ntor.js";
import { ReplayFilter } from "../../src/shared/codec/obfs4/replay-filter.js";
import { fcParams } from "../helpers/fc.js";
import { detRng, hex } from "../unit/obfs4-handshake-fixtures.js";
import { cutAt } from "../helpers/chunking.js";

const setup = detRng("handshake-property");
const identity = generateServerState(setup);
const keypairs = Array.from({ length: 6 }, () => generateRepresentableKeypair(setup));
const NOW = 1_700_000_000_000;

function server(keypair = keypairs[0]!, padLength?: number, seed = "s"): ServerHandshake {
  return new ServerHandshake({
    nodeId: identity.nodeId,
    identityKeypair: identity,
    replayFilter: new ReplayFilter(),
    keypair,
    now: () => NOW,
    rng: detRng(seed),
    closeDelayMs: 0,
    ...(padLength === undefined ? {} : { padLength }),
  });
}

function client(keypair = keypairs[1]!, padLength?: number, seed = "c"): ClientHandshake {
  return new ClientHandshake({
    nodeId: identity.nodeId,
    identityPublicKey: identity.publicKey,
    keypair,
    now: () => NOW,
    rng: detRng(seed),
    ...(padLength === undefined ? {} : { padLength }),
  });
}

/** Cuts `bytes` at the given (sorted, deduplicated) offsets. */

/** Fast filler for long inputs (xorshift32): fast-check's own byte generation is too slow for 10,000 × 8 KiB. */
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

/**
 * Random input for the fuzzers: fully random (fast-check) head bytes, where the mark search starts, followed half
 * of the time by up to 9000 filler bytes so that the 8192-byte limit is crossed in about one run in ten.
 */
const noise = fc
  .tuple(fc.uint8Array({ maxLength: 400 }), fc.oneof(fc.constant(0), fc.nat({ max: 9000 })), fc.integer())
  .map(([head, bulk, seed]) => {
    const out = new Uint8Array(head.length + bulk);
    out.set(head);
    out.set(filler(seed, bulk), head.length);
    return out;
  });
const cuts = fc.array(fc.nat(), { maxLength: 12 });

/** A cheap assertion for the 10,000-run fuzzers (vitest's expect costs more than the code under test). */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(`violated: ${what}`);
}

describe("ServerHandshake on random bytes (probing)", () => {
  it("never throws, never answers, buffers at most 8192 bytes, and fails exactly when 8192 bytes pass", () => {
    let crossed = 0;
    fc.assert(
      fc.property(noise, cuts, (input, at) => {
        const s = server();
        let total = 0;
        let last: ServerHandshakeResult = { kind: "pending" };
        for (const chunk of cutAt(input, at)) {
          last = s.push(chunk); // a throw here fails the property
          total += chunk.length;
          check(last.kind !== "done", "never answers");
          check(s.buffered <= MAX_HANDSHAKE_LENGTH, "bounded buffer");
          if (last.kind === "failed") {
            check(isWebptError(last.error), "project error");
            check(last.error.code === "ERR_OBFS4_HANDSHAKE_TOO_LONG", "only the length limit can fail random input");
            check(s.buffered === 0, "nothing kept after failing");
          }
        }
        check(last.kind === (total >= MAX_HANDSHAKE_LENGTH ? "failed" : "pending"), "fails exactly at the limit");
        if (total >= MAX_HANDSHAKE_LENGTH) crossed++;
      }),
      fcParams(10_000),
    );
    expect(crossed).toBeGreaterThan(200); // the limit was really exercised
  });
});

describe("ClientHandshake on random bytes (a bogus server)", () => {
  it("throws only project errors, buffers at most 8192 bytes, and gives up exactly at 8192", () => {
    let crossed = 0;
    const zeros = (n: number): Uint8Array => new Uint8Array(n); // padding content is irrelevant here
    fc.assert(
      fc.property(noise, cuts, (input, at) => {
        const c = new ClientHandshake({
          nodeId: identity.nodeId,
          identityPublicKey: identity.publicKey,
          keypair: keypairs[1]!,
          now: () => NOW,
          rng: zeros,
          padLength: 77,
        });
        let total = 0;
        let thrown: unknown = null;
        for (const chunk of cutAt(input, at)) {
          let result: ClientHandshakeResult | null = null;
          try {
            result = c.push(chunk);
          } catch (e) {
            thrown = e;
          }
          total += chunk.length;
          if (thrown !== null) break;
          check(result?.kind === "pending", "random bytes never complete the handshake");
          check(c.buffered <= MAX_HANDSHAKE_LENGTH, "bounded buffer");
        }
        if (total >= MAX_HANDSHAKE_LENGTH) crossed++;
        const code = isWebptError(thrown) ? thrown.code : thrown === null ? null : "not a project error";
        check(code === (total >= MAX_HANDSHAKE_LENGTH ? "ERR_OBFS4_HANDSHAKE_TOO_LONG" : null), `thrown: ${code}`);
      }),
      fcParams(10_000),
    );
    expect(crossed).toBeGreaterThan(200);
  });
});

describe("client ↔ server", () => {
  it("agree on the key material for any padding, chunking and trailing data", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 77, max: 8128 }),
        fc.integer({ min: 0, max: 8051 }),
        fc.uint8Array({ maxLength: 600 }),
        cuts,
        cuts,
        fc.integer({ min: 0, max: keypairs.length - 1 }),
        (clientPad, serverPad, trailing, requestCuts, responseCuts, k) => {
          const c = client(keypairs[k], clientPad, `c${k}`);
          const s = server(keypairs[(k + 1) % keypairs.length], serverPad, `s${k}`);
          let sr: ServerHandshakeResult = { kind: "pending" };
          for (const chunk of cutAt(c.request, requestCuts)) if (sr.kind === "pending") sr = s.push(chunk);
          if (sr.kind !== "done") throw new Error(`server: ${sr.kind}`);
          const stream = Uint8Array.from([...sr.response, ...trailing]);
          let cr: ClientHandshakeResult = { kind: "pending" };
          const after: number[] = [];
          for (const chunk of cutAt(stream, responseCuts)) {
            if (cr.kind === "done") after.push(...chunk);
            else cr = c.push(chunk);
          }
          if (cr.kind !== "done") throw new Error("client did not finish");
          expect(hex(cr.keyMaterial)).toBe(hex(sr.keyMaterial));
          expect(hex(Uint8Array.from([...cr.leftover, ...after]))).toBe(hex(trailing));
        },
      ),
      fcParams(60),
    );
  });

  it("a request with any single bit flipped is never answered", () => {
    const request = client(keypairs[1], 200).request;
    fc.assert(
      fc.property(fc.integer({ min: 0, max: request.length * 8 - 1 }), (bit) => {
        const bad = Uint8Array.from(request);
        bad[bit >> 3]! ^= 1 << (bit & 7);
        expect(server().push(bad).kind).not.toBe("done");
      }),
      fcParams(400),
    );
  });
});
