/**
 * Share links: a bridge line (and an optional label) in a form a person can
 * copy, paste into the extension popup, or open as a link.
 *
 *     web+webpt://bridge/<data>
 *
 * Design (our own format; nothing deployed to interoperate with):
 * - The scheme is `web+webpt`, because browsers only let pages
 *   (`navigator.registerProtocolHandler`) and extensions (Firefox's
 *   `protocol_handlers`) claim schemes that start with `web+`. Scheme and the
 *   `bridge` authority are matched case-insensitively (RFC 3986 §3.1, §3.2.2)
 *   since chat apps and browsers may change their case.
 * - `<data>` is unpadded base64url (RFC 4648 §5) of a binary payload, so the
 *   link has no spaces, `=`, `+`, `/`, `?` or `#` to be mangled by chat apps,
 *   URL bars or line wrapping:
 *
 *       version (1 byte, 0x01)
 *       label length (1 byte, 0..MAX_SHARE_LABEL_BYTES) | label (UTF-8)
 *       bridge line (printable ASCII, the rest of the payload but the checksum)
 *       checksum (4 bytes): the first 4 bytes of SHA-256 of everything before it
 *
 *   The checksum catches a link cut short by a copy-paste, which would
 *   otherwise still decode to a plausible but wrong bridge line. Every future
 *   version keeps the trailing checksum, so damage is told apart from "made by
 *   a newer webpt".
 * - Base64url text is strict (canonical trailing bits, no padding), so a link
 *   has one spelling. The size is bounded by MAX_SHARE_LINK_LENGTH, checked
 *   before decoding.
 * - A label is shown to a person, so it may not hide anything: no control
 *   characters, no bidirectional overrides or isolates (which can make text
 *   read differently from what it is), no line separators, no lone
 *   surrogates, no leading or trailing whitespace. An empty label is no label.
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { utf8Decode, utf8Encode } from "../bytes/bytes.js";
import { decodeBase64, encodeBase64 } from "./base64.js";
import {
  formatBridgeLine,
  parseBridgeLine,
  trimAsciiSpace,
  type BridgeLine,
  type BridgeLineInit,
} from "./bridge-line.js";
import { ShareLinkError } from "./errors.js";
import {
  MAX_SHARE_LABEL_BYTES,
  MAX_SHARE_LINK_LENGTH,
  SHARE_LINK_OVERHEAD_BYTES,
  SHARE_LINK_PREFIX,
} from "./limits.js";

/** The payload format version this code writes (and the only one it reads). */
export const SHARE_LINK_VERSION = 1;
const CHECKSUM_BYTES = 4;

export interface ShareLink {
  readonly bridge: BridgeLine;
  readonly label: string | null;
}

// C0, DEL, C1; U+061C ALM, U+200E/F LRM/RLM, U+202A-E embeddings/overrides,
// U+2066-9 isolates; U+2028/9 line and paragraph separators; lone surrogates.
const FORBIDDEN_IN_LABEL =
  // eslint-disable-next-line no-control-regex -- matching control characters is the point
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\u2028\u2029]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Returns the label's UTF-8 bytes, or throws ERR_SHARE_LINK_LABEL saying what is wrong with it. */
function labelBytes(label: string): Uint8Array {
  const bad = FORBIDDEN_IN_LABEL.exec(label);
  if (bad) {
    const cp = bad[0].charCodeAt(0).toString(16).toUpperCase().padStart(4, "0");
    throw new ShareLinkError("ERR_SHARE_LINK_LABEL", `the label contains a forbidden character (U+${cp})`);
  }
  if (label.trim() !== label) {
    throw new ShareLinkError("ERR_SHARE_LINK_LABEL", "the label starts or ends with whitespace");
  }
  const bytes = utf8Encode(label);
  if (bytes.length > MAX_SHARE_LABEL_BYTES) {
    throw new ShareLinkError("ERR_SHARE_LINK_LABEL", `the label is longer than ${MAX_SHARE_LABEL_BYTES} UTF-8 bytes`);
  }
  return bytes;
}

function checksum(bytes: Uint8Array): Uint8Array {
  return sha256(bytes).subarray(0, CHECKSUM_BYTES);
}

/**
 * Makes a share link for a bridge line (text, which is canonicalized, or
 * fields) and an optional label. Bad input throws the parser's errors
 * (BridgeLineError for the line, ShareLinkError for the label).
 */
