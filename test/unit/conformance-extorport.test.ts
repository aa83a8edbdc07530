// goptlib pt_test.go's Extended ORPort tables (TestExtOrSendCommand,
// TestExtOrSendUserAddr, TestExtOrPortSendTransport, TestExtOrPortRecvCommand,
// TestExtOrPortSetMetadata) row by row, where the module's own tests cover a
// row only in spirit, plus the CONFORMANCE "ExtORPort" decisions on the wire.
// Mapping: /work/notes/conformance-map.md.
import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex, utf8Decode, utf8Encode } from "../../src/shared/bytes/index.js";
import { UnexpectedEOFError } from "../../src/shared/errors.js";
import {
  EXTOR_CMD_DONE,
  EXTOR_CMD_OKAY,
  EXTOR_CMD_TRANSPORT,
  EXTOR_CMD_USERADDR,
  ExtOrClientHandshake,
  ExtOrClientSetup,
  ExtOrCommandDecoder,
  ExtOrDeniedError,
  ExtOrServerHandshake,
  ExtOrServerSetup,
  encodeExtOrCommand,
  encodeOkay,
  encodeTransport,
  encodeUserAddr,
  formatUserAddr,
  parseUserAddr,
  parseUserAddrBody,
} from "../../src/shared/codec/extorport/index.js";
import { decodeEverySplit, splits } from "../helpers/chunking.js";

describe("goptlib TestExtOrSendCommand", () => {
  it.each([
    ["0000", 0x0000],
    ["1234", 0x1234],
  ])("refuses a 65536-byte body for command %s", (_label, cmd) => {
    expect(() => encodeExtOrCommand(cmd, new Uint8Array(65536))).toThrow(RangeError);
  });

  it("frames a 65535-byte body of zeros as 12 34 ff ff + the body", () => {
    const frame = encodeExtOrCommand(0x1234, new Uint8Array(65535));
    const want = new Uint8Array(65535 + 4);
    want.set([0x12, 0x34, 0xff, 0xff]);
    expect(toHex(frame)).toBe(toHex(want));
  });
});

describe("goptlib TestExtOrSendUserAddr", () => {
  // Each address goes out verbatim and reads back as the same address.
  it.each([
    "0.0.0.0:0",
    "1.2.3.4:9999",
    "255.255.255.255:65535",
    "[::]:0",
    "[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:63335",
  ])("%s", (addr) => {
    const [cmd] = decodeEverySplit(() => new ExtOrCommandDecoder(), encodeUserAddr(addr));
    expect(cmd!.command).toBe(EXTOR_CMD_USERADDR);
    expect(cmd!.body.length).toBe(addr.length);
    expect(utf8Decode(cmd!.body)).toBe(addr);
    expect(parseUserAddrBody(cmd!.body)).toEqual(parseUserAddr(addr));
  });

  it("what formatUserAddr makes of a socket's address is what a bridge reads (CONFORMANCE: only the two forms)", () => {
    expect(formatUserAddr("ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255", 63335)).toBe(
      "[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:63335",
    );
    expect(parseUserAddr("[ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff]:63335")).toEqual(
      parseUserAddr("[ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255]:63335"),
    );
  });
});

describe("goptlib TestExtOrPortSendTransport", () => {
  it.each([
    ["a", "0002 0001 61"],
    ["alpha", "0002 0005 616c706861"],
  ])("%j → %s", (name, want) => {
    expect(toHex(encodeTransport(name))).toBe(toHex(fromHex(want)));
  });

  it('refuses "" (goptlib sends 00 02 00 00; tor would close the connection: not a C identifier)', () => {
    expect(() => encodeTransport("")).toThrow(TypeError);
  });
});

describe("goptlib TestExtOrPortRecvCommand", () => {
  // [input, command, body, leftover]: one command is read, the rest stays for the next reader.
  const good: [string, number, string, string][] = [
    ["1234 0000", 0x1234, "", ""],
    ["1234 0000 6d6f7265", 0x1234, "", "6d6f7265"], // "more"
    ["1234 0004 626f6479", 0x1234, "626f6479", ""], // "body"
    ["1234 0004 626f6479 6d6f7265", 0x1234, "626f6479", "6d6f7265"],
  ];
  it.each(good)("%s → one command and the leftover, for every split", (input, command, body, leftover) => {
    for (const { label, chunks } of splits(fromHex(input))) {
      const dec = new ExtOrCommandDecoder();
      let got: { command: number; body: Uint8Array } | undefined;
      for (const c of chunks) {
        dec.feed(c);
        got ??= dec.next();
      }
      expect(got, label).toBeDefined();
      expect([got!.command, toHex(got!.body), toHex(dec.takeRemaining())], label).toEqual([command, body, leftover]);
    }
  });

  it.each(["12", "1234", "123400", "12340001"])("%s: the stream ends inside the command", (input) => {
    const dec = new ExtOrCommandDecoder();
    expect(dec.push(fromHex(input))).toEqual([]);
    expect(() => dec.finish()).toThrow(UnexpectedEOFError);
  });

  it('"" (no command at all) is an error for the party waiting for one', () => {
    // A stream decoder accepts an empty stream; the handshake that expects OKAY does not.
    expect(() => new ExtOrCommandDecoder().finish()).not.toThrow();
    const setup = new ExtOrClientSetup({});
    setup.start();
    expect(() => setup.finish()).toThrow(UnexpectedEOFError);
  });
});

