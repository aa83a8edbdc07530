import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { type SocksAddress, toSocksAddress } from "../../src/shared/codec/socks/address.js";
import { SocksClientHandshake, type SocksClientStep } from "../../src/shared/codec/socks/client.js";
import {
  greetingDecoder,
  socks4ReplyDecoder,
  socks4RequestDecoder,
  socks5ReplyDecoder,
  socks5RequestDecoder,
  userPassRequestDecoder,
} from "../../src/shared/codec/socks/decoders.js";
import { encodeJsonParamBlock, parseJsonParams } from "../../src/shared/codec/socks/json-params.js";
import {
  encodeGreeting,
  encodeSocks5Reply,
  encodeSocks5Request,
  encodeUserPassRequest,
} from "../../src/shared/codec/socks/messages.js";
import { encodePtArgs, parsePtArgs } from "../../src/shared/codec/socks/pt-args.js";
import { SocksServerHandshake, type SocksServerStep } from "../../src/shared/codec/socks/server.js";
import { encodeSocks4Reply, encodeSocks4Request } from "../../src/shared/codec/socks/socks4.js";
import { formatIPv4, formatIPv6 } from "../../src/shared/net/index.js";
import { decodeAll } from "../helpers/chunking.js";
import { fcParams } from "../helpers/fc.js";

/** Cuts `bytes` at the given fractions: a random chunking of one message. */
function chunk(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const at = [...new Set(cuts.map((f) => Math.floor(f * (bytes.length + 1))))].sort((a, b) => a - b);
  const out: Uint8Array[] = [];
  let prev = 0;
  for (const p of at) {
    out.push(bytes.subarray(prev, p));
    prev = p;
  }
  out.push(bytes.subarray(prev));
  return out;
}
const cutsArb = fc.array(fc.double({ min: 0, max: 1, noNaN: true, maxExcluded: true }), { maxLength: 4 });

const textArb = fc.string({ unit: "grapheme", maxLength: 12 }).filter((s) => !s.includes("\0"));
const domainArb = fc
  .string({ unit: "grapheme-ascii", minLength: 1, maxLength: 40 })
  .filter((s) => !s.includes("\0") && !s.includes(":") && !/^[0-9.]+$/.test(s) && !/^\[.*\]$/.test(s));
const addressArb: fc.Arbitrary<SocksAddress> = fc.oneof(
  fc.tuple(fc.uint8Array({ minLength: 4, maxLength: 4 }), fc.nat(65535)).map(([b, port]) => ({
    type: "ipv4" as const,
    host: formatIPv4(b),
    port,
  })),
  fc.tuple(fc.uint8Array({ minLength: 16, maxLength: 16 }), fc.nat(65535)).map(([b, port]) => ({
    type: "ipv6" as const,
    host: formatIPv6(b),
    port,
  })),
  fc.tuple(domainArb, fc.nat(65535)).map(([host, port]) => ({ type: "domain" as const, host, port })),
);

describe("address round trips", () => {
  // The IP text ↔ bytes round trips are in net.test.ts; this is SOCKS's use of them.
  it("toSocksAddress takes any bracketed IPv6 text to its canonical form", () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (v6) => {
        const text = formatIPv6(v6);
        expect(toSocksAddress({ host: `[${text.toUpperCase()}]`, port: 1 })).toEqual({
          type: "ipv6",
          host: text,
          port: 1,
        });
      }),
      fcParams(1_000),
    );
  });
});

describe("codec round trips: decode(encode(x)) = x at any chunking", () => {
  it("PT 1.0 args", () => {
    const argsArb = fc.array(
      fc.tuple(
        textArb.filter((k) => k !== ""),
        fc.array(textArb, { minLength: 1, maxLength: 3 }),
      ),
      {
        maxLength: 5,
      },
    );
    fc.assert(
      fc.property(argsArb, (pairs) => {
        const m = new Map<string, string[]>();
        for (const [k, vs] of pairs) m.set(k, [...(m.get(k) ?? []), ...vs]);
        expect(parsePtArgs(encodePtArgs(m))).toEqual(m);
      }),
      fcParams(1_000),
    );
  });

  it("JSON parameter blocks", () => {
    const valueArb = fc.oneof(
      textArb,
      fc.boolean(),
      fc.double({ noNaN: true, noDefaultInfinity: true }).map((x) => (Object.is(x, -0) ? 0 : x)),
      fc.integer(),
    );
    fc.assert(
      fc.property(fc.dictionary(textArb, valueArb, { maxKeys: 6 }), (params) => {
        const block = encodeJsonParamBlock(params);
        expect({ ...parseJsonParams(block.subarray(4)) }).toEqual(params);
      }),
      fcParams(1_000),
    );
  });

  it("SOCKS5 and SOCKS4 messages", () => {
    fc.assert(
      fc.property(
        addressArb,
        fc.nat(255),
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        fc.uint8Array({ minLength: 1, maxLength: 255 }),
        cutsArb,
        (address, code, user, pass, cuts) => {
          const req = encodeSocks5Request(code, address);
          expect(decodeAll(socks5RequestDecoder(), chunk(req, cuts))).toEqual([{ command: code, address }]);
          const rep = encodeSocks5Reply(code, address);
          expect(decodeAll(socks5ReplyDecoder(), chunk(rep, cuts))).toEqual([{ reply: code, bound: address }]);
          const methods = Array.from(user);
          expect(decodeAll(greetingDecoder(), chunk(encodeGreeting(methods), cuts))).toEqual([{ methods }]);
          const auth = decodeAll(userPassRequestDecoder(), chunk(encodeUserPassRequest(user, pass), cuts));
          expect(auth.map((a) => [toHex(a.username), toHex(a.password)])).toEqual([[toHex(user), toHex(pass)]]);
          if (address.type === "ipv6") return;
          const userId = user.map((b) => b || 1);
          const [r4] = decodeAll(socks4RequestDecoder(), chunk(encodeSocks4Request(code, address, userId), cuts));
          expect([r4!.command, r4!.address, toHex(r4!.userId)]).toEqual([code, address, toHex(userId)]);
          if (address.type !== "ipv4") return;
          const cd = 0x5a + (code % 4);
          expect(decodeAll(socks4ReplyDecoder(), chunk(encodeSocks4Reply(cd, address), cuts))).toEqual([
            { reply: cd, bound: address },
          ]);
        },
      ),
      fcParams(1_000),
    );
  });
});

