/**
 * The client side of the obfs4 handshake (obfs4 spec §4 "The client handshake process"), sans-IO:
 *
 *   const hs = new ClientHandshake({ nodeId, identityPublicKey });   // from the bridge line's cert
 *   socket.write(hs.request);
 *   on data: const r = hs.push(chunk);  // throws on an invalid response: drop the connection
 *            if (r.kind === "done") → framing with r.keyMaterial; r.leftover are framed bytes (the server's
 *                                     PRNG-seed frame first) to feed the frame decoder
 *   on end before "done": hs.finish() throws UnexpectedEOFError
 *
 * Behaviour follows obfs4proxy (transports/obfs4/handshake_ntor.go): the request's epoch hour is fixed when it is
 * built and the response's MAC must use the same hour; M_S is searched for from offset 64 up to
 * MAX_HANDSHAKE_LENGTH, and the first occurrence decides (a MAC mismatch there is fatal); AUTH is checked after the
 * MAC. The caller applies CLIENT_HANDSHAKE_TIMEOUT_MS.
 */
import { concatBytes, constantTimeEqual } from "../../bytes/index.js";
import { UnexpectedEOFError } from "../../errors.js";
import { REPRESENTATIVE_LENGTH, representativeToPublicKey } from "./elligator2.js";
import { type Clock, epochHour as toEpochHour, systemClock } from "./epoch.js";
import {
  Obfs4HandshakeError,
  Obfs4HandshakeLimitError,
  Obfs4HandshakeStateError,
  type Obfs4HandshakeFailure,
} from "./handshake-errors.js";
import {
  CLIENT_MAX_PAD_LENGTH,
  CLIENT_MIN_PAD_LENGTH,
  MAC_LENGTH,
  MARK_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  SERVER_MARK_SEARCH_START,
  SERVER_MIN_HANDSHAKE_LENGTH,
  computeMac,
  encodeClientRequest,
  handshakeMacKey,
  randomIntInclusive,
} from "./handshake-messages.js";
import { HandshakeScanner } from "./handshake-scanner.js";
import { deriveSessionKeys } from "./kdf.js";
import {
  AUTH_LENGTH,
  type RandomSource,
  type RepresentableKeypair,
  authEqual,
  defaultRandomSource,
  generateRepresentableKeypair,
  ntorClient,
} from "./ntor.js";

/** How long obfs4proxy's client waits for the whole handshake (obfs4.go clientHandshakeTimeout). */
export const CLIENT_HANDSHAKE_TIMEOUT_MS = 60_000;

export interface ClientHandshakeOptions {
  /** The bridge's Node ID (from its cert). */
  readonly nodeId: Uint8Array;
  /** The bridge's identity public key B (from its cert). */
  readonly identityPublicKey: Uint8Array;
  /**
   * The ephemeral keypair. obfs4proxy generates it before dialing so that the Elligator rejection sampling is not
   * visible on the wire; pass one made earlier to do the same. Default: generated here.
   */
  readonly keypair?: RepresentableKeypair;
  readonly now?: Clock;
  readonly rng?: RandomSource;
  /** Fixed P_C length for tests, in [CLIENT_MIN_PAD_LENGTH, CLIENT_MAX_PAD_LENGTH]; default uniform random. */
  readonly padLength?: number;
}

export type ClientHandshakeResult =
  | { readonly kind: "pending" }
  | {
      readonly kind: "done";
      /** deriveSessionKeys(keySeed): the 144 bytes the framing layer splits into per-direction keys. */
      readonly keyMaterial: Uint8Array;
      readonly keySeed: Uint8Array;
      /** Bytes received after MAC_S: the start of the framed stream (the server's PRNG-seed frame first). */
      readonly leftover: Uint8Array;
    };

export class ClientHandshake {
  /** The bytes to send: X' | P_C | M_C | MAC_C. */
  readonly request: Uint8Array;
  /** The epoch hour E that went into MAC_C, and that MAC_S must use. */
  readonly epochHour: number;
  readonly #keypair: RepresentableKeypair;
  readonly #nodeId: Uint8Array;
  readonly #identityPublicKey: Uint8Array;
  readonly #macKey: Uint8Array;
  readonly #scanner: HandshakeScanner;
  #state: "pending" | "done" | "failed" = "pending";
  #error: Obfs4HandshakeFailure | null = null;

