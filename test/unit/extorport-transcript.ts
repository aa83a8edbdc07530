// The SAFE_COOKIE known-answer exchange both ExtORPort handshake suites
// replay (the client side reads BRIDGE_BYTES, the server side PT_BYTES):
// cookie = client nonce = server nonce = 00*32, as in goptlib's pt_test.go.
import { concatBytes, fromHex, utf8Encode } from "../../src/shared/bytes/bytes.js";

export const h = (s: string): Uint8Array => fromHex(s);
export const ZERO32 = new Uint8Array(32);
export const zeros = (n: number): Uint8Array => new Uint8Array(n);
/** Deterministic nonces: all-zero, as in the known-answer test. */
export const zeroRandom = (n: number): Uint8Array => new Uint8Array(n);

// Known answers for cookie = client nonce = server nonce = 00*32 (goptlib pt_test.go).
export const SERVER_HASH = "9e221919982a84f75faf60ef926949796268c97833e06960ff265369a90fd6d8";
export const CLIENT_HASH = "0f368b1bee24aabc54a9114ce06c070f3ed99d0d368f599ccc6dfdc8bf457a62";

/** Bridge → PT, the whole exchange with zero nonces, then OKAY and 4 bytes of OR traffic. */
export const BRIDGE_BYTES = concatBytes(
  h("01 00"), // AuthTypes: SAFE_COOKIE, EndAuthTypes
  h(SERVER_HASH), // ServerHash
  zeros(32), // ServerNonce
  h("01"), // Status: success
  h("1000 0000"), // OKAY, empty body
  utf8Encode("cell"), // first bytes of the relayed OR stream
);
/** PT → bridge for the same exchange with USERADDR 1.2.3.4:5678 and TRANSPORT alpha. */
export const PT_BYTES = concatBytes(
  h("01"), // AuthType: SAFE_COOKIE
  zeros(32), // ClientNonce
  h(CLIENT_HASH), // ClientHash
  h("0001 000c"), // USERADDR, 12 bytes
  utf8Encode("1.2.3.4:5678"),
  h("0002 0005 616c706861"), // TRANSPORT alpha
  h("0000 0000"), // DONE
);

/** AuthType + ClientNonce + ClientHash. */
export const AUTH_LEN = 1 + 32 + 32;

/** The error `fn` throws, or undefined; for asserting on fields after the call. */
export function errorOf(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}
