import { ByteQueue } from "../../bytes/byte-queue.js";
import { utf8Decode } from "../../bytes/bytes.js";
import { UnexpectedEOFError } from "../../errors.js";
import { type SocksAddress, UNSPECIFIED_ADDRESS } from "./address.js";
import {
  AuthMethod,
  MAX_JSON_PARAM_BYTES,
  METHOD_PREFERENCE,
  RFC1929_FAILURE,
  RFC1929_SUCCESS,
  SOCKS4_VERSION,
  SOCKS5_VERSION,
  SocksCommand,
  Socks4Reply,
  Socks5Reply,
} from "./constants.js";
import { SocksError, SocksErrorCode, SocksStateError } from "./errors.js";
import { type JsonParams, parseJsonParams } from "./json-params.js";
import {
  encodeMethodSelection,
  encodeSocks5Reply,
  encodeUserPassReply,
  takeGreeting,
  takeParamBlock,
  takeSocks5Request,
  takeUserPassRequest,
} from "./messages.js";
import type { Args } from "../pt-ipc/types.js";
import { joinPtArgs, parsePtArgs } from "./pt-args.js";
import { encodeSocks4Reply, takeSocks4Request } from "./socks4.js";

/** Per-connection arguments as they arrived: none, PT 1.0 `k=v` args (RFC 1929 or USERID), or a 0x09 block. */
export type SocksArgs =
  | { readonly kind: "none" }
  | { readonly kind: "pt1"; readonly args: Args }
  | { readonly kind: "json"; readonly params: JsonParams };

/** What validateArgs returns for settings the transport cannot use: the setting's JSON pointer and why. */
export interface ArgsProblem {
  readonly pointer: string;
  readonly message: string;
}

export interface SocksServerOptions {
  /** Methods to accept, from 0x00, 0x02 and 0x09 (default all three); the choice follows METHOD_PREFERENCE. */
  readonly methods?: readonly number[];
  /** Accept SOCKS4/4a requests (default true; tor-pt-spec.txt §3.1 "CMETHOD … socks4"). */
  readonly socks4?: boolean;
  /** Judges the arguments for this transport; a problem is answered X'13' (SOCKS4: 0x5B). */
  readonly validateArgs?: (args: SocksArgs) => ArgsProblem | undefined;
  /** The 0x09 block size cap (default MAX_JSON_PARAM_BYTES); a longer announced length is answered X'10' at once. */
  readonly maxJsonParamBytes?: number;
}

export interface SocksRequest {
  readonly socksVersion: 4 | 5;
  /** The SOCKS5 method negotiated; undefined for SOCKS4. */
  readonly method: number | undefined;
  /** Where to connect: always a CONNECT (every other command is refused). */
  readonly target: SocksAddress;
  readonly args: SocksArgs;
}

/**
 * The outcome of one push: write `reply` (when present) to the client, then
 * - `continue`: wait for more bytes;
 * - `request`: the request is complete; dial `request.target`, then write
 *   grant() or reject(). `rest` is what followed the request: the start of
 *   the application stream (it may be a view of the pushed chunk);
 * - `error`: close the connection after writing `reply`.
 */
export type SocksServerStep =
  | { readonly kind: "continue"; readonly reply?: Uint8Array }
  | { readonly kind: "request"; readonly request: SocksRequest; readonly rest: Uint8Array; readonly reply?: undefined }
  | { readonly kind: "error"; readonly error: SocksError; readonly reply?: Uint8Array };

/**
 * `settings` is the phase in which the adapter runs its JSON_PARAM_TIMEOUT_MS
 * timer; `ready` waits for grant()/reject().
 */
export type SocksServerPhase = "version" | "greeting" | "auth" | "settings" | "request" | "ready" | "done" | "failed";

const NO_ARGS: SocksArgs = { kind: "none" };