/**
 * Drives a client against a server, each message in random chunks; returns
 * both final steps and every application byte the client saw after its reply.
 */
function run(
  client: SocksClientHandshake,
  server: SocksServerHandshake,
  cuts: number[],
  answer: (s: SocksServerHandshake) => Uint8Array,
): { c: SocksClientStep; s: SocksServerStep; appData: string } {
  let toServer: Uint8Array | undefined = client.start();
  let c: SocksClientStep = { kind: "continue" };
  let s: SocksServerStep = { kind: "continue" };
  let appData = "";
  for (let round = 0; toServer !== undefined && round < 5; round++) {
    let toClient: Uint8Array = new Uint8Array(0);
    for (const piece of chunk(toServer, cuts)) {
      s = server.push(piece);
      if (s.reply !== undefined) toClient = concatBytes(toClient, s.reply);
      if (s.kind !== "continue") break;
    }
    if (s.kind === "request") toClient = answer(server);
    toServer = undefined;
    for (const piece of chunk(toClient, cuts)) {
      if (c.kind === "connected") appData += toHex(piece); // later reads go straight to the application
      if (c.kind !== "continue") continue;
      c = client.push(piece);
      if (c.kind === "continue" && c.send !== undefined) toServer = c.send;
      if (c.kind === "connected") appData += toHex(c.rest);
    }
  }
  return { c, s, appData };
}

describe("client ↔ server: the server reads back what the client meant", () => {
  const argsArb = fc.option(
    fc.dictionary(
      fc.string({ minLength: 1, maxLength: 8 }).filter((k) => !k.includes("\0")),
      fc.string({ maxLength: 40 }).filter((v) => !v.includes("\0")),
      { minKeys: 1, maxKeys: 4 },
    ),
    { nil: undefined },
  );

  it("target, args, bound address and the first application bytes", () => {
    fc.assert(
      fc.property(
        addressArb,
        addressArb,
        argsArb,
        fc.constantFrom("1" as const, "2.1" as const),
        fc.constantFrom(4 as const, 5 as const),
        cutsArb,
        fc.uint8Array({ maxLength: 8 }),
        (target, bound, args, ptVersion, socksVersion, cuts, early) => {
          // SOCKS4 has neither IPv6 nor the JSON block.
          fc.pre(!(socksVersion === 4 && (target.type === "ipv6" || ptVersion === "2.1")));
          const client = new SocksClientHandshake({ target, socksVersion, ptVersion, ...(args ? { args } : {}) });
          const server = new SocksServerHandshake();
          const grant = (s: SocksServerHandshake): Uint8Array => new Uint8Array([...s.grant(bound), ...early]);
          const { c, s, appData } = run(client, server, cuts, grant);
          if (s.kind !== "request") throw new Error(`server: ${JSON.stringify(s)}`);
          expect(s.request.target).toEqual(target);
          expect(s.request.socksVersion).toBe(socksVersion);
          const want = args === undefined ? { kind: "none" } : ptVersion === "2.1" ? "json" : "pt1";
          if (want === "json") expect(s.request.args).toEqual({ kind: "json", params: args });
          else if (want === "pt1") {
            expect(s.request.args).toEqual({
              kind: "pt1",
              args: new Map(Object.entries(args!).map(([k, v]) => [k, [v]])),
            });
          } else expect(s.request.args).toEqual(want);
          if (c.kind !== "connected") throw new Error(`client: ${JSON.stringify(c)}`);
          expect(appData).toBe(toHex(early));
          if (socksVersion === 5) expect(c.bound).toEqual(bound);
        },
      ),
      fcParams(1_000),
    );
  });

  it("a refusal reaches the client as the same REP", () => {
    const repArb = fc.constantFrom(1, 2, 3, 4, 5, 6, 7, 8, 0x10, 0x11, 0x12, 0x13);
    fc.assert(
      fc.property(addressArb, repArb, cutsArb, (target, rep, cuts) => {
        const client = new SocksClientHandshake({ target, ptVersion: "2.1", args: { k: "v" } });
        const { c } = run(client, new SocksServerHandshake(), cuts, (s) => s.reject(rep));
        expect(c.kind === "error" && [c.error.code, c.error.reply]).toEqual(["ERR_SOCKS_REQUEST_REJECTED", rep]);
      }),
      fcParams(1_000),
    );
  });

  it("a settings error found by the server reaches the client after the request", () => {
    fc.assert(
      fc.property(addressArb, cutsArb, (target, cuts) => {
        const client = new SocksClientHandshake({ target, ptVersion: "2", args: { bad: true } });
        const validateArgs = (): { pointer: string; message: string } => ({ pointer: "/bad", message: "no" });
        const { c, s } = run(client, new SocksServerHandshake({ validateArgs }), cuts, () => new Uint8Array(0));
        expect(s.kind === "error" && s.error.pointer).toBe("/bad");
        expect(c.kind === "error" && c.error.reply).toBe(0x13);
      }),
      fcParams(300),
    );
  });
});

it("utf8Encode is what the tables above assume", () => {
  expect(toHex(utf8Encode("ü"))).toBe("c3bc");
});
