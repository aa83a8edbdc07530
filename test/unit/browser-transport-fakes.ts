/**
 * Fakes for the browser transport's unit tests: a WebSocket-shaped object
 * whose far end is a real Obfs4ServerSession in the same process, with a
 * bufferedAmount the test controls (browsers drain it; here the test does).
 */
import { createHash } from "node:crypto";
import {
  Obfs4ServerSession,
  ReplayFilter,
  encodeCert,
  generateServerState,
  type Obfs4ServerState,
} from "../../src/shared/codec/obfs4/index.js";
import type { BrowserConnection } from "../../src/shared/transport/index.js";
import type { WebSocketEventMapLike, WebSocketLike } from "../../src/shared/transport/websocket-like.js";

type Listener = (event: never) => void;

export class FakeWebSocket implements WebSocketLike {
  binaryType = "blob";
  readyState = 0;
  /** When true, sent bytes stay "buffered" until release(). */
  hold = false;
  #buffered = 0;
  #heldBytes: Uint8Array[] = [];
  readonly #listeners = new Map<string, Listener[]>();
  readonly server: Obfs4ServerSession;
  /** Application bytes the server decoded. */
  readonly serverReceived: Uint8Array[] = [];
  /** Echo what the server receives back to the client. */
  echo = false;
  closedWith: number | undefined;

  constructor(state: Obfs4ServerState) {
    this.server = new Obfs4ServerSession({
      nodeId: state.nodeId,
      identityKeypair: { privateKey: state.privateKey, publicKey: state.publicKey },
      replayFilter: new ReplayFilter(),
      drbgSeed: state.drbgSeed,
      iatMode: 0,
      closeDelayMs: 0,
    });
    setTimeout(() => {
      this.readyState = 1;
      this.#emit("open", {});
    }, 0);
  }

  get bufferedAmount(): number {
    return this.#buffered;
  }

  addEventListener<K extends keyof WebSocketEventMapLike>(
    type: K,
    listener: (e: WebSocketEventMapLike[K]) => void,
  ): void {
    const list = this.#listeners.get(type) ?? [];
    list.push(listener as Listener);
    this.#listeners.set(type, list);
  }

  #emit(type: string, event: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) (l as (e: unknown) => void)(event);
  }

  send(data: Uint8Array): void {
    const copy = data.slice();
    if (this.hold) {
      this.#buffered += copy.length;
      this.#heldBytes.push(copy);
      return;
    }
    this.#toServer(copy);
  }

  /** Lets everything held reach the server. */
  release(): void {
    this.hold = false;
    for (const b of this.#heldBytes.splice(0)) this.#toServer(b);
    this.#buffered = 0;
  }

  #toServer(bytes: Uint8Array): void {
    const r = this.server.receive(bytes);
    if (r.send !== undefined) this.deliver(r.send);
    for (const d of r.data) {
      this.serverReceived.push(d);
      if (this.echo) this.serverSend(d);
    }
  }

  /** The server sends application bytes. */
  serverSend(payload: Uint8Array): void {
    this.deliver(this.server.send(payload).data);
  }

  /** Raw bytes (or text) arrive at the client, as a message event a task later. */
  deliver(data: Uint8Array | string): void {
    const payload = typeof data === "string" ? data : data.slice().buffer;
    setTimeout(() => this.#emit("message", { data: payload }), 0);
  }

  close(code?: number): void {
    if (this.readyState >= 2) return;
    this.closedWith = code;
    this.readyState = 3;
    setTimeout(() => this.#emit("close", { code: code ?? 1005, reason: "", wasClean: true }), 0);
  }

  /** The server closes (as a peer would). */
  serverClose(code = 1000): void {
    this.readyState = 3;
    setTimeout(() => this.#emit("close", { code, reason: "", wasClean: code === 1000 }), 0);
  }
}

/** A bridge identity and settings a client would get from its line. */
export function fakeBridge(): { state: Obfs4ServerState; cert: string } {
  const state = generateServerState();
  return { state, cert: encodeCert(state.nodeId, state.publicKey) };
}

/** Reads `n` bytes from a connection's readable; returns their sha256 and how many arrived. */
export async function readN(conn: BrowserConnection, n: number): Promise<{ received: number; sha256: string }> {
  const reader = conn.readable.getReader();
  const hash = createHash("sha256");
  let received = 0;
  while (received < n) {
    const r = await reader.read();
    if (r.done) break;
    received += r.value.length;
    hash.update(r.value);
  }
  reader.releaseLock();
  return { received, sha256: hash.digest("hex") };
}

/** Writes `data` in `chunk`-byte writes, honouring `ready`. */
export async function writeAll(conn: BrowserConnection, data: Uint8Array, chunk = 64 * 1024): Promise<void> {
  const writer = conn.writable.getWriter();
  for (let off = 0; off < data.length; off += chunk) {
    await writer.ready;
    void writer.write(data.subarray(off, off + chunk)).catch(() => undefined);
  }
  await writer.ready;
  writer.releaseLock();
}
