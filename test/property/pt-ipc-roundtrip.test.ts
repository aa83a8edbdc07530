// Round trips for every format/parse pair of the PT IPC codec:
// parse(format(x)) = x for lines, the three escaping schemes, CStrings,
// addresses and proxy URIs, and the stream decoder over random chunkings.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { concatBytes } from "../../src/shared/bytes/index.js";
import {
  CMETHOD_PROXY_TYPES,
  IpcLineDecoder,
  LOG_SEVERITIES,
  decodeCString,
  decodeClientArgs,
  decodeServerTransportOptions,
  decodeSmethodArgs,
  encodeCString,
  encodeClientArgs,
  encodeIpcMessage,
  encodeServerTransportOptions,
  encodeSmethodArgs,
  formatIpcMessage,
  formatProxyUri,
  parseIpcLine,
  parseProxyUri,
  parsePtAddress,
} from "../../src/shared/codec/pt-ipc/index.js";
import type { Args, IpcMessage, UpstreamProxy } from "../../src/shared/codec/pt-ipc/index.js";
import { type HostPort, formatHostPort } from "../../src/shared/net/index.js";
import { fcParams } from "../helpers/fc.js";

const RUNS = 1_000;

/** Any printable-or-control US-ASCII except NUL, CR and LF: what a free-text argument may hold. */
const safeText = fc.string({
  unit: fc
    .integer({ min: 1, max: 0x7f })
    .filter((c) => c !== 0x0a && c !== 0x0d)
    .map((c) => String.fromCharCode(c)),
  maxLength: 40,
});
/** Any Unicode text without lone surrogates or NUL (NUL is written as U+FFFD, see kvline.ts). */
const anyText = fc.string({ unit: "binary", maxLength: 40 }).map((s) => s.replaceAll("\0", ""));
const transport = fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_]{0,12}$/);
const kvKey = fc.stringMatching(/^[A-Z][A-Z0-9_-]{0,8}$/).filter((k) => k !== "TRANSPORT");
/** Keys and values from a small alphabet full of the characters each scheme escapes. */
const tricky = fc.string({ unit: fc.constantFrom("a", "b", "=", ";", ",", ":", "\\", " ", "é", "\n"), maxLength: 8 });
const argToken = fc.string({ unit: fc.constantFrom("a", "Z", "0", "=", ",", "\\", "/", "+", ":", ";"), maxLength: 8 });

const hostPort: fc.Arbitrary<HostPort> = fc.oneof(
  fc.record({ host: fc.ipV4(), port: fc.integer({ min: 1, max: 65535 }), type: fc.constant("ipv4" as const) }),
  fc.record({ host: fc.ipV6(), port: fc.integer({ min: 1, max: 65535 }), type: fc.constant("ipv6" as const) }),
);

/** Args with non-empty keys and at least one value per key (what a decoder can produce). */
function argsOf(key: fc.Arbitrary<string>, value: fc.Arbitrary<string>): fc.Arbitrary<Args> {
  return fc
    .uniqueArray(
      fc.tuple(
        key.filter((k) => k.length > 0),
        fc.array(value, { minLength: 1, maxLength: 3 }),
      ),
      {
        selector: ([k]) => k,
        maxLength: 4,
      },
    )
    .map((entries) => new Map(entries));
}

const message: fc.Arbitrary<IpcMessage> = fc.oneof(
  fc.record({ kind: fc.constant("VERSION" as const), version: fc.stringMatching(/^[!-+\--~]{1,8}$/) }),
  fc.record({
    kind: fc.constantFrom("VERSION-ERROR" as const, "ENV-ERROR" as const, "PROXY-ERROR" as const),
    message: safeText,
  }),
  fc.constantFrom<IpcMessage>({ kind: "PROXY DONE" }, { kind: "CMETHODS DONE" }, { kind: "SMETHODS DONE" }),
  fc.record({
    kind: fc.constant("CMETHOD" as const),
    transport,
    proxyType: fc.constantFrom(...CMETHOD_PROXY_TYPES),
    address: hostPort,
  }),
  fc.record({
    kind: fc.constantFrom("CMETHOD-ERROR" as const, "SMETHOD-ERROR" as const),
    transport,
    message: safeText,
  }),
  fc
    .record({
      transport,
      address: hostPort,
      args: argsOf(argToken, argToken),
      options: fc.array(
        fc.stringMatching(/^[A-Z]{1,5}:[!-~]{0,6}$/).filter((o) => !o.startsWith("ARGS:")),
        { maxLength: 2 },
      ),
    })
    .map(({ transport: t, address, args, options }) => ({
      kind: "SMETHOD" as const,
      transport: t,
      address,
      ...(args.size > 0 ? { args } : {}),
      ...(options.length > 0 ? { options } : {}),
    })),
  fc.record({ kind: fc.constant("LOG" as const), severity: fc.constantFrom(...LOG_SEVERITIES), message: anyText }),
  fc
    .record({
      transport: fc.option(anyText, { nil: undefined }),
      fields: fc.array(fc.tuple(kvKey, anyText), { minLength: 1, maxLength: 4 }),
    })
    .map(({ transport: t, fields }) => ({
      kind: "STATUS" as const,
      ...(t === undefined ? {} : { transport: t }),
      fields,
    })),
  fc.record({
    kind: fc.constant("UNKNOWN" as const),
    keyword: fc.stringMatching(/^X[A-Za-z0-9_-]{0,10}$/),
    rest: safeText,
  }),
);

