import { concatBytes, constantTimeEqual } from "../../bytes/bytes.js";
import { LimitError } from "../../errors.js";
import { EXTOR_CMD_DENY, EXTOR_CMD_OKAY, ExtOrCommandDecoder } from "./command.js";
import { ExtOrDeniedError, ExtOrError, ExtOrErrorCode, ExtOrStateError } from "./errors.js";
import { encodeDone, encodeTransport, encodeUserAddr } from "./metadata.js";
import {
  EXTOR_AUTH_END,
  EXTOR_AUTH_SAFE_COOKIE,
  EXTOR_AUTH_STATUS_SUCCESS,
  EXTOR_COOKIE_LENGTH,
  EXTOR_HASH_LENGTH,
  EXTOR_NONCE_LENGTH,
  type RandomBytes,
  checkLength,
  computeClientHash,
  computeServerHash,
  defaultRandomBytes,
  drawNonce,
} from "./safe-cookie.js";
import { EMPTY, type ExtOrStep, HandshakeMachine, QueuedHandshake, continueStep } from "./step.js";

/**
 * The PT's side of the Extended ORPort (the transport dialing tor):
 * SAFE_COOKIE authentication (tor-ext-orport-spec.txt §2, §2.1.3), then the
 * metadata commands and the bridge's OKAY or DENY (§3.1). Sans-IO: push()
 * what the bridge sent, write what the step says to send. goptlib's
 * extOrPortAuthenticate and extOrPortSetMetadata are the deployed reference.
 */

/**
 * Most AuthTypes before EndAuthTypes: each is one octet in 1..255 (§2), so a
 * list of distinct types has at most 255; a longer one is a LimitError.
 */
export const MAX_EXTOR_AUTH_TYPES = 255;

export interface ExtOrClientAuthOptions {
  /** The 32-byte CookieString from parseAuthCookieFile; read the file afresh for every dial (CONFORMANCE). */
  readonly cookie: Uint8Array;
  /** Source of the ClientNonce; defaults to the platform CSPRNG. */
  readonly randomBytes?: RandomBytes;
}

export type ExtOrClientAuthState = "auth-types" | "server-hash" | "status" | "done";

/**
 * SAFE_COOKIE, client role. The bridge speaks first (AuthTypes), so there is
 * no start(): push the bridge's bytes from the beginning.
 */
export class ExtOrClientAuth extends QueuedHandshake {
  protected readonly what = "ExtORPort authentication";
  readonly #cookie: Uint8Array;
  readonly #clientNonce: Uint8Array;
  #state: ExtOrClientAuthState = "auth-types";

  constructor(options: ExtOrClientAuthOptions) {
    super();
    checkLength("cookie", options.cookie, EXTOR_COOKIE_LENGTH);
    this.#cookie = options.cookie.slice();
    this.#clientNonce = drawNonce(options.randomBytes ?? defaultRandomBytes);
  }

  get state(): ExtOrClientAuthState {
    return this.#state;
  }

  protected get complete(): boolean {
    return this.#state === "done";
  }

  push(chunk: Uint8Array): ExtOrStep {
    return this.drive(chunk);
  }

  protected advance(send: Uint8Array[]): boolean {
    switch (this.#state) {
      case "auth-types":
        return this.#readAuthTypes(send);
      case "server-hash":
        return this.#readServerHash(send);
      case "status":
        return this.#readStatus();
      case "done":
        return false;
    }
  }

  /** §2: AuthTypes up to EndAuthTypes (0); we choose SAFE_COOKIE and send our nonce with it (§2.1.3). */
  #readAuthTypes(send: Uint8Array[]): boolean {
    const end = this.queue.indexOf(EXTOR_AUTH_END);
    if (end > MAX_EXTOR_AUTH_TYPES || (end === -1 && this.queue.length > MAX_EXTOR_AUTH_TYPES)) {
      throw new LimitError(
        ExtOrErrorCode.AUTH_TYPES_TOO_LONG,
        `the bridge sent more than ${MAX_EXTOR_AUTH_TYPES} auth types without EndAuthTypes`,
        MAX_EXTOR_AUTH_TYPES,
      );
    }
    if (end === -1) return false;
    const offered = this.queue.read(end);
    this.queue.skip(1);
    if (!offered.includes(EXTOR_AUTH_SAFE_COOKIE)) {
      // §2: "A value of 0 means that the client did not like the authentication types offered".
      throw new ExtOrError(
        ExtOrErrorCode.NO_SAFE_COOKIE,
        `the bridge does not offer SAFE_COOKIE (offered: ${Array.from(offered).join(",") || "none"})`,
        { reply: Uint8Array.of(0) },
      );
    }
    send.push(Uint8Array.of(EXTOR_AUTH_SAFE_COOKIE), this.#clientNonce);
    this.#state = "server-hash";
    return true;
  }

