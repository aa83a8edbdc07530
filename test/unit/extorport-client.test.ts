import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { LimitError, UnexpectedEOFError, WebptError } from "../../src/shared/errors.js";
import {
  ExtOrClientAuth,
  ExtOrClientHandshake,
  ExtOrClientSetup,
  ExtOrDeniedError,
  ExtOrError,
  ExtOrServerHandshake,
  ExtOrStateError,
  MAX_EXTOR_AUTH_TYPES,
  encodeAuthCookieFile,
  encodeExtOrCommand,
  parseAuthCookieFile,
} from "../../src/shared/codec/extorport/index.js";
import { splits } from "../helpers/chunking.js";
import {
  AUTH_LEN,
  BRIDGE_BYTES,
  CLIENT_HASH,
  PT_BYTES,
  SERVER_HASH,
  ZERO32,
  errorOf,
  h,
  zeroRandom,
  zeros,
} from "./extorport-transcript.js";

describe("ExtOrClientHandshake (the PT dialing tor)", () => {
  const make = (): ExtOrClientHandshake =>
    new ExtOrClientHandshake({ cookie: ZERO32, randomBytes: zeroRandom, userAddr: "1.2.3.4:5678", transport: "alpha" });

  it("follows the known-answer transcript step by step", () => {
    const c = make();
    expect(c.state).toBe("auth");
    let step = c.push(h("01 00"));
    expect(toHex(step.send)).toBe("01" + "00".repeat(32)); // AuthType 1 + ClientNonce
    step = c.push(concatBytes(h(SERVER_HASH), zeros(32)));
    expect(toHex(step.send)).toBe(CLIENT_HASH);
    expect(step.done).toBe(false);
    step = c.push(h("01"));
    // USERADDR, TRANSPORT and DONE go out right after the success status.
    expect(toHex(step.send)).toBe(toHex(PT_BYTES.subarray(AUTH_LEN)));
    expect(c.state).toBe("setup");
    step = c.push(h("1000 0000 63656c6c"));
    expect(step.done).toBe(true);
    expect(step.send.length).toBe(0);
    expect(toHex(step.leftover)).toBe("63656c6c"); // "cell" belongs to the relayed stream
    expect(c.state).toBe("open");
    c.finish();
  });

  it("sends the same bytes and returns the same leftover for every split of the bridge's bytes", () => {
    for (const { label, chunks } of splits(BRIDGE_BYTES)) {
      const c = make();
      const sent: Uint8Array[] = [];
      let leftover: Uint8Array | undefined;
      for (const chunk of chunks) {
        if (leftover !== undefined) {
          leftover = concatBytes(leftover, chunk); // after OKAY the adapter relays, it does not push
          continue;
        }
        const step = c.push(chunk);
        sent.push(step.send);
        if (step.done) leftover = step.leftover;
      }
      expect(toHex(concatBytes(...sent)), label).toBe(toHex(PT_BYTES));
      expect(toHex(leftover ?? new Uint8Array(0)), label).toBe(toHex(utf8Encode("cell")));
    }
  });

  it("sends only DONE when there is no usable address and no transport name", () => {
    const c = new ExtOrClientHandshake({ cookie: ZERO32, randomBytes: zeroRandom, userAddr: undefined });
    c.push(h("01 00"));
    c.push(concatBytes(h(SERVER_HASH), zeros(32)));
    expect(toHex(c.push(h("01")).send)).toBe("00000000");
  });

  it("picks SAFE_COOKIE among other offered types and tolerates the longest legal list", () => {
    const c1 = make();
    expect(c1.push(h("03 02 01 00")).send[0]).toBe(1);
    const all = new Uint8Array(256).map((_, i) => (i === 255 ? 0 : 255 - i)); // 255..1 then 0
    expect(make().push(all).send.length).toBe(33);
    expect(MAX_EXTOR_AUTH_TYPES).toBe(255);
  });

  it("ignores reply codes other than OKAY and DENY (§3.1), CONTROL included", () => {
    const c = make();
    c.push(concatBytes(h("01 00")));
    c.push(concatBytes(h(SERVER_HASH), zeros(32), h("01")));
    const replies = concatBytes(encodeExtOrCommand(0x1002, h("abcd")), encodeExtOrCommand(0x7777), h("1000 0000"));
    const step = c.push(replies);
    expect(step.done).toBe(true);
    expect(step.leftover.length).toBe(0);
    expect(c.ignoredCommands).toBe(2);
  });

  // Bridge bytes that must make the PT close, with the error code and any reply to send first.
  const failures: [string, Uint8Array, string, string | undefined][] = [
    ["no SAFE_COOKIE offered", h("02 03 00"), "ERR_EXTOR_NO_SAFE_COOKIE", "00"],
    ["an empty auth type list", h("00"), "ERR_EXTOR_NO_SAFE_COOKIE", "00"],
    [
      "a bad ServerHash",
      concatBytes(h("01 00"), h("ff" + SERVER_HASH.slice(2)), zeros(32)),
      "ERR_EXTOR_BAD_SERVER_HASH",
      undefined,
    ],
    [
      "a ServerHash for another nonce",
      concatBytes(h("01 00"), h(SERVER_HASH), h("01"), zeros(31)),
      "ERR_EXTOR_BAD_SERVER_HASH",
      undefined,
    ],
    ["status 0", concatBytes(h("01 00"), h(SERVER_HASH), zeros(32), h("00")), "ERR_EXTOR_AUTH_REJECTED", undefined],
    ["status 2", concatBytes(h("01 00"), h(SERVER_HASH), zeros(32), h("02")), "ERR_EXTOR_AUTH_REJECTED", undefined],
    [
      "DENY",
      concatBytes(h("01 00"), h(SERVER_HASH), zeros(32), h("01"), h("1001 0000")),
      "ERR_EXTOR_DENIED",
      undefined,
    ],
  ];
  it.each(failures)("fails on %s", (_label, input, code, reply) => {
    const c = make();
    const err = errorOf(() => c.push(input));
    expect(err).toBeInstanceOf(ExtOrError);
    expect(err).toMatchObject({ code });
    const r = (err as ExtOrError).reply;
    expect(r === undefined ? undefined : toHex(r)).toBe(reply);
    // Poisoned: the same error again, whatever comes next.
    expect(errorOf(() => c.push(h("00")))).toBe(err);
    expect(errorOf(() => c.finish())).toBe(err);
    expect(c.failed).toBe(true);
  });

  it("reports DENY as ExtOrDeniedError carrying the command code", () => {
    const c = make();
    const err = errorOf(() => c.push(concatBytes(h("01 00"), h(SERVER_HASH), zeros(32), h("01 1001 0003 787878"))));
    expect(err).toBeInstanceOf(ExtOrDeniedError);
    expect((err as ExtOrDeniedError).toJSON()).toMatchObject({ code: "ERR_EXTOR_DENIED", command: 0x1001 });
  });

  it("fails with a LimitError on an auth type list without an end", () => {
    const c = make();
    expect(c.push(new Uint8Array(255).fill(1)).send.length).toBe(0);
    const err = errorOf(() => c.push(h("01")));
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: "ERR_EXTOR_AUTH_TYPES_TOO_LONG", limit: 255 });
  });

  it("throws UnexpectedEOFError when the bridge closes mid-handshake", () => {
    for (const cut of [0, 1, 2, 50, 66, 67, 70]) {
      const c = make();
      c.push(BRIDGE_BYTES.subarray(0, cut));
      expect(() => c.finish()).toThrow(UnexpectedEOFError);
    }
  });

  it("refuses pushes after OKAY without poisoning", () => {
    const c = make();
    expect(c.push(BRIDGE_BYTES).done).toBe(true);
    expect(() => c.push(h("00"))).toThrow(ExtOrStateError);
    expect(c.failed).toBe(false);
    c.finish();
  });

  it("checks its arguments", () => {
    expect(() => new ExtOrClientHandshake({ cookie: zeros(31) })).toThrow(RangeError);
    expect(() => new ExtOrClientHandshake({ cookie: ZERO32, randomBytes: () => zeros(8) })).toThrow(RangeError);
    expect(() => new ExtOrClientHandshake({ cookie: ZERO32, userAddr: "localhost:80" })).toThrow(TypeError);
    expect(() => new ExtOrClientHandshake({ cookie: ZERO32, transport: "obfs-4" })).toThrow(TypeError);
  });
});

