import { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes, utf8Encode } from "../../bytes/bytes.js";
import { UnexpectedEOFError } from "../../errors.js";
import { type SocksAddress, type SocksTarget, toSocksAddress } from "./address.js";
import {
  AuthMethod,
  MAX_JSON_PARAM_BYTES,
  RFC1929_SUCCESS,
  SocksCommand,
  Socks4Reply,
  Socks5Reply,
} from "./constants.js";
import { SocksError, SocksErrorCode, SocksStateError } from "./errors.js";
import { encodeJsonParamBlock } from "./json-params.js";
import {
  encodeGreeting,
  encodeSocks5Request,
  encodeUserPassRequest,
  takeMethodSelection,
  takeSocks5Reply,
  takeUserPassReply,
} from "./messages.js";
import { type PtArgsInput, argEntries, ptArgsBytes, ptArgsCredentials } from "./pt-args.js";
import { encodeSocks4Request, takeSocks4Reply } from "./socks4.js";

export interface SocksClientOptions {
  /** Where the SOCKS server should connect: an IP literal (IPv6 may be bracketed) or a host name. */
  readonly target: SocksTarget;
  /** 5 (default), or 4: SOCKS4 for an IPv4 target, SOCKS4a for a host name. */
  readonly socksVersion?: 4 | 5;
  /**
   * The PT's IPC version, from its VERSION line: "1" (default) sends args
   * with RFC 1929 (tor-pt-spec.txt §3.5); "2" / "2.1" with a 0x09 JSON
   * parameter block (seed 001 §1.4).
   */
  readonly ptVersion?: "1" | "2" | "2.1";
  /** Per-connection PT args; none (or an empty set) means method 0x00. */
  readonly args?: PtArgsInput;
  /** RFC 1929 credentials for an upstream proxy (`socks5://user:pass@…`); not combined with args. */
  readonly credentials?: { readonly username: string; readonly password: string };
  /** Cap on the JSON block we send (default MAX_JSON_PARAM_BYTES, what our own server accepts). */
  readonly maxJsonParamBytes?: number;
}

/**
 * The outcome of one push: write `send` (when present) to the server, then
 * - `continue`: wait for more bytes;
 * - `connected`: the tunnel is up; `rest` is the first application bytes
 *   the server sent after its reply (tor keeps them too);
 * - `error`: close the connection.
 */
export type SocksClientStep =
  | { readonly kind: "continue"; readonly send?: Uint8Array }
  | { readonly kind: "connected"; readonly bound: SocksAddress; readonly rest: Uint8Array; readonly send?: undefined }
  | { readonly kind: "error"; readonly error: SocksError; readonly send?: undefined };

export type SocksClientPhase = "start" | "method" | "auth" | "reply" | "connected" | "failed";

/**
 * The dialing side, sans I/O: what our adapters speak to a PT's SOCKS port
 * (passing per-connection args) and to an upstream proxy. SOCKS5 offers
 * exactly one way to carry what it has: 0x09 for PT 2.x args, 0x02 for PT
 * 1.0 args, 0x00 and 0x02 for proxy credentials (as tor does), 0x00 alone
 * otherwise. A server that answers before we can have asked (bytes after the
 * method selection or the auth status) breaks the protocol.
 */
export class SocksClientHandshake {
  readonly #queue = new ByteQueue();
  readonly #version: 4 | 5;
  readonly #first: Uint8Array;
  readonly #offered: readonly number[];
  readonly #auth: Uint8Array | undefined;
  readonly #block: Uint8Array | undefined;
  readonly #request: Uint8Array;
  #phase: SocksClientPhase = "start";
  #failure: SocksError | undefined;

  /** Throws TypeError/RangeError/LimitError for options no SOCKS message can carry. */
  constructor(options: SocksClientOptions) {
    const target = toSocksAddress(options.target);
    const hasArgs = options.args !== undefined && argEntries(options.args).length > 0;
    const json = options.ptVersion === "2" || options.ptVersion === "2.1";
    if (hasArgs && options.credentials !== undefined) {
      throw new TypeError("PT args and proxy credentials both need the RFC 1929 fields");
    }
    this.#version = options.socksVersion ?? 5;
    if (this.#version === 4) {
      if (hasArgs && json) throw new TypeError("the JSON parameter block (0x09) is SOCKS5-only");
      if (options.credentials !== undefined && options.credentials.password !== "") {
        throw new TypeError("SOCKS4 carries a user id but no password");
      }
      const userId = hasArgs ? ptArgsBytes(options.args!) : utf8Encode(options.credentials?.username ?? "");
      this.#first = encodeSocks4Request(SocksCommand.CONNECT, target, userId);
      this.#offered = [];
      this.#request = this.#first;
      return;
    }
    this.#request = encodeSocks5Request(SocksCommand.CONNECT, target);
    if (hasArgs && json) {
      this.#offered = [AuthMethod.JSON_PARAMETER_BLOCK];
      this.#block = encodeJsonParamBlock(options.args!, options.maxJsonParamBytes ?? MAX_JSON_PARAM_BYTES);
    } else if (hasArgs) {
      this.#offered = [AuthMethod.USERNAME_PASSWORD];
      const { username, password } = ptArgsCredentials(options.args!);
      this.#auth = encodeUserPassRequest(username, password);
    } else if (options.credentials !== undefined) {
      this.#offered = [AuthMethod.NO_AUTH, AuthMethod.USERNAME_PASSWORD];
      this.#auth = encodeUserPassRequest(options.credentials.username, options.credentials.password);
    } else {
      this.#offered = [AuthMethod.NO_AUTH];
    }
    this.#first = encodeGreeting(this.#offered);
  }

