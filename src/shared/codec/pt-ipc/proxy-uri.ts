/**
 * TOR_PT_PROXY / `-proxy` (pt-spec 1.0 §3.2.2, 2.0 §3.3.1.2, tor proposal
 * 232): `<proxy_type>://[<user_name>[:<password>]@]<ip>:<port>`.
 *
 * We accept exactly the proxies tor can be configured with and hand to a PT:
 * `socks4a` (Socks4Proxy; SOCKS4 has a user id but no password), `socks5`
 * (Socks5Proxy, with RFC 1929 username+password or none) and `http`
 * (HTTPSProxy: an HTTP CONNECT proxy, optionally with Basic credentials).
 * The host must be an IP literal (tor writes `fmt_addrport`, and 2.0 says
 * `<ip>:<port>`), the port must be present and non-zero, and nothing may
 * follow the authority but an optional `/`. Userinfo is percent-decoded
 * (RFC 3986 §3.2.1). Anything else is a PROXY-ERROR (exit 69), raised by the
 * config parser from the {@link ProxyUriError} thrown here. Error messages
 * never quote the URI or its credentials: they end up in tor's log.
 */
import { WebptError } from "../../errors.js";
import { utf8Encode } from "../../bytes/index.js";
import { AddressError, type HostPort, formatHostPort, quote } from "../../net/host-port.js";
import { parsePtAddress } from "./address.js";

export type UpstreamProxyScheme = "socks4a" | "socks5" | "http";

export interface UpstreamProxy {
  readonly scheme: UpstreamProxyScheme;
  readonly address: HostPort;
  /** SOCKS4a user id, SOCKS5 / HTTP user name (percent-decoded). */
  readonly username: string | undefined;
  /** SOCKS5 / HTTP password (percent-decoded); never set for socks4a. */
  readonly password: string | undefined;
}

/** RFC 1929 §2: UNAME and PASSWD are 1–255 bytes; we hold SOCKS4a user ids and HTTP credentials to the same. */
export const MAX_PROXY_CREDENTIAL_BYTES = 255;

export class ProxyUriError extends WebptError {
  override name = "ProxyUriError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_PT_PROXY_URI", message, options);
  }
}

const SCHEMES: readonly UpstreamProxyScheme[] = ["socks4a", "socks5", "http"];

/** Parses and validates an upstream proxy URI. Throws {@link ProxyUriError}. */
export function parseProxyUri(uri: string): UpstreamProxy {
  const m = /^([A-Za-z][A-Za-z0-9+.-]*):\/\/(.*)$/s.exec(uri);
  if (m === null) throw new ProxyUriError("proxy URI has no <scheme>://");
  const scheme = m[1]!.toLowerCase();
  if (!(SCHEMES as readonly string[]).includes(scheme)) {
    throw new ProxyUriError(`proxy scheme ${quote(scheme)} is not supported (socks4a, socks5, http)`);
  }
  const afterScheme = m[2]!;
  const authorityEnd = afterScheme.search(/[/?#]/);
  const authority = authorityEnd < 0 ? afterScheme : afterScheme.slice(0, authorityEnd);
  const tail = authorityEnd < 0 ? "" : afterScheme.slice(authorityEnd);
  if (tail !== "" && tail !== "/") throw new ProxyUriError("proxy URI has a path, query or fragment");

  const at = authority.lastIndexOf("@");
  const userinfo = at < 0 ? "" : authority.slice(0, at);
  const hostport = at < 0 ? authority : authority.slice(at + 1);
  let address: HostPort;
  try {
    address = parsePtAddress(hostport);
  } catch (e) {
    if (!(e instanceof AddressError)) throw e;
    throw new ProxyUriError(`proxy address must be <ip>:<port>: ${e.message}`, { cause: e });
  }

  const colon = userinfo.indexOf(":");
  const username = userinfo === "" ? undefined : percentDecode(colon < 0 ? userinfo : userinfo.slice(0, colon));
  const password = colon < 0 ? undefined : percentDecode(userinfo.slice(colon + 1));
  return validateCredentials(scheme as UpstreamProxyScheme, address, username, password);
}

function validateCredentials(
  scheme: UpstreamProxyScheme,
  address: HostPort,
  username: string | undefined,
  password: string | undefined,
): UpstreamProxy {
  for (const [what, v] of [
    ["user name", username],
    ["password", password],
  ] as const) {
    if (v !== undefined && utf8Encode(v).length > MAX_PROXY_CREDENTIAL_BYTES) {
      throw new ProxyUriError(`proxy ${what} is longer than ${MAX_PROXY_CREDENTIAL_BYTES} bytes`);
    }
  }
  if (scheme === "socks4a" && password !== undefined) {
    throw new ProxyUriError("socks4a proxies carry no password (SOCKS4 has only a user id)");
  }
  if (scheme === "socks5" && (username !== undefined || password !== undefined)) {
    // RFC 1929 needs both fields, each at least one byte long.
    if (username === undefined || username === "" || password === undefined || password === "") {
      throw new ProxyUriError("socks5 proxy credentials need a non-empty user name and password (RFC 1929)");
    }
  }
  return { scheme, address, username, password };
}

/** RFC 3986 §2.1 percent-decoding to UTF-8; a bad escape or bad UTF-8 is an error. */
function percentDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch (e) {
    throw new ProxyUriError(`bad percent-encoding in proxy credentials`, { cause: e });
  }
}

/** Formats a proxy back into URI form (credentials percent-encoded), e.g. for a child PT's environment. */
export function formatProxyUri(proxy: UpstreamProxy): string {
  const user = proxy.username === undefined ? "" : encodeURIComponent(proxy.username);
  const pass = proxy.password === undefined ? "" : `:${encodeURIComponent(proxy.password)}`;
  const userinfo = proxy.username === undefined && proxy.password === undefined ? "" : `${user}${pass}@`;
  return `${proxy.scheme}://${userinfo}${formatHostPort(proxy.address)}`;
}
