import { type ErrorData, ProtocolError, WebptError } from "../../errors.js";
import { toHex } from "../../bytes/bytes.js";

/**
 * Extended ORPort errors (tor-ext-orport-spec.txt). Every one closes the
 * connection. Where the protocol has something to say before closing, the
 * error carries it as `reply`, its wire form: the SAFE_COOKIE status byte
 * `00` a server sends after a bad ClientHash (§2.1.3), or the AuthType `00` a
 * client sends when it likes none of the offered types (§2). The adapter
 * writes `reply` (when present), then closes.
 */
export class ExtOrError extends ProtocolError {
  override name = "ExtOrError";
  /** Bytes to write to the peer before closing, if the protocol defines any. */
  readonly reply: Uint8Array | undefined;

  constructor(code: string, message: string, options?: { cause?: unknown; reply?: Uint8Array }) {
    super(code, message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.reply = options?.reply;
  }

  override toJSON(): ErrorData {
    const base = super.toJSON();
    return this.reply === undefined ? base : { ...base, reply: toHex(this.reply) };
  }
}

/** The auth cookie file is not exactly the 64-byte format of §2.1.2. */
export class ExtOrCookieFileError extends WebptError {
  override name = "ExtOrCookieFileError";
}

/**
 * The bridge answered DENY (0x1001, §3.1): "Tor would prefer not to get more
 * traffic from this address for a while". The PT closes the client connection
 * (CONFORMANCE: DENY closes). `command` is the wire code that caused it.
 */
export class ExtOrDeniedError extends ExtOrError {
  override name = "ExtOrDeniedError";
  readonly command: number;
  constructor(command: number) {
    super("ERR_EXTOR_DENIED", `the bridge answered DENY (0x${command.toString(16).padStart(4, "0")})`);
    this.command = command;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), command: this.command };
  }
}

/** A handshake object was used out of order (a programmer error, not a peer's). */
export class ExtOrStateError extends WebptError {
  override name = "ExtOrStateError";
  constructor(message: string) {
    super("ERR_EXTOR_STATE", message);
  }
}

/** Stable codes, to match on instead of message text. */
export const ExtOrErrorCode = {
  COOKIE_FILE_SIZE: "ERR_EXTOR_COOKIE_FILE_SIZE",
  COOKIE_FILE_HEADER: "ERR_EXTOR_COOKIE_FILE_HEADER",
  AUTH_TYPES_TOO_LONG: "ERR_EXTOR_AUTH_TYPES_TOO_LONG",
  NO_SAFE_COOKIE: "ERR_EXTOR_NO_SAFE_COOKIE",
  BAD_AUTH_TYPE: "ERR_EXTOR_BAD_AUTH_TYPE",
  BAD_SERVER_HASH: "ERR_EXTOR_BAD_SERVER_HASH",
  BAD_CLIENT_HASH: "ERR_EXTOR_BAD_CLIENT_HASH",
  AUTH_REJECTED: "ERR_EXTOR_AUTH_REJECTED",
  DENIED: "ERR_EXTOR_DENIED",
  BAD_USERADDR: "ERR_EXTOR_BAD_USERADDR",
  BAD_TRANSPORT: "ERR_EXTOR_BAD_TRANSPORT",
  EARLY_DATA: "ERR_EXTOR_EARLY_DATA",
  BODY_TOO_LONG: "ERR_EXTOR_BODY_TOO_LONG",
  STATE: "ERR_EXTOR_STATE",
} as const;