describe("goptlib TestExtOrPortSetMetadata (PT side) and what a bridge reads from it", () => {
  const ADDR = "127.0.0.1:40000";
  const cases: [string, { userAddr?: string; transport?: string }, [number, string][]][] = [
    ["neither", {}, [[EXTOR_CMD_DONE, ""]]],
    [
      "address only",
      { userAddr: ADDR },
      [
        [EXTOR_CMD_USERADDR, ADDR],
        [EXTOR_CMD_DONE, ""],
      ],
    ],
    [
      "transport only",
      { transport: "alpha" },
      [
        [EXTOR_CMD_TRANSPORT, "alpha"],
        [EXTOR_CMD_DONE, ""],
      ],
    ],
    [
      "both",
      { userAddr: ADDR, transport: "alpha" },
      [
        [EXTOR_CMD_USERADDR, ADDR],
        [EXTOR_CMD_TRANSPORT, "alpha"],
        [EXTOR_CMD_DONE, ""],
      ],
    ],
  ];

  it.each(cases)("%s", (_label, options, want) => {
    const setup = new ExtOrClientSetup(options);
    const sent = setup.start();
    const commands = decodeEverySplit(() => new ExtOrCommandDecoder(), sent);
    expect(commands.map((c) => [c.command, utf8Decode(c.body)])).toEqual(want);
    // The faked OKAY of goptlib's test, followed by relayed bytes.
    const step = setup.push(concatBytes(encodeOkay(), utf8Encode("cell")));
    expect([step.done, utf8Decode(step.leftover)]).toEqual([true, "cell"]);

    // The bridge side reads the same metadata; without USERADDR it has no address (CONFORMANCE).
    for (const { label, chunks } of splits(sent)) {
      const bridge = new ExtOrServerSetup();
      let request;
      for (const c of chunks) request ??= bridge.push(c);
      expect(request, label).toEqual({
        userAddr: options.userAddr === undefined ? undefined : parseUserAddr(options.userAddr),
        transport: options.transport,
        ignoredCommands: 0,
      });
    }
  });

  it("CONFORMANCE: an unusable client address sends no USERADDR", () => {
    const addr = formatUserAddr("localhost", 40000);
    expect(addr).toBeUndefined();
    const sent = new ExtOrClientSetup({ userAddr: addr, transport: "alpha" }).start();
    expect(toHex(sent)).toBe("00020005616c706861" + "00000000"); // TRANSPORT alpha, DONE
  });

  it("CONFORMANCE: DENY closes the client connection, whatever the body", () => {
    for (const body of ["", "787878"]) {
      const setup = new ExtOrClientSetup({ transport: "alpha" });
      setup.start();
      expect(() => setup.push(encodeExtOrCommand(0x1001, fromHex(body)))).toThrow(ExtOrDeniedError);
      expect(setup.failed).toBe(true);
    }
    expect(EXTOR_CMD_OKAY).toBe(0x1000);
  });
});

describe("CONFORMANCE ExtORPort: DENY at every split point and in 1-byte chunks", () => {
  // Known answers for cookie = client nonce = server nonce = 00*32 (goptlib TestComputeServerHash/ClientHash).
  const SERVER_HASH = "9e221919982a84f75faf60ef926949796268c97833e06960ff265369a90fd6d8";
  const CLIENT_HASH = "0f368b1bee24aabc54a9114ce06c070f3ed99d0d368f599ccc6dfdc8bf457a62";
  const zeros = (n: number): Uint8Array => new Uint8Array(n);
  const bridge = concatBytes(
    fromHex("01 00"), // AuthTypes: SAFE_COOKIE, EndAuthTypes
    fromHex(SERVER_HASH),
    zeros(32), // ServerNonce
    fromHex("01"), // Status: success
    fromHex("1001 0000"), // DENY
  );
  const pt = concatBytes(
    fromHex("01"), // AuthType: SAFE_COOKIE
    zeros(32), // ClientNonce
    fromHex(CLIENT_HASH),
    fromHex("0002 0005 616c706861"), // TRANSPORT alpha
    fromHex("0000 0000"), // DONE
  );

  // The bridge answers only after DONE, so DENY never shares a read with what precedes DONE: the bytes up to the
  // status are cut every way, then DENY arrives, itself cut every way.
  it("the PT sends its whole side, then fails with ExtOrDeniedError, whatever the chunking", () => {
    const deny = bridge.subarray(bridge.length - 4);
    const upToStatus = bridge.subarray(0, bridge.length - 4);
    for (const { label, chunks } of [...splits(upToStatus)].flatMap((a) =>
      [...splits(deny)].map((b) => ({ label: `${a.label} then DENY ${b.label}`, chunks: [a.chunks, b.chunks] })),
    )) {
      const c = new ExtOrClientHandshake({ cookie: zeros(32), randomBytes: zeros, transport: "alpha" });
      const sent = chunks[0]!.map((chunk) => c.push(chunk).send);
      expect(toHex(concatBytes(...sent)), label).toBe(toHex(pt));
      const denyChunks = chunks[1]!.filter((ch) => ch.length > 0);
      for (const chunk of denyChunks.slice(0, -1)) expect(c.push(chunk).done, label).toBe(false);
      expect(() => c.push(denyChunks.at(-1)!), label).toThrow(ExtOrDeniedError);
      expect(c.failed, label).toBe(true);
    }
  });

  it("the bridge reads the PT's side at every split and answers exactly DENY when told to", () => {
    for (const { label, chunks } of splits(pt)) {
      const s = new ExtOrServerHandshake({ cookie: zeros(32), randomBytes: zeros });
      const sent: Uint8Array[] = [s.start()];
      let request;
      for (const chunk of chunks) {
        const step = s.push(chunk);
        sent.push(step.send);
        request ??= step.request;
      }
      expect(request, label).toEqual({ userAddr: undefined, transport: "alpha", ignoredCommands: 0 });
      sent.push(s.deny());
      expect(toHex(concatBytes(...sent)), label).toBe(toHex(bridge));
      expect(s.state, label).toBe("denied");
    }
  });
});
