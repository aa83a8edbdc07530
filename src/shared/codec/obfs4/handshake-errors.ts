/**
 * Errors of the obfs4 handshake (obfs4 spec §4). Every one is fatal for the connection. A client simply drops the
 * connection; a server never tells the peer anything and closes after a delay (see handshake-server.ts), so these
 * codes are for logs and tests only and never reach the wire.
 */
import { LimitError, ProtocolError, WebptError } from "../../errors.js";

export type Obfs4HandshakeErrorCode =
  /** A mark was found but the MAC after it did not verify (for any accepted epoch hour, on the server). */
  | "ERR_OBFS4_BAD_MAC"
  /** The server's AUTH did not match the one the client derived: not the server the cert names. */
  | "ERR_OBFS4_BAD_AUTH"
  /** A Diffie-Hellman output was zero (a low-order public key). */
  | "ERR_OBFS4_NTOR_FAILED"
  /** The client's MAC was seen before within the replay window. */
  | "ERR_OBFS4_REPLAY"
  /** The handshake did not complete within the handshake timeout. */
  | "ERR_OBFS4_HANDSHAKE_TIMEOUT";

/** The peer's handshake bytes were invalid. */
export class Obfs4HandshakeError extends ProtocolError {
  override name = "Obfs4HandshakeError";
  declare readonly code: Obfs4HandshakeErrorCode;

  // Not useless: it narrows `code` to the codes this class may carry.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(code: Obfs4HandshakeErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}

/** No mark (and valid MAC) within the first MAX_HANDSHAKE_LENGTH bytes: the peer is not speaking obfs4 to us. */
export class Obfs4HandshakeLimitError extends LimitError {
  override name = "Obfs4HandshakeLimitError";

  constructor(limit: number) {
    super("ERR_OBFS4_HANDSHAKE_TOO_LONG", `no valid obfs4 handshake within ${limit} bytes`, limit);
  }
}

/** The handshake object was used after it finished (a bug in the caller, not in the peer). */
export class Obfs4HandshakeStateError extends WebptError {
  override name = "Obfs4HandshakeStateError";

  constructor(message: string) {
    super("ERR_OBFS4_HANDSHAKE_STATE", message);
  }
}

/** Any error a handshake can report for the peer's bytes. */
export type Obfs4HandshakeFailure = Obfs4HandshakeError | Obfs4HandshakeLimitError;