  constructor(options: ClientHandshakeOptions) {
    const rng = options.rng ?? defaultRandomSource;
    this.#nodeId = new Uint8Array(options.nodeId);
    this.#identityPublicKey = new Uint8Array(options.identityPublicKey);
    this.#macKey = handshakeMacKey(this.#identityPublicKey, this.#nodeId);
    this.#keypair = options.keypair ?? generateRepresentableKeypair(rng);
    const padLength = options.padLength ?? randomIntInclusive(rng, CLIENT_MIN_PAD_LENGTH, CLIENT_MAX_PAD_LENGTH);
    this.epochHour = toEpochHour((options.now ?? systemClock)());
    this.request = encodeClientRequest({
      macKey: this.#macKey,
      representative: this.#keypair.representative,
      padding: rng(padLength),
      epochHour: this.epochHour,
    });
    this.#scanner = new HandshakeScanner(this.#macKey, SERVER_MIN_HANDSHAKE_LENGTH, SERVER_MARK_SEARCH_START);
  }

  /** Bytes of the server's response held so far (at most MAX_HANDSHAKE_LENGTH). */
  get buffered(): number {
    return this.#state === "pending" ? this.#scanner.buffered : 0;
  }

  /**
   * Feeds bytes from the server. Returns "pending" until the response is complete and verified.
   * Throws Obfs4HandshakeError / Obfs4HandshakeLimitError when it cannot be (then again on every later call).
   */
  push(chunk: Uint8Array): ClientHandshakeResult {
    if (this.#state === "failed") throw this.#error!;
    if (this.#state === "done") throw new Obfs4HandshakeStateError("push() after the handshake completed");
    try {
      return this.#push(chunk);
    } catch (e) {
      if (e instanceof Obfs4HandshakeError || e instanceof Obfs4HandshakeLimitError) {
        this.#state = "failed";
        this.#error = e;
        this.#scanner.release();
      }
      throw e;
    }
  }

  /** Declares the end of the server's stream: an error unless the handshake completed. */
  finish(): void {
    if (this.#state === "failed") throw this.#error!;
    if (this.#state === "pending") throw new UnexpectedEOFError("obfs4 server handshake", this.#scanner.buffered);
  }

  #push(chunk: Uint8Array): ClientHandshakeResult {
    const { markAt, overflow } = this.#scanner.push(chunk);
    if (markAt === -1) {
      if (this.#scanner.full) throw new Obfs4HandshakeLimitError(MAX_HANDSHAKE_LENGTH);
      return { kind: "pending" };
    }
    const macAt = markAt + MARK_LENGTH;
    const expected = computeMac(this.#macKey, this.#scanner.view(0, macAt), this.epochHour);
    if (!constantTimeEqual(expected, this.#scanner.view(macAt, macAt + MAC_LENGTH))) {
      throw new Obfs4HandshakeError("ERR_OBFS4_BAD_MAC", "obfs4 server response: MAC_S does not verify");
    }
    const serverPublicKey = representativeToPublicKey(this.#scanner.view(0, REPRESENTATIVE_LENGTH));
    const { keySeed, auth } = ntorClient({
      clientKeypair: this.#keypair,
      serverPublicKey,
      identityPublicKey: this.#identityPublicKey,
      nodeId: this.#nodeId,
    });
    if (!authEqual(auth, this.#scanner.view(REPRESENTATIVE_LENGTH, REPRESENTATIVE_LENGTH + AUTH_LENGTH))) {
      throw new Obfs4HandshakeError("ERR_OBFS4_BAD_AUTH", "obfs4 server response: ntor AUTH does not match");
    }
    const leftover = concatBytes(this.#scanner.view(macAt + MAC_LENGTH), overflow);
    this.#scanner.release();
    this.#state = "done";
    return { kind: "done", keyMaterial: deriveSessionKeys(keySeed), keySeed, leftover };
  }
}
