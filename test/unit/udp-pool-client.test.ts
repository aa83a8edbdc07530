import { describe, expect, it } from "vitest";
import { concatBytes, fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { UnexpectedEOFError, WebptError } from "../../src/shared/errors.js";
import {
  DEFAULT_MAX_UDP_POOL_ENTRIES,
  DEFAULT_UDP_IDLE_TIMEOUT_MS,
  UdpClientPool,
  type UdpClientOutput,
} from "../../src/shared/udp/index.js";
import { splits } from "../helpers/chunking.js";

const h = (s: string): Uint8Array => fromHex(s);
const PEER = "127.0.0.1:5000";
const OTHER = "127.0.0.1:5001";
const T = 1000; // idle timeout used by most tests

/** Outputs as comparable plain data: bytes as hex, errors as their code. */
function plain(outputs: UdpClientOutput[]): unknown[] {
  return outputs.map((o) => {
    const r: Record<string, unknown> = { ...o };
    if ("bytes" in o) r.bytes = toHex(o.bytes);
    if ("datagram" in o) r.datagram = toHex(o.datagram);
    if ("error" in o && o.error !== undefined) r.error = o.error.code;
    return r;
  });
}

/** A pool with PEER Connected as id 1 at time 0. */
function connected(options: ConstructorParameters<typeof UdpClientPool>[0] = { idleTimeoutMs: T }): UdpClientPool {
  const pool = new UdpClientPool(options);
  pool.onDatagram(PEER, h("00"), 0);
  pool.onConnected(1, 0);
  return pool;
}

// seed 000 §3.3.5.3, Table 1 "Client-side UDP state transitions", one test per row.
describe("UdpClientPool: Table 1 rows", () => {
  it("row 1: Packet received | No matching Connection in pool | New Connection added with state = Waiting | Packet dropped", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    const out = pool.onDatagram(PEER, h("68656c6c6f"), 0);
    expect(plain(out)).toEqual([
      { kind: "open-transport", key: PEER, id: 1 },
      { kind: "drop", key: PEER, reason: "connection-opening", length: 5 },
    ]);
    expect(pool.state(PEER)).toBe("Waiting");
    expect(pool.size).toBe(1);
  });

  it("row 2: Packet received | Matching Connection with state = Waiting | (unchanged) | Packet dropped", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    const out = pool.onDatagram(PEER, h("0203"), 10);
    expect(plain(out)).toEqual([{ kind: "drop", key: PEER, reason: "waiting", length: 2 }]);
    expect(pool.state(PEER)).toBe("Waiting");
  });

  it("row 3: Packet received | Matching Connection with state = Connected | (unchanged) | Packet sent using Connection", () => {
    const pool = connected();
    const out = pool.onDatagram(PEER, h("68656c6c6f"), 10);
    // 0005 = big-endian length 5, then the payload "hello"
    expect(plain(out)).toEqual([{ kind: "send-transport", key: PEER, id: 1, bytes: "000568656c6c6f" }]);
    expect(pool.state(PEER)).toBe("Connected");
  });

  it("row 4: Connection successful | state = Waiting | state = Connected | (no effect)", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    expect(pool.onConnected(1, 5)).toEqual([]);
    expect(pool.state(PEER)).toBe("Connected");
  });

  it("row 5: Connection closed | state = Connected | Remove Connection from pool | (no effect)", () => {
    const pool = connected();
    const out = pool.onTransportClosed(1, 10);
    // The transport is already closed: no close-transport.
    expect(plain(out)).toEqual([{ kind: "removed", key: PEER, id: 1, reason: "connection-closed" }]);
    expect(pool.state(PEER)).toBeUndefined();
    // The next packet starts over at row 1 with a new connection.
    expect(plain(pool.onDatagram(PEER, h("01"), 11))[0]).toEqual({ kind: "open-transport", key: PEER, id: 2 });
  });

  it("row 6: Connection failed | state = Waiting | Remove Connection from pool | (no effect)", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    const err = new WebptError("ERR_TEST_DIAL", "refused");
    expect(plain(pool.onConnectFailed(1, 10, err))).toEqual([
      { kind: "removed", key: PEER, id: 1, reason: "connection-failed", error: "ERR_TEST_DIAL" },
    ]);
    expect(pool.size).toBe(0);
  });

  it("row 7: Write failure sending packet | state = Connected | Remove Connection from pool | Packet dropped", () => {
    const pool = connected();
    pool.onDatagram(PEER, h("0102"), 10);
    expect(plain(pool.onWriteFailure(1, 11, undefined, 2))).toEqual([
      { kind: "drop", key: PEER, reason: "write-failure", length: 2 },
      { kind: "close-transport", key: PEER, id: 1 },
      { kind: "removed", key: PEER, id: 1, reason: "write-failure" },
    ]);
    expect(pool.size).toBe(0);
  });

  it("row 8: Timeout since last packet | Matching Connection (Connected) | Remove Connection from pool", () => {
    const pool = connected();
    pool.onDatagram(PEER, h("01"), 100); // last packet at 100
    expect(pool.nextDeadline()).toBe(100 + T);
    expect(pool.tick(100 + T - 1)).toEqual([]); // one ms before the boundary: still there
    expect(pool.state(PEER)).toBe("Connected");
    expect(plain(pool.tick(100 + T))).toEqual([
      { kind: "close-transport", key: PEER, id: 1 },
      { kind: "removed", key: PEER, id: 1, reason: "idle-timeout" },
    ]);
    expect(pool.nextDeadline()).toBeUndefined();
  });

  it("row 8: Timeout since last packet | Matching Connection (Waiting) | Remove Connection from pool", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    pool.onDatagram(PEER, h("01"), 400); // a dropped packet is still a packet: deadline moves
    expect(pool.tick(400 + T - 1)).toEqual([]);
    expect(plain(pool.tick(400 + T))).toEqual([
      { kind: "close-transport", key: PEER, id: 1 }, // aborts the pending dial
      { kind: "removed", key: PEER, id: 1, reason: "idle-timeout" },
    ]);
  });
});

