/**
 * Helpers for the Node UDP adapter tests: a UDP echo server, in-memory
 * transport connections (a duplex pair: the relay gets one end, the test
 * plays the PT server on the other), a recorder of relay events, and polling.
 */
import dgram from "node:dgram";
import type { Duplex } from "node:stream";
import { duplexPair } from "node:stream";
import type { UdpDial, UdpRelayEvent } from "../../src/server/udp/index.js";

/** Polls `check` every 5 ms until it is true; rejects after `timeoutMs` with `what`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export interface UdpEcho {
  readonly socket: dgram.Socket;
  readonly port: number;
  /** Datagrams received, with their sender. */
  readonly seen: { msg: Buffer; address: string; port: number }[];
  close(): Promise<void>;
}

/** A UDP server that sends every datagram back to its sender (the Server App of the tests). */
export async function startUdpEcho(host = "127.0.0.1"): Promise<UdpEcho> {
  const socket = dgram.createSocket({ type: "udp4", recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
  const seen: UdpEcho["seen"] = [];
  socket.on("message", (msg, rinfo) => {
    seen.push({ msg, address: rinfo.address, port: rinfo.port });
    socket.send(msg, rinfo.port, rinfo.address);
  });
  await new Promise<void>((r) => socket.bind(0, host, r));
  return {
    socket,
    port: socket.address().port,
    seen,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}

/** Records relay events; `drops(reason)` and `removals(reason)` filter them. */
export class EventLog {
  readonly events: UdpRelayEvent[] = [];
  readonly on = (e: UdpRelayEvent): void => {
    this.events.push(e);
  };
  kinds(): string[] {
    return this.events.map((e) => (e.kind === "drop" || e.kind === "removed" ? `${e.kind}:${e.reason}` : e.kind));
  }
  count(kind: string): number {
    return this.kinds().filter((k) => k === kind).length;
  }
}

/** An in-memory connection: [near, far]; destroying either end destroys the other, as TCP would. */
export function streamPair(): [Duplex, Duplex] {
  const [near, far] = duplexPair();
  near.once("close", () => far.destroy());
  far.once("close", () => near.destroy());
  return [near, far];
}

export interface FakeTransport {
  /** The PT server's end of transport connection n (in dial order). */
  readonly far: Duplex[];
  /** The signals each dial got. */
  readonly signals: AbortSignal[];
  readonly dial: UdpDial;
  /** Resolves (or rejects) dial n when the dial is held; see `hold`. */
  release(n: number, error?: Error): void;
}

/**
 * Dials that hand out one end of an in-memory duplex pair. With `hold`, each
 * dial waits for `release(n)`: the connection stays Waiting until the test says.
 */
export function fakeTransport(options: { hold?: boolean } = {}): FakeTransport {
  const far: Duplex[] = [];
  const signals: AbortSignal[] = [];
  const pending: ((error?: Error) => void)[] = [];
  return {
    far,
    signals,
    dial: (signal) => {
      signals.push(signal);
      const [near, other] = streamPair();
      far.push(other);
      if (options.hold !== true) return Promise.resolve(near);
      return new Promise<Duplex>((resolve, reject) => {
        pending.push((error) => (error === undefined ? resolve(near) : reject(error)));
      });
    },
    release(n, error) {
      const p = pending[n];
      if (p === undefined) throw new Error(`no held dial ${n}`);
      p(error);
    },
  };
}

/** Collects what the far end of a transport receives. */
export function collect(d: Duplex): Buffer[] {
  const got: Buffer[] = [];
  d.on("data", (c: Buffer) => got.push(c));
  return got;
}
