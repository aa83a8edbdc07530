/**
 * Command-line flags for the UDP proxy modes (seed 000 §3.3.5.2: "In the UDP
 * use case, per-connection configuration information is specified globally
 * with command line flags"; §3.3.5.6: one mode per server, chosen by its
 * configuration). They are extra flags for the pt-ipc config parser
 * (`parseClientConfig(env, argv, { extraFlags: UDP_CLIENT_FLAGS })`), parsed
 * with Go `flag` syntax like the PT flags, and read back from
 * `config.extraFlags` here.
 *
 *   webpt client -transports obfs4 -udp transparent -udp-listen 127.0.0.1:1194 \
 *                -udp-bridge 'obfs4 192.0.2.1:443 cert=… iat-mode=0'
 *     → CMETHOD obfs4 transparent-UDP 127.0.0.1:1194
 *   webpt server -transports obfs4 -bindaddr obfs4-0.0.0.0:443 -orport 127.0.0.1:9 \
 *                -udp transparent -udp-target 127.0.0.1:1194
 *
 * A bad value is an ENV-ERROR (exit 64), like every other configuration error.
 */
import type { HostPort } from "../../shared/net/index.js";
import { parseHostPort } from "../../shared/net/index.js";
import { IpcError, IpcErrorCode, type ExtraFlags, type PtVersion } from "../../shared/codec/pt-ipc/index.js";
import { MAX_UDP_POOL_ENTRIES, type UdpFramingMode } from "../../shared/udp/index.js";

/** Longest idle timeout a flag may set: one day. */
export const MAX_UDP_IDLE_TIMEOUT_MS = 86_400_000;

export const UDP_CLIENT_FLAGS: ExtraFlags = {
  udp: "value",
  "udp-listen": "value",
  "udp-bridge": "value",
  "udp-idle-timeout": "value",
  "udp-max-flows": "value",
};

export const UDP_SERVER_FLAGS: ExtraFlags = {
  udp: "value",
  "udp-target": "value",
  "udp-idle-timeout": "value",
  "udp-max-flows": "value",
};

/** Lines for `-help`. */
export const UDP_FLAGS_HELP = [
  "  -udp transparent|stun     UDP proxy mode (2.x): transparent-UDP (2-byte length framing) or STUN-aware",
  "  -udp-listen host:port     client: where to listen for UDP (default 127.0.0.1:0)",
  "  -udp-bridge LINE          client: the bridge line or web+webpt link to relay UDP through",
  "  -udp-target host:port     server: the UDP Server App or TURN server (default: -orport)",
  "  -udp-idle-timeout T       close a flow after T of silence: 300, 300s, 5m, 1500ms (default 5m)",
  "  -udp-max-flows N          transport connections at once (default 1024)",
].join("\n");

export interface UdpClientFlags {
  readonly mode: UdpFramingMode;
  readonly listen: { readonly host: string; readonly port: number };
  /** Bridge line or share link, not yet parsed (runUdpClient parses it). */
  readonly bridge: string;
  readonly idleTimeoutMs?: number;
  readonly maxFlows?: number;
}

export interface UdpServerFlags {
  readonly mode: UdpFramingMode;
  readonly target: HostPort;
  readonly idleTimeoutMs?: number;
  readonly maxFlows?: number;
}

type Values = ReadonlyMap<string, string | boolean>;

function envError(version: PtVersion | undefined, code: string, message: string, cause?: unknown): IpcError {
  return new IpcError(code, "ENV-ERROR", message, version, cause === undefined ? undefined : { cause });
}

function str(values: Values, name: string): string | undefined {
  const v = values.get(name);
  return typeof v === "string" ? v : undefined;
}

/** `transparent` or `stun`; the CMETHOD spellings `transparent-UDP` and `STUN` too, in any case. */
export function parseUdpMode(text: string): UdpFramingMode | undefined {
  const t = text.toLowerCase();
  if (t === "transparent" || t === "transparent-udp") return "transparent";
  if (t === "stun") return "stun";
  return undefined;
}

