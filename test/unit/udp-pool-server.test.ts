import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { UnexpectedEOFError, WebptError } from "../../src/shared/errors.js";
import { DEFAULT_UDP_IDLE_TIMEOUT_MS, UdpServerPool, type UdpServerOutput } from "../../src/shared/udp/index.js";
import { splits } from "../helpers/chunking.js";

const h = (s: string): Uint8Array => fromHex(s);
const DEST = "192.0.2.7:1194";
const TURN = "198.51.100.9:3478";
const T = 1000;
// A STUN Binding request with no attributes: type 0001, length 0000, cookie, 12-byte transaction ID.
const BINDING = h("0001 0000 2112a442 000102030405060708090a0b");
// A Binding success response with no attributes.
const SUCCESS = h("0101 0000 2112a442 000102030405060708090a0b");

function plain(outputs: UdpServerOutput[]): unknown[] {
  return outputs.map((o) => {
    const r: Record<string, unknown> = { ...o };
    if ("bytes" in o) r.bytes = toHex(o.bytes);
    if ("datagram" in o) r.datagram = toHex(o.datagram);
    if ("error" in o && o.error !== undefined) r.error = o.error.code;
    return r;
  });
}

describe("UdpServerPool: accept", () => {
  it("adds the connection Connected (no Waiting state, §3.3.5.5) with an association to the destination", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    const a = pool.accept(0);
    expect(a.id).toBe(1);
    expect(a.accepted).toBe(true);
    expect(plain(a.outputs)).toEqual([{ kind: "open-udp", id: 1, to: DEST }]);
    expect(pool.has(1)).toBe(true);
  });

  it("closes a new transport at once when the pool is full", () => {
    const pool = new UdpServerPool({ destination: DEST, maxEntries: 1, idleTimeoutMs: T });
    pool.accept(0);
    const b = pool.accept(0);
    expect(b).toMatchObject({ id: 2, accepted: false });
    expect(plain(b.outputs)).toEqual([{ kind: "close-transport", id: 2 }]);
    expect(pool.size).toBe(1);
    expect(pool.onTransportData(2, h("0001ff"), 1)).toEqual([]);
  });
});

// seed 000 §3.3.5.5, Table 2 "Server-side UDP state transitions", one test per row.
describe("UdpServerPool: Table 2 rows", () => {
  it("row 1: Packet received | No matching Connection in pool | | Packet dropped", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    expect(plain(pool.onDatagram(7, h("0102"), 0))).toEqual([
      { kind: "drop", id: 7, reason: "no-connection", length: 2 },
    ]);
    expect(pool.size).toBe(0);
  });

  it("row 2: Packet received | Matching Connection in pool | | Packet sent using Connection", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    // 0003 = big-endian length 3, then the payload
    expect(plain(pool.onDatagram(1, h("0a0b0c"), 5))).toEqual([{ kind: "send-transport", id: 1, bytes: "00030a0b0c" }]);
  });

  it("row 3: Connection closed | Connection in pool | Remove Connection from pool", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    const err = new WebptError("ERR_TEST_RESET", "reset");
    expect(plain(pool.onTransportClosed(1, 5, err))).toEqual([
      { kind: "close-udp", id: 1 },
      { kind: "removed", id: 1, reason: "connection-closed", error: "ERR_TEST_RESET" },
    ]);
    // A late reply from the Server App now matches nothing: row 1.
    expect(plain(pool.onDatagram(1, h("01"), 6))).toEqual([
      { kind: "drop", id: 1, reason: "no-connection", length: 1 },
    ]);
  });

  it("row 4: Write failure sending packet | Connection in pool | Remove Connection from pool | Packet dropped", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    pool.onDatagram(1, h("01"), 1);
    expect(plain(pool.onWriteFailure(1, 2, undefined, 1))).toEqual([
      { kind: "drop", id: 1, reason: "write-failure", length: 1 },
      { kind: "close-transport", id: 1 },
      { kind: "close-udp", id: 1 },
      { kind: "removed", id: 1, reason: "write-failure" },
    ]);
  });

  it("row 5: Timeout since last packet | Matching Connection in pool | Remove Connection from pool", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    pool.onDatagram(1, h("01"), 200); // last packet at 200
    expect(pool.nextDeadline()).toBe(200 + T);
    expect(pool.tick(200 + T - 1)).toEqual([]);
    expect(plain(pool.tick(200 + T))).toEqual([
      { kind: "close-transport", id: 1 },
      { kind: "close-udp", id: 1 },
      { kind: "removed", id: 1, reason: "idle-timeout" },
    ]);
    expect(pool.nextDeadline()).toBeUndefined();
  });
});

