import { describe, expect, it } from "vitest";
import {
  MAX_REPLAY_FILTER_ENTRIES,
  MAX_REPLAY_FILTER_VALUE_LENGTH,
  REPLAY_FILTER_TTL_MS,
  ReplayFilter,
} from "../../src/shared/codec/obfs4/replay-filter.js";
import { ascii } from "./obfs4-handshake-fixtures.js";

const mac = (i: number): Uint8Array => {
  const b = new Uint8Array(16);
  new DataView(b.buffer).setUint32(0, i);
  return b;
};

describe("ReplayFilter (obfs4proxy common/replayfilter)", () => {
  it("has obfs4proxy's limits: 3 h TTL (obfs4.go replayTTL), 100 * 1024 entries (maxFilterSize)", () => {
    expect(REPLAY_FILTER_TTL_MS).toBe(3 * 60 * 60 * 1000);
    expect(MAX_REPLAY_FILTER_ENTRIES).toBe(102_400);
    const f = new ReplayFilter();
    expect(f.ttlMs).toBe(REPLAY_FILTER_TTL_MS);
    expect(f.maxEntries).toBe(MAX_REPLAY_FILTER_ENTRIES);
  });

  it("passes obfs4proxy's own test sequence (replay_filter_test.go)", () => {
    const ttl = 10_000;
    const f = new ReplayFilter({ ttlMs: ttl });
    const buf = ascii("This is a test of the Emergency Broadcast System.");
    let now = 1_000_000;
    expect(f.testAndSet(now, buf)).toBe(false); // empty filter: not present
    expect(f.testAndSet(now, buf)).toBe(true); // replayed
    const buf2 = ascii("This concludes this test of the Emergency Broadcast System.");
    now += ttl;
    expect(f.testAndSet(now, buf2)).toBe(false);
    expect(f.testAndSet(now, buf2)).toBe(true);
    expect(f.testAndSet(now, buf)).toBe(false); // the first entry was compacted away
    now = 0; // the clock jumps backwards: the filter is dropped
    expect(f.testAndSet(now, buf)).toBe(false);
    expect(f.size).toBe(1);
    expect(f.testAndSet(now, buf)).toBe(true); // and works again after the reset
  });

  it("keeps an entry for strictly less than the TTL", () => {
    const f = new ReplayFilter({ ttlMs: 100 });
    f.testAndSet(0, mac(1));
    expect(f.testAndSet(99, mac(1))).toBe(true);
    expect(f.testAndSet(100, mac(1))).toBe(false);
  });

  it("expires entries oldest first and stops at the first young one", () => {
    const f = new ReplayFilter({ ttlMs: 100 });
    f.testAndSet(0, mac(1));
    f.testAndSet(50, mac(2));
    f.testAndSet(60, mac(3));
    expect(f.testAndSet(120, mac(4))).toBe(false); // mac(1) expires here
    expect(f.size).toBe(3);
    expect(f.testAndSet(121, mac(2))).toBe(true);
    expect(f.testAndSet(155, mac(9))).toBe(false); // mac(2) expires
    expect(f.testAndSet(155, mac(2))).toBe(false);
  });

  it("when full, evicts the oldest entries whatever their age: memory stays bounded", () => {
    const f = new ReplayFilter({ ttlMs: 1e9, maxEntries: 4 });
    for (let i = 0; i < 4; i++) f.testAndSet(i, mac(i));
    expect(f.size).toBe(4);
    expect(f.testAndSet(10, mac(99))).toBe(false);
    expect(f.size).toBe(4);
    expect(f.testAndSet(11, mac(0))).toBe(false); // mac(0) was evicted to make room
    expect(f.testAndSet(12, mac(3))).toBe(true); // mac(3) is still there
    for (let i = 100; i < 1000; i++) f.testAndSet(20, mac(i));
    expect(f.size).toBe(4);
  });

  it("clear() forgets everything", () => {
    const f = new ReplayFilter();
    f.testAndSet(0, mac(1));
    f.clear();
    expect(f.size).toBe(0);
    expect(f.testAndSet(0, mac(1))).toBe(false);
  });

  it("rejects bad options and oversized values", () => {
    expect(() => new ReplayFilter({ ttlMs: 0 })).toThrow(RangeError);
    expect(() => new ReplayFilter({ ttlMs: Number.NaN })).toThrow(RangeError);
    expect(() => new ReplayFilter({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new ReplayFilter({ maxEntries: 1.5 })).toThrow(RangeError);
    const f = new ReplayFilter();
    expect(() => f.testAndSet(0, new Uint8Array(MAX_REPLAY_FILTER_VALUE_LENGTH + 1))).toThrow(RangeError);
    expect(() => f.testAndSet(Number.NaN, mac(1))).toThrow(RangeError);
    expect(f.size).toBe(0);
  });
});
