/**
 * The server side of the obfs4 handshake (obfs4 spec §4 "The server handshake process"), sans-IO:
 *
 *   const hs = new ServerHandshake({ nodeId, identityKeypair, replayFilter });  // keypair made before reading
 *   on data: const r = hs.push(chunk);   // never throws for any peer input
 *     "pending": keep reading
 *     "done":    write r.response then the framing layer's PRNG-seed frame (unpadded, see spec §6); framing with
 *                r.keyMaterial; r.leftover are bytes that followed the request
 *     "failed":  send nothing, ever. Keep reading and discarding (push() keeps returning the same result without
 *                buffering) and close the connection at r.closeAt (at once if that time has already passed)
 *   at hs.deadline without "done": hs.expire() gives the "failed" result
 *
 * Probing resistance (spec §2, §4 step 2) is why failure is silent and delayed: obfs4proxy closes a failed
 * connection SERVER_HANDSHAKE_TIMEOUT_MS + closeDelay after it was accepted, closeDelay being one value in
 * [0, 60) whole seconds per server, so every failure from the same bridge looks alike.
 *
 * Deliberate difference from obfs4proxy, which checks for M_C only at the end of what each read() returned and
 * rejects bytes after MAC_C: we search every offset (so the result does not depend on how TCP chunked the
 * request) and hand bytes after MAC_C back as `leftover`. A genuine client never sends any (it has no keys before
 * the response) and the frame decoder rejects them; neither difference is visible without the bridge's cert.
 */
import { concatBytes, constantTimeEqual } from "../../bytes/index.js";
import { REPRESENTATIVE_LENGTH, representativeToPublicKey } from "./elligator2.js";
import { type Clock, EPOCH_HOUR_SKEW, epochHour as toEpochHour, systemClock } from "./epoch.js";
import {
  Obfs4HandshakeError,
  Obfs4HandshakeLimitError,
  Obfs4HandshakeStateError,
  type Obfs4HandshakeFailure,
} from "./handshake-errors.js";
import {
  CLIENT_MARK_SEARCH_START,
  CLIENT_MIN_HANDSHAKE_LENGTH,
  MAC_LENGTH,
  MARK_LENGTH,
  MAX_HANDSHAKE_LENGTH,
  SERVER_MAX_PAD_LENGTH,
  SERVER_MIN_PAD_LENGTH,
  computeMac,
  encodeServerResponse,
  handshakeMacKey,
  randomIntInclusive,
} from "./handshake-messages.js";
import { HandshakeScanner } from "./handshake-scanner.js";
import { deriveSessionKeys } from "./kdf.js";
import {
  type Keypair,
  type RandomSource,
  type RepresentableKeypair,
  defaultRandomSource,
  generateRepresentableKeypair,
  ntorServer,
} from "./ntor.js";
import type { ReplayFilter } from "./replay-filter.js";

/** How long the server waits for a complete request (obfs4.go serverHandshakeTimeout). */
export const SERVER_HANDSHAKE_TIMEOUT_MS = 30_000;
/** Exclusive upper bound of the per-server extra close delay (obfs4.go maxCloseDelay = 60 s, whole seconds). */
export const MAX_CLOSE_DELAY_MS = 60_000;
/** Earliest a failed connection is closed, counted from its acceptance. */
export const MIN_FAILED_CLOSE_AFTER_MS = SERVER_HANDSHAKE_TIMEOUT_MS;
/** Latest a failed connection is closed, counted from its acceptance (30 s + 59 s). */
export const MAX_FAILED_CLOSE_AFTER_MS = SERVER_HANDSHAKE_TIMEOUT_MS + MAX_CLOSE_DELAY_MS - 1000;

/**
 * Picks a server's close delay: whole seconds in [0, 60) like obfs4proxy's rng.Intn(maxCloseDelay). Choose it once
 * per server (not per connection) as obfs4proxy does; obfs4proxy derives it from its drbg-seed, we take it from the
 * CSPRNG (the value is not part of the protocol).
 */
