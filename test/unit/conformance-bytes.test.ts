// ByteQueue argument checks. Counts come from length fields the decoders have
// already checked, so this is an argument matter (TypeError / RangeError for
// bad arguments, as the house style asks), not a wire one. Mapping:
// /work/notes/conformance-map.md.
import { describe, expect, it } from "vitest";
import { ByteQueue, toHex } from "../../src/shared/bytes/index.js";

describe("ByteQueue argument checks", () => {
  // Today skip(-1) adds one to `length` and skip(1.5) leaves it fractional, so the queue no longer describes its
  // chunks (src/shared/bytes/byte-queue.ts skip(): `this.#length -= n` before any check of n).
  it("refuses negative and fractional counts with a RangeError, leaving the queue as it was", () => {
    for (const n of [-1, 1.5, Number.NaN]) {
      for (const op of ["peek", "read", "skip"] as const) {
        const q = new ByteQueue();
        q.push(Uint8Array.of(1, 2, 3));
        expect(() => q[op](n), `${op}(${n})`).toThrow(RangeError);
        expect(q.length, `${op}(${n})`).toBe(3);
        expect(toHex(q.readAll()), `${op}(${n})`).toBe("010203");
      }
    }
  });
});
