/**
 * Errors of the WebRTC DataChannel carrier. Each has a stable `code` to match
 * on; the lower error (an engine's exception or RTCError) is the `cause`.
 */
import { WebptError, type ErrorData } from "../../../shared/errors.js";

/** The engine named is unknown, or its package could not be loaded. */
export class RtcEngineError extends WebptError {
  override name = "RtcEngineError";
}

/** The DataChannel closed while bytes were still expected or being written. */
export class DataChannelClosedError extends WebptError {
  override name = "DataChannelClosedError";
  constructor(message = "the data channel closed", options?: { cause?: unknown }) {
    super("ERR_RTC_CHANNEL_CLOSED", message, options);
  }
}

/** The engine reported an error on the channel (an RTCErrorEvent), or `send()` threw. */
export class DataChannelTransportError extends WebptError {
  override name = "DataChannelTransportError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_RTC_CHANNEL_ERROR", message, options);
  }
}

/** The peer sent a text message (PPID 51): a byte carrier only speaks binary (PPID 53). */
export class DataChannelProtocolError extends WebptError {
  override name = "DataChannelProtocolError";
  constructor(message = "received a text message on a binary data channel") {
    super("ERR_RTC_TEXT_MESSAGE", message);
  }
}

/** Operator or client configuration that cannot be used (a bad ICE URL, address, port range, secret path). */
export class WebRtcConfigError extends WebptError {
  override name = "WebRtcConfigError";
}

/**
 * Signaling failed on the client side: the endpoint refused (any non-200,
 * which is what a wrong cert, a skewed clock or a wrong URL all look like,
 * by design), the answer did not open, or the network failed.
 */
export class WebRtcSignalingError extends WebptError {
  override name = "WebRtcSignalingError";
  /** The HTTP status when the endpoint answered with one. */
  readonly status: number | undefined;
  constructor(code: string, message: string, status?: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.status = status;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), status: this.status };
  }
}