export function chooseCloseDelayMs(rng: RandomSource = defaultRandomSource): number {
  return 1000 * randomIntInclusive(rng, 0, MAX_CLOSE_DELAY_MS / 1000 - 1);
}

export interface ServerHandshakeOptions {
  readonly nodeId: Uint8Array;
  /** The long-term identity keypair (b, B). */
  readonly identityKeypair: Keypair;
  /** The server-wide replay filter. */
  readonly replayFilter: ReplayFilter;
  /** This connection's ephemeral keypair; default generated now (before any byte is read, as obfs4proxy does). */
  readonly keypair?: RepresentableKeypair;
  readonly now?: Clock;
  readonly rng?: RandomSource;
  /** Fixed P_S length for tests, in [SERVER_MIN_PAD_LENGTH, SERVER_MAX_PAD_LENGTH]; default uniform random. */
  readonly padLength?: number;
  /**
   * How long a client has to complete its request; default SERVER_HANDSHAKE_TIMEOUT_MS as obfs4proxy. Only tests
   * (and operators who know why) shorten it: a failure is closed this long plus closeDelayMs after acceptance.
   */
  readonly handshakeTimeoutMs?: number;
  /** The server's close delay in [0, MAX_CLOSE_DELAY_MS); default chooseCloseDelayMs(rng) for this connection. */
  readonly closeDelayMs?: number;
}

export interface ServerHandshakeFailed {
  readonly kind: "failed";
  readonly error: Obfs4HandshakeFailure;
  /** When to close the connection (clock milliseconds); until then read and discard. */
  readonly closeAt: number;
}

export type ServerHandshakeResult =
  | { readonly kind: "pending" }
  | {
      readonly kind: "done";
      /** Y' | AUTH | P_S | M_S | MAC_S, to be followed by the PRNG-seed frame. */
      readonly response: Uint8Array;
      readonly keyMaterial: Uint8Array;
      readonly keySeed: Uint8Array;
      /** Bytes that followed MAC_C (none from a genuine client). */
      readonly leftover: Uint8Array;
      /** The epoch hour whose MAC matched, also used for MAC_S. */
      readonly epochHour: number;
    }
  | ServerHandshakeFailed;

export class ServerHandshake {
  /** When the handshake started (clock milliseconds). */
  readonly startedAt: number;
  /** When to give up on an incomplete request: call expire(). */
  readonly deadline: number;
  readonly #options: ServerHandshakeOptions;
  readonly #nodeId: Uint8Array;
  readonly #identityKeypair: Keypair;
  readonly #now: Clock;
  readonly #rng: RandomSource;
  readonly #keypair: RepresentableKeypair;
  readonly #macKey: Uint8Array;
  readonly #closeAt: number;
  readonly #scanner: HandshakeScanner;
  #state: "pending" | "done" | "failed" = "pending";
  #failed: ServerHandshakeFailed | null = null;

  constructor(options: ServerHandshakeOptions) {
    this.#options = options;
    this.#nodeId = new Uint8Array(options.nodeId);
    this.#identityKeypair = {
      privateKey: new Uint8Array(options.identityKeypair.privateKey),
      publicKey: new Uint8Array(options.identityKeypair.publicKey),
    };
    this.#now = options.now ?? systemClock;
    this.#rng = options.rng ?? defaultRandomSource;
    this.#macKey = handshakeMacKey(this.#identityKeypair.publicKey, this.#nodeId);
    this.#keypair = options.keypair ?? generateRepresentableKeypair(this.#rng);
    const closeDelayMs = options.closeDelayMs ?? chooseCloseDelayMs(this.#rng);
    if (!Number.isFinite(closeDelayMs) || closeDelayMs < 0 || closeDelayMs >= MAX_CLOSE_DELAY_MS) {
      throw new RangeError(`closeDelayMs must be in [0, ${MAX_CLOSE_DELAY_MS}), got ${closeDelayMs}`);
    }
    this.startedAt = this.#now();
    this.deadline = this.startedAt + (options.handshakeTimeoutMs ?? SERVER_HANDSHAKE_TIMEOUT_MS);
    this.#closeAt = this.deadline + closeDelayMs;
    this.#scanner = new HandshakeScanner(this.#macKey, CLIENT_MIN_HANDSHAKE_LENGTH, CLIENT_MARK_SEARCH_START);
  }

