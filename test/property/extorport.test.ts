import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  ExtOrClientHandshake,
  ExtOrCommandDecoder,
  ExtOrServerHandshake,
  MAX_EXTOR_BODY,
  computeServerHash,
  encodeExtOrCommand,
  formatUserAddr,
  parseUserAddr,
} from "../../src/shared/codec/extorport/index.js";
import { parseIPv4, parseIPv6 } from "../../src/shared/net/index.js";
import { fcParams } from "../helpers/fc.js";
import { cutAt } from "../helpers/chunking.js";

const command = fc.record({ command: fc.integer({ min: 0, max: 0xffff }), body: fc.uint8Array({ maxLength: 200 }) });
const zero = (n: number): Uint8Array => new Uint8Array(n);
const transportName = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,15}$/);

describe("ExtORPort command framing properties", () => {
  it("decode(encode(commands)) = commands for any chunking", () => {
    fc.assert(
      fc.property(fc.array(command, { maxLength: 10 }), fc.array(fc.nat(), { maxLength: 8 }), (cmds, offsets) => {
        const stream = concatBytes(...cmds.map((c) => encodeExtOrCommand(c.command, c.body)));
        const dec = new ExtOrCommandDecoder();
        const got = cutAt(stream, offsets).flatMap((c) => dec.push(c));
        dec.finish();
        expect(got.map((c) => [c.command, toHex(c.body)])).toEqual(cmds.map((c) => [c.command, toHex(c.body)]));
      }),
      fcParams(2_000),
    );
  });

  it("random bytes: only project errors, at most one partial command buffered (10,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        fc.option(fc.integer({ min: 0, max: 64 }), { nil: undefined }),
        (bytes, offsets, maxBody) => {
          const dec = new ExtOrCommandDecoder(maxBody === undefined ? {} : { maxBody });
          const limit = 4 + (maxBody ?? MAX_EXTOR_BODY);
          let consumed = 0;
          try {
            for (const c of cutAt(bytes, offsets)) {
              for (const cmd of dec.push(c)) consumed += 4 + cmd.body.length;
              expect(dec.buffered).toBeLessThanOrEqual(limit);
            }
            dec.finish();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
            return;
          }
          expect(consumed).toBe(bytes.length);
        },
      ),
      fcParams(10_000),
    );
  });
});

describe("USERADDR properties", () => {
  it("whatever formatUserAddr emits for an IP literal, parseUserAddr reads back to the same address", () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 }), (ip, port) => {
        const text = formatUserAddr(ip, port);
        expect(text).toBeDefined();
        const parsed = parseUserAddr(text!);
        expect(parsed.port).toBe(port);
        const original = parseIPv4(ip) ?? parseIPv6(ip)!;
        const back = parsed.family === 4 ? parseIPv4(parsed.host)! : parseIPv6(parsed.host)!;
        // An IPv4-mapped IPv6 address comes back as its IPv4 address.
        expect(toHex(back)).toBe(
          toHex(original.length === 16 && parsed.family === 4 ? original.subarray(12) : original),
        );
      }),
      fcParams(5_000),
    );
  });

  it("parseUserAddr on arbitrary strings throws only project errors", () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.string({ maxLength: 60 }), fc.stringMatching(/^\[?[0-9a-fA-F:.]{0,50}\]?:?[0-9]{0,6}$/)),
        (s) => {
          try {
            const a = parseUserAddr(s);
            expect(formatUserAddr(a.host, a.port)).toBeDefined();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
          }
        },
      ),
      fcParams(5_000),
    );
  });
});

