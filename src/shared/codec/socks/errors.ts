import { type ErrorData, WebptError } from "../../errors.js";
import { Socks5Reply } from "./constants.js";

/** Stable codes, to match on instead of message text. */
export const SocksErrorCode = {
  /** The first byte is neither 4 nor 5, or a later VER field is wrong. */
  BAD_VERSION: "ERR_SOCKS_BAD_VERSION",
  /** RFC 1928 §3: the client offered no method we accept (we answered `05 FF`). */
  NO_ACCEPTABLE_METHOD: "ERR_SOCKS_NO_ACCEPTABLE_METHOD",
  /** The server picked a method the client never offered. */
  BAD_METHOD: "ERR_SOCKS_BAD_METHOD",
  /** RFC 1929: a malformed sub-negotiation, or the server answered failure. */
  AUTH_FAILED: "ERR_SOCKS_AUTH_FAILED",
  /** tor-pt-spec.txt §3.5: the UNAME+PASSWD or USERID string is not a `k=v;k=v` list. */
  BAD_ARGS: "ERR_SOCKS_BAD_ARGS",
  /** Bytes arrived after a message the peer had to wait for an answer to (goptlib's "bytes left after SOCKS message"). */
  UNEXPECTED_DATA: "ERR_SOCKS_UNEXPECTED_DATA",
  /** CMD other than CONNECT (REP X'07', SOCKS4 0x5B). */
  COMMAND_NOT_SUPPORTED: "ERR_SOCKS_COMMAND_NOT_SUPPORTED",
  /** ATYP other than 1, 3, 4 (REP X'08'). */
  ADDRESS_TYPE_NOT_SUPPORTED: "ERR_SOCKS_ADDRESS_TYPE_NOT_SUPPORTED",
  /** RSV is not X'00'. */
  BAD_RESERVED: "ERR_SOCKS_BAD_RESERVED",
  /** An empty, non-UTF-8 or NUL-bearing host name. */
  BAD_ADDRESS: "ERR_SOCKS_BAD_ADDRESS",
  /** A SOCKS4 USERID or host name over its limit. */
  REQUEST_TOO_LARGE: "ERR_SOCKS_REQUEST_TOO_LARGE",
  /** X'10': the 0x09 block's announced length is over the limit. */
  SETTINGS_TOO_LARGE: "ERR_SOCKS_SETTINGS_TOO_LARGE",
  /** X'11': the 0x09 block did not arrive in time. */
  SETTINGS_TIMEOUT: "ERR_SOCKS_SETTINGS_TIMEOUT",
  /** X'12': the 0x09 block is not one strict JSON object. */
  SETTINGS_PARSE_ERROR: "ERR_SOCKS_SETTINGS_PARSE_ERROR",
  /** X'13': validateArgs refused the settings. */
  SETTINGS_INVALID: "ERR_SOCKS_SETTINGS_INVALID",
  /** The server answered the request with a failure REP/CD (client side). */
  REQUEST_REJECTED: "ERR_SOCKS_REQUEST_REJECTED",
  /** A reply the client cannot parse (bad RSV, ATYP or CD). */
  BAD_REPLY: "ERR_SOCKS_BAD_REPLY",
  /** A handshake object was used out of order (a programmer error). */
  STATE: "ERR_SOCKS_STATE",
} as const;

export type SocksErrorCode = (typeof SocksErrorCode)[keyof typeof SocksErrorCode];

export interface SocksErrorOptions {
  /** The reply byte this error maps to: SOCKS5 REP or SOCKS4 CD. Default X'01' general failure. */
  readonly reply?: number;
  readonly socksVersion?: 4 | 5;
  /** JSON pointer of the offending setting (X'13'), e.g. `/cert`. */
  readonly pointer?: string;
  /** The named limit that was exceeded, for size errors. */
  readonly limit?: number;
  readonly cause?: unknown;
}

/**
 * A SOCKS handshake failure: a malformed message, a refused setting, or the
 * server's refusal seen from the client. Its wire form is `reply`: the REP (SOCKS5) or CD
 * (SOCKS4) byte a server sends for it, or the one a client received. The
 * bytes actually written (if the protocol allows a reply at that point) are
 * in the handshake step that carries the error. It extends WebptError rather
 * than ProtocolError because a refusal (`REQUEST_REJECTED`) is well-formed.
 */
export class SocksError extends WebptError {
  override name = "SocksError";
  readonly reply: number;
  readonly socksVersion: 4 | 5;
  readonly pointer: string | undefined;
  readonly limit: number | undefined;

  constructor(code: SocksErrorCode, message: string, options: SocksErrorOptions = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.reply = options.reply ?? Socks5Reply.GENERAL_FAILURE;
    this.socksVersion = options.socksVersion ?? 5;
    this.pointer = options.pointer;
    this.limit = options.limit;
  }

  override toJSON(): ErrorData {
    const out: Record<string, unknown> = { ...super.toJSON(), reply: this.reply, socksVersion: this.socksVersion };
    if (this.pointer !== undefined) out["pointer"] = this.pointer;
    if (this.limit !== undefined) out["limit"] = this.limit;
    return out as ErrorData;
  }
}

/** A handshake method called in the wrong phase: the caller's bug, not the peer's. */
export class SocksStateError extends WebptError {
  override name = "SocksStateError";
  constructor(message: string) {
    super(SocksErrorCode.STATE, message);
  }
}