describe("UdpServerPool: transport to Server App", () => {
  it("deframes the stream into datagrams for the destination across every split", () => {
    const stream = h("0002 beef 0001 00");
    for (const { label, chunks } of splits(stream)) {
      const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
      pool.accept(0);
      expect(
        chunks.flatMap((c) => plain(pool.onTransportData(1, c, 1))),
        label,
      ).toEqual([
        { kind: "send-udp", id: 1, to: DEST, datagram: "beef" },
        { kind: "send-udp", id: 1, to: DEST, datagram: "00" },
      ]);
    }
  });

  it("a one-way flow from the client keeps the connection alive (both directions are activity)", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    pool.onTransportData(1, h("000101"), 900);
    expect(pool.tick(T)).toEqual([]);
    expect(pool.nextDeadline()).toBe(900 + T);
  });

  it("carries a 65535-byte datagram both ways without truncation", () => {
    const pool = new UdpServerPool({ destination: DEST });
    pool.accept(0);
    const big = new Uint8Array(65535).map((_, i) => (i * 7) & 0xff);
    const [down] = pool.onDatagram(1, big, 1);
    expect(down?.kind === "send-transport" && down.bytes.length).toBe(65537);
    const [up] = pool.onTransportData(1, down?.kind === "send-transport" ? down.bytes : h(""), 2);
    expect(up?.kind === "send-udp" && up.datagram.length === 65535 && toHex(up.datagram) === toHex(big)).toBe(true);
  });

  it("STUN-aware mode relays STUN to the TURN server and back, unframed", () => {
    const pool = new UdpServerPool({ destination: TURN, mode: "stun", idleTimeoutMs: T });
    pool.accept(0);
    expect(plain(pool.onTransportData(1, BINDING, 1))).toEqual([
      { kind: "send-udp", id: 1, to: TURN, datagram: toHex(BINDING) },
    ]);
    expect(plain(pool.onDatagram(1, SUCCESS, 2))).toEqual([{ kind: "send-transport", id: 1, bytes: toHex(SUCCESS) }]);
  });

  it("STUN-aware mode drops a non-STUN reply from the TURN server and keeps the connection", () => {
    const pool = new UdpServerPool({ destination: TURN, mode: "stun", idleTimeoutMs: T });
    pool.accept(0);
    expect(plain(pool.onDatagram(1, h("c0ffee"), 1))).toEqual([
      { kind: "drop", id: 1, reason: "invalid-datagram", length: 3, error: "ERR_STUN_BAD_PREFIX" },
    ]);
    expect(pool.has(1)).toBe(true);
  });
});

describe("UdpServerPool: malformed framing closes that transport only", () => {
  const cases: [string, Uint8Array, string][] = [
    ["bad magic cookie", h("0001 0000 2112a443 000102030405060708090a0b"), "ERR_STUN_BAD_MAGIC_COOKIE"],
    ["length not a multiple of 4", h("0001 0002"), "ERR_STUN_BAD_LENGTH"],
    ["top bits 0b11", h("c0"), "ERR_STUN_BAD_PREFIX"],
  ];
  for (const [name, bytes, code] of cases) {
    it(`STUN: ${name}`, () => {
      const pool = new UdpServerPool({ destination: TURN, mode: "stun", idleTimeoutMs: T });
      pool.accept(0);
      pool.accept(0);
      expect(plain(pool.onTransportData(1, bytes, 1))).toEqual([
        { kind: "close-transport", id: 1 },
        { kind: "close-udp", id: 1 },
        { kind: "removed", id: 1, reason: "malformed-framing", error: code },
      ]);
      expect(pool.has(2)).toBe(true);
      expect(pool.onTransportData(2, BINDING, 2)).toHaveLength(1);
      expect(pool.onTransportData(1, BINDING, 2)).toEqual([]); // removed: no output
    });
  }

  it("a truncated frame at close is malformed framing; the transport is already closed", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    pool.accept(0);
    pool.accept(0);
    pool.onTransportData(1, h("0004 0102"), 1);
    const out = pool.onTransportClosed(1, 2);
    expect(plain(out)).toEqual([
      { kind: "close-udp", id: 1 },
      { kind: "removed", id: 1, reason: "malformed-framing", error: "ERR_UNEXPECTED_EOF" },
    ]);
    expect(out[1]?.kind === "removed" && out[1].error).toBeInstanceOf(UnexpectedEOFError);
    expect(plain(pool.onDatagram(2, h("01"), 3))).toEqual([{ kind: "send-transport", id: 2, bytes: "000101" }]);
  });
});

describe("UdpServerPool: many connections and shutdown", () => {
  it("keeps 500 associations apart and expires them in activity order", () => {
    const pool = new UdpServerPool({ destination: DEST, idleTimeoutMs: T });
    for (let i = 0; i < 500; i++) pool.accept(i);
    for (let id = 1; id <= 500; id += 2) pool.onDatagram(id, h("01"), 600); // odd ids active at 600
    const expired = pool.tick(600 + T - 1).filter((o) => o.kind === "removed");
    // Even ids were accepted at id-1 <= 499 and never used: idle for >= T by 600+T-1.
    expect(expired.map((o) => o.id)).toEqual(Array.from({ length: 250 }, (_, i) => 2 * (i + 1)));
    expect(pool.size).toBe(250);
    expect(pool.nextDeadline()).toBe(600 + T);
    expect(pool.close().filter((o) => o.kind === "close-udp")).toHaveLength(250);
    expect(pool.size).toBe(0);
  });

  it("uses the named default timeout and validates options", () => {
    expect(new UdpServerPool({ destination: DEST }).idleTimeoutMs).toBe(DEFAULT_UDP_IDLE_TIMEOUT_MS);
    expect(() => new UdpServerPool({ destination: "" })).toThrow(TypeError);
    expect(() => new UdpServerPool({ destination: DEST, idleTimeoutMs: -1 })).toThrow(RangeError);
    expect(() => new UdpServerPool({ destination: DEST, maxEntries: 1e9 })).toThrow(RangeError);
  });
});
