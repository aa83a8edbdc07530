/**
 * Manual signaling: a sealed offer or answer as text a person can copy into
 * an e-mail or a chat and paste back (the seeds' out-of-band `signals` pipe,
 * seed 002 "TCP Client"/"TCP Server": unreliable, one manual action per
 * message). The form is a short prefix naming the kind, then the sealed bytes
 * in base64url (RFC 4648 §5, no padding):
 *
 *     webpt-offer:
 *     Zm9vYmFy…   (lines of SIGNAL_ARMOR_LINE_LENGTH characters)
 *
 * Reading is forgiving of what copying does to text: all whitespace is
 * ignored wherever it is (re-wrapped lines, indentation, CRLF), the prefix is
 * matched without regard to case, and `=` padding is accepted. Everything
 * else (a missing or wrong prefix, a character outside base64url) is
 * ERR_SIGNAL_ARMOR. The bytes inside are still sealed: the text is safe to
 * send over a channel others can read.
 */
import { decodeBase64, encodeBase64 } from "../../settings/base64.js";
import { MAX_SEALED_ANSWER_BYTES, MAX_SEALED_OFFER_BYTES } from "./envelope.js";
import { SignalingError, SignalingLimitError } from "./errors.js";

export type SignalKind = "offer" | "answer";

export const SIGNAL_ARMOR_OFFER_PREFIX = "webpt-offer:";
export const SIGNAL_ARMOR_ANSWER_PREFIX = "webpt-answer:";
/** Characters per line of armored output (mail-safe: under RFC 5322's 78). 0 writes one line. */
export const SIGNAL_ARMOR_LINE_LENGTH = 64;
/**
 * Longest pasted text accepted, whitespace included: the largest sealed
 * message in base64 (~23 300 characters) with room for wrapping, quoting
 * indentation and CRLFs.
 */
export const MAX_ARMORED_SIGNAL_CHARS = 64 * 1024;

const PREFIX: Readonly<Record<SignalKind, string>> = {
  offer: SIGNAL_ARMOR_OFFER_PREFIX,
  answer: SIGNAL_ARMOR_ANSWER_PREFIX,
};
const MAX_BYTES: Readonly<Record<SignalKind, number>> = {
  offer: MAX_SEALED_OFFER_BYTES,
  answer: MAX_SEALED_ANSWER_BYTES,
};

export interface ArmorOptions {
  /** Characters per base64 line (default SIGNAL_ARMOR_LINE_LENGTH); 0 puts prefix and data on one line. */
  readonly lineLength?: number;
}

/** The copy-paste text of a sealed offer or answer. */
export function armorSignal(kind: SignalKind, sealed: Uint8Array, options: ArmorOptions = {}): string {
  const width = options.lineLength ?? SIGNAL_ARMOR_LINE_LENGTH;
  if (!Number.isSafeInteger(width) || width < 0) throw new RangeError("lineLength must be a non-negative integer");
  const body = encodeBase64(sealed, "url", false);
  if (width === 0) return PREFIX[kind] + body;
  const lines: string[] = [PREFIX[kind]];
  for (let i = 0; i < body.length; i += width) lines.push(body.slice(i, i + width));
  return lines.join("\n");
}

/** Which kind a pasted text claims to be, or undefined (whitespace and case ignored as dearmorSignal does). */
export function signalKindOf(text: string): SignalKind | undefined {
  const head = text.slice(0, 256).replace(/\s+/g, "").toLowerCase();
  if (head.startsWith(SIGNAL_ARMOR_OFFER_PREFIX)) return "offer";
  if (head.startsWith(SIGNAL_ARMOR_ANSWER_PREFIX)) return "answer";
  return undefined;
}

/**
 * The sealed bytes of a pasted text of `kind`. Throws SignalingError
 * ERR_SIGNAL_ARMOR or SignalingLimitError ERR_SIGNAL_TOO_LARGE; the bytes
 * still have to be opened.
 */
export function dearmorSignal(kind: SignalKind, text: string): Uint8Array {
  if (typeof text !== "string") throw new TypeError("armored text must be a string");
  if (text.length > MAX_ARMORED_SIGNAL_CHARS) {
    throw new SignalingLimitError(
      "ERR_SIGNAL_TOO_LARGE",
      `pasted text has at most ${MAX_ARMORED_SIGNAL_CHARS} characters`,
      MAX_ARMORED_SIGNAL_CHARS,
    );
  }
  const compact = text.replace(/\s+/g, "");
  const prefix = PREFIX[kind];
  if (compact.slice(0, prefix.length).toLowerCase() !== prefix) {
    const other = signalKindOf(compact);
    const what = other === undefined ? "no webpt signaling prefix" : `this is an ${other}, not an ${kind}`;
    throw new SignalingError("ERR_SIGNAL_ARMOR", `${what} (expected ${prefix})`);
  }
  const bytes = decodeBase64(compact.slice(prefix.length), { alphabet: "url", padding: "optional", canonical: false });
  if (bytes === null) throw new SignalingError("ERR_SIGNAL_ARMOR", `the text after ${prefix} is not base64url`);
  const max = MAX_BYTES[kind];
  if (bytes.length > max) {
    throw new SignalingLimitError("ERR_SIGNAL_TOO_LARGE", `a sealed ${kind} has at most ${max} bytes`, max);
  }
  return bytes;
}