describe("UdpClientPool: first packets while Waiting", () => {
  it("drops the packet that opens the connection and every packet until it is established, then sends", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    const kinds = (out: UdpClientOutput[]): string[] => out.map((o) => (o.kind === "drop" ? o.reason : o.kind));
    expect(kinds(pool.onDatagram(PEER, h("01"), 0))).toEqual(["open-transport", "connection-opening"]);
    expect(kinds(pool.onDatagram(PEER, h("02"), 1))).toEqual(["waiting"]);
    expect(kinds(pool.onDatagram(PEER, h("03"), 2))).toEqual(["waiting"]);
    pool.onConnected(1, 3);
    expect(plain(pool.onDatagram(PEER, h("04"), 4))).toEqual([
      { kind: "send-transport", key: PEER, id: 1, bytes: "000104" },
    ]);
  });

  it("sends a 1400-byte datagram as 05 78 + payload (CONFORMANCE UDP)", () => {
    const pool = connected();
    const payload = new Uint8Array(1400).fill(0xab);
    const [o] = pool.onDatagram(PEER, payload, 1);
    expect(o?.kind === "send-transport" && toHex(o.bytes)).toBe("0578" + "ab".repeat(1400));
  });
});

describe("UdpClientPool: return path", () => {
  // Two frames: 0003 "abc", then 0000 (an empty datagram).
  const stream = h("0003 616263 0000");

  it("deframes transport bytes into datagrams for the local peer, across every split", () => {
    for (const { label, chunks } of splits(stream)) {
      const pool = connected();
      const got = chunks.flatMap((c, i) => plain(pool.onTransportData(1, c, i)));
      expect(got, label).toEqual([
        { kind: "send-udp", id: 1, to: PEER, datagram: "616263" },
        { kind: "send-udp", id: 1, to: PEER, datagram: "" },
      ]);
    }
  });

  it("carries a 65535-byte datagram both ways without truncation", () => {
    const pool = connected();
    const big = new Uint8Array(65535).map((_, i) => i & 0xff);
    const [sent] = pool.onDatagram(PEER, big, 1);
    expect(sent?.kind === "send-transport" && sent.bytes.length).toBe(65537);
    const [back] = pool.onTransportData(1, sent?.kind === "send-transport" ? sent.bytes : h(""), 2);
    expect(back?.kind === "send-udp" && toHex(back.datagram) === toHex(big)).toBe(true);
  });

  it("drops a datagram longer than 65535 bytes instead of truncating it, without opening a connection", () => {
    const pool = new UdpClientPool();
    expect(plain(pool.onDatagram(PEER, new Uint8Array(65536), 0))).toEqual([
      { kind: "drop", key: PEER, reason: "invalid-datagram", length: 65536, error: "ERR_UDP_DATAGRAM_TOO_LARGE" },
    ]);
    expect(pool.size).toBe(0);
  });

  it("counts a returned datagram as activity, but not a partial frame", () => {
    const pool = connected();
    pool.onTransportData(1, h("0001 ff"), 500);
    expect(pool.nextDeadline()).toBe(500 + T);
    pool.onTransportData(1, h("0002 ff"), 900); // incomplete: no packet yet
    expect(pool.nextDeadline()).toBe(500 + T);
  });

  it("ignores transport data for a Waiting or unknown connection", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    expect(pool.onTransportData(1, h("0001ff"), 1)).toEqual([]);
    expect(pool.onTransportData(99, h("0001ff"), 1)).toEqual([]);
  });
});

