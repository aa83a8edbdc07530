// ByteQueue, the chunk list under every decoder in src/shared, checked
// against the simplest possible model (one flat array) over random operation
// sequences (fixed seed, 10,000 runs): same bytes, same lengths, same search
// results, RangeError (and nothing else) past the end, and no operation
// alters the chunks callers pushed.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { ByteQueue, concatBytes, toHex } from "../../src/shared/bytes/index.js";
import { fcParams } from "../helpers/fc.js";

type Op =
  | { readonly op: "push"; readonly chunk: Uint8Array }
  | { readonly op: "peek" | "read" | "skip" | "at"; readonly n: number }
  | { readonly op: "indexOf"; readonly b: number; readonly from: number }
  | { readonly op: "readAll" | "clear" };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("push" as const), chunk: fc.uint8Array({ maxLength: 9, max: 7 }) }),
    weight: 5,
  },
  {
    arbitrary: fc.record({
      op: fc.constantFrom("peek" as const, "read" as const, "skip" as const, "at" as const),
      n: fc.nat({ max: 24 }),
    }),
    weight: 4,
  },
  {
    arbitrary: fc.record({
      op: fc.constant("indexOf" as const),
      b: fc.integer({ min: 0, max: 7 }),
      from: fc.integer({ min: -2, max: 24 }),
    }),
    weight: 2,
  },
  { arbitrary: fc.record({ op: fc.constantFrom("readAll" as const, "clear" as const) }), weight: 1 },
);

/** A cheap assertion for the hot loop (vitest's expect costs more than the code under test). */
function same(got: unknown, want: unknown, what: string): void {
  if (got !== want) throw new Error(`${what}: got ${String(got)}, want ${String(want)}`);
}

/** Runs `f`; returns its result, or "RangeError" when it threw one (anything else propagates). */
function outcome<T>(f: () => T): T | "RangeError" {
  try {
    return f();
  } catch (e) {
    if (e instanceof RangeError) return "RangeError";
    throw e;
  }
}

/** The model's answer to indexOf: the first b at or after `from` (negative `from` means 0). */
function modelIndexOf(model: number[], b: number, from: number): number {
  for (let i = Math.max(0, from); i < model.length; i++) if (model[i] === b) return i;
  return -1;
}

describe("ByteQueue behaves like one flat array (10,000 runs)", () => {
  it("push / peek / read / skip / at / indexOf / readAll / clear", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 60 }), (ops) => {
        const q = new ByteQueue();
        let model: number[] = [];
        const pushed: [Uint8Array, string][] = [];
        for (const o of ops) {
          switch (o.op) {
            case "push":
              q.push(o.chunk);
              pushed.push([o.chunk, toHex(o.chunk)]);
              model.push(...o.chunk);
              break;
            case "peek":
            case "read": {
              const got = outcome(() => toHex(o.op === "peek" ? q.peek(o.n) : q.read(o.n)));
              const want = o.n > model.length ? "RangeError" : toHex(Uint8Array.from(model.slice(0, o.n)));
              same(got, want, o.op);
              if (o.op === "read" && want !== "RangeError") model = model.slice(o.n);
              break;
            }
            case "skip": {
              const got = outcome(() => q.skip(o.n));
              same(got === "RangeError", o.n > model.length, "skip");
              if (got !== "RangeError") model = model.slice(o.n);
              break;
            }
            case "at":
              same(q.at(o.n), model[o.n], "at");
              break;
            case "indexOf":
              same(q.indexOf(o.b, o.from), modelIndexOf(model, o.b, o.from), "indexOf");
              break;
            case "readAll":
              same(toHex(q.readAll()), toHex(Uint8Array.from(model)), "readAll");
              model = [];
              break;
            case "clear":
              q.clear();
              model = [];
              break;
          }
          same(q.length, model.length, "length");
        }
        expect(toHex(q.readAll())).toBe(toHex(Uint8Array.from(model)));
        // The queue keeps references, never writes through them.
        for (const [chunk, hex] of pushed) same(toHex(chunk), hex, "a pushed chunk");
      }),
      fcParams(10_000),
    );
  });

  it("reads across many chunks return one contiguous copy, and views within one chunk", () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 1, maxLength: 5 }), { minLength: 2, maxLength: 10 }),
        (chunks) => {
          const q = new ByteQueue();
          for (const c of chunks) q.push(c);
          const all = concatBytes(...chunks);
          const first = chunks[0]!;
          // Within the first chunk: a view of the caller's buffer.
          expect(q.peek(first.length).buffer).toBe(first.buffer);
          expect(toHex(q.read(all.length))).toBe(toHex(all));
          expect(q.length).toBe(0);
        },
      ),
      fcParams(2_000),
    );
  });
});
