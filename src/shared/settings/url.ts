/**
 * The URLs a transport's settings may carry, checked without the WHATWG `URL`
 * global (not in the runtime-neutral set) and stricter than it: a value either
 * is a plain RFC 3986 URL of the allowed shape or is refused with a reason.
 * Checking here, not at dial time, turns a typo into a SOCKS X'13' reply with
 * a pointer instead of a connection that fails later and less clearly.
 */
import { formatHost, parseHost, splitHostPort } from "../net/host-port.js";
import { type DomainNameOptions, parsePort } from "../net/host-name.js";

/** A checked URL in normalized form, or why it was refused. */
export type UrlCheck = { readonly ok: true; readonly url: string } | { readonly ok: false; readonly error: string };

const DEFAULT_PORTS: Readonly<Record<string, number>> = { ws: 80, wss: 443, http: 80, https: 443 };

// RFC 3986 §3.3 pchar = unreserved / pct-encoded / sub-delims / ":" / "@".
const PCHAR = "(?:[A-Za-z0-9\\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})";
const PATH_RE = new RegExp(`^(?:/${PCHAR}*)*$`);
// §3.4 query = *( pchar / "/" / "?" )
const QUERY_RE = new RegExp(`^(?:${PCHAR}|[/?])*$`);

function fail(error: string): UrlCheck {
  return { ok: false, error };
}

/**
 * Host names in URLs: RFC 1123 labels, but `-` at a label's edge is allowed
 * because browsers resolve such names; the last label must not be numeric
 * (WHATWG "ends in a number": the browser would read an IPv4 address).
 */
const URL_HOST_NAME: DomainNameOptions = { edgeHyphens: true };

/**
 * Parses `host[:port]` (host may be `[v6]`) with the shared splitter;
 * returns the canonical host (lower-case name, RFC 5952 IPv6 in brackets)
 * and port, or an error. The port is judged before the host.
 */
function parseAuthority(
  authority: string,
): { readonly host: string; readonly port: number | null } | { readonly error: string } {
  if (authority.includes("@")) return { error: "must not contain credentials (user@host)" };
  const parts = splitHostPort(authority);
  if ("problem" in parts) {
    if (parts.problem === "missing-bracket") return { error: "has an unterminated [IPv6] host" };
    if (parts.problem === "junk-after-bracket") return { error: "has junk after the [IPv6] host" };
    if (parts.field === "port") return { error: "has a bad port (want 1-65535)" };
    if (authority.startsWith("[")) return { error: "has a bad IPv6 host" };
    return { error: `has a bad host ${JSON.stringify(authority.slice(0, 64))}` };
  }
  let port: number | null = null;
  if (parts.port !== undefined) {
    port = parsePort(parts.port) ?? null;
    if (port === null) return { error: `has a bad port ${JSON.stringify(parts.port)} (want 1-65535)` };
  }
  const host = parseHost(parts.host, parts.bracketed, { allowDomain: true, domain: URL_HOST_NAME });
  if (host === undefined) {
    if (parts.bracketed) return { error: "has a bad IPv6 host" };
    return { error: `has a bad host ${JSON.stringify(parts.host.slice(0, 64))}` };
  }
  return { host: formatHost(host), port };
}

/**
 * An absolute hierarchical URL `scheme://host[:port]/path[?query]` whose
 * scheme is one of `schemes`. Refused: credentials (they would be sent in
 * clear to anything that logs URLs, and browsers drop them for WebSocket),
 * a fragment (never sent to the server, so it cannot be the secret), an empty
 * or root-only path (our servers hide behind a secret path), characters
 * outside RFC 3986 (non-ASCII must be percent-encoded). Normalized: lowercase
 * scheme and host, canonical IP text, default port dropped.
 */
export function checkHttpLikeUrl(text: string, schemes: readonly string[]): UrlCheck {
  const sep = text.indexOf("://");
  if (sep < 0) return fail(`must be a URL starting with ${schemes.map((s) => s + "://").join(" or ")}`);
  const scheme = text.slice(0, sep).toLowerCase();
  if (!schemes.includes(scheme)) return fail(`must use ${schemes.map((s) => s + ":").join(" or ")}, not ${scheme}:`);
  if (text.includes("#")) return fail("must not have a #fragment (it is never sent to the server)");
  const afterScheme = text.slice(sep + 3);
  let end = afterScheme.length;
  for (const c of ["/", "?"]) {
    const i = afterScheme.indexOf(c);
    if (i >= 0 && i < end) end = i;
  }
  const auth = parseAuthority(afterScheme.slice(0, end));
  if ("error" in auth) return fail(auth.error);
  const rest = afterScheme.slice(end);
  const q = rest.indexOf("?");
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? null : rest.slice(q + 1);
  if (path.length < 2) return fail("must include the server's secret path (e.g. wss://host/secret-path)");
  if (!PATH_RE.test(path)) return fail("has a character that is not allowed in a URL path (percent-encode it)");
  if (query !== null && !QUERY_RE.test(query)) return fail("has a character that is not allowed in a URL query");
  const port = auth.port === null || auth.port === DEFAULT_PORTS[scheme] ? "" : `:${auth.port}`;
  return { ok: true, url: `${scheme}://${auth.host}${port}${path}${query === null ? "" : "?" + query}` };
}

/**
 * An ICE server URL: RFC 7064 §3.1 `stun:host[:port]`, RFC 7065 §3.1
 * `turn:`/`turns:host[:port][?transport=udp|tcp]`. There is no `//` in these
 * URIs; browsers reject one. `stuns:` is left out: no browser implements it.
 * Normalized: lowercase scheme, host and transport.
 */
export function checkIceUrl(text: string): UrlCheck {
  const colon = text.indexOf(":");
  if (colon < 0) return fail("must be a stun:, turn: or turns: URL");
  const scheme = text.slice(0, colon).toLowerCase();
  if (scheme !== "stun" && scheme !== "turn" && scheme !== "turns") {
    return fail(`must use stun:, turn: or turns:, not ${scheme}:`);
  }
  let rest = text.slice(colon + 1);
  if (rest.startsWith("//")) return fail(`must be written ${scheme}:host[:port] without "//"`);
  let transport = "";
  const q = rest.indexOf("?");
  if (q >= 0) {
    const query = rest.slice(q + 1).toLowerCase();
    rest = rest.slice(0, q);
    if (scheme === "stun") return fail("a stun: URL takes no ?query");
    if (query !== "transport=udp" && query !== "transport=tcp") {
      return fail("the only query a turn: URL takes is ?transport=udp or ?transport=tcp");
    }
    transport = "?" + query;
  }
  if (rest === "") return fail("has no host");
  const auth = parseAuthority(rest);
  if ("error" in auth) return fail(auth.error);
  return { ok: true, url: `${scheme}:${auth.host}${auth.port === null ? "" : ":" + auth.port}${transport}` };
}
