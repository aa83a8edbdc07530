/**
 * Wire constants, limits and deadlines for SOCKS4/4a (the "SOCKS 4" and
 * "SOCKS 4A" protocol notes), SOCKS5 (RFC 1928), RFC 1929 username/password
 * and the PT per-connection argument methods (tor-pt-spec.txt §3.5; seed 001,
 * Dispatcher IPC 2.1 §1.4).
 */

export const SOCKS4_VERSION = 0x04;
export const SOCKS5_VERSION = 0x05;
/** RFC 1929 §2: the username/password sub-negotiation has its own version byte. */
export const RFC1929_VERSION = 0x01;
/** SOCKS4 §"CONNECT": the reply's VN field is the reply-code version 0, not 4. */
export const SOCKS4_REPLY_VERSION = 0x00;

/** RFC 1928 §3 METHOD values, plus the IANA-assigned 0x09 of PT 2.1 §1.4. */
export const AuthMethod = {
  NO_AUTH: 0x00,
  USERNAME_PASSWORD: 0x02,
  /** "JSON Parameter Block": 4-byte big-endian length + UTF-8 JSON object, no sub-negotiation reply. */
  JSON_PARAMETER_BLOCK: 0x09,
  NO_ACCEPTABLE: 0xff,
} as const;

/**
 * CONFORMANCE "Per-connection args": when a client offers several methods
 * the server picks the first of these it accepts. 0x09 carries typed
 * settings, 0x02 carries PT 1.0 `k=v` args, 0x00 carries none.
 */
export const METHOD_PREFERENCE: readonly number[] = [
  AuthMethod.JSON_PARAMETER_BLOCK,
  AuthMethod.USERNAME_PASSWORD,
  AuthMethod.NO_AUTH,
];

/** RFC 1928 §4 CMD (SOCKS4 uses the same numbers for CONNECT and BIND). */
export const SocksCommand = {
  CONNECT: 0x01,
  BIND: 0x02,
  UDP_ASSOCIATE: 0x03,
} as const;

/** RFC 1928 §5 ATYP. */
export const AddressType = {
  IPV4: 0x01,
  DOMAIN: 0x03,
  IPV6: 0x04,
} as const;

/** RFC 1928 §6 REP values, and PT 2.1 §1.4's X'10'–X'13' settings errors. */
export const Socks5Reply = {
  SUCCEEDED: 0x00,
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
  /** X'10' connection settings size too large (sent at once: the rest of the stream is unreadable). */
  SETTINGS_TOO_LARGE: 0x10,
  /** X'11' timeout reading connection settings (sent at once when the adapter's timer fires). */
  SETTINGS_TIMEOUT: 0x11,
  /** X'12' error parsing connection settings (sent after the CONNECT request). */
  SETTINGS_PARSE_ERROR: 0x12,
  /** X'13' invalid or missing keys or values (sent after the CONNECT request). */
  SETTINGS_INVALID: 0x13,
} as const;

/** SOCKS4 reply CD values. */
export const Socks4Reply = {
  GRANTED: 0x5a,
  REJECTED: 0x5b,
  /** Rejected because the SOCKS server cannot connect to identd on the client. */
  NO_IDENTD: 0x5c,
  /** Rejected because identd reported a different user-id. */
  IDENTD_MISMATCH: 0x5d,
} as const;

/** RFC 1929 §2 STATUS: X'00' is success; any other value is failure (we send X'01'). */
export const RFC1929_SUCCESS = 0x00;
export const RFC1929_FAILURE = 0x01;

/** RFC 1929 §2 and RFC 1928 §5: one-byte length fields hold at most 255. */
export const MAX_SOCKS_FIELD_BYTES = 255;

/**
 * tor-pt-spec.txt §3.5: PT 1.0 args travel in UNAME then PASSWD, so at most
 * 2 × 255 bytes; tor refuses longer bridge-line args for the same reason
 * (MAX_SOCKS5_AUTH_SIZE_TOTAL).
 */
export const MAX_PT_ARGS_BYTES = 2 * MAX_SOCKS_FIELD_BYTES;

/**
 * SOCKS4's USERID is NUL-terminated with no length field; tor puts the same
 * PT 1.0 arg string there, so the same cap as RFC 1929 applies.
 */
export const MAX_SOCKS4_USERID_BYTES = MAX_PT_ARGS_BYTES;

/**
 * The largest single SOCKS message (other than a JSON parameter block) a
 * handshake buffers before giving up. Every message fits: an RFC 1929
 * request is at most 513 bytes, a SOCKS5 request 262, a SOCKS4a request
 * 8 + 511 + 256 = 775.
 */
export const MAX_SOCKS_REQUEST_BYTES = 1024;

/**
 * Default cap on a 0x09 JSON parameter block's announced length (PT 2.1
 * §1.4 lets an implementation choose; a larger length gets X'10' at once).
 * Real transport settings (obfs4's cert, snowflake's ICE list) are well
 * under 2 KiB; 16 KiB leaves ample room while bounding per-connection memory.
 */
export const MAX_JSON_PARAM_BYTES = 16 * 1024;

/** The 4-byte big-endian length prefix of a 0x09 parameter block. */
export const JSON_PARAM_LENGTH_BYTES = 4;

/**
 * How long the adapter waits for a complete 0x09 parameter block, counted
 * from writing the `05 09` method selection (PT 2.1 §1.4: "an
 * implementation-dependent timeout"). On expiry it asks the handshake for the
 * X'11' reply (`SocksServerHandshake.settingsTimedOut()`). The block comes
 * from a local parent over loopback, so 5 s is generous; it is the same
 * figure goptlib uses for a whole SOCKS request.
 */
export const JSON_PARAM_TIMEOUT_MS = 5_000;

/**
 * How long an adapter gives a client to finish the whole SOCKS handshake
 * (greeting to CONNECT request) before closing without a reply. Longer than
 * JSON_PARAM_TIMEOUT_MS so the X'11' reply can still be sent first.
 */
export const SOCKS_HANDSHAKE_TIMEOUT_MS = 10_000;
