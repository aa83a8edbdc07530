/**
 * The standalone server's configuration: the built-in default, then a JSON
 * config file (--config), then flags, each overriding the one before; the
 * result is validated with the project's eval-free JSON Schema validator
 * against STANDALONE_CONFIG_SCHEMA and then for what a schema cannot say
 * (addresses parse, ports do not collide, bound mode has a target).
 *
 * Every error says where the bad value came from: `--flag: …` (a usage
 * error, exit 64), `file:line: /pointer: …` (a config error, exit 78), or
 * the environment variable. Object keys merge (policy, log, identity); the
 * `transports` object of a file replaces the default set: the transports it
 * lists are the ones that run.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import type { LogSeverity } from "../../shared/codec/pt-ipc/index.js";
import { isDomainName, parseHostPort, parseIp, type HostPort } from "../../shared/net/index.js";
import { validateSchema } from "../../shared/settings/index.js";
import type { TransportSpec } from "../service/manager.js";
import {
  DEFAULT_PORTS,
  MAX_CONFIG_FILE_BYTES,
  STANDALONE_CONFIG_SCHEMA,
  STATE_DIR_ENV,
  defaultConfigJson,
  type StandaloneTransport,
} from "./config-schema.js";
import { applyFlags, type FlagSources } from "./config-apply.js";
import { StandaloneConfigError, parseStandaloneFlags, standaloneHelp, type StandaloneFlags } from "./config-flags.js";
import { lineColumn, lineOf, locateJson, type JsonLocations } from "./json-locate.js";
import { PolicyError, makePolicy, type DestinationPolicy, type PolicySpec } from "./policy.js";

export interface StandaloneConfig {
  /** Absolute. */
  readonly stateDir: string;
  readonly mode: "free" | "bound";
  /** Bound mode's destination. */
  readonly target: HostPort | undefined;
  readonly publicHost: string | undefined;
  /** node-id, private-key, drbg-seed, iat-mode: the manager's stateOptions. */
  readonly stateOptions: ReadonlyMap<string, string>;
  readonly transports: readonly TransportSpec[];
  readonly policy: DestinationPolicy;
  readonly metrics: string | undefined;
  readonly log: { readonly file: string | undefined; readonly level: LogSeverity; readonly unsafeLogging: boolean };
  /** Things that are allowed but probably not meant (a target in free mode). */
  readonly warnings: readonly string[];
  /** The merged config in the file's shape, ports filled in (what --print-config prints). */
  readonly json: Readonly<Record<string, unknown>>;
}

export type StandaloneCommand =
  | { readonly action: "help"; readonly text: string }
  | { readonly action: "print-config"; readonly text: string; readonly config: StandaloneConfig }
  | { readonly action: "run"; readonly config: StandaloneConfig };

export interface ConfigFileText {
  /** As given (for messages and for resolving relative paths). */
  readonly name: string;
  readonly text: string;
}

type Obj = Record<string, unknown>;

const isObj = (v: unknown): v is Obj => typeof v === "object" && v !== null && !Array.isArray(v);

/** Transport options that name files; like `state` and `log.file`, relative to the config file that set them. */
const PATH_OPTIONS = ["tls-cert", "tls-key", "cover-file"];

function configError(message: string, pointer?: string): StandaloneConfigError {
  return new StandaloneConfigError("ERR_STANDALONE_CONFIG", message, pointer);
}

