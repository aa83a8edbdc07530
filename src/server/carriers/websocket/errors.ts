/**
 * Errors of the WebSocket carrier. Each has a stable `code`; where the error
 * has a wire form it carries it: `closeCode` is the RFC 6455 §7.4.1 status we
 * send (protocol errors) or received (closes), `status` the HTTP status a
 * dial was answered with.
 */
import { ProtocolError, WebptError, type ErrorData } from "../../../shared/errors.js";

/** RFC 6455 §7.4.1 status codes the carrier sends or interprets. */
export const WS_CLOSE_NORMAL = 1000;
export const WS_CLOSE_GOING_AWAY = 1001;
export const WS_CLOSE_UNSUPPORTED_DATA = 1003;
/** Reserved: never sent, reported by implementations when the close frame had no status. */
export const WS_CLOSE_NO_STATUS = 1005;
/** Reserved: never sent, reported when the connection dropped without a close frame. */
export const WS_CLOSE_ABNORMAL = 1006;
export const WS_CLOSE_MESSAGE_TOO_BIG = 1009;
export const WS_CLOSE_INTERNAL_ERROR = 1011;

/** The peer sent something a byte carrier cannot carry (a text frame, an unknown payload type). */
export class WebSocketProtocolError extends ProtocolError {
  override name = "WebSocketProtocolError";
  /** The status we close with (RFC 6455 §7.4.1). */
  readonly closeCode: number;
  constructor(code: string, message: string, closeCode: number) {
    super(code, message);
    this.closeCode = closeCode;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), closeCode: this.closeCode };
  }
}

/** The WebSocket closed with a status that is not a normal end of stream, or a write came after the close. */
export class WebSocketClosedError extends WebptError {
  override name = "WebSocketClosedError";
  /** The status the close carried (1006 when the connection simply dropped). */
  readonly closeCode: number;
  readonly reason: string;
  constructor(code: string, message: string, closeCode: number, reason = "") {
    super(code, message);
    this.closeCode = closeCode;
    this.reason = reason;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), closeCode: this.closeCode, reason: this.reason };
  }
}

/** The WebSocket implementation reported an error (socket reset, oversized frame, bad framing). */
export class WebSocketTransportError extends WebptError {
  override name = "WebSocketTransportError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_WS_TRANSPORT", message, options);
  }
}

/** A dial failed before the connection opened; `status` is the HTTP answer when there was one. */
export class WebSocketDialError extends WebptError {
  override name = "WebSocketDialError";
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), status: this.status };
  }
}

/** Operator configuration that cannot be used (a bad trusted-proxy entry, a bad secret path). */
export class WebSocketConfigError extends WebptError {
  override name = "WebSocketConfigError";
}
