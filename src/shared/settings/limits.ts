/**
 * Named limits of the settings module. Every one is checked before the work it
 * bounds, so hostile input costs at most these many keys, characters or bytes.
 * The SOCKS decoder bounds the 0x09 block as a whole (X'10'); these bound what
 * is inside it and what the extension accepts from a paste or a link.
 */

/**
 * Most keys one settings input may carry, known or not (an args record, a JSON
 * object, a stored object, or the k=v arguments of a bridge line). Our widest
 * transport (webrtc) defines 8 keys; 16 leaves room for keys other PTs ignore.
 */
export const MAX_SETTINGS_KEYS = 16;

/**
 * Longest string value, in UTF-16 code units (so at least as strict as the
 * schema's `maxLength`, which counts code points). A URL with a secret path,
 * a comma-separated list of ICE URLs or a TURN credential fits comfortably.
 */
export const MAX_SETTINGS_VALUE_LENGTH = 1024;

/** Most ICE server URLs (`ice`), however they are given: a list, commas, or a repeated key. */
export const MAX_ICE_URLS = 8;

/**
 * Most values one key may have in a PT 1.0 args record (`Record<string, string[]>`):
 * only list-valued keys (`ice`) may repeat at all.
 */
export const MAX_SETTINGS_VALUES_PER_KEY = MAX_ICE_URLS;

/**
 * Longest bridge line, in characters (bridge lines are printable ASCII, so this
 * is also bytes). Deployed lines are 100–600 characters (snowflake's, with its
 * ICE list, is the longest); four KiB is far beyond any real one.
 */
export const MAX_BRIDGE_LINE_LENGTH = 4096;

/** Most `k=v` arguments on one bridge line (the same budget as settings keys). */
export const MAX_BRIDGE_ARGS = MAX_SETTINGS_KEYS;

/** Longest share-link label, in UTF-8 bytes (its length travels in one byte). */
export const MAX_SHARE_LABEL_BYTES = 128;

/** The prefix of every share link; the scheme is `web+…` so that browsers let a page or extension handle it. */
export const SHARE_LINK_PREFIX = "web+webpt://bridge/";

/** Share-link payload overhead: version byte, label length byte, 4-byte checksum. */
export const SHARE_LINK_OVERHEAD_BYTES = 1 + 1 + 4;

/**
 * Longest share link, in characters: the prefix plus the unpadded base64url of
 * the largest payload (a maximal label and a maximal bridge line). Longer input
 * is rejected before any decoding.
 */
export const MAX_SHARE_LINK_LENGTH =
  SHARE_LINK_PREFIX.length +
  Math.ceil(((SHARE_LINK_OVERHEAD_BYTES + MAX_SHARE_LABEL_BYTES + MAX_BRIDGE_LINE_LENGTH) * 4) / 3);