  /** §2.1.3: ServerHash | ServerNonce; the client "MUST terminate the connection" on a bad hash. */
  #readServerHash(send: Uint8Array[]): boolean {
    if (this.queue.length < EXTOR_HASH_LENGTH + EXTOR_NONCE_LENGTH) return false;
    const serverHash = this.queue.read(EXTOR_HASH_LENGTH);
    const serverNonce = this.queue.read(EXTOR_NONCE_LENGTH);
    const expected = computeServerHash(this.#cookie, this.#clientNonce, serverNonce);
    if (!constantTimeEqual(serverHash, expected)) {
      throw new ExtOrError(
        ExtOrErrorCode.BAD_SERVER_HASH,
        "the bridge's ServerHash does not match: wrong auth cookie, or not tor's ExtORPort",
      );
    }
    send.push(computeClientHash(this.#cookie, this.#clientNonce, serverNonce));
    this.#state = "status";
    return true;
  }

  /** §2.1.3: Status is 1 on success, 0 on failure; goptlib treats anything but 1 as failure. */
  #readStatus(): boolean {
    if (this.queue.length < 1) return false;
    const status = this.queue.read(1)[0]!;
    if (status !== EXTOR_AUTH_STATUS_SUCCESS) {
      throw new ExtOrError(ExtOrErrorCode.AUTH_REJECTED, `the bridge rejected our ClientHash (status ${status})`);
    }
    this.#state = "done";
    return false;
  }
}

export interface ExtOrClientSetupOptions {
  /** USERADDR body from formatUserAddr; undefined (an unusable address) sends no USERADDR. */
  readonly userAddr?: string | undefined;
  /** TRANSPORT body, the method name (a C identifier); undefined sends no TRANSPORT. */
  readonly transport?: string | undefined;
}

export type ExtOrClientSetupState = "idle" | "awaiting-reply" | "done";

/**
 * The command phase, PT side (§3.1): send USERADDR / TRANSPORT / DONE, then
 * wait for OKAY (the rest of the stream is the relayed OR connection) or
 * DENY (ExtOrDeniedError: close the client connection). Other reply codes,
 * CONTROL (0x1002) included, are ignored: "Parties MUST ignore command codes
 * that they do not understand" (goptlib errors instead; the spec wins, and
 * the adapter's deadline bounds a bridge that never answers).
 */
export class ExtOrClientSetup extends HandshakeMachine {
  protected readonly what = "ExtORPort command phase";
  readonly #decoder = new ExtOrCommandDecoder();
  readonly #request: Uint8Array;
  #state: ExtOrClientSetupState = "idle";
  #ignored = 0;

  constructor(options: ExtOrClientSetupOptions = {}) {
    super();
    // Encode now, so a bad argument fails at construction rather than mid-handshake.
    const parts: Uint8Array[] = [];
    if (options.userAddr !== undefined) parts.push(encodeUserAddr(options.userAddr));
    if (options.transport !== undefined) parts.push(encodeTransport(options.transport));
    parts.push(encodeDone());
    this.#request = concatBytes(...parts);
  }

  get state(): ExtOrClientSetupState {
    return this.#state;
  }

  get buffered(): number {
    return this.#decoder.buffered;
  }

  /** Reply commands skipped because they are neither OKAY nor DENY. */
  get ignoredCommands(): number {
    return this.#ignored;
  }

  protected get complete(): boolean {
    return this.#state === "done";
  }

  /** The metadata commands and DONE, to send once authentication succeeded. */
  start(): Uint8Array {
    if (this.#state !== "idle") throw new ExtOrStateError("ExtOrClientSetup.start() called twice");
    this.#state = "awaiting-reply";
    return this.#request;
  }

  push(chunk: Uint8Array): ExtOrStep {
    if (this.#state === "idle") throw new ExtOrStateError("ExtOrClientSetup.push() before start()");
    this.assertOpen();
    return this.guard(() => {
      this.#decoder.feed(chunk);
      for (let c = this.#decoder.next(); c !== undefined; c = this.#decoder.next()) {
        if (c.command === EXTOR_CMD_OKAY) {
          this.#state = "done";
          return { send: EMPTY, done: true, leftover: this.#decoder.takeRemaining() };
        }
        if (c.command === EXTOR_CMD_DENY) throw new ExtOrDeniedError(c.command);
        this.#ignored++;
      }
      return continueStep(EMPTY);
    });
  }
}

export interface ExtOrClientHandshakeOptions extends ExtOrClientAuthOptions, ExtOrClientSetupOptions {}

export type ExtOrClientHandshakeState = "auth" | "setup" | "open";

/**
 * The whole PT-side exchange in one machine: what DialOr does after the TCP
 * connect. The adapter pushes every chunk from the bridge, writes each
 * step's `send`, and on `done` starts relaying with `leftover`. On a throw it
 * writes the error's `reply` (if any) and closes; DENY closes the client
 * connection too. The adapter arms EXTOR_HANDSHAKE_TIMEOUT_MS around it all.
 */
export class ExtOrClientHandshake extends HandshakeMachine {
  protected readonly what = "ExtORPort handshake";
  readonly #auth: ExtOrClientAuth;
  readonly #setup: ExtOrClientSetup;

  constructor(options: ExtOrClientHandshakeOptions) {
    super();
    this.#auth = new ExtOrClientAuth(options);
    this.#setup = new ExtOrClientSetup(options);
  }

  get state(): ExtOrClientHandshakeState {
    if (this.#auth.state !== "done") return "auth";
    return this.#setup.state === "done" ? "open" : "setup";
  }

  get buffered(): number {
    return this.#auth.buffered + this.#setup.buffered;
  }

  get ignoredCommands(): number {
    return this.#setup.ignoredCommands;
  }

  protected get complete(): boolean {
    return this.#setup.state === "done";
  }

  push(chunk: Uint8Array): ExtOrStep {
    this.assertOpen();
    return this.guard(() => {
      if (this.#auth.state !== "done") {
        const auth = this.#auth.push(chunk);
        if (!auth.done) return auth;
        // Authenticated: send the metadata right behind the ClientHash-phase output, then
        // decode whatever the bridge already sent after the status byte.
        const request = this.#setup.start();
        const setup = this.#setup.push(auth.leftover);
        return { send: concatBytes(auth.send, request, setup.send), done: setup.done, leftover: setup.leftover };
      }
      return this.#setup.push(chunk);
    });
  }
}