describe("UdpClientPool: malformed framing closes that transport only", () => {
  it("a truncated frame at close is malformed framing (UnexpectedEOFError), other peers unaffected", () => {
    const pool = connected();
    pool.onDatagram(OTHER, h("01"), 1);
    pool.onConnected(2, 1);
    expect(pool.onTransportData(1, h("0005 6869"), 2)).toEqual([]); // 3 of 5 bytes
    const out = pool.onTransportClosed(1, 3);
    expect(plain(out)).toEqual([
      { kind: "removed", key: PEER, id: 1, reason: "malformed-framing", error: "ERR_UNEXPECTED_EOF" },
    ]);
    expect(out[0]?.kind === "removed" && out[0].error).toBeInstanceOf(UnexpectedEOFError);
    expect(pool.state(OTHER)).toBe("Connected");
    expect(plain(pool.onDatagram(OTHER, h("aa"), 4))).toEqual([
      { kind: "send-transport", key: OTHER, id: 2, bytes: "0001aa" },
    ]);
  });

  it("a bad STUN magic cookie closes the transport; the other peer keeps relaying", () => {
    const pool = new UdpClientPool({ mode: "stun", idleTimeoutMs: T });
    const binding = h("0001 0000 2112a442 000102030405060708090a0b"); // Binding request, no attributes
    for (const [key, id] of [
      [PEER, 1],
      [OTHER, 2],
    ] as const) {
      pool.onDatagram(key, binding, 0);
      pool.onConnected(id, 0);
    }
    const bad = h("0101 0000 deadbeef 000102030405060708090a0b"); // cookie deadbeef
    expect(plain(pool.onTransportData(1, bad, 1))).toEqual([
      { kind: "close-transport", key: PEER, id: 1 },
      { kind: "removed", key: PEER, id: 1, reason: "malformed-framing", error: "ERR_STUN_BAD_MAGIC_COOKIE" },
    ]);
    const good = h("0101 0000 2112a442 000102030405060708090a0b");
    expect(plain(pool.onTransportData(2, good, 2))).toEqual([
      { kind: "send-udp", id: 2, to: OTHER, datagram: toHex(good) },
    ]);
  });

  it("a STUN length that is not a multiple of 4 closes the transport", () => {
    const pool = new UdpClientPool({ mode: "stun", idleTimeoutMs: T });
    pool.onDatagram(PEER, h("0001 0000 2112a442 000102030405060708090a0b"), 0);
    pool.onConnected(1, 0);
    const out = pool.onTransportData(1, h("0101 0006"), 1); // length 6
    expect(out.map((o) => o.kind)).toEqual(["close-transport", "removed"]);
    expect(out[1]?.kind === "removed" && out[1].error?.code).toBe("ERR_STUN_BAD_LENGTH");
  });

  it("STUN mode drops a non-STUN packet from the app without opening a connection", () => {
    const pool = new UdpClientPool({ mode: "stun" });
    const out = pool.onDatagram(PEER, h("ff00"), 0);
    expect(plain(out)).toEqual([
      { kind: "drop", key: PEER, reason: "invalid-datagram", length: 2, error: "ERR_STUN_BAD_PREFIX" },
    ]);
    expect(pool.size).toBe(0);
  });
});

