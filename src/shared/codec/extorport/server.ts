import { constantTimeEqual } from "../../bytes/bytes.js";
import { EXTOR_CMD_DONE, EXTOR_CMD_TRANSPORT, EXTOR_CMD_USERADDR, ExtOrCommandDecoder } from "./command.js";
import { ExtOrError, ExtOrErrorCode, ExtOrStateError } from "./errors.js";
import { type UserAddr, encodeDeny, encodeOkay, parseTransportBody, parseUserAddrBody } from "./metadata.js";
import {
  EXTOR_AUTH_END,
  EXTOR_AUTH_SAFE_COOKIE,
  EXTOR_AUTH_STATUS_FAILURE,
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
import { EMPTY, type ExtOrStep, HandshakeMachine, QueuedHandshake } from "./step.js";

/**
 * The bridge's side of the Extended ORPort (a parent accepting from a PT, as
 * tor's ext_orport.c does): offer SAFE_COOKIE, prove the cookie, check the
 * PT's proof, read the metadata commands, answer OKAY or DENY. Sans-IO.
 */

export interface ExtOrServerAuthOptions {
  /** The 32-byte CookieString the bridge wrote to its cookie file. */
  readonly cookie: Uint8Array;
  /** Source of the ServerNonce; defaults to the platform CSPRNG. */
  readonly randomBytes?: RandomBytes;
}

export type ExtOrServerAuthState = "idle" | "auth-type" | "client-nonce" | "client-hash" | "done";

/** SAFE_COOKIE, server role (§2, §2.1.3). The server speaks first: call start() on accept. */
export class ExtOrServerAuth extends QueuedHandshake {
  protected readonly what = "ExtORPort authentication";
  readonly #cookie: Uint8Array;
  readonly #random: RandomBytes;
  #expectedClientHash: Uint8Array = EMPTY;
  #state: ExtOrServerAuthState = "idle";

  constructor(options: ExtOrServerAuthOptions) {
    super();
    checkLength("cookie", options.cookie, EXTOR_COOKIE_LENGTH);
    this.#cookie = options.cookie.slice();
    this.#random = options.randomBytes ?? defaultRandomBytes;
  }

  get state(): ExtOrServerAuthState {
    return this.#state;
  }

  protected get complete(): boolean {
    return this.#state === "done";
  }

  /** §2: AuthTypes then EndAuthTypes; we offer SAFE_COOKIE only, as tor does: `01 00`. */
  start(): Uint8Array {
    if (this.#state !== "idle") throw new ExtOrStateError("ExtOrServerAuth.start() called twice");
    this.#state = "auth-type";
    return Uint8Array.of(EXTOR_AUTH_SAFE_COOKIE, EXTOR_AUTH_END);
  }

  push(chunk: Uint8Array): ExtOrStep {
    if (this.#state === "idle") throw new ExtOrStateError("ExtOrServerAuth.push() before start()");
    return this.drive(chunk);
  }

  protected advance(send: Uint8Array[]): boolean {
    switch (this.#state) {
      case "auth-type":
        return this.#readAuthType();
      case "client-nonce":
        return this.#readClientNonce(send);
      case "client-hash":
        return this.#readClientHash(send);
      case "idle":
      case "done":
        return false;
    }
  }

  /** §2: "If the client sent an AuthType of value 0, or an AuthType that the server does not support, the server MUST close". */
  #readAuthType(): boolean {
    if (this.queue.length < 1) return false;
    const type = this.queue.read(1)[0]!;
    if (type !== EXTOR_AUTH_SAFE_COOKIE) {
      const why = type === 0 ? "the PT refused every offered auth type" : `the PT chose unsupported auth type ${type}`;
      throw new ExtOrError(ExtOrErrorCode.BAD_AUTH_TYPE, why);
    }
    this.#state = "client-nonce";
    return true;
  }

  /** §2.1.3: ClientNonce in; ServerHash | ServerNonce out. The expected ClientHash is kept for the next step. */
  #readClientNonce(send: Uint8Array[]): boolean {
    if (this.queue.length < EXTOR_NONCE_LENGTH) return false;
    const clientNonce = this.queue.read(EXTOR_NONCE_LENGTH);
    const serverNonce = drawNonce(this.#random);
    send.push(computeServerHash(this.#cookie, clientNonce, serverNonce), serverNonce);
    this.#expectedClientHash = computeClientHash(this.#cookie, clientNonce, serverNonce);
    this.#state = "client-hash";
    return true;
  }

  /** §2.1.3: ClientHash in; Status out. On a mismatch the status byte 0 is the error's `reply`. */
  #readClientHash(send: Uint8Array[]): boolean {
    if (this.queue.length < EXTOR_HASH_LENGTH) return false;
    const clientHash = this.queue.read(EXTOR_HASH_LENGTH);
    if (!constantTimeEqual(clientHash, this.#expectedClientHash)) {
      throw new ExtOrError(ExtOrErrorCode.BAD_CLIENT_HASH, "the PT's ClientHash does not match our cookie", {
        reply: Uint8Array.of(EXTOR_AUTH_STATUS_FAILURE),
      });
    }
    send.push(Uint8Array.of(EXTOR_AUTH_STATUS_SUCCESS));
    this.#state = "done";
    return false;
  }
}

/** What the PT told the bridge before DONE (§3.2). */
export interface ExtOrRequest {
  /** From the last USERADDR, if any (tor keeps the last one). */
  readonly userAddr: UserAddr | undefined;
  /** From the last TRANSPORT, if any. Tor records "<??>" when absent. */
  readonly transport: string | undefined;
  /** Commands skipped because their codes are not transport-to-bridge commands we know. */
  readonly ignoredCommands: number;
}

export interface ExtOrServerSetupOptions {
  /** Largest command body to accept (default and maximum MAX_EXTOR_BODY). */
  readonly maxBody?: number;
}

export type ExtOrServerSetupState = "reading" | "awaiting-verdict" | "open" | "denied";

/**
 * The command phase, bridge side (§3.1, tor's connection_ext_or_process_inbuf):
 * USERADDR and TRANSPORT that do not parse close the connection; unknown
 * codes are ignored; at DONE the request is complete and the caller answers
 * with okay() or deny(). Like tor, bytes already buffered behind DONE are a
 * protocol error (ERR_EXTOR_EARLY_DATA): the PT must wait for OKAY before
 * relaying.
 */
export class ExtOrServerSetup extends HandshakeMachine {
  protected readonly what = "ExtORPort command phase";
  readonly #decoder: ExtOrCommandDecoder;
  #state: ExtOrServerSetupState = "reading";
  #userAddr: UserAddr | undefined;
  #transport: string | undefined;
  #ignored = 0;

  constructor(options: ExtOrServerSetupOptions = {}) {
    super();
    this.#decoder = new ExtOrCommandDecoder(options.maxBody === undefined ? {} : { maxBody: options.maxBody });
  }

  get state(): ExtOrServerSetupState {
    return this.#state;
  }

  get buffered(): number {
    return this.#decoder.buffered;
  }

  /** The request, once DONE has been read. */
  get request(): ExtOrRequest | undefined {
    if (this.#state === "reading") return undefined;
    return { userAddr: this.#userAddr, transport: this.#transport, ignoredCommands: this.#ignored };
  }

  protected get complete(): boolean {
    return this.#state !== "reading";
  }

  /** Returns the request when this chunk completed it (DONE), else undefined. */
  push(chunk: Uint8Array): ExtOrRequest | undefined {
    if (this.#state === "open" || this.#state === "denied") {
      throw new ExtOrStateError("ExtOrServerSetup.push() after the verdict; relay the stream instead");
    }
    return this.guard(() => {
      if (this.#state === "awaiting-verdict") {
        if (chunk.length === 0) return undefined;
        throw earlyData(chunk.length);
      }
      this.#decoder.feed(chunk);
      for (let c = this.#decoder.next(); c !== undefined; c = this.#decoder.next()) {
        if (c.command === EXTOR_CMD_DONE) {
          if (this.#decoder.buffered > 0) throw earlyData(this.#decoder.buffered);
          this.#state = "awaiting-verdict";
          return this.request;
        }
        if (c.command === EXTOR_CMD_USERADDR) this.#userAddr = parseUserAddrBody(c.body);
        else if (c.command === EXTOR_CMD_TRANSPORT) this.#transport = parseTransportBody(c.body);
        else this.#ignored++;
      }
      return undefined;
    });
  }

  /** OKAY (§3.1): write it, then relay the PT's stream as OR traffic. */
  okay(): Uint8Array {
    this.#verdict("open");
    return encodeOkay();
  }

  /** DENY (§3.1): write it, then close. */
  deny(): Uint8Array {
    this.#verdict("denied");
    return encodeDeny();
  }

  #verdict(next: "open" | "denied"): void {
    if (this.failed) throw new ExtOrStateError("the ExtORPort command phase failed; close the connection");
    if (this.#state !== "awaiting-verdict") {
      throw new ExtOrStateError(`cannot answer in state ${this.#state}: the request is not complete`);
    }
    this.#state = next;
  }
}

function earlyData(n: number): ExtOrError {
  return new ExtOrError(
    ExtOrErrorCode.EARLY_DATA,
    `the PT sent ${n} bytes after DONE before our OKAY (tor closes such connections)`,
  );
}

export interface ExtOrServerHandshakeOptions extends ExtOrServerAuthOptions, ExtOrServerSetupOptions {}

export interface ExtOrServerStep {
  /** Bytes to write to the PT now. */
  readonly send: Uint8Array;
  /** Set when DONE arrived: decide, then write okay() or deny(). */
  readonly request: ExtOrRequest | undefined;
}

export type ExtOrServerHandshakeState = "idle" | "auth" | "setup" | "awaiting-verdict" | "open" | "denied";

/**
 * The whole bridge-side exchange: start() on accept, push() every chunk,
 * write each step's `send`; when a step carries `request`, answer with
 * okay() (then relay) or deny() (then close). On a throw write the error's
 * `reply` if any, then close. Arm EXTOR_HANDSHAKE_TIMEOUT_MS around it.
 */
export class ExtOrServerHandshake extends HandshakeMachine {
  protected readonly what = "ExtORPort handshake";
  readonly #auth: ExtOrServerAuth;
  readonly #setup: ExtOrServerSetup;

  constructor(options: ExtOrServerHandshakeOptions) {
    super();
    this.#auth = new ExtOrServerAuth(options);
    this.#setup = new ExtOrServerSetup(options.maxBody === undefined ? {} : { maxBody: options.maxBody });
  }

  get state(): ExtOrServerHandshakeState {
    if (this.#auth.state === "idle") return "idle";
    if (this.#auth.state !== "done") return "auth";
    return this.#setup.state === "reading" ? "setup" : this.#setup.state;
  }

  get buffered(): number {
    return this.#auth.buffered + this.#setup.buffered;
  }

  get request(): ExtOrRequest | undefined {
    return this.#setup.request;
  }

  protected get complete(): boolean {
    return this.#setup.state !== "reading";
  }

  start(): Uint8Array {
    return this.#auth.start();
  }

  push(chunk: Uint8Array): ExtOrServerStep {
    if (this.#auth.state === "idle") throw new ExtOrStateError("ExtOrServerHandshake.push() before start()");
    if (this.#setup.state === "open" || this.#setup.state === "denied") {
      throw new ExtOrStateError("ExtOrServerHandshake.push() after the verdict; relay the stream instead");
    }
    return this.guard(() => {
      if (this.#auth.state !== "done") {
        const auth = this.#auth.push(chunk);
        if (!auth.done) return { send: auth.send, request: undefined };
        return { send: auth.send, request: this.#setup.push(auth.leftover) };
      }
      return { send: EMPTY, request: this.#setup.push(chunk) };
    });
  }

  okay(): Uint8Array {
    if (this.failed) throw new ExtOrStateError("the ExtORPort handshake failed; close the connection");
    return this.#setup.okay();
  }

  deny(): Uint8Array {
    if (this.failed) throw new ExtOrStateError("the ExtORPort handshake failed; close the connection");
    return this.#setup.deny();
  }
}