/** Parses a config file's text; syntax errors name the line and column. */
export function parseConfigText(file: ConfigFileText): { value: Obj; locations: JsonLocations } {
  if (file.text.length > MAX_CONFIG_FILE_BYTES) {
    throw configError(`${file.name}: larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
  }
  const text = file.text.charCodeAt(0) === 0xfeff ? file.text.slice(1) : file.text;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    const msg = (err as Error).message;
    const pos = /position (\d+)/.exec(msg);
    const at = pos !== null ? Number(pos[1]) : /end of JSON/.test(msg) ? text.length : undefined;
    const where = at === undefined ? "" : `${lineColumn(text, at).line}:${lineColumn(text, at).column}:`;
    throw configError(`${file.name}:${where} not valid JSON: ${msg.replace(/ in JSON at position \d+.*$/, "")}`);
  }
  const locations = locateJson(text);
  if (!isObj(value)) throw configError(`${file.name}:1: the config must be a JSON object`, "");
  const dup = locations.duplicates[0];
  if (dup !== undefined) {
    throw configError(`${file.name}:${lineOf(locations, dup)}: ${dup}: is given more than once`, dup);
  }
  return { value, locations };
}

/** defaults ← file: objects merge one level, `transports` is replaced. */
function mergeFile(base: Obj, file: Obj): Obj {
  const out: Obj = { ...base };
  for (const [k, v] of Object.entries(file)) {
    const b = out[k];
    out[k] = k !== "transports" && isObj(b) && isObj(v) ? { ...b, ...v } : v;
  }
  return out;
}

function optionString(v: unknown): string {
  return Array.isArray(v) ? v.join(",") : String(v);
}

/**
 * Builds the config from parsed flags, an optional config file and the
 * environment. Pure but for `cwd`, against which flag and default paths are
 * resolved. Throws StandaloneConfigError.
 */
export function buildStandaloneConfig(
  flags: StandaloneFlags,
  file: ConfigFileText | undefined,
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
): StandaloneConfig {
  let cfg = defaultConfigJson(env);
  const fromEnv = (env[STATE_DIR_ENV] ?? "") !== "";
  let locations: JsonLocations | undefined;
  if (file !== undefined) {
    const parsed = parseConfigText(file);
    locations = parsed.locations;
    const v = validateSchema(STANDALONE_CONFIG_SCHEMA, parsed.value)[0];
    if (v !== undefined) {
      throw configError(`${file.name}:${lineOf(locations, v.pointer)}: ${v.pointer || "/"}: ${v.message}`, v.pointer);
    }
    cfg = mergeFile(cfg, parsed.value);
  }
  const sources: FlagSources = new Map();
  cfg = applyFlags(cfg, flags, sources);

  /** Where the value at `pointer` came from: the most specific flag, file entry or environment variable. */
  const fail = (pointer: string, message: string): StandaloneConfigError => {
    const flag = sourceOf(sources, pointer);
    if (flag !== undefined) return new StandaloneConfigError("ERR_STANDALONE_USAGE", `${flag}: ${message}`, pointer);
    if (file !== undefined && locations !== undefined) {
      // The file, if it holds the value or an enclosing object (a missing key is reported at its object).
      for (let p = pointer; p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
        if (locations.lines.has(p)) {
          return configError(`${file.name}:${lineOf(locations, pointer)}: ${pointer}: ${message}`, pointer);
        }
      }
    }
    if (pointer === "/state" && fromEnv) return configError(`${STATE_DIR_ENV}: ${message}`, pointer);
    const where = file === undefined || locations === undefined ? "" : `${file.name}:${lineOf(locations, pointer)}: `;
    return configError(`${where}${pointer}: ${message}`, pointer);
  };
  const violation = validateSchema(STANDALONE_CONFIG_SCHEMA, cfg)[0];
  if (violation !== undefined) throw fail(violation.pointer, violation.message);

  const resolvePath = (pointer: string, value: string): string => {
    const fromFile =
      file !== undefined && sourceOf(sources, pointer) === undefined && locations?.lines.has(pointer) === true;
    return path.resolve(fromFile ? path.dirname(path.resolve(cwd, file.name)) : cwd, value);
  };
  /** Of several values that clash, the one the operator set last: a flag's, else the file's, else the first. */
  const blame = (pointers: readonly string[]): string =>
    pointers.find((p) => sourceOf(sources, p) !== undefined) ??
    pointers.find((p) => locations?.lines.has(p) === true) ??
    pointers[0]!;
  return resolveConfig(cfg, fail, resolvePath, blame);
}

/** The flag that set `pointer` or an enclosing value, if any. */
function sourceOf(sources: FlagSources, pointer: string): string | undefined {
  for (let p = pointer; p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
    const flag = sources.get(p);
    if (flag !== undefined) return flag;
  }
  return undefined;
}

/** The checks a schema cannot express, and the conversion to StandaloneConfig. */
function resolveConfig(
  cfg: Obj,
  fail: (pointer: string, message: string) => StandaloneConfigError,
  resolvePath: (pointer: string, value: string) => string,
  blame: (pointers: readonly string[]) => string,
): StandaloneConfig {
  const warnings: string[] = [];
  const listen = cfg.listen as string;
  const ipHost = (pointer: string, host: string): string => {
    const ip = parseIp(host, { brackets: true });
    if (ip === undefined) throw fail(pointer, `${JSON.stringify(host)} is not an IP address (listen takes no names)`);
    return ip.host;
  };
  ipHost("/listen", listen);

  const mode = cfg.mode as "free" | "bound";
  let target: HostPort | undefined;
  if (mode === "bound") {
    if (typeof cfg.target !== "string") throw fail("/mode", "bound mode needs a target (host:port)");
    try {
      target = parseHostPort(cfg.target, { allowDomain: true, domain: { trailingDot: true } });
    } catch (err) {
      throw fail("/target", (err as Error).message);
    }
  } else if (cfg.target !== undefined) {
    warnings.push("target is ignored in free mode (clients name their destinations)");
  }

  const publicHost = cfg.publicHost as string | undefined;
  if (publicHost !== undefined && parseIp(publicHost, { brackets: true }) === undefined && !isDomainName(publicHost)) {
    throw fail("/publicHost", `${JSON.stringify(publicHost)} is neither an IP address nor a host name`);
  }

  let policy: DestinationPolicy;
  try {
    policy = makePolicy((cfg.policy ?? {}) as PolicySpec);
  } catch (err) {
    if (!(err instanceof PolicyError)) throw err;
    throw fail(`/policy${err.pointer}`, err.message);
  }

  if (cfg.metrics !== undefined) {
    try {
      parseHostPort(cfg.metrics as string, { allowZeroPort: true });
    } catch (err) {
      throw fail("/metrics", (err as Error).message);
    }
  }

  const transportsJson = (cfg.transports ?? {}) as Record<string, Obj>;
  const names = Object.keys(transportsJson) as StandaloneTransport[];
  if (names.length === 0) throw fail("/transports", "names no transport to run");
  const transports: TransportSpec[] = [];
  const taken = new Map<string, string>();
  const filled: Record<string, Obj> = {};
  for (const name of names) {
    const t = transportsJson[name]!;
    const base = `/transports/${name}`;
    const host = t.listen === undefined ? ipHost("/listen", listen) : ipHost(`${base}/listen`, t.listen as string);
    const port = (t.port as number | undefined) ?? DEFAULT_PORTS[name];
    const key = `${host}|${port}`;
    const other = taken.get(key);
    if (port !== 0 && other !== undefined) {
      const culprit = blame([`${base}/port`, `/transports/${other}/port`]);
      const [a, b] = culprit === `${base}/port` ? [name, other] : [other, name];
      throw fail(culprit, `${a} and ${b} cannot both listen on ${host} port ${port}`);
    }
    taken.set(key, name);
    const options = new Map<string, string>();
    for (const [k, v] of Object.entries(t)) {
      if (k === "port" || k === "listen") continue;
      const s = optionString(v);
      options.set(k, PATH_OPTIONS.includes(k) ? resolvePath(`${base}/${k}`, s) : s);
    }
    transports.push({ name, bind: { host, port }, options });
    filled[name] = { ...t, port };
  }

  const identity = (cfg.identity ?? {}) as Obj;
  const stateOptions = new Map(Object.entries(identity).map(([k, v]) => [k, String(v)]));
  const log = (cfg.log ?? {}) as { file?: string; level?: LogSeverity; unsafeLogging?: boolean };
  return {
    stateDir: resolvePath("/state", cfg.state as string),
    mode,
    target,
    publicHost,
    stateOptions,
    transports,
    policy,
    metrics: cfg.metrics as string | undefined,
    log: {
      file: log.file === undefined ? undefined : resolvePath("/log/file", log.file),
      level: log.level ?? "info",
      unsafeLogging: log.unsafeLogging ?? false,
    },
    warnings,
    json: { ...cfg, transports: filled },
  };
}

/** Reads the flags and the config file they name, and says what to do. Throws StandaloneConfigError. */
export async function loadStandaloneCommand(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  cwd: string = process.cwd(),
): Promise<StandaloneCommand> {
  const flags = parseStandaloneFlags(argv);
  if (flags.help) return { action: "help", text: standaloneHelp() };
  let file: ConfigFileText | undefined;
  if (flags.configFile !== undefined) {
    let text: string;
    try {
      const buf = await readFile(path.resolve(cwd, flags.configFile));
      if (buf.length > MAX_CONFIG_FILE_BYTES) throw new Error(`larger than ${MAX_CONFIG_FILE_BYTES} bytes`);
      text = buf.toString("utf8");
    } catch (err) {
      throw configError(`${flags.configFile}: cannot read the config file: ${(err as Error).message}`);
    }
    file = { name: flags.configFile, text };
  }
  const config = buildStandaloneConfig(flags, file, env, cwd);
  if (flags.printConfig) return { action: "print-config", text: JSON.stringify(config.json, null, 2) + "\n", config };
  return { action: "run", config };
}