/**
 * The SOCKS listener side of a PT client, sans I/O (goptlib's socks.go is
 * the model): SOCKS5 (RFC 1928) with methods 0x00, 0x02 (RFC 1929 carrying
 * PT 1.0 args, tor-pt-spec.txt §3.5) and 0x09 (PT 2.1 JSON parameter block,
 * seed 001 §1.4), and SOCKS4/4a. Only CONNECT is served.
 *
 * CONFORMANCE decisions applied here: method preference 0x09 > 0x02 > 0x00;
 * no sub-negotiation reply for 0x09, so the block and the CONNECT request may
 * arrive together; X'10' is answered as soon as the length is read and X'11'
 * when the adapter's timer fires, while X'12'/X'13' (and any args problem)
 * wait for the CONNECT request. A client that sends more after its greeting
 * or RFC 1929 request, before it can have read our answer, breaks the
 * protocol (goptlib: "bytes left after SOCKS message").
 */
export class SocksServerHandshake {
  readonly #queue = new ByteQueue();
  readonly #accept: ReadonlySet<number>;
  readonly #socks4: boolean;
  readonly #validate: ((args: SocksArgs) => ArgsProblem | undefined) | undefined;
  readonly #maxJson: number;
  #phase: SocksServerPhase = "version";
  #version: 4 | 5 = 5;
  #method: number | undefined;
  #args: SocksArgs = NO_ARGS;
  /** A settings error found before the request, reported once the request is read. */
  #deferred: SocksError | undefined;
  #failure: SocksError | undefined;

  constructor(options: SocksServerOptions = {}) {
    const methods = options.methods ?? METHOD_PREFERENCE;
    for (const m of methods) {
      if (!METHOD_PREFERENCE.includes(m)) throw new RangeError(`method 0x${m.toString(16)} is not supported`);
    }
    const max = options.maxJsonParamBytes ?? MAX_JSON_PARAM_BYTES;
    if (!Number.isInteger(max) || max < 0 || max > 0xffffffff) throw new RangeError(`maxJsonParamBytes ${max}`);
    this.#accept = new Set(methods);
    this.#socks4 = options.socks4 ?? true;
    this.#validate = options.validateArgs;
    this.#maxJson = max;
  }

  get phase(): SocksServerPhase {
    return this.#phase;
  }

