import { hmac } from "@noble/hashes/hmac.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { randomBytes as nobleRandomBytes } from "@noble/hashes/utils.js";
import { bytesEqual, concatBytes, utf8Encode } from "../../bytes/bytes.js";
import { ExtOrCookieFileError, ExtOrErrorCode } from "./errors.js";

/**
 * SAFE_COOKIE authentication for the Extended ORPort
 * (tor-ext-orport-spec.txt §2.1, proposal 217): the cookie file format and
 * the two HMAC-SHA256 hashes. The state machines live in client.ts and
 * server.ts; this file is the pure arithmetic they share.
 */

/** AuthType value of SAFE_COOKIE (§2.1), the only type defined. */
export const EXTOR_AUTH_SAFE_COOKIE = 1;
/** Terminates the server's AuthTypes list (§2 "EndAuthTypes"). */
export const EXTOR_AUTH_END = 0;
/** Status byte after the ClientHash (§2.1.3). */
export const EXTOR_AUTH_STATUS_SUCCESS = 1;
export const EXTOR_AUTH_STATUS_FAILURE = 0;

/** StaticHeader of the cookie file (§2.1.2): 31 ASCII characters and a newline. */
export const EXTOR_COOKIE_HEADER: Uint8Array = utf8Encode("! Extended ORPort Auth Cookie !\x0a");
/** Length of the CookieString, the HMAC key (§2.1.2). */
export const EXTOR_COOKIE_LENGTH = 32;
/** The cookie file is exactly header + cookie; anything else is an error (CONFORMANCE, goptlib readAuthCookie). */
export const EXTOR_COOKIE_FILE_LENGTH = EXTOR_COOKIE_HEADER.length + EXTOR_COOKIE_LENGTH;
/** ClientNonce and ServerNonce are 32 random octets each (§2.1.3). */
export const EXTOR_NONCE_LENGTH = 32;
/** ServerHash and ClientHash are HMAC-SHA256 outputs (§2.1.3). */
export const EXTOR_HASH_LENGTH = 32;

/**
 * Deadline for the whole ExtORPort exchange (authentication through OKAY or
 * DENY), in milliseconds. The codecs have no clock: the adapter arms this
 * timer when it dials (or accepts) and closes the connection with a
 * TimeoutError when it fires. 5 s is goptlib's DialOr deadline (CONFORMANCE).
 */
export const EXTOR_HANDSHAKE_TIMEOUT_MS = 5000;

/** A source of random bytes (injectable for known-answer tests). */
export type RandomBytes = (length: number) => Uint8Array;

/** The default nonce source: the platform CSPRNG through @noble/hashes (crypto.getRandomValues). */
export const defaultRandomBytes: RandomBytes = (length) => nobleRandomBytes(length);

const SERVER_TO_CLIENT = utf8Encode("ExtORPort authentication server-to-client hash");
const CLIENT_TO_SERVER = utf8Encode("ExtORPort authentication client-to-server hash");

/**
 * Returns the 32-byte cookie from the contents of TOR_PT_AUTH_COOKIE_FILE
 * (§2.1.2). The file must be exactly 64 bytes and start with the static
 * header; "clients MUST make sure that the StaticHeader is present". Returns
 * a copy, so the caller may wipe the file buffer.
 */
export function parseAuthCookieFile(file: Uint8Array): Uint8Array {
  if (!(file instanceof Uint8Array)) throw new TypeError("the cookie file must be a Uint8Array");
  if (file.length !== EXTOR_COOKIE_FILE_LENGTH) {
    throw new ExtOrCookieFileError(
      ExtOrErrorCode.COOKIE_FILE_SIZE,
      `the ExtORPort auth cookie file is ${file.length} bytes; it must be exactly ${EXTOR_COOKIE_FILE_LENGTH}`,
    );
  }
  if (!bytesEqual(file.subarray(0, EXTOR_COOKIE_HEADER.length), EXTOR_COOKIE_HEADER)) {
    throw new ExtOrCookieFileError(
      ExtOrErrorCode.COOKIE_FILE_HEADER,
      "the ExtORPort auth cookie file lacks the header '! Extended ORPort Auth Cookie !\\n'",
    );
  }
  return file.slice(EXTOR_COOKIE_HEADER.length);
}

/** The 64-byte cookie file for `cookie` (what a bridge writes; the server role and tests need it). */
export function encodeAuthCookieFile(cookie: Uint8Array): Uint8Array {
  checkLength("cookie", cookie, EXTOR_COOKIE_LENGTH);
  return concatBytes(EXTOR_COOKIE_HEADER, cookie);
}

/**
 * ServerHash = HMAC-SHA256(CookieString, "ExtORPort authentication
 * server-to-client hash" | ClientNonce | ServerNonce) (§2.1.3): the key is the
 * cookie, the message the constant followed by both nonces.
 */
export function computeServerHash(cookie: Uint8Array, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  return safeCookieHash(SERVER_TO_CLIENT, cookie, clientNonce, serverNonce);
}

/** ClientHash: as computeServerHash with the "client-to-server" constant (§2.1.3). */
export function computeClientHash(cookie: Uint8Array, clientNonce: Uint8Array, serverNonce: Uint8Array): Uint8Array {
  return safeCookieHash(CLIENT_TO_SERVER, cookie, clientNonce, serverNonce);
}

function safeCookieHash(
  label: Uint8Array,
  cookie: Uint8Array,
  clientNonce: Uint8Array,
  serverNonce: Uint8Array,
): Uint8Array {
  checkLength("cookie", cookie, EXTOR_COOKIE_LENGTH);
  checkLength("client nonce", clientNonce, EXTOR_NONCE_LENGTH);
  checkLength("server nonce", serverNonce, EXTOR_NONCE_LENGTH);
  return hmac.create(sha256, cookie).update(label).update(clientNonce).update(serverNonce).digest();
}

/** Draws a nonce and checks that an injected source kept its promise. */
export function drawNonce(random: RandomBytes): Uint8Array {
  const nonce = random(EXTOR_NONCE_LENGTH);
  checkLength("random nonce", nonce, EXTOR_NONCE_LENGTH);
  return nonce;
}

/** Argument checks: TypeError for a wrong type, RangeError for a wrong size (programmer errors). */
export function checkLength(what: string, b: unknown, length: number): asserts b is Uint8Array {
  if (!(b instanceof Uint8Array)) throw new TypeError(`${what} must be a Uint8Array`);
  if (b.length !== length) throw new RangeError(`${what} must be ${length} bytes, got ${b.length}`);
}