export function formatShareLink(bridge: string | BridgeLineInit, label: string | null = null): string {
  const parsed = typeof bridge === "string" ? parseBridgeLine(bridge) : bridge;
  const line = utf8Encode(formatBridgeLine(parsed));
  const lbl = label === null || label === "" ? new Uint8Array(0) : labelBytes(label);
  const payload = new Uint8Array(SHARE_LINK_OVERHEAD_BYTES + lbl.length + line.length);
  payload[0] = SHARE_LINK_VERSION;
  payload[1] = lbl.length;
  payload.set(lbl, 2);
  payload.set(line, 2 + lbl.length);
  const body = payload.subarray(0, payload.length - CHECKSUM_BYTES);
  payload.set(checksum(body), body.length);
  const link = SHARE_LINK_PREFIX + encodeBase64(payload, "url", false);
  // Cannot happen while the limits are consistent (MAX_SHARE_LINK_LENGTH is
  // derived from them); checked so that a change to them fails loudly.
  if (link.length > MAX_SHARE_LINK_LENGTH) {
    throw new ShareLinkError("ERR_SHARE_LINK_TOO_LONG", `share link would exceed ${MAX_SHARE_LINK_LENGTH} characters`);
  }
  return link;
}

/** Whether `text` (after trimming) starts like a share link, so a paste box can choose a parser. */
export function looksLikeShareLink(text: string): boolean {
  const t = trimAsciiSpace(text);
  return t.slice(0, "web+webpt:".length).toLowerCase() === "web+webpt:";
}

/** Parses a share link; surrounding whitespace (a pasted newline) is ignored. */
export function parseShareLink(text: string): ShareLink {
  if (typeof text !== "string") throw new ShareLinkError("ERR_SHARE_LINK_MALFORMED", "a share link must be a string");
  if (text.length > 2 * MAX_SHARE_LINK_LENGTH) {
    throw new ShareLinkError(
      "ERR_SHARE_LINK_TOO_LONG",
      `share link is longer than ${MAX_SHARE_LINK_LENGTH} characters`,
    );
  }
  const link = trimAsciiSpace(text);
  if (link.length > MAX_SHARE_LINK_LENGTH) {
    throw new ShareLinkError(
      "ERR_SHARE_LINK_TOO_LONG",
      `share link is longer than ${MAX_SHARE_LINK_LENGTH} characters`,
    );
  }
  if (link.slice(0, SHARE_LINK_PREFIX.length).toLowerCase() !== SHARE_LINK_PREFIX) {
    throw new ShareLinkError("ERR_SHARE_LINK_SCHEME", `not a webpt share link (one starts with ${SHARE_LINK_PREFIX})`);
  }
  const data = link.slice(SHARE_LINK_PREFIX.length);
  if (!/^[A-Za-z0-9_-]+$/.test(data)) {
    throw new ShareLinkError(
      "ERR_SHARE_LINK_MALFORMED",
      data === ""
        ? "the share link has no data after the prefix"
        : "the share link has characters that base64url lacks",
    );
  }
  const payload = decodeBase64(data, { alphabet: "url", padding: "forbidden", canonical: true });
  if (!payload) throw new ShareLinkError("ERR_SHARE_LINK_ENCODING", "the share link data is not canonical base64url");
  if (payload.length < SHARE_LINK_OVERHEAD_BYTES) {
    throw new ShareLinkError("ERR_SHARE_LINK_MALFORMED", "the share link is too short to hold a bridge");
  }
  const body = payload.subarray(0, payload.length - CHECKSUM_BYTES);
  const sum = checksum(body);
  if (!sum.every((b, i) => b === payload[body.length + i])) {
    throw new ShareLinkError("ERR_SHARE_LINK_CHECKSUM", "the share link is damaged or cut short (checksum mismatch)");
  }
  if (body[0] !== SHARE_LINK_VERSION) {
    throw new ShareLinkError(
      "ERR_SHARE_LINK_VERSION",
      `share link format ${body[0]} is not supported (this webpt reads format ${SHARE_LINK_VERSION}; update webpt)`,
    );
  }
  const labelLength = body[1]!;
  if (labelLength > MAX_SHARE_LABEL_BYTES || 2 + labelLength > body.length) {
    throw new ShareLinkError("ERR_SHARE_LINK_MALFORMED", "the share link's label length is out of range");
  }
  let label: string | null = null;
  if (labelLength > 0) {
    try {
      label = utf8Decode(body.subarray(2, 2 + labelLength));
    } catch (e) {
      throw new ShareLinkError("ERR_SHARE_LINK_LABEL", "the label is not valid UTF-8", { cause: e });
    }
    labelBytes(label);
  }
  // The line is ASCII by construction; an invalid byte fails parseBridgeLine's character check.
  let line = "";
  for (const b of body.subarray(2 + labelLength)) line += String.fromCharCode(b);
  try {
    return { bridge: parseBridgeLine(line), label };
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    throw new ShareLinkError("ERR_SHARE_LINK_BRIDGE", `the share link holds a bad bridge line: ${message}`, {
      cause: e,
    });
  }
}

/**
 * What the popup's paste box accepts: a share link, or a bridge line with or
 * without the `Bridge` keyword. Throws ShareLinkError or BridgeLineError.
 */
export function parseBridgeInput(text: string): ShareLink {
  if (typeof text === "string" && looksLikeShareLink(text)) return parseShareLink(text);
  return { bridge: parseBridgeLine(text), label: null };
}
