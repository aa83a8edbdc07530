/**
 * One obfs4 connection, sans-IO: the handshake (handshake-*.ts) glued to the
 * framing (packet.ts, iat.ts). Every carrier adapter — Node TCP, WebSocket,
 * DataChannel, the browser's WHATWG streams — drives one of these two
 * classes and only moves bytes and applies the delays it is told to.
 *
 *   client: write `request`; feed received bytes to receive(); once
 *           `established`, send(payload) gives the frames to write.
 *   server: feed received bytes to receive(); write what it returns in
 *           `send`; on `failed`, write nothing ever again, keep reading and
 *           discarding, and close at `closeAt` (obfs4-spec §4, probing
 *           resistance).
 */
import type { Obfs4CryptoBackend } from "./crypto-backend.js";
import { ClientHandshake, type ClientHandshakeOptions } from "./handshake-client.js";
import { ServerHandshake, type ServerHandshakeOptions } from "./handshake-server.js";
import type { IatMode } from "./identity-cert.js";
import { createFramers, type Obfs4Decoder, type Obfs4Encoder } from "./packet.js";
import { Obfs4Shaper, type ShapedWrite } from "./iat.js";
import { Obfs4HandshakeStateError } from "./handshake-errors.js";

export interface Obfs4SessionCommon {
  readonly iatMode: IatMode;
  /** Secretbox/SipHash implementation; default the pure-JS one (Node injects sodium-native). */
  readonly backend?: Obfs4CryptoBackend;
}

export type Obfs4ClientSessionOptions = ClientHandshakeOptions & Obfs4SessionCommon;

export interface Obfs4ServerSessionOptions extends ServerHandshakeOptions, Obfs4SessionCommon {
  /** The bridge's persistent drbg-seed: its length distribution, announced to every client. */
  readonly drbgSeed: Uint8Array;
}

/** What an adapter does after feeding bytes in. */
export interface Obfs4Receive {
  /** Bytes to write to the carrier now (the server's handshake response). */
  readonly send?: Uint8Array;
  /** Application bytes decoded from this chunk (possibly none). */
  readonly data: readonly Uint8Array[];
  /**
   * Server only: the handshake failed. Never write to this carrier again;
   * discard what arrives; close at this clock time (ms).
   */
  readonly closeAt?: number;
}

const NOTHING: Obfs4Receive = { data: [] };

/** The framed half shared by both roles once keys exist. */
class Established {
  readonly #decoder: Obfs4Decoder;
  readonly #shaper: Obfs4Shaper;
  readonly encoder: Obfs4Encoder;

  constructor(encoder: Obfs4Encoder, decoder: Obfs4Decoder, shaper: Obfs4Shaper) {
    this.encoder = encoder;
    this.#decoder = decoder;
    this.#shaper = shaper;
  }

  /** Decodes frames; PRNG-seed packets reseed a client's distributions. Throws on any bad frame. */
  receive(chunk: Uint8Array): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const p of this.#decoder.push(chunk)) {
      if (p.type === "payload") out.push(p.data);
      else this.#shaper.onPrngSeed(p.seed);
    }
    return out;
  }

  send(payload: Uint8Array): ShapedWrite {
    return this.#shaper.shape(payload);
  }

  finish(): void {
    this.#decoder.finish();
  }
}

function notEstablished(): never {
  throw new Obfs4HandshakeStateError("send() before the obfs4 handshake completed");
}

export class Obfs4ClientSession {
  /** The handshake request: write it to the carrier first. */
  readonly request: Uint8Array;
  readonly iatMode: IatMode;
  readonly #handshake: ClientHandshake;
  readonly #backend: Obfs4CryptoBackend | undefined;
  #framed: Established | null = null;

  constructor(options: Obfs4ClientSessionOptions) {
    this.#handshake = new ClientHandshake(options);
    this.request = this.#handshake.request;
    this.iatMode = options.iatMode;
    this.#backend = options.backend;
  }

  get established(): boolean {
    return this.#framed !== null;
  }

  /** Feeds bytes from the server; throws an Obfs4 handshake or framing error when the connection must close. */
  receive(chunk: Uint8Array): Obfs4Receive {
    if (this.#framed !== null) return { data: this.#framed.receive(chunk) };
    const r = this.#handshake.push(chunk);
    if (r.kind === "pending") return NOTHING;
    const { encoder, decoder } = createFramers(r.keyMaterial, "client", backendOption(this.#backend));
    this.#framed = new Established(
      encoder,
      decoder,
      new Obfs4Shaper({ encoder, role: "client", iatMode: this.iatMode }),
    );
    return { data: r.leftover.length > 0 ? this.#framed.receive(r.leftover) : [] };
  }

  /** Frames one application write, shaped for the iat-mode. */
  send(payload: Uint8Array): ShapedWrite {
    return (this.#framed ?? notEstablished()).send(payload);
  }

  /** The server closed its side: an error if a handshake or frame is cut short. */
  finish(): void {
    if (this.#framed === null) this.#handshake.finish();
    else this.#framed.finish();
  }
}

export class Obfs4ServerSession {
  readonly iatMode: IatMode;
  readonly #handshake: ServerHandshake;
  readonly #options: Obfs4ServerSessionOptions;
  #framed: Established | null = null;
  #closeAt: number | null = null;

  constructor(options: Obfs4ServerSessionOptions) {
    this.#handshake = new ServerHandshake(options);
    this.#options = options;
    this.iatMode = options.iatMode;
  }

  get established(): boolean {
    return this.#framed !== null;
  }

  /** When to give up on an incomplete handshake (clock ms): then call expire(). */
  get deadline(): number {
    return this.#handshake.deadline;
  }

  /** The handshake deadline passed: the failed result (closeAt), or null once established. */
  expire(): Obfs4Receive | null {
    if (this.#framed !== null) return null;
    const f = this.#handshake.expire();
    if (f === null) return null;
    this.#closeAt = f.closeAt;
    return { data: [], closeAt: f.closeAt };
  }

  /**
   * Feeds bytes from the client. Never throws during the handshake (every
   * failure is the silent `closeAt` result); after it, a bad frame throws and
   * the connection must close.
   */
  receive(chunk: Uint8Array): Obfs4Receive {
    if (this.#framed !== null) return { data: this.#framed.receive(chunk) };
    if (this.#closeAt !== null) return { data: [], closeAt: this.#closeAt };
    const r = this.#handshake.push(chunk);
    if (r.kind === "pending") return NOTHING;
    if (r.kind === "failed") {
      this.#closeAt = r.closeAt;
      return { data: [], closeAt: r.closeAt };
    }
    const o = this.#options;
    const { encoder, decoder } = createFramers(r.keyMaterial, "server", backendOption(o.backend));
    const shaper = new Obfs4Shaper({ encoder, role: "server", iatMode: o.iatMode, lengthSeed: o.drbgSeed });
    this.#framed = new Established(encoder, decoder, shaper);
    // obfs4proxy sends the handshake response and the PRNG-seed packet in one write.
    const seed = encoder.encodePrngSeedPacket(o.drbgSeed);
    const send = new Uint8Array(r.response.length + seed.length);
    send.set(r.response, 0);
    send.set(seed, r.response.length);
    return { send, data: r.leftover.length > 0 ? this.#framed.receive(r.leftover) : [] };
  }

  send(payload: Uint8Array): ShapedWrite {
    return (this.#framed ?? notEstablished()).send(payload);
  }

  finish(): void {
    this.#framed?.finish();
  }
}

function backendOption(backend: Obfs4CryptoBackend | undefined): { backend?: Obfs4CryptoBackend } {
  return backend === undefined ? {} : { backend };
}
