import { describe, expect, it } from "vitest";
import { concatBytes, toHex, utf8Encode } from "../../src/shared/bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../src/shared/errors.js";
import {
  ExtOrError,
  ExtOrServerAuth,
  ExtOrServerHandshake,
  ExtOrServerSetup,
  ExtOrStateError,
  encodeDone,
  encodeExtOrCommand,
  encodeTransport,
  encodeUserAddr,
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

describe("ExtOrServerHandshake (a parent accepting from a PT)", () => {
  const make = (): ExtOrServerHandshake => new ExtOrServerHandshake({ cookie: ZERO32, randomBytes: zeroRandom });

  it("follows the known-answer transcript step by step", () => {
    const s = make();
    expect(s.state).toBe("idle");
    expect(toHex(s.start())).toBe("0100"); // SAFE_COOKIE, EndAuthTypes
    let step = s.push(concatBytes(h("01"), zeros(32)));
    expect(toHex(step.send)).toBe(SERVER_HASH + "00".repeat(32));
    step = s.push(h(CLIENT_HASH));
    expect(toHex(step.send)).toBe("01");
    expect(s.state).toBe("setup");
    step = s.push(PT_BYTES.subarray(AUTH_LEN));
    expect(step.request).toEqual({
      userAddr: { host: "1.2.3.4", port: 5678, family: 4 },
      transport: "alpha",
      ignoredCommands: 0,
    });
    expect(s.state).toBe("awaiting-verdict");
    expect(toHex(s.okay())).toBe("10000000");
    expect(s.state).toBe("open");
    s.finish();
  });

  it("answers the same for every split of the PT's bytes", () => {
    for (const { label, chunks } of splits(PT_BYTES)) {
      const s = make();
      const sent: Uint8Array[] = [s.start()];
      let request;
      for (const chunk of chunks) {
        const step = s.push(chunk);
        sent.push(step.send);
        request ??= step.request;
      }
      expect(toHex(concatBytes(...sent)), label).toBe(toHex(BRIDGE_BYTES.subarray(0, 2 + 64 + 1)));
      expect(request, label).toMatchObject({ transport: "alpha", userAddr: { host: "1.2.3.4" } });
    }
  });

  it("answers DENY when told to, and then accepts nothing more", () => {
    const s = make();
    s.start();
    s.push(PT_BYTES);
    expect(toHex(s.deny())).toBe("10010000");
    expect(s.state).toBe("denied");
    expect(() => s.okay()).toThrow(ExtOrStateError);
    expect(() => s.push(h("00"))).toThrow(ExtOrStateError);
  });

  it("keeps the last USERADDR and TRANSPORT and ignores unknown commands, as tor does", () => {
    const s = make();
    s.start();
    const step = s.push(
      concatBytes(
        PT_BYTES.subarray(0, AUTH_LEN),
        encodeUserAddr("1.2.3.4:1"),
        encodeExtOrCommand(0x1000), // OKAY is not a transport-to-bridge command: ignored
        encodeExtOrCommand(0x4242, h("ffff")),
        encodeUserAddr("[2001:db8::1]:2"),
        encodeTransport("a"),
        encodeTransport("b"),
        encodeDone(),
      ),
    );
    expect(step.request).toEqual({
      userAddr: { host: "2001:db8::1", port: 2, family: 6 },
      transport: "b",
      ignoredCommands: 2,
    });
  });

  it("reports a request without metadata", () => {
    const s = make();
    s.start();
    const step = s.push(concatBytes(PT_BYTES.subarray(0, AUTH_LEN), encodeDone()));
    expect(step.request).toEqual({ userAddr: undefined, transport: undefined, ignoredCommands: 0 });
  });

  // PT bytes that must make the bridge close, with the error code and reply.
  const auth = PT_BYTES.subarray(0, AUTH_LEN);
  const failures: [string, Uint8Array, string, string | undefined][] = [
    ["AuthType 0 (the PT liked nothing)", h("00"), "ERR_EXTOR_BAD_AUTH_TYPE", undefined],
    ["AuthType 2", h("02"), "ERR_EXTOR_BAD_AUTH_TYPE", undefined],
    [
      "a bad ClientHash",
      concatBytes(h("01"), zeros(32), h("00" + CLIENT_HASH.slice(2))),
      "ERR_EXTOR_BAD_CLIENT_HASH",
      "00",
    ],
    [
      "the ServerHash echoed as ClientHash",
      concatBytes(h("01"), zeros(32), h(SERVER_HASH)),
      "ERR_EXTOR_BAD_CLIENT_HASH",
      "00",
    ],
    [
      "a USERADDR without brackets",
      concatBytes(auth, encodeExtOrCommand(1, utf8Encode("1:2::3:4:5678"))),
      "ERR_EXTOR_BAD_USERADDR",
      undefined,
    ],
    [
      "a USERADDR with a host name",
      concatBytes(auth, encodeExtOrCommand(1, utf8Encode("localhost:80"))),
      "ERR_EXTOR_BAD_USERADDR",
      undefined,
    ],
    [
      "a NUL-terminated USERADDR",
      concatBytes(auth, encodeExtOrCommand(1, utf8Encode("1.2.3.4:80\0"))),
      "ERR_EXTOR_BAD_USERADDR",
      undefined,
    ],
    ["an empty TRANSPORT", concatBytes(auth, encodeExtOrCommand(2)), "ERR_EXTOR_BAD_TRANSPORT", undefined],
    [
      "a TRANSPORT with a dash",
      concatBytes(auth, encodeExtOrCommand(2, utf8Encode("obfs-4"))),
      "ERR_EXTOR_BAD_TRANSPORT",
      undefined,
    ],
    ["data right behind DONE", concatBytes(auth, encodeDone(), utf8Encode("x")), "ERR_EXTOR_EARLY_DATA", undefined],
  ];
  it.each(failures)("fails on %s", (_label, input, code, reply) => {
    const s = make();
    s.start();
    const err = errorOf(() => s.push(input));
    expect(err).toBeInstanceOf(ExtOrError);
    expect(err).toMatchObject({ code });
    const r = (err as ExtOrError).reply;
    expect(r === undefined ? undefined : toHex(r)).toBe(reply);
    expect(errorOf(() => s.push(new Uint8Array(0)))).toBe(err);
    expect(() => s.okay()).toThrow(ExtOrStateError);
  });

  it("carries the status byte as the error's wire form, also in its plain-object form", () => {
    const s = make();
    s.start();
    const err = errorOf(() => s.push(concatBytes(h("01"), zeros(32), zeros(32))));
    expect((err as ExtOrError).toJSON()).toEqual({
      name: "ExtOrError",
      code: "ERR_EXTOR_BAD_CLIENT_HASH",
      message: "the PT's ClientHash does not match our cookie",
      reply: "00",
    });
  });

  it("treats bytes pushed while the verdict is pending as early data", () => {
    const s = make();
    s.start();
    expect(s.push(PT_BYTES).request).toBeDefined();
    expect(s.push(new Uint8Array(0)).request).toBeUndefined();
    expect(() => s.push(h("16"))).toThrow(expect.objectContaining({ code: "ERR_EXTOR_EARLY_DATA" }));
  });

  it("enforces maxBody on the PT's commands", () => {
    const s = new ExtOrServerHandshake({ cookie: ZERO32, randomBytes: zeroRandom, maxBody: 64 });
    s.start();
    const err = errorOf(() => s.push(concatBytes(auth, encodeExtOrCommand(0x4242, zeros(65)))));
    expect(err).toBeInstanceOf(LimitError);
    expect(err).toMatchObject({ code: "ERR_EXTOR_BODY_TOO_LONG", limit: 64 });
  });

  it("must be started, and throws UnexpectedEOFError when the PT closes early", () => {
    const s = make();
    expect(() => s.push(h("01"))).toThrow(ExtOrStateError);
    s.start();
    expect(() => s.start()).toThrow(ExtOrStateError);
    s.push(PT_BYTES.subarray(0, 80));
    expect(() => s.finish()).toThrow(UnexpectedEOFError);
  });
});

describe("ExtOrServerAuth and ExtOrServerSetup on their own", () => {
  it("auth passes commands pipelined behind the ClientHash on as leftover", () => {
    const a = new ExtOrServerAuth({ cookie: ZERO32, randomBytes: zeroRandom });
    a.start();
    const step = a.push(PT_BYTES);
    expect(step.done).toBe(true);
    expect(toHex(step.send)).toBe(SERVER_HASH + "00".repeat(32) + "01");
    expect(toHex(step.leftover)).toBe(toHex(PT_BYTES.subarray(AUTH_LEN)));
  });

  it("setup answers only once the request is complete", () => {
    const s = new ExtOrServerSetup();
    expect(s.push(encodeTransport("alpha"))).toBeUndefined();
    expect(s.request).toBeUndefined();
    expect(() => s.okay()).toThrow(ExtOrStateError);
    expect(s.push(encodeDone())).toMatchObject({ transport: "alpha" });
    expect(toHex(s.okay())).toBe("10000000");
    expect(() => s.deny()).toThrow(ExtOrStateError);
    s.finish();
    const cut = new ExtOrServerSetup();
    cut.push(encodeTransport("alpha"));
    expect(() => cut.finish()).toThrow(UnexpectedEOFError);
  });
});
