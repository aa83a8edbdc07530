import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { fromHex } from "../../src/shared/bytes/bytes.js";
import { encodeUdpFrame } from "../../src/shared/codec/framing/udp-frame.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  UdpClientPool,
  type UdpClientOutput,
  UdpServerPool,
  type UdpServerOutput,
} from "../../src/shared/udp/index.js";
import { fcParams } from "../helpers/fc.js";

/**
 * Random event sequences against both pools (seed 000 §3.3.5.3 Table 1,
 * §3.3.5.5 Table 2), checking the invariants the adapters rely on:
 * no output names an id after its removal (or before it was opened), every
 * send-transport / send-udp is for a live entry (Connected, on the client),
 * the pool never exceeds maxEntries, the next deadline is always in the
 * future, and nothing but a WebptError is ever thrown.
 */

const T = 100;
const MAX = 3;
const KEYS = ["a:1", "b:2", "c:3", "d:4", "e:5"];
const BINDING = fromHex("0001 0000 2112a442 000102030405060708090a0b");

const payload = fc.uint8Array({ maxLength: 40 });
/** Transport bytes: well-formed frames, a STUN message, random garbage, or a cut-off frame. */
const streamBytes = fc.oneof(
  fc.array(payload, { maxLength: 3 }).map((ds) => Uint8Array.from(ds.flatMap((d) => [...encodeUdpFrame(d)]))),
  fc.constant(BINDING),
  fc.uint8Array({ maxLength: 30 }),
  payload.map((d) => encodeUdpFrame(d).subarray(0, 1 + (d.length >> 1))),
);
const appDatagram = fc.oneof(payload, fc.constant(BINDING));
const id = fc.integer({ min: 0, max: 14 });
const dt = fc.integer({ min: 0, max: 60 });

const clientEvent = fc.oneof(
  fc.record({ t: fc.constant("dgram" as const), key: fc.constantFrom(...KEYS), data: appDatagram, dt }),
  fc.record({
    t: fc.constantFrom("connected" as const, "failed" as const, "closed" as const, "write-fail" as const),
    id,
    dt,
  }),
  fc.record({ t: fc.constant("data" as const), id, bytes: streamBytes, dt }),
  fc.record({ t: fc.constant("tick" as const), dt }),
);

const serverEvent = fc.oneof(
  fc.record({ t: fc.constant("accept" as const), dt }),
  fc.record({ t: fc.constant("dgram" as const), id, data: appDatagram, dt }),
  fc.record({ t: fc.constantFrom("closed" as const, "write-fail" as const), id, dt }),
  fc.record({ t: fc.constant("data" as const), id, bytes: streamBytes, dt }),
  fc.record({ t: fc.constant("tick" as const), dt }),
);

const mode = fc.constantFrom("transparent" as const, "stun" as const);

/**
 * Runs `call`. The pools report bad input as drop/removed outputs and never
 * throw, which is stricter than "only WebptErrors": any throw fails the
 * property, and one that is not a WebptError is labelled as such.
 */
function guarded<O>(call: () => O[]): O[] {
  try {
    return call();
  } catch (e) {
    if (e instanceof WebptError) throw e;
    throw new Error(`a pool threw a non-WebptError: ${String(e)}`, { cause: e });
  }
}