  /** Bytes held while waiting for the rest of a message (bounded by the message limits). */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): SocksServerStep {
    if (this.#failure !== undefined) return { kind: "error", error: this.#failure };
    if (this.#phase === "ready" || this.#phase === "done") {
      throw new SocksStateError("the SOCKS request is complete: later bytes belong to the application stream");
    }
    this.#queue.push(chunk);
    try {
      return this.#advance();
    } catch (e) {
      if (!(e instanceof SocksError)) throw e;
      return this.#fail(e, this.#errorReply(e));
    }
  }

  /**
   * Call when the adapter's JSON_PARAM_TIMEOUT_MS timer fires. In the
   * `settings` phase this fails the handshake with the X'11' reply, sent at
   * once since the block never completed; in any other phase the timer is
   * stale and nothing happens.
   */
  settingsTimedOut(): SocksServerStep {
    if (this.#phase !== "settings") return { kind: "continue" };
    const e = new SocksError(SocksErrorCode.SETTINGS_TIMEOUT, "the JSON parameter block did not arrive in time", {
      reply: Socks5Reply.SETTINGS_TIMEOUT,
    });
    return this.#fail(e, encodeSocks5Reply(e.reply));
  }

  /** The success reply, once a `request` step has been handled: REP X'00' or CD 0x5A. */
  grant(bound: SocksAddress = UNSPECIFIED_ADDRESS): Uint8Array {
    this.#finishRequest("grant");
    return this.#version === 5
      ? encodeSocks5Reply(Socks5Reply.SUCCEEDED, bound)
      : encodeSocks4Reply(Socks4Reply.GRANTED, bound);
  }

  /**
   * The failure reply for the dial: a SOCKS5 REP (X'01'–X'08', X'10'–X'13').
   * SOCKS4 has one generic refusal, so any REP maps to CD 0x5B unless it is
   * already a SOCKS4 code (0x5B–0x5D).
   */
  reject(reply: number = Socks5Reply.GENERAL_FAILURE): Uint8Array {
    if (!Number.isInteger(reply) || reply <= 0 || reply > 0xff || reply === Socks4Reply.GRANTED) {
      throw new RangeError(`0x${reply.toString(16)} is not a failure reply`);
    }
    this.#finishRequest("reject");
    if (this.#version === 5) return encodeSocks5Reply(reply);
    const isSocks4Code = reply >= Socks4Reply.REJECTED && reply <= Socks4Reply.IDENTD_MISMATCH;
    return encodeSocks4Reply(isSocks4Code ? reply : Socks4Reply.REJECTED);
  }

  /** The client closed its side: fine once the request is out, an UnexpectedEOFError before. */
  finish(): void {
    if (this.#phase === "ready" || this.#phase === "done" || this.#phase === "failed") return;
    throw new UnexpectedEOFError("a SOCKS handshake", this.#queue.length);
  }

  #finishRequest(what: string): void {
    if (this.#phase !== "ready") throw new SocksStateError(`${what}() needs a complete request (phase ${this.#phase})`);
    this.#phase = "done";
  }

  #advance(): SocksServerStep {
    for (;;) {
      switch (this.#phase) {
        case "version": {
          const v = this.#queue.at(0);
          if (v === undefined) return { kind: "continue" };
          if (v === SOCKS5_VERSION) this.#phase = "greeting";
          else if (v === SOCKS4_VERSION && this.#socks4) [this.#version, this.#phase] = [4, "request"];
          else throw new SocksError(SocksErrorCode.BAD_VERSION, `SOCKS version 0x${v.toString(16)} is not served`);
          break;
        }
        case "greeting":
          return this.#greeting();
        case "auth":
          return this.#auth();
        case "settings":
          if (!this.#settings()) return { kind: "continue" };
          break; // the CONNECT request may follow in the same chunk
        case "request":
          return this.#version === 5 ? this.#request5() : this.#request4();
        default:
          throw new SocksStateError(`push() in phase ${this.#phase}`);
      }
    }
  }

  /** RFC 1928 §3: pick a method, or answer X'FF'. */
  #greeting(): SocksServerStep {
    const g = takeGreeting(this.#queue);
    if (g === undefined) return { kind: "continue" };
    const method = METHOD_PREFERENCE.find((m) => this.#accept.has(m) && g.methods.includes(m));
    if (method === undefined) {
      const offered = g.methods.map((m) => `0x${m.toString(16)}`).join(", ") || "none";
      const e = new SocksError(SocksErrorCode.NO_ACCEPTABLE_METHOD, `no acceptable method among ${offered}`);
      return this.#fail(e, encodeMethodSelection(AuthMethod.NO_ACCEPTABLE));
    }
    this.#assertDrained("greeting");
    this.#method = method;
    if (method === AuthMethod.NO_AUTH) this.#setArgs(NO_ARGS);
    this.#phase =
      method === AuthMethod.USERNAME_PASSWORD ? "auth" : method === AuthMethod.NO_AUTH ? "request" : "settings";
    return { kind: "continue", reply: encodeMethodSelection(method) };
  }

  /** RFC 1929 §2 carrying tor-pt-spec.txt §3.5 args; any failure is answered `01 01` (#errorReply). */
  #auth(): SocksServerStep {
    const req = takeUserPassRequest(this.#queue);
    if (req === undefined) return { kind: "continue" };
    this.#assertDrained("username/password request");
    this.#setArgs({ kind: "pt1", args: parseArgString(joinPtArgs(req.username, req.password)) });
    this.#phase = "request";
    return { kind: "continue", reply: encodeUserPassReply(RFC1929_SUCCESS) };
  }

  /** Seed 001 §1.4; true once the block is in. A parse error is kept for the CONNECT reply. */
  #settings(): boolean {
    const body = takeParamBlock(this.#queue, this.#maxJson);
    if (body === undefined) return false;
    this.#phase = "request";
    try {
      this.#setArgs({ kind: "json", params: parseJsonParams(body) });
    } catch (e) {
      if (!(e instanceof SocksError)) throw e;
      this.#deferred = e;
    }
    return true;
  }

  #request5(): SocksServerStep {
    let req: ReturnType<typeof takeSocks5Request>;
    try {
      req = takeSocks5Request(this.#queue);
    } catch (e) {
      // A settings error outranks a malformed request: it was found first.
      if (this.#deferred !== undefined && e instanceof SocksError) throw this.#deferred;
      throw e;
    }
    if (req === undefined) return { kind: "continue" };
    if (this.#deferred !== undefined) throw this.#deferred;
    if (req.command !== SocksCommand.CONNECT) {
      throw new SocksError(SocksErrorCode.COMMAND_NOT_SUPPORTED, `command 0x${req.command.toString(16)}`, {
        reply: Socks5Reply.COMMAND_NOT_SUPPORTED,
      });
    }
    return this.#ready({ socksVersion: 5, method: this.#method, target: req.address, args: this.#args });
  }

  /** SOCKS4/4a: only CONNECT; USERID carries PT 1.0 args as tor sends them. */
  #request4(): SocksServerStep {
    const req = takeSocks4Request(this.#queue);
    if (req === undefined) return { kind: "continue" };
    if (req.command !== SocksCommand.CONNECT) {
      throw new SocksError(SocksErrorCode.COMMAND_NOT_SUPPORTED, `SOCKS4 command 0x${req.command.toString(16)}`, {
        reply: Socks4Reply.REJECTED,
        socksVersion: 4,
      });
    }
    try {
      this.#setArgs(req.userId.length === 0 ? NO_ARGS : { kind: "pt1", args: parseArgString(req.userId) });
    } catch (e) {
      if (!(e instanceof SocksError)) throw e;
      throw asSocks4(e);
    }
    if (this.#deferred !== undefined) throw asSocks4(this.#deferred);
    return this.#ready({ socksVersion: 4, method: undefined, target: req.address, args: this.#args });
  }

  #ready(request: SocksRequest): SocksServerStep {
    this.#phase = "ready";
    return { kind: "request", request, rest: this.#queue.readAll() };
  }

  /** Records the args and runs validateArgs; a problem becomes the deferred X'13'. */
  #setArgs(args: SocksArgs): void {
    this.#args = args;
    const problem = this.#validate?.(args);
    if (problem !== undefined) {
      this.#deferred = new SocksError(SocksErrorCode.SETTINGS_INVALID, `${problem.pointer}: ${problem.message}`, {
        reply: Socks5Reply.SETTINGS_INVALID,
        pointer: problem.pointer,
      });
    }
  }

  /** The client must wait for our answer before sending more (RFC 1928 §3, RFC 1929 §2). */
  #assertDrained(what: string): void {
    if (this.#queue.length > 0) {
      throw new SocksError(SocksErrorCode.UNEXPECTED_DATA, `${this.#queue.length} bytes arrived after the ${what}`);
    }
  }

  /** The bytes a failure earns in the current phase, if the protocol has any to send there. */
  #errorReply(e: SocksError): Uint8Array | undefined {
    switch (this.#phase) {
      case "auth":
        return encodeUserPassReply(RFC1929_FAILURE);
      case "settings":
        return encodeSocks5Reply(e.reply);
      case "request":
        return this.#version === 5 ? encodeSocks5Reply(e.reply) : encodeSocks4Reply(Socks4Reply.REJECTED);
      default:
        return undefined; // before a method is agreed there is no reply to carry an error
    }
  }

  #fail(error: SocksError, reply: Uint8Array | undefined): SocksServerStep {
    this.#failure = error;
    this.#phase = "failed";
    this.#queue.clear();
    return reply === undefined ? { kind: "error", error } : { kind: "error", error, reply };
  }
}

/** The same failure as SOCKS4 can say it: CD 0x5B, whatever the SOCKS5 REP would have been. */
function asSocks4(e: SocksError): SocksError {
  return new SocksError(e.code as SocksErrorCode, e.message, {
    reply: Socks4Reply.REJECTED,
    socksVersion: 4,
    ...(e.pointer === undefined ? {} : { pointer: e.pointer }),
    ...(e.cause === undefined ? {} : { cause: e.cause }),
  });
}

/** UNAME+PASSWD or USERID bytes → PT args: UTF-8, then the goptlib grammar. */
function parseArgString(bytes: Uint8Array): Args {
  let text: string;
  try {
    text = utf8Decode(bytes);
  } catch (cause) {
    throw new SocksError(SocksErrorCode.BAD_ARGS, "PT arguments that are not UTF-8", { cause });
  }
  return parsePtArgs(text);
}
