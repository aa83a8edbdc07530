// Hostile-input fuzzing of every PT IPC decoder and parser (10,000 runs
// each, fixed seed): random bytes or grammar-shaped strings either decode or
// raise one of the project's own errors — never a TypeError or RangeError —
// and the line decoder's buffer never grows past its named limit.
import fc from "fast-check";
import { describe, it } from "vitest";
import { WebptError } from "../../src/shared/errors.js";
import {
  IpcError,
  IpcLineDecoder,
  IpcParseError,
  PtArgsError,
  ProxyUriError,
  decodeClientArgs,
  decodeServerTransportOptions,
  decodeSmethodArgs,
  parseBindAddr,
  parseClientConfig,
  parseIpcLine,
  parsePtAddress,
  parseProxyUri,
  parseServerConfig,
} from "../../src/shared/codec/pt-ipc/index.js";
import { AddressError } from "../../src/shared/net/index.js";
import { fcParams } from "../helpers/fc.js";

const RUNS = 10_000;

/** Runs f; returns normally if it succeeded or threw an instance of `allowed`, else rethrows. */
function onlyThrows(allowed: abstract new (...args: never[]) => Error, f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!(e instanceof allowed)) throw e;
  }
}

/** Strings over an alphabet biased towards each grammar's special characters. */
const shaped = (alphabet: string[], maxLength = 40): fc.Arbitrary<string> =>
  fc.string({
    unit: fc.oneof(fc.constantFrom(...alphabet), fc.string({ unit: "binary", minLength: 1, maxLength: 1 })),
    maxLength,
  });

const KEYWORDS = ["VERSION", "ENV-ERROR", "PROXY", "CMETHOD", "SMETHOD", "CMETHODS", "LOG", "STATUS", "CMETHOD-ERROR"];
const lineText = fc
  .tuple(
    fc.constantFrom(...KEYWORDS, ""),
    shaped([
      " ",
      "\t",
      "=",
      '"',
      "\\",
      "x",
      "7",
      "0",
      ":",
      ".",
      "[",
      "]",
      ",",
      "ARGS:",
      "DONE",
      "socks5",
      "1.2.3.4:5",
      "SEVERITY=",
      "MESSAGE=",
      "TRANSPORT=",
    ]),
  )
  .map(([k, rest]) => `${k} ${rest}`);

describe("PT IPC fuzz: only project errors, bounded memory", () => {
  it("IpcLineDecoder: random bytes in random chunks", () => {
    const maxLineBytes = 64;
    const chunk = fc.oneof(
      fc.uint8Array({ maxLength: 48 }),
      fc.constantFrom(
        ...["VERSION 1\n", "CMETHOD a socks5 1.2.3.4:5\r\n", "LOG SEVERITY=x\n", "\n", "\0"].map((s) =>
          new TextEncoder().encode(s),
        ),
      ),
    );
    fc.assert(
      fc.property(fc.array(chunk, { maxLength: 12 }), fc.boolean(), (chunks, strict) => {
        const decoder = new IpcLineDecoder({ maxLineBytes, strict });
        onlyThrows(WebptError, () => {
          for (const c of chunks) {
            decoder.push(c);
            if (decoder.bufferedBytes > maxLineBytes) throw new Error(`buffered ${decoder.bufferedBytes} bytes`);
          }
          decoder.finish();
        });
      }),
      fcParams(RUNS),
    );
  });

  it("parseIpcLine: grammar-shaped and arbitrary strings", () => {
    fc.assert(
      fc.property(fc.oneof(lineText, fc.string({ unit: "binary", maxLength: 60 })), fc.boolean(), (line, strict) => {
        onlyThrows(IpcParseError, () => parseIpcLine(line, { strict }));
      }),
      fcParams(RUNS),
    );
  });

  it("the three argument decoders", () => {
    const text = shaped(["=", ";", ",", ":", "\\", "k", "v", "t"], 24);
    fc.assert(
      fc.property(text, (s) => {
        onlyThrows(PtArgsError, () => decodeClientArgs(s));
        onlyThrows(PtArgsError, () => decodeServerTransportOptions(s));
        onlyThrows(PtArgsError, () => decodeSmethodArgs(s));
      }),
      fcParams(RUNS),
    );
  });

  it("addresses and proxy URIs", () => {
    const text = shaped(
      ["1", "2", "5", ".", ":", "[", "]", "::", "ff", "%", "@", "socks5://", "http://", "/", "0"],
      30,
    );
    fc.assert(
      fc.property(text, (s) => {
        onlyThrows(AddressError, () => parseBindAddr(s));
        onlyThrows(AddressError, () => parsePtAddress(s, { allowDomain: true }));
        onlyThrows(ProxyUriError, () => parseProxyUri(s));
        onlyThrows(ProxyUriError, () => parseProxyUri(`socks5://${s}`));
      }),
      fcParams(RUNS),
    );
  });

  it("parseClientConfig/parseServerConfig: random environments and argument vectors throw only IpcError", () => {
    const value = fc.oneof(
      shaped(["1", "2", ",", "-", ":", "=", ";", "\\", "obfs4", "127.0.0.1:9", "[::1]:1", "socks5://", "@"], 20),
      fc.constant(undefined),
    );
    const env = fc.record({
      TOR_PT_MANAGED_TRANSPORT_VER: fc.oneof(fc.constantFrom("1", "2", "1,2"), value),
      TOR_PT_STATE_LOCATION: value,
      TOR_PT_EXIT_ON_STDIN_CLOSE: value,
      TOR_PT_CLIENT_TRANSPORTS: value,
      TOR_PT_SERVER_TRANSPORTS: value,
      TOR_PT_PROXY: value,
      TOR_PT_SERVER_BINDADDR: value,
      TOR_PT_SERVER_TRANSPORT_OPTIONS: value,
      TOR_PT_ORPORT: value,
      TOR_PT_EXTENDED_SERVER_PORT: value,
      TOR_PT_AUTH_COOKIE_FILE: value,
      TOR_PT_OUTBOUND_BIND_ADDRESS_V4: value,
      TOR_PT_OUTBOUND_BIND_ADDRESS_V6: value,
    });
    const argv = fc.array(
      fc.oneof(
        fc.constantFrom(
          "-ptversion",
          "--proxy",
          "-transports=obfs4",
          "-exit-on-stdin-close",
          "-target",
          "--",
          "-x",
          "-orport",
        ),
        shaped(["-", "=", "1", "a"], 8),
      ),
      { maxLength: 5 },
    );
    fc.assert(
      fc.property(env, argv, (e, a) => {
        onlyThrows(IpcError, () => parseClientConfig(e, a));
        onlyThrows(IpcError, () => parseServerConfig(e, a));
      }),
      fcParams(RUNS),
    );
  });
});