describe("UdpClientPool invariants under random events", () => {
  it("holds Table 1's invariants for 10,000 random sequences", () => {
    fc.assert(
      fc.property(mode, fc.array(clientEvent, { maxLength: 40 }), (m, events) => {
        const pool = new UdpClientPool({ mode: m, idleTimeoutMs: T, maxEntries: MAX });
        const live = new Map<number, { key: string; state: "Waiting" | "Connected" }>();
        const seen = new Set<number>();
        let now = 0;
        for (const ev of events) {
          now += ev.dt;
          const outputs: UdpClientOutput[] = guarded(() => {
            switch (ev.t) {
              case "dgram":
                return pool.onDatagram(ev.key, ev.data, now);
              case "connected":
                return pool.onConnected(ev.id, now);
              case "failed":
                return pool.onConnectFailed(ev.id, now);
              case "closed":
                return pool.onTransportClosed(ev.id, now);
              case "write-fail":
                return pool.onWriteFailure(ev.id, now);
              case "data":
                return pool.onTransportData(ev.id, ev.bytes, now);
              case "tick":
                return pool.tick(now);
            }
          });
          for (const o of outputs) {
            if (o.kind === "drop") continue;
            if (o.kind === "open-transport") {
              expect(seen.has(o.id)).toBe(false); // ids are never reused
              expect([...live.values()].some((e) => e.key === o.key)).toBe(false); // one entry per peer
              seen.add(o.id);
              live.set(o.id, { key: o.key, state: "Waiting" });
              continue;
            }
            const entry = live.get(o.id);
            expect(entry, `${o.kind} for id ${o.id} that is not in the pool`).toBeDefined();
            if (o.kind === "send-transport" || o.kind === "send-udp") expect(entry?.state).toBe("Connected");
            if (o.kind === "send-udp") expect(o.to).toBe(entry?.key);
            if (o.kind === "removed") live.delete(o.id);
          }
          // Row 4 changes state without output: take it from the pool.
          for (const [i, e] of live) {
            expect(pool.idOf(e.key)).toBe(i);
            e.state = pool.state(e.key) ?? e.state;
          }
          expect(pool.size).toBe(live.size);
          expect(pool.size).toBeLessThanOrEqual(MAX);
          const deadline = pool.nextDeadline();
          if (deadline !== undefined) expect(deadline).toBeGreaterThan(now);
        }
      }),
      fcParams(10_000),
    );
  });
});

describe("UdpServerPool invariants under random events", () => {
  it("holds Table 2's invariants for 10,000 random sequences", () => {
    fc.assert(
      fc.property(mode, fc.array(serverEvent, { maxLength: 40 }), (m, events) => {
        const pool = new UdpServerPool({ destination: "192.0.2.1:9", mode: m, idleTimeoutMs: T, maxEntries: MAX });
        const live = new Set<number>();
        const rejected = new Set<number>();
        let now = 0;
        for (const ev of events) {
          now += ev.dt;
          let outputs: UdpServerOutput[];
          if (ev.t === "accept") {
            const a = guarded(() => [pool.accept(now)])[0]!;
            if (a.accepted) live.add(a.id);
            else rejected.add(a.id);
            outputs = a.outputs;
            // The accept's own outputs (open-udp, or close of the rejected id) are checked below.
            if (!a.accepted) {
              expect(outputs.at(-1)).toEqual({ kind: "close-transport", id: a.id });
              outputs = outputs.slice(0, -1);
            }
          } else {
            outputs = guarded(() => {
              switch (ev.t) {
                case "dgram":
                  return pool.onDatagram(ev.id, ev.data, now);
                case "closed":
                  return pool.onTransportClosed(ev.id, now);
                case "write-fail":
                  return pool.onWriteFailure(ev.id, now);
                case "data":
                  return pool.onTransportData(ev.id, ev.bytes, now);
                case "tick":
                  return pool.tick(now);
              }
            });
          }
          for (const o of outputs) {
            if (o.kind === "drop") continue;
            expect(live.has(o.id), `${o.kind} for id ${o.id} that is not in the pool`).toBe(true);
            if (o.kind === "removed") live.delete(o.id);
          }
          for (const r of rejected) expect(pool.has(r)).toBe(false);
          expect(pool.size).toBe(live.size);
          expect(pool.size).toBeLessThanOrEqual(MAX);
          const deadline = pool.nextDeadline();
          if (deadline !== undefined) expect(deadline).toBeGreaterThan(now);
        }
      }),
      fcParams(10_000),
    );
  });
});