  get phase(): SocksClientPhase {
    return this.#phase;
  }

  /** Bytes held while waiting for the rest of a reply. */
  get buffered(): number {
    return this.#queue.length;
  }

  /** The first bytes to write: the SOCKS5 greeting or the whole SOCKS4 request. Call once. */
  start(): Uint8Array {
    if (this.#phase !== "start") throw new SocksStateError("start() was already called");
    this.#phase = this.#version === 5 ? "method" : "reply";
    return this.#first;
  }

  push(chunk: Uint8Array): SocksClientStep {
    if (this.#failure !== undefined) return { kind: "error", error: this.#failure };
    if (this.#phase === "start") throw new SocksStateError("push() before start()");
    if (this.#phase === "connected") throw new SocksStateError("the tunnel is up: later bytes are application data");
    this.#queue.push(chunk);
    try {
      switch (this.#phase) {
        case "method":
          return this.#method();
        case "auth":
          return this.#authStatus();
        default:
          return this.#version === 5 ? this.#reply5() : this.#reply4();
      }
    } catch (e) {
      if (!(e instanceof SocksError)) throw e;
      return this.#fail(e);
    }
  }

  /** The server closed its side: fine once connected, an UnexpectedEOFError before. */
  finish(): void {
    if (this.#phase === "connected" || this.#phase === "failed") return;
    throw new UnexpectedEOFError("a SOCKS handshake", this.#queue.length);
  }

  /** RFC 1928 §3: the server's choice must be one we offered; X'FF' means none was. */
  #method(): SocksClientStep {
    const sel = takeMethodSelection(this.#queue);
    if (sel === undefined) return { kind: "continue" };
    if (sel.method === AuthMethod.NO_ACCEPTABLE) {
      throw new SocksError(SocksErrorCode.NO_ACCEPTABLE_METHOD, "the SOCKS server accepts none of our methods");
    }
    if (!this.#offered.includes(sel.method)) {
      throw new SocksError(SocksErrorCode.BAD_METHOD, `the SOCKS server chose method 0x${sel.method.toString(16)}`);
    }
    this.#assertDrained("method selection");
    if (sel.method === AuthMethod.USERNAME_PASSWORD) {
      this.#phase = "auth";
      return { kind: "continue", send: this.#auth! };
    }
    this.#phase = "reply";
    // 0x09 has no sub-negotiation reply (CONFORMANCE): the block and the request go together.
    const send =
      sel.method === AuthMethod.JSON_PARAMETER_BLOCK ? concatBytes(this.#block!, this.#request) : this.#request;
    return { kind: "continue", send };
  }

  /** RFC 1929 §2: STATUS X'00' is success, anything else failure. */
  #authStatus(): SocksClientStep {
    const r = takeUserPassReply(this.#queue);
    if (r === undefined) return { kind: "continue" };
    if (r.status !== RFC1929_SUCCESS) {
      throw new SocksError(SocksErrorCode.AUTH_FAILED, `the SOCKS server refused our RFC 1929 request (${r.status})`);
    }
    this.#assertDrained("username/password status");
    this.#phase = "reply";
    return { kind: "continue", send: this.#request };
  }

  #reply5(): SocksClientStep {
    const r = takeSocks5Reply(this.#queue);
    if (r === undefined) return { kind: "continue" };
    if (r.reply !== Socks5Reply.SUCCEEDED) {
      throw new SocksError(SocksErrorCode.REQUEST_REJECTED, `the SOCKS server refused the request (REP ${r.reply})`, {
        reply: r.reply,
      });
    }
    return this.#connected(r.bound);
  }

  #reply4(): SocksClientStep {
    const r = takeSocks4Reply(this.#queue);
    if (r === undefined) return { kind: "continue" };
    if (r.reply !== Socks4Reply.GRANTED) {
      throw new SocksError(SocksErrorCode.REQUEST_REJECTED, `the SOCKS4 server refused the request (CD ${r.reply})`, {
        reply: r.reply,
        socksVersion: 4,
      });
    }
    return this.#connected(r.bound);
  }

  #connected(bound: SocksAddress): SocksClientStep {
    this.#phase = "connected";
    return { kind: "connected", bound, rest: this.#queue.readAll() };
  }

  #assertDrained(what: string): void {
    if (this.#queue.length > 0) {
      throw new SocksError(SocksErrorCode.UNEXPECTED_DATA, `${this.#queue.length} bytes arrived after the ${what}`);
    }
  }

  #fail(error: SocksError): SocksClientStep {
    this.#failure = error;
    this.#phase = "failed";
    this.#queue.clear();
    return { kind: "error", error };
  }
}
