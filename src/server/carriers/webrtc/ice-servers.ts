/**
 * STUN/TURN URLs (RFC 7064 `stun:host[:port]`, RFC 7065
 * `turn[s]:host[:port][?transport=udp|tcp]`) in the forms each engine takes:
 * node-datachannel wants `{ hostname, port, username, password, relayType }`
 * objects for TURN, werift W3C RTCIceServer dictionaries. URLs are checked
 * and normalised by the settings code (checkIceUrl) first, so a bad operator
 * option and a bad client setting fail with the same words.
 */
import { checkIceUrl } from "../../../shared/settings/url.js";
import { WebRtcConfigError } from "./errors.js";

/** RFC 7064 §3.1 / RFC 7065 §3.1 default ports. */
export const STUN_DEFAULT_PORT = 3478;
export const STUNS_DEFAULT_PORT = 5349;

export interface IceServerUrl {
  readonly scheme: "stun" | "turn" | "turns";
  /** Host name or IP; an IPv6 address without brackets. */
  readonly host: string;
  readonly port: number;
  /** TURN's ?transport= (RFC 7065 §3.1); undefined when not given. */
  readonly transport: "udp" | "tcp" | undefined;
  /** The normalised URL. */
  readonly url: string;
}

/** Parses one ICE server URL; throws WebRtcConfigError ERR_RTC_ICE_URL. */
export function parseIceServerUrl(text: string): IceServerUrl {
  const check = checkIceUrl(text.trim());
  if (!check.ok) throw new WebRtcConfigError("ERR_RTC_ICE_URL", `ICE server ${JSON.stringify(text)}: ${check.error}`);
  const url = check.url;
  const colon = url.indexOf(":");
  const scheme = url.slice(0, colon) as IceServerUrl["scheme"];
  let rest = url.slice(colon + 1);
  let transport: IceServerUrl["transport"];
  const q = rest.indexOf("?");
  if (q >= 0) {
    transport = rest.slice(q).endsWith("=tcp") ? "tcp" : "udp";
    rest = rest.slice(0, q);
  }
  let host: string;
  let portText: string | undefined;
  if (rest.startsWith("[")) {
    const end = rest.indexOf("]");
    host = rest.slice(1, end);
    portText = rest[end + 1] === ":" ? rest.slice(end + 2) : undefined;
  } else {
    const c = rest.lastIndexOf(":");
    host = c < 0 ? rest : rest.slice(0, c);
    portText = c < 0 ? undefined : rest.slice(c + 1);
  }
  const port =
    portText === undefined ? (scheme === "turns" ? STUNS_DEFAULT_PORT : STUN_DEFAULT_PORT) : Number(portText);
  return { scheme, host, port, transport, url };
}

/** What node-datachannel's RtcConfig.iceServers takes. */
export type NdcIceServer =
  | { hostname: string; port: number }
  | {
      hostname: string;
      port: number;
      username: string;
      password: string;
      relayType: "TurnUdp" | "TurnTcp" | "TurnTls";
    };

/** A TURN URL without credentials cannot be used (W3C §4.4.1.1 InvalidAccessError); we fail the same way. */
function credentialsFor(
  u: IceServerUrl,
  username?: string,
  credential?: string,
): { username: string; password: string } {
  if (username === undefined || credential === undefined) {
    throw new WebRtcConfigError("ERR_RTC_ICE_URL", `${u.url} needs ice-username and ice-credential`);
  }
  return { username, password: credential };
}

export function ndcIceServers(urls: readonly string[], username?: string, credential?: string): NdcIceServer[] {
  return urls.map((text) => {
    const u = parseIceServerUrl(text);
    if (u.scheme === "stun") return { hostname: u.host, port: u.port };
    const relayType = u.scheme === "turns" ? "TurnTls" : u.transport === "tcp" ? "TurnTcp" : "TurnUdp";
    return { hostname: u.host, port: u.port, ...credentialsFor(u, username, credential), relayType };
  });
}

/** W3C RTCIceServer dictionaries (werift, browsers). */
export function w3cIceServers(
  urls: readonly string[],
  username?: string,
  credential?: string,
): { urls: string; username?: string; credential?: string }[] {
  return urls.map((text) => {
    const u = parseIceServerUrl(text);
    if (u.scheme === "stun") return { urls: u.url };
    const c = credentialsFor(u, username, credential);
    return { urls: u.url, username: c.username, credential: c.password };
  });
}
