/**
 * Errors of the sealed signaling envelope. A server must treat every one of
 * them alike (the cover site's answer): the codes exist for logs and tests,
 * never for the wire, where a bad seal, a stale offer and a replay all look
 * the same to the sender.
 */
import { LimitError, WebptError } from "../../errors.js";

export type SignalingErrorCode =
  /** Shorter than the smallest sealed message of its kind. */
  | "ERR_SIGNAL_TOO_SHORT"
  /** The AEAD tag did not verify, or the key exchange produced no usable secret: not sealed to this bridge. */
  | "ERR_SIGNAL_BAD_SEAL"
  /** Authentic, but a version this code does not speak. */
  | "ERR_SIGNAL_BAD_VERSION"
  /** Authentic, but an answer where an offer was expected or the reverse. */
  | "ERR_SIGNAL_BAD_KIND"
  /** The SDP length field points past the plaintext. */
  | "ERR_SIGNAL_BAD_LENGTH"
  /** A padding byte is not zero. */
  | "ERR_SIGNAL_BAD_PADDING"
  /** The SDP is not UTF-8 text starting `v=0`. */
  | "ERR_SIGNAL_BAD_SDP"
  /** The timestamp is outside the accepted window (clock skew or an old capture). */
  | "ERR_SIGNAL_STALE"
  /** The same ephemeral key was seen before inside the window. */
  | "ERR_SIGNAL_REPLAY"
  /** The replay cache holds its maximum of unexpired entries: refuse rather than forget one. */
  | "ERR_SIGNAL_REPLAY_CACHE_FULL"
  /** Copy-paste text without the expected prefix, or not base64url. */
  | "ERR_SIGNAL_ARMOR";

export class SignalingError extends WebptError {
  override name = "SignalingError";
  declare readonly code: SignalingErrorCode;
}

/** An input over a named limit (MAX_SEALED_OFFER_BYTES, MAX_SDP_BYTES, MAX_ARMORED_SIGNAL_CHARS…). */
export class SignalingLimitError extends LimitError {
  override name = "SignalingLimitError";
  /** ERR_SIGNAL_TOO_LARGE (a sealed message or pasted text) or ERR_SIGNAL_SDP_TOO_LARGE (an SDP to seal). */
  declare readonly code: "ERR_SIGNAL_TOO_LARGE" | "ERR_SIGNAL_SDP_TOO_LARGE";
}
