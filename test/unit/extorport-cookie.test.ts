import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { WebptError } from "../../src/shared/errors.js";
import {
  EXTOR_COOKIE_FILE_LENGTH,
  EXTOR_COOKIE_HEADER,
  EXTOR_HANDSHAKE_TIMEOUT_MS,
  ExtOrCookieFileError,
  computeClientHash,
  computeServerHash,
  encodeAuthCookieFile,
  parseAuthCookieFile,
} from "../../src/shared/codec/extorport/index.js";

const HEADER = "! Extended ORPort Auth Cookie !\x0a";
const COOKIE = utf8Encode("0123456789ABCDEF0123456789ABCDEF");

describe("the auth cookie file (tor-ext-orport-spec §2.1.2)", () => {
  it("has a 32-byte header and is exactly 64 bytes", () => {
    expect(EXTOR_COOKIE_HEADER.length).toBe(32);
    expect(toHex(EXTOR_COOKIE_HEADER)).toBe(
      // "! Extended ORPort Auth Cookie !" then 0x0a
      "2120457874656e646564204f52506f7274204175746820436f6f6b696520210a",
    );
    expect(EXTOR_COOKIE_FILE_LENGTH).toBe(64);
  });

  it("parses a well-formed file and returns a copy of the cookie", () => {
    const file = utf8Encode(HEADER + "0123456789ABCDEF0123456789ABCDEF");
    const cookie = parseAuthCookieFile(file);
    expect(toHex(cookie)).toBe(toHex(COOKIE));
    file.fill(0);
    expect(toHex(cookie)).toBe(toHex(COOKIE));
  });

  // goptlib's TestReadAuthCookie cases plus the boundaries.
  const bad: [string, Uint8Array, string][] = [
    ["empty", new Uint8Array(0), "ERR_EXTOR_COOKIE_FILE_SIZE"],
    ["header only", utf8Encode(HEADER), "ERR_EXTOR_COOKIE_FILE_SIZE"],
    [
      "impostor header",
      utf8Encode("! Impostor ORPort Auth Cookie !\x0a0123456789ABCDEF0123456789ABCDEF"),
      "ERR_EXTOR_COOKIE_FILE_HEADER",
    ],
    ["63 bytes", utf8Encode(HEADER + "0123456789ABCDEF0123456789ABCDE"), "ERR_EXTOR_COOKIE_FILE_SIZE"],
    ["65 bytes", utf8Encode(HEADER + "0123456789ABCDEF0123456789ABCDEFX"), "ERR_EXTOR_COOKIE_FILE_SIZE"],
    [
      "CRLF header",
      utf8Encode("! Extended ORPort Auth Cookie !\r0123456789ABCDEF0123456789ABCDEF"),
      "ERR_EXTOR_COOKIE_FILE_HEADER",
    ],
    [
      "lower-case header",
      utf8Encode("! extended ORPort Auth Cookie !\x0a0123456789ABCDEF0123456789ABCDEF"),
      "ERR_EXTOR_COOKIE_FILE_HEADER",
    ],
    ["64 zero bytes", new Uint8Array(64), "ERR_EXTOR_COOKIE_FILE_HEADER"],
  ];
  it.each(bad)("rejects %s", (_label, file, code) => {
    expect(() => parseAuthCookieFile(file)).toThrow(ExtOrCookieFileError);
    expect(() => parseAuthCookieFile(file)).toThrow(expect.objectContaining({ code }));
  });

  it("round-trips encodeAuthCookieFile", () => {
    const file = encodeAuthCookieFile(COOKIE);
    expect(file.length).toBe(64);
    expect(toHex(file.subarray(0, 32))).toBe(toHex(EXTOR_COOKIE_HEADER));
    expect(toHex(parseAuthCookieFile(file))).toBe(toHex(COOKIE));
  });

  it("rejects a cookie of the wrong size when encoding", () => {
    expect(() => encodeAuthCookieFile(new Uint8Array(31))).toThrow(RangeError);
  });

  it("is a WebptError with a plain-object form", () => {
    const err = (() => {
      try {
        parseAuthCookieFile(new Uint8Array(3));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(WebptError);
    expect((err as WebptError).toJSON()).toMatchObject({
      name: "ExtOrCookieFileError",
      code: "ERR_EXTOR_COOKIE_FILE_SIZE",
    });
  });
});

describe("SAFE_COOKIE hashes (§2.1.3)", () => {
  const zero = new Uint8Array(32);

  it("match goptlib's known answers for an all-zero cookie and nonces", () => {
    // hmac(key=00*32, "ExtORPort authentication server-to-client hash" | 00*32 | 00*32)
    expect(toHex(computeServerHash(zero, zero, zero))).toBe(
      "9e221919982a84f75faf60ef926949796268c97833e06960ff265369a90fd6d8",
    );
    // hmac(key=00*32, "ExtORPort authentication client-to-server hash" | 00*32 | 00*32)
    expect(toHex(computeClientHash(zero, zero, zero))).toBe(
      "0f368b1bee24aabc54a9114ce06c070f3ed99d0d368f599ccc6dfdc8bf457a62",
    );
  });

  it("depend on the order of the nonces and on the cookie", () => {
    const a = fromHex("01".repeat(32));
    const base = toHex(computeServerHash(zero, a, zero));
    expect(toHex(computeServerHash(zero, zero, a))).not.toBe(base);
    expect(toHex(computeServerHash(a, a, zero))).not.toBe(base);
    expect(toHex(computeClientHash(zero, a, zero))).not.toBe(base);
  });

  it("reject inputs of the wrong size", () => {
    expect(() => computeServerHash(new Uint8Array(16), zero, zero)).toThrow(RangeError);
    expect(() => computeClientHash(zero, new Uint8Array(33), zero)).toThrow(RangeError);
    expect(() => computeClientHash(zero, zero, concatBytes(zero, zero))).toThrow(RangeError);
  });
});

describe("the handshake deadline", () => {
  it("is 5 s (CONFORMANCE), exported for the adapter that owns the clock", () => {
    expect(EXTOR_HANDSHAKE_TIMEOUT_MS).toBe(5000);
  });
});
