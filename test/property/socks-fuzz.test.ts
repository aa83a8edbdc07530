import fc from "fast-check";
import { describe, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import { concatBytes, fromHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import type { StreamDecoder } from "../../src/shared/codec/decoder.js";
import { SocksClientHandshake, type SocksClientOptions } from "../../src/shared/codec/socks/client.js";
import { MAX_SOCKS_REQUEST_BYTES } from "../../src/shared/codec/socks/constants.js";
import {
  greetingDecoder,
  methodSelectionDecoder,
  paramBlockDecoder,
  socks4ReplyDecoder,
  socks4RequestDecoder,
  socks5ReplyDecoder,
  socks5RequestDecoder,
  userPassReplyDecoder,
  userPassRequestDecoder,
} from "../../src/shared/codec/socks/decoders.js";
import { SocksError } from "../../src/shared/codec/socks/errors.js";
import { SocksServerHandshake } from "../../src/shared/codec/socks/server.js";
import { fcParams } from "../helpers/fc.js";

/**
 * Random and half-valid bytes, in random chunks: every decoder and both
 * handshakes either make progress or fail with the project's own error
 * (never a TypeError or RangeError), and never hold more than one message.
 */

const RUNS = 10_000;
const JSON_LIMIT = 64; // small, so the fuzzer reaches the X'10' path and the limit itself

/** Cuts `bytes` at the given points (thousandths of its length). */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((f) => Math.floor((f / 1000) * (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
const cutsArb = fc.array(fc.nat(999), { maxLength: 5 });

/** A cheap assertion for the hot loop (vitest's expect costs more than the code under test). */
function check(ok: boolean, what: string): void {
  if (!ok) throw new Error(what);
}

/** True if `f` throws a WebptError (anything else propagates). */
function threw(f: () => void): boolean {
  try {
    f();
    return false;
  } catch (e) {
    if (!(e instanceof WebptError)) throw e;
    return true;
  }
}

/** Runs `f`, letting only the project's own errors through as an expected outcome. */
function onlyWebptErrors(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof WebptError)) throw e;
  }
}

/** Raw bytes, or a plausible start (so the fuzzer gets past the version byte) followed by raw bytes. */
function bytesArb(prefixes: string[], maxLength = 300): fc.Arbitrary<Uint8Array> {
  const tail = fc.uint8Array({ maxLength });
  return fc.oneof(
    tail,
    fc.tuple(fc.constantFrom(...prefixes.map((p) => fromHex(p))), tail).map(([p, t]) => concatBytes(p, t)),
  );
}

const ascii = (s: string): string => Array.from(utf8Encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

const DECODERS: [string, () => StreamDecoder<unknown> & { buffered: number }, number, string[]][] = [
  ["greeting", greetingDecoder, 2 + 255, ["05", "0501", "05ff"]],
  ["method selection", methodSelectionDecoder, 2, ["05"]],
  ["RFC 1929 request", userPassRequestDecoder, 3 + 255 + 255, ["01", "0101", "01ff"]],
  ["RFC 1929 reply", userPassReplyDecoder, 2, ["01"]],
  ["SOCKS5 request", socks5RequestDecoder, 4 + 1 + 255 + 2, ["050100", "05010003", "05010004", "05010001"]],
  ["SOCKS5 reply", socks5ReplyDecoder, 4 + 1 + 255 + 2, ["050000", "05000003", "05000004"]],
  ["SOCKS4 request", socks4RequestDecoder, MAX_SOCKS_REQUEST_BYTES, ["0401", "040100500000", "04010050000000ff"]],
  ["SOCKS4 reply", socks4ReplyDecoder, 8, ["005a", "00"]],
  ["JSON parameter block", () => paramBlockDecoder(JSON_LIMIT), 4 + JSON_LIMIT, ["00000002", "0000000a7b22"]],
];

describe("message decoders: random bytes", () => {
  it.each(DECODERS)("%s: only WebptError, bounded buffering", (_name, make, bound, prefixes) => {
    fc.assert(
      fc.property(bytesArb(prefixes), cutsArb, (bytes, cuts) => {
        const d = make();
        onlyWebptErrors(() => {
          for (const piece of chunk(bytes, cuts)) {
            d.push(piece);
            check(d.buffered < bound, `${d.buffered} bytes buffered`);
          }
          d.finish();
        });
      }),
      fcParams(RUNS),
    );
  });
});

/** Client messages, valid and not, each pushed on its own (and itself chunked). */
const CLIENT_MESSAGES = [
  "050100",
  "050102",
  "050109",
  "0503000209",
  "0500",
  `0109${ascii("key=value")}0100`,
  `0103${ascii("k=v")}01`,
  `00000002${ascii("{}")}`,
  `00000039${ascii('{"shared-secret": "rahasia", "secrets-file": "/tmp/blob"}')}`,
  "00000100",
  "050100017f000001235a",
  "0501000400000000000000000000000000000001",
  `0501000305${ascii("hello")}0050`,
  `040100500000000100${ascii("host")}00`,
  "0401005001020304",
].map(fromHex);

const messageArb = fc.oneof(fc.constantFrom(...CLIENT_MESSAGES), fc.uint8Array({ maxLength: 80 }));

describe("SocksServerHandshake: random conversations", () => {
  it("answers with steps, fails only with SocksError, holds at most one message", () => {
    const bound = Math.max(MAX_SOCKS_REQUEST_BYTES, 4 + JSON_LIMIT);
    const validateArgs = (): { pointer: string; message: string } | undefined => undefined;
    fc.assert(
      fc.property(
        fc.array(fc.tuple(messageArb, cutsArb, fc.boolean()), { maxLength: 6 }),
        fc.boolean(),
        (conversation, socks4) => {
          const hs = new SocksServerHandshake({ maxJsonParamBytes: JSON_LIMIT, socks4, validateArgs });
          for (const [msg, cuts, timerFires] of conversation) {
            for (const piece of chunk(msg, cuts)) {
              if (hs.phase === "ready") {
                // later bytes belong to the application: pushing them is a caller error
                if (piece.length > 0)
                  check(
                    threw(() => hs.push(piece)),
                    "push after the request",
                  );
                continue;
              }
              const step = hs.push(piece);
              if (step.kind === "error") check(step.error instanceof SocksError, "a SocksError");
              if (step.reply !== undefined) check(step.reply.length <= 22, "a short reply");
              check(hs.buffered <= bound, `${hs.buffered} bytes buffered`);
            }
            if (timerFires) {
              const step = hs.settingsTimedOut();
              if (step.kind === "error") check(step.error.reply === 0x11, "X'11'");
            }
          }
          onlyWebptErrors(() => hs.finish());
        },
      ),
      fcParams(RUNS),
    );
  });
});

const SERVER_MESSAGES = [
  "0500",
  "0502",
  "0509",
  "05ff",
  "0100",
  "0101",
  "05000001000000000000",
  "05050001000000000000",
  "050000040000000000000000000000000000000150",
  `0500000304${ascii("host")}0050`,
  "005a000000000000",
  "005b000000000000",
].map(fromHex);

const OPTIONS: SocksClientOptions[] = [
  { target: { host: "127.0.0.1", port: 9050 } },
  { target: { host: "example.com", port: 443 }, args: { k: "v" } },
  { target: { host: "::1", port: 80 }, ptVersion: "2.1", args: { k: "v" } },
  { target: { host: "example.com", port: 80 }, credentials: { username: "u", password: "p" } },
  { target: { host: "example.com", port: 80 }, socksVersion: 4, args: { k: "v" } },
  { target: { host: "1.2.3.4", port: 80 }, socksVersion: 4 },
];

describe("SocksClientHandshake: random server answers", () => {
  it("fails only with SocksError and holds at most one reply", () => {
    const answerArb = fc.oneof(fc.constantFrom(...SERVER_MESSAGES), fc.uint8Array({ maxLength: 40 }));
    fc.assert(
      fc.property(
        fc.constantFrom(...OPTIONS),
        fc.array(fc.tuple(answerArb, cutsArb), { maxLength: 5 }),
        (options, answers) => {
          const c = new SocksClientHandshake(options);
          c.start();
          for (const [msg, cuts] of answers) {
            for (const piece of chunk(msg, cuts)) {
              if (c.phase === "connected") {
                if (piece.length > 0)
                  check(
                    threw(() => c.push(piece)),
                    "push after connecting",
                  );
                continue;
              }
              const step = c.push(piece);
              if (step.kind === "error") check(step.error instanceof SocksError, "a SocksError");
              check(c.buffered < 4 + 1 + 255 + 2, `${c.buffered} bytes buffered`);
            }
          }
          onlyWebptErrors(() => c.finish());
        },
      ),
      fcParams(RUNS),
    );
  });
});
