import { describe, expect, it } from "vitest";
import { ByteQueue } from "../../src/shared/bytes/byte-queue.js";
import { constantTimeEqual, fromHex, toHex } from "../../src/shared/bytes/bytes.js";

describe("ByteQueue", () => {
  it("reads across chunk boundaries and keeps the remainder", () => {
    const q = new ByteQueue();
    q.push(fromHex("0102"));
    q.push(fromHex("03"));
    q.push(fromHex("0405"));
    expect(q.length).toBe(5);
    expect(q.at(2)).toBe(3);
    expect(q.indexOf(4)).toBe(3);
    expect(q.indexOf(4, 4)).toBe(-1);
    expect(toHex(q.read(3))).toBe("010203");
    expect(q.length).toBe(2);
    expect(toHex(q.peek(2))).toBe("0405");
    expect(() => q.read(3)).toThrow(RangeError);
    expect(toHex(q.readAll())).toBe("0405");
    expect(q.length).toBe(0);
  });

  it("returns a view without copying when the bytes lie in one chunk", () => {
    const chunk = fromHex("aabbcc");
    const q = new ByteQueue();
    q.push(chunk);
    q.skip(1);
    const v = q.peek(2);
    expect(v.buffer).toBe(chunk.buffer);
    expect(toHex(v)).toBe("bbcc");
  });
});

describe("constantTimeEqual", () => {
  it("compares by content and length", () => {
    expect(constantTimeEqual(fromHex("0001"), fromHex("0001"))).toBe(true);
    expect(constantTimeEqual(fromHex("0001"), fromHex("0002"))).toBe(false);
    expect(constantTimeEqual(fromHex("00"), fromHex("0000"))).toBe(false);
  });
});

describe("ByteQueue under a 1-byte-chunk flood", () => {
  it("stays linear: 200,000 one-byte pushes and reads take about as long per byte as 20,000", () => {
    const run = (n: number): number => {
      const q = new ByteQueue();
      const one = new Uint8Array([7]);
      const t0 = performance.now();
      for (let i = 0; i < n; i++) q.push(one);
      let sum = 0;
      while (q.length >= 2) sum += q.read(2)[1]!;
      expect(sum).toBe(7 * Math.floor(n / 2));
      return performance.now() - t0;
    };
    run(20_000); // warm up the JIT
    const small = run(20_000);
    const large = run(200_000);
    // Quadratic behaviour makes the ratio ~100; linear ~10. Leave room for noise.
    expect(large / Math.max(small, 0.5)).toBeLessThan(40);
  });
});