  /** Bytes of the client's request held so far (at most MAX_HANDSHAKE_LENGTH; 0 once finished or failed). */
  get buffered(): number {
    return this.#state === "pending" ? this.#scanner.buffered : 0;
  }

  /** Feeds bytes from the client. Never throws for any input; see the module comment for the results. */
  push(chunk: Uint8Array): ServerHandshakeResult {
    if (this.#state === "failed") return this.#failed!;
    if (this.#state === "done") throw new Obfs4HandshakeStateError("push() after the handshake completed");
    try {
      return this.#push(chunk);
    } catch (e) {
      if (e instanceof Obfs4HandshakeError || e instanceof Obfs4HandshakeLimitError) return this.#fail(e);
      throw e;
    }
  }

  /**
   * The handshake deadline passed: a pending handshake fails (ERR_OBFS4_HANDSHAKE_TIMEOUT); a failed one returns its
   * failure; a completed one returns null (the timer lost a race with completion: nothing to do).
   */
  expire(): ServerHandshakeFailed | null {
    if (this.#state === "done") return null;
    if (this.#state === "failed") return this.#failed!;
    return this.#fail(new Obfs4HandshakeError("ERR_OBFS4_HANDSHAKE_TIMEOUT", "obfs4 client handshake timed out"));
  }

  #fail(error: Obfs4HandshakeFailure): ServerHandshakeFailed {
    this.#state = "failed";
    this.#scanner.release();
    this.#failed = { kind: "failed", error, closeAt: this.#closeAt };
    return this.#failed;
  }

  #push(chunk: Uint8Array): ServerHandshakeResult {
    const { markAt, overflow } = this.#scanner.push(chunk);
    if (markAt === -1) {
      if (this.#scanner.full) throw new Obfs4HandshakeLimitError(MAX_HANDSHAKE_LENGTH);
      return { kind: "pending" };
    }
    const macAt = markAt + MARK_LENGTH;
    const received = this.#scanner.view(macAt, macAt + MAC_LENGTH);
    const signed = this.#scanner.view(0, macAt);
    const now = this.#now();
    const hour = toEpochHour(now);
    // Spec §4: accept E-1, E, E+1. Like obfs4proxy, compute all three whatever matches, to even out timing.
    let matched: number | null = null;
    for (const offset of [0, -EPOCH_HOUR_SKEW, EPOCH_HOUR_SKEW]) {
      if (constantTimeEqual(computeMac(this.#macKey, signed, hour + offset), received)) matched = hour + offset;
    }
    if (matched === null) {
      throw new Obfs4HandshakeError("ERR_OBFS4_BAD_MAC", "obfs4 client request: MAC_C does not verify");
    }
    if (this.#options.replayFilter.testAndSet(now, received)) {
      throw new Obfs4HandshakeError("ERR_OBFS4_REPLAY", "obfs4 client request: replayed MAC_C");
    }
    const clientPublicKey = representativeToPublicKey(this.#scanner.view(0, REPRESENTATIVE_LENGTH));
    const { keySeed, auth } = ntorServer({
      clientPublicKey,
      serverKeypair: this.#keypair,
      identityKeypair: this.#identityKeypair,
      nodeId: this.#nodeId,
    });
    const padLength =
      this.#options.padLength ?? randomIntInclusive(this.#rng, SERVER_MIN_PAD_LENGTH, SERVER_MAX_PAD_LENGTH);
    const response = encodeServerResponse({
      macKey: this.#macKey,
      representative: this.#keypair.representative,
      auth,
      padding: this.#rng(padLength),
      epochHour: matched,
    });
    const leftover = concatBytes(this.#scanner.view(macAt + MAC_LENGTH), overflow);
    this.#scanner.release();
    this.#state = "done";
    return { kind: "done", response, keyMaterial: deriveSessionKeys(keySeed), keySeed, leftover, epochHour: matched };
  }
}