describe("ExtORPort handshake properties", () => {
  it("client and server with a shared cookie always open and agree on the metadata, for any chunking", () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 32, maxLength: 32 }),
        fc.option(fc.tuple(fc.oneof(fc.ipV4(), fc.ipV6()), fc.integer({ min: 0, max: 65535 })), { nil: undefined }),
        fc.option(transportName, { nil: undefined }),
        fc.array(fc.nat(), { maxLength: 4 }),
        fc.uint8Array({ maxLength: 8 }),
        (cookie, addr, transport, offsets, firstBytes) => {
          const userAddr = addr === undefined ? undefined : formatUserAddr(addr[0], addr[1]);
          const client = new ExtOrClientHandshake({ cookie, userAddr, transport });
          const server = new ExtOrServerHandshake({ cookie });
          let toClient = server.start();
          let leftover: Uint8Array | undefined;
          for (let round = 0; round < 8 && leftover === undefined; round++) {
            const toServer: Uint8Array[] = [];
            for (const chunk of cutAt(toClient, offsets)) {
              if (leftover !== undefined) {
                leftover = concatBytes(leftover, chunk); // after OKAY the adapter relays, it does not push
                continue;
              }
              const step = client.push(chunk);
              toServer.push(step.send);
              if (step.done) leftover = step.leftover;
            }
            if (leftover !== undefined) break;
            toClient = new Uint8Array(0);
            for (const chunk of cutAt(concatBytes(...toServer), offsets)) {
              const step = server.push(chunk);
              toClient = concatBytes(toClient, step.send);
              if (step.request !== undefined) {
                toClient = concatBytes(toClient, server.okay(), firstBytes);
                break; // the client sends nothing after DONE until OKAY (the rest here is empty)
              }
            }
          }
          expect(client.state).toBe("open");
          expect(server.state).toBe("open");
          expect(toHex(leftover!)).toBe(toHex(firstBytes)); // OR bytes behind OKAY are the relayed stream
          expect(server.request!.transport).toBe(transport);
          expect(server.request!.userAddr === undefined).toBe(userAddr === undefined);
          if (userAddr !== undefined)
            expect(formatUserAddr(server.request!.userAddr!.host, server.request!.userAddr!.port)).toBe(userAddr);
        },
      ),
      fcParams(500),
    );
  });

  /** Bridge bytes that get the client past authentication, so the fuzz reaches the command phase. */
  const bridgePrefix = concatBytes(
    Uint8Array.of(1, 0),
    computeServerHash(zero(32), zero(32), zero(32)),
    zero(32),
    Uint8Array.of(1),
  );

  it("the client fed random bridge bytes throws only project errors, with bounded buffers (10,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (authenticated, tail, offsets) => {
          const input = authenticated ? concatBytes(bridgePrefix, tail) : tail;
          const c = new ExtOrClientHandshake({ cookie: zero(32), randomBytes: zero, transport: "alpha" });
          try {
            for (const chunk of cutAt(input, offsets)) {
              if (c.push(chunk).done) return;
              expect(c.buffered).toBeLessThanOrEqual(4 + MAX_EXTOR_BODY);
            }
            c.finish();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
          }
        },
      ),
      fcParams(10_000),
    );
  });

  /** PT bytes that get the server past authentication (zero cookie and nonces). */
  const ptPrefix = (() => {
    const client = new ExtOrClientHandshake({ cookie: zero(32), randomBytes: zero });
    const a = client.push(Uint8Array.of(1, 0)).send;
    const b = client.push(concatBytes(computeServerHash(zero(32), zero(32), zero(32)), zero(32))).send;
    return concatBytes(a, b);
  })();

  it("the server fed random PT bytes throws only project errors, with bounded buffers (10,000 runs)", () => {
    fc.assert(
      fc.property(
        fc.boolean(),
        fc.uint8Array({ maxLength: 300 }),
        fc.array(fc.nat(), { maxLength: 6 }),
        (authenticated, tail, offsets) => {
          const input = authenticated ? concatBytes(ptPrefix, tail) : tail;
          const s = new ExtOrServerHandshake({ cookie: zero(32), randomBytes: zero, maxBody: 128 });
          s.start();
          try {
            for (const chunk of cutAt(input, offsets)) {
              if (s.push(chunk).request !== undefined) {
                s.okay();
                return;
              }
              expect(s.buffered).toBeLessThanOrEqual(4 + 128);
            }
            s.finish();
          } catch (e) {
            if (!(e instanceof WebptError)) throw e;
          }
        },
      ),
      fcParams(10_000),
    );
  });
});