describe("UdpClientPool: timeouts and stale events", () => {
  it("an event at the deadline expires the entry first (no tick needed), then applies row 1", () => {
    const pool = connected();
    expect(plain(pool.onDatagram(PEER, h("01"), T))).toEqual([
      { kind: "close-transport", key: PEER, id: 1 },
      { kind: "removed", key: PEER, id: 1, reason: "idle-timeout" },
      { kind: "open-transport", key: PEER, id: 2 },
      { kind: "drop", key: PEER, reason: "connection-opening", length: 1 },
    ]);
  });

  it("a dial that completes after its entry timed out does not connect the peer's next entry", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    pool.tick(T); // id 1 removed
    pool.onDatagram(PEER, h("01"), T + 1); // id 2, Waiting
    expect(pool.onConnected(1, T + 2)).toEqual([]);
    expect(pool.state(PEER)).toBe("Waiting");
    expect(pool.onTransportClosed(1, T + 3)).toEqual([]);
    expect(pool.onWriteFailure(1, T + 3)).toEqual([]);
    expect(pool.idOf(PEER)).toBe(2);
  });

  it("keeps deadlines in activity order", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T });
    pool.onDatagram(PEER, h("01"), 0);
    pool.onDatagram(OTHER, h("01"), 10);
    pool.onDatagram(PEER, h("01"), 20); // PEER is now the most recent
    expect(pool.nextDeadline()).toBe(10 + T);
    expect(plain(pool.tick(10 + T)).map((o) => (o as { key: string }).key)).toEqual([OTHER, OTHER]);
    expect(pool.nextDeadline()).toBe(20 + T);
  });

  it("treats a clock that goes backwards as standing still", () => {
    const pool = connected();
    pool.onDatagram(PEER, h("01"), 500);
    pool.onDatagram(PEER, h("01"), 100); // clamped to 500
    expect(pool.nextDeadline()).toBe(500 + T);
  });

  it("uses the named defaults", () => {
    const pool = new UdpClientPool();
    expect(pool.idleTimeoutMs).toBe(DEFAULT_UDP_IDLE_TIMEOUT_MS);
    pool.onDatagram(PEER, h("01"), 0);
    expect(pool.nextDeadline()).toBe(DEFAULT_UDP_IDLE_TIMEOUT_MS);
  });
});

describe("UdpClientPool: bounds and many keys", () => {
  it("drops a new peer's packet when the pool is full, and admits it once an entry leaves", () => {
    const pool = new UdpClientPool({ maxEntries: 2, idleTimeoutMs: T });
    pool.onDatagram("a:1", h("01"), 0);
    pool.onDatagram("b:1", h("01"), 0);
    expect(plain(pool.onDatagram("c:1", h("01"), 0))).toEqual([
      { kind: "drop", key: "c:1", reason: "pool-full", length: 1 },
    ]);
    pool.onConnectFailed(1, 1);
    expect(pool.onDatagram("c:1", h("01"), 2)[0]).toEqual({ kind: "open-transport", key: "c:1", id: 3 });
  });

  it("relays for 1000 peers independently and isolates one bad stream", () => {
    const pool = new UdpClientPool({ idleTimeoutMs: T, maxEntries: DEFAULT_MAX_UDP_POOL_ENTRIES });
    const keys = Array.from({ length: 1000 }, (_, i) => `10.0.${i >> 8}.${i & 0xff}:4000`);
    keys.forEach((k, i) => {
      pool.onDatagram(k, h("00"), 0);
      pool.onConnected(i + 1, 0);
    });
    expect(pool.size).toBe(1000);
    const bad = pool.onTransportData(500, h("0003 6162"), 1); // partial, fine so far
    expect(bad).toEqual([]);
    expect(pool.onTransportClosed(500, 1).map((o) => o.kind)).toEqual(["removed"]);
    keys.forEach((k, i) => {
      const out = pool.onTransportData(i + 1, h("0001 2a"), 2);
      expect(out.length).toBe(i + 1 === 500 ? 0 : 1);
      if (i + 1 !== 500) expect(out[0]).toMatchObject({ kind: "send-udp", to: k });
    });
    expect(pool.size).toBe(999);
    expect(pool.close().filter((o) => o.kind === "close-transport")).toHaveLength(999);
    expect(pool.size).toBe(0);
  });

  it("rejects bad options with RangeError", () => {
    expect(() => new UdpClientPool({ idleTimeoutMs: 0 })).toThrow(RangeError);
    expect(() => new UdpClientPool({ idleTimeoutMs: 1.5 })).toThrow(RangeError);
    expect(() => new UdpClientPool({ maxEntries: 0 })).toThrow(RangeError);
    expect(() => new UdpClientPool({ mode: "stun", stun: { maxMessage: 4 } })).toThrow(RangeError);
    expect(() => new UdpClientPool({ mode: "tcp" as never })).toThrow(RangeError);
  });

  it("concatenates framed output that decodes back to the datagrams sent", () => {
    const pool = connected();
    const frames = [h("01"), h(""), h("0203")].map((d, i) => pool.onDatagram(PEER, d, i + 1)[0]);
    const bytes = concatBytes(...frames.map((o) => (o?.kind === "send-transport" ? o.bytes : h(""))));
    expect(toHex(bytes)).toBe("000101" + "0000" + "00020203");
  });
});
