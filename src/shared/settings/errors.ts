/**
 * Errors of the settings module. Each carries a stable `code` and, where one
 * exists, its wire form: a settings error knows the JSON pointer of the
 * offending value and the SOCKS reply byte it maps to (PT 2.1 §1.4, seed 001:
 * X'13' "connection settings have invalid or missing keys or values";
 * CONFORMANCE.md "0x09 reply").
 */
import { WebptError, type ErrorData } from "../errors.js";

/** PT 2.1 §1.4 X'13': invalid or missing keys or values for this transport. */
export const SOCKS_REPLY_SETTINGS_INVALID = 0x13;

/** Why a settings object was rejected; match on this (or `pointer`), never on the message text. */
export type SettingsErrorReason =
  | "not-object" // the input is not a plain object / record
  | "too-many-keys" // more than MAX_SETTINGS_KEYS keys
  | "value-too-long" // a string longer than MAX_SETTINGS_VALUE_LENGTH
  | "too-many-values" // a key repeated too often, or too many ICE URLs
  | "unknown-key" // a key the transport does not define (strict sources only)
  | "repeated-key" // a single-valued key given more than once (args / bridge sources)
  | "unknown-transport" // no schema for this transport name
  | "transport-mismatch" // a bridge line for another transport
  | "bridge-line" // the bridge line itself does not parse (see `cause`)
  | "schema" // a JSON Schema keyword failed; see `keyword`
  | "cert" // cert does not decode to 20 + 32 bytes
  | "conflict" // cert and node-id/public-key disagree
  | "url" // a ws:/wss:/http:/https: URL is malformed or not allowed
  | "ice" // an ICE server URL is malformed
  | "ice-credentials"; // TURN URL without credentials, or credentials without TURN URL

export class SettingsError extends WebptError {
  override name = "SettingsError";
  /** RFC 6901 JSON pointer to the offending value, e.g. `/iat-mode` ("" is the whole object). */
  readonly pointer: string;
  readonly reason: SettingsErrorReason;
  /** The JSON Schema keyword that failed when `reason` is "schema", else null. */
  readonly keyword: string | null;
  /** The SOCKS5 reply byte (REP field) that reports this error to the parent. */
  readonly socksReply = SOCKS_REPLY_SETTINGS_INVALID;

  constructor(
    pointer: string,
    reason: SettingsErrorReason,
    message: string,
    options?: { keyword?: string; cause?: unknown },
  ) {
    super("ERR_SETTINGS_INVALID", pointer === "" ? message : `${pointer}: ${message}`, options);
    this.pointer = pointer;
    this.reason = reason;
    this.keyword = options?.keyword ?? null;
  }

  override toJSON(): ErrorData {
    return {
      ...super.toJSON(),
      pointer: this.pointer,
      reason: this.reason,
      keyword: this.keyword,
      socksReply: this.socksReply,
    };
  }
}

/** Stable codes of bridge-line errors. */
export type BridgeLineErrorCode =
  | "ERR_BRIDGE_EMPTY"
  | "ERR_BRIDGE_TOO_LONG"
  | "ERR_BRIDGE_BAD_CHAR"
  | "ERR_BRIDGE_NO_TRANSPORT"
  | "ERR_BRIDGE_BAD_TRANSPORT"
  | "ERR_BRIDGE_BAD_ADDRESS"
  | "ERR_BRIDGE_BAD_PORT"
  | "ERR_BRIDGE_BAD_FINGERPRINT"
  | "ERR_BRIDGE_BAD_ARG"
  | "ERR_BRIDGE_TOO_MANY_ARGS";

/** A bridge line that does not follow `[Bridge] <transport> <addr:port> [fingerprint] [k=v …]`. */
export class BridgeLineError extends WebptError {
  override name = "BridgeLineError";
  declare readonly code: BridgeLineErrorCode;
  // Not useless: it narrows `code` to the module's stable codes at compile time.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(code: BridgeLineErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** Stable codes of share-link errors. */
export type ShareLinkErrorCode =
  | "ERR_SHARE_LINK_TOO_LONG"
  | "ERR_SHARE_LINK_SCHEME"
  | "ERR_SHARE_LINK_MALFORMED"
  | "ERR_SHARE_LINK_ENCODING"
  | "ERR_SHARE_LINK_CHECKSUM"
  | "ERR_SHARE_LINK_VERSION"
  | "ERR_SHARE_LINK_LABEL"
  | "ERR_SHARE_LINK_BRIDGE";

/** A share link that is not a well-formed `web+webpt://bridge/<data>` link. */
export class ShareLinkError extends WebptError {
  override name = "ShareLinkError";
  declare readonly code: ShareLinkErrorCode;
  // Not useless: it narrows `code` to the module's stable codes at compile time.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(code: ShareLinkErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** RFC 6901: a reference token escapes `~` as `~0` and `/` as `~1`. */
export function jsonPointer(...tokens: readonly (string | number)[]): string {
  let out = "";
  for (const t of tokens) out += "/" + String(t).replace(/~/g, "~0").replace(/\//g, "~1");
  return out;
}