describe("ExtOrClientAuth and ExtOrClientSetup on their own", () => {
  it("auth returns what follows the status byte as leftover", () => {
    const a = new ExtOrClientAuth({ cookie: ZERO32, randomBytes: zeroRandom });
    a.push(h("01 00"));
    const step = a.push(concatBytes(h(SERVER_HASH), zeros(32), h("01 1000 00")));
    expect(step.done).toBe(true);
    expect(a.state).toBe("done");
    expect(toHex(step.leftover)).toBe("100000");
  });

  it("setup must be started once before it reads replies", () => {
    const s = new ExtOrClientSetup({ transport: "alpha" });
    expect(() => s.push(h("1000 0000"))).toThrow(ExtOrStateError);
    expect(toHex(s.start())).toBe("00020005616c706861" + "00000000");
    expect(() => s.start()).toThrow(ExtOrStateError);
    expect(s.push(h("10")).done).toBe(false);
    expect(() => s.finish()).toThrow(UnexpectedEOFError);
  });
});

describe("client and server against each other", () => {
  /** Runs both machines with real random nonces until the client is open or something throws. */
  function run(clientCookie: Uint8Array, serverCookie: Uint8Array, verdict: "okay" | "deny") {
    const client = new ExtOrClientHandshake({
      cookie: clientCookie,
      userAddr: "[2001:db8::7]:443",
      transport: "webpt",
    });
    const server = new ExtOrServerHandshake({ cookie: serverCookie });
    let toClient = server.start();
    for (let i = 0; i < 10; i++) {
      const c = client.push(toClient);
      if (c.done) return { client, server, leftover: c.leftover };
      const s = server.push(c.send);
      toClient = s.send;
      if (s.request !== undefined) toClient = concatBytes(toClient, verdict === "okay" ? server.okay() : server.deny());
    }
    throw new Error("no progress");
  }

  it("authenticate with a shared cookie read from a cookie file and exchange the metadata", () => {
    const cookie = parseAuthCookieFile(encodeAuthCookieFile(fromHex("5a".repeat(16) + "a5".repeat(16))));
    const { client, server, leftover } = run(cookie, cookie, "okay");
    expect(client.state).toBe("open");
    expect(server.state).toBe("open");
    expect(leftover.length).toBe(0);
    expect(server.request).toEqual({
      userAddr: { host: "2001:db8::7", port: 443, family: 6 },
      transport: "webpt",
      ignoredCommands: 0,
    });
  });

  it("a DENY closes the PT's side", () => {
    const cookie = fromHex("11".repeat(32));
    const err = errorOf(() => run(cookie, cookie, "deny"));
    expect(err).toBeInstanceOf(ExtOrDeniedError);
  });

  it("different cookies fail on the client's ServerHash check", () => {
    const err = errorOf(() => run(fromHex("11".repeat(32)), fromHex("22".repeat(32)), "okay"));
    expect(err).toBeInstanceOf(WebptError);
    expect(err).toMatchObject({ code: "ERR_EXTOR_BAD_SERVER_HASH" });
  });
});