describe("PT IPC round trips", () => {
  it("parseIpcLine(formatIpcMessage(m)) = m for every message kind", () => {
    fc.assert(
      fc.property(message, (m) => {
        const line = formatIpcMessage(m);
        expect(line).not.toMatch(/[\0\r\n\x80-\uffff]/);
        expect(parseIpcLine(line, { strict: true })).toEqual(m);
      }),
      fcParams(RUNS * 3),
    );
  });

  it("the stream decoder returns the encoded messages for any chunking", () => {
    fc.assert(
      fc.property(fc.array(message, { maxLength: 8 }), fc.array(fc.nat(), { maxLength: 6 }), (msgs, cuts) => {
        const bytes = concatBytes(...msgs.map((m) => encodeIpcMessage(m)));
        const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
        const decoder = new IpcLineDecoder({ strict: true });
        const out: IpcMessage[] = [];
        let prev = 0;
        for (const p of [...points, bytes.length]) {
          out.push(...decoder.push(bytes.subarray(prev, p)));
          prev = p;
        }
        decoder.finish();
        expect(out).toEqual(msgs);
      }),
      fcParams(RUNS),
    );
  });

  it("client args: decode(encode(a)) = a", () => {
    fc.assert(
      fc.property(argsOf(tricky, tricky), (args) => {
        expect(decodeClientArgs(encodeClientArgs(args))).toEqual(args);
      }),
      fcParams(RUNS),
    );
  });

  it("server transport options: decode(encode(o)) = o", () => {
    const options = fc
      .uniqueArray(
        fc.tuple(
          tricky.filter((t) => t.length > 0),
          argsOf(tricky, tricky).filter((a) => a.size > 0),
        ),
        {
          selector: ([t]) => t,
          maxLength: 3,
        },
      )
      .map((entries) => new Map(entries));
    fc.assert(
      fc.property(options, (opts) => {
        expect(decodeServerTransportOptions(encodeServerTransportOptions(opts))).toEqual(opts);
      }),
      fcParams(RUNS),
    );
  });

  it("SMETHOD ARGS: decode(encode(a)) = a with keys sorted", () => {
    fc.assert(
      fc.property(argsOf(tricky, tricky), (args) => {
        const sorted = new Map([...args].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
        expect([...decodeSmethodArgs(encodeSmethodArgs(args))]).toEqual([...sorted]);
      }),
      fcParams(RUNS),
    );
  });

  it("CString: decode(encode(s)) = s, and the encoding is printable ASCII", () => {
    fc.assert(
      fc.property(anyText, (s) => {
        const encoded = encodeCString(s);
        expect(encoded).toMatch(/^"[\x20-\x7e]*"$/);
        expect(decodeCString(encoded, 0)).toEqual({ value: s, end: encoded.length });
      }),
      fcParams(RUNS),
    );
  });

  it("addresses: parsePtAddress(formatHostPort(a)) = a", () => {
    fc.assert(
      fc.property(hostPort, (hp) => {
        expect(parsePtAddress(formatHostPort(hp))).toEqual(hp);
      }),
      fcParams(RUNS),
    );
  });

  it("proxy URIs: parseProxyUri(formatProxyUri(p)) = p", () => {
    const cred = fc.string({ unit: "binary", minLength: 1, maxLength: 20 });
    const proxy: fc.Arbitrary<UpstreamProxy> = fc.oneof(
      fc.record({
        scheme: fc.constant("socks5" as const),
        address: hostPort,
        username: cred,
        password: cred,
      }),
      fc.record({
        scheme: fc.constantFrom("socks5" as const, "socks4a" as const, "http" as const),
        address: hostPort,
        username: fc.constant(undefined),
        password: fc.constant(undefined),
      }),
      fc.record({
        scheme: fc.constant("http" as const),
        address: hostPort,
        username: cred,
        password: fc.option(cred, { nil: undefined }),
      }),
    );
    fc.assert(
      fc.property(proxy, (p) => {
        expect(parseProxyUri(formatProxyUri(p))).toEqual(p);
      }),
      fcParams(RUNS),
    );
  });
});
