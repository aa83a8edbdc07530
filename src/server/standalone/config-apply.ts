/**
 * What each standalone flag means, applied onto the merged config (defaults
 * and file) in the file's shape, so that one schema validates both and an
 * error can name the flag that set the bad value. Every write is recorded
 * in `sources` (JSON pointer → `--flag`).
 */
import { DEFAULT_PORTS, STANDALONE_TRANSPORTS, type StandaloneTransport } from "./config-schema.js";
import { usageError, type StandaloneFlags } from "./config-flags.js";

/** JSON pointer → the flag that set it. */
export type FlagSources = Map<string, string>;

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

function isTransport(name: string): name is StandaloneTransport {
  return (STANDALONE_TRANSPORTS as readonly string[]).includes(name);
}

/** Digits become a number; anything else stays a string for the schema to refuse with the flag's name. */
function numeric(v: string): number | string {
  return /^[0-9]{1,10}$/.test(v) ? Number(v) : v;
}

function list(v: string): string[] {
  return v
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s !== "");
}

/** Returns a copy of `base` with the flags applied; throws a usage error for flags that contradict each other. */
export function applyFlags(base: Readonly<Obj>, flags: StandaloneFlags, sources: FlagSources): Obj {
  const cfg: Obj = structuredClone(base) as Obj;
  const sub = (key: string): Obj => {
    const v = cfg[key];
    if (isObj(v)) return v;
    const fresh: Obj = {};
    cfg[key] = fresh;
    return fresh;
  };
  const set = (obj: Obj, key: string, value: unknown, pointer: string, flag: string): void => {
    obj[key] = value;
    sources.set(pointer, `--${flag}`);
  };
  const given = (name: string): string[] =>
    flags.uses.filter((u) => u.name === name && typeof u.value === "string").map((u) => u.value as string);

  // --transports first, whatever its position: the other transport flags act on the set it chooses.
  const chosen = given("transports")[0];
  if (chosen !== undefined) {
    const names = list(chosen);
    if (names.length === 0) throw usageError("--transports: names no transport");
    const old = sub("transports");
    const next: Obj = {};
    for (const n of names) {
      if (!isTransport(n)) throw usageError(`--transports: unknown transport ${JSON.stringify(n)}`);
      next[n] = isObj(old[n]) ? old[n] : { port: DEFAULT_PORTS[n] };
    }
    set(cfg, "transports", next, "/transports", "transports");
  }
  /** The transport's object, added if the set was not chosen with --transports. */
  const transport = (name: StandaloneTransport, flag: string): Obj => {
    const ts = sub("transports");
    const t = ts[name];
    if (isObj(t)) return t;
    if (chosen !== undefined) throw usageError(`--${flag}: ${name} is not among --transports`);
    const fresh: Obj = { port: DEFAULT_PORTS[name] };
    ts[name] = fresh;
    sources.set(`/transports/${name}`, `--${flag}`);
    return fresh;
  };

  const modeGiven = given("mode").length > 0;
  for (const { name, value } of flags.uses) {
    if (typeof value !== "string") {
      if (name === "unsafe-logging") set(sub("log"), "unsafeLogging", true, "/log/unsafeLogging", name);
      continue;
    }
    switch (name) {
      case "state":
      case "mode":
      case "listen":
      case "metrics":
        set(cfg, name, value, `/${name}`, name);
        break;
      case "public-host":
        set(cfg, "publicHost", value, "/publicHost", name);
        break;
      case "target":
        set(cfg, "target", value, "/target", name);
        if (!modeGiven) set(cfg, "mode", "bound", "/mode", name);
        break;
      case "obfs4-port":
      case "websocket-port":
      case "webrtc-port": {
        const t = name.slice(0, -"-port".length) as StandaloneTransport;
        set(transport(t, name), "port", numeric(value), `/transports/${t}/port`, name);
        break;
      }
      case "transport-option": {
        const m = /^([^:]+):([^=]+)=([\s\S]*)$/.exec(value);
        if (m === null) throw usageError(`--transport-option: ${JSON.stringify(value)} is not TRANSPORT:KEY=VALUE`);
        const [, t, k, v] = m as unknown as [string, string, string, string];
        if (!isTransport(t)) throw usageError(`--transport-option: unknown transport ${JSON.stringify(t)}`);
        set(
          transport(t, name),
          k,
          k === "port" ? numeric(v) : v,
          `/transports/${t}/${k.replace(/~/g, "~0").replace(/\//g, "~1")}`,
          name,
        );
        break;
      }
      case "ports":
        set(sub("policy"), "ports", list(value), "/policy/ports", name);
        break;
      case "iat-mode":
        set(sub("identity"), "iat-mode", numeric(value), "/identity/iat-mode", name);
        break;
      case "log-file":
        set(sub("log"), "file", value, "/log/file", name);
        break;
      case "log-level":
        set(sub("log"), "level", value, "/log/level", name);
        break;
      default:
        break; // config, help, print-config: read by the caller; allow/deny below
    }
  }
  for (const rule of ["allow", "deny"] as const) {
    const values = given(rule);
    if (values.length > 0) set(sub("policy"), rule, values, `/policy/${rule}`, rule);
  }
  return cfg;
}
