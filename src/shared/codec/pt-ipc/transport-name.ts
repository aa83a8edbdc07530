/**
 * Transport names, one rule for every place that reads or writes them:
 * pt-spec 1.0 §3.1 ("a C identifier"), the CMETHOD/SMETHOD lines (§3.3),
 * the ExtORPort TRANSPORT command (tor-ext-orport-spec §3.2.2) and bridge
 * lines. Tor checks all of them with string_is_C_identifier and refuses
 * (or closes the connection on) anything else.
 */

/** A C identifier: a letter or `_`, then letters, digits and `_`; ASCII only. */
export const TRANSPORT_NAME_RE = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** True when `name` can name a pluggable transport on the wire (a C identifier). */
export function isPtTransportName(name: string): boolean {
  return TRANSPORT_NAME_RE.test(name);
}