/** `300` (seconds), `300s`, `5m`, `1500ms`, within 1 ms .. MAX_UDP_IDLE_TIMEOUT_MS. */
export function parseIdleTimeout(text: string): number | undefined {
  const m = /^(\d{1,9})(ms|s|m)?$/.exec(text);
  if (m === null) return undefined;
  const n = Number(m[1]);
  const ms = m[2] === "ms" ? n : m[2] === "m" ? n * 60_000 : n * 1000;
  return ms >= 1 && ms <= MAX_UDP_IDLE_TIMEOUT_MS ? ms : undefined;
}

function common(values: Values, version: PtVersion | undefined, mode: UdpFramingMode) {
  const out: { mode: UdpFramingMode; idleTimeoutMs?: number; maxFlows?: number } = { mode };
  const idle = str(values, "udp-idle-timeout");
  if (idle !== undefined) {
    const ms = parseIdleTimeout(idle);
    if (ms === undefined) throw envError(version, IpcErrorCode.INVALID, `-udp-idle-timeout: bad duration "${idle}"`);
    out.idleTimeoutMs = ms;
  }
  const flows = str(values, "udp-max-flows");
  if (flows !== undefined) {
    const n = /^\d{1,6}$/.test(flows) ? Number(flows) : NaN;
    if (!(n >= 1 && n <= MAX_UDP_POOL_ENTRIES)) {
      throw envError(version, IpcErrorCode.INVALID, `-udp-max-flows: want 1..${MAX_UDP_POOL_ENTRIES}`);
    }
    out.maxFlows = n;
  }
  return out;
}

function readMode(
  values: Values,
  version: PtVersion | undefined,
  others: readonly string[],
): UdpFramingMode | undefined {
  const text = str(values, "udp");
  if (text === undefined) {
    const stray = others.find((f) => values.has(f));
    if (stray !== undefined) throw envError(version, IpcErrorCode.MISSING, `-${stray} needs -udp transparent|stun`);
    return undefined;
  }
  const mode = parseUdpMode(text);
  if (mode === undefined) {
    throw envError(version, IpcErrorCode.INVALID, `-udp: want transparent or stun, got "${text.slice(0, 32)}"`);
  }
  return mode;
}

/** The client's UDP flags; undefined when -udp is absent (no UDP listener). Throws IpcError (ENV-ERROR). */
export function readUdpClientFlags(values: Values, version?: PtVersion): UdpClientFlags | undefined {
  const mode = readMode(values, version, Object.keys(UDP_CLIENT_FLAGS));
  if (mode === undefined) return undefined;
  const bridge = str(values, "udp-bridge");
  if (bridge === undefined || bridge.trim() === "") {
    throw envError(version, IpcErrorCode.MISSING, "-udp needs -udp-bridge (the bridge line to relay through)");
  }
  let listen: { host: string; port: number } = { host: "127.0.0.1", port: 0 };
  const listenText = str(values, "udp-listen");
  if (listenText !== undefined) {
    try {
      const hp = parseHostPort(listenText, { allowZeroPort: true });
      listen = { host: hp.host, port: hp.port };
    } catch (e) {
      throw envError(version, IpcErrorCode.INVALID, `-udp-listen: ${(e as Error).message}`, e);
    }
  }
  return { ...common(values, version, mode), listen, bridge };
}

/**
 * The server's UDP flags; undefined when -udp is absent. The target defaults
 * to the ORPort address (-orport / TOR_PT_ORPORT: "the Server App"), so the
 * PT 2.x server flags alone can name it. Throws IpcError (ENV-ERROR).
 */
export function readUdpServerFlags(values: Values, orport?: HostPort, version?: PtVersion): UdpServerFlags | undefined {
  const mode = readMode(values, version, Object.keys(UDP_SERVER_FLAGS));
  if (mode === undefined) return undefined;
  let target = orport;
  const text = str(values, "udp-target");
  if (text !== undefined) {
    try {
      target = parseHostPort(text, { allowDomain: true });
    } catch (e) {
      throw envError(version, IpcErrorCode.INVALID, `-udp-target: ${(e as Error).message}`, e);
    }
  }
  if (target === undefined) {
    throw envError(version, IpcErrorCode.MISSING, "-udp needs -udp-target (or -orport) to know where datagrams go");
  }
  return { ...common(values, version, mode), target };
}
