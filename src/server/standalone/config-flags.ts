/**
 * The command line of `webpt standalone` (also `webpt server --standalone`).
 * Syntax is Go's `flag` package, as the PT 2.x flags (seed 000 §3.3.1.4, 001
 * `-target`): `-name value`, `-name=value`, `--name` the same as `-name`,
 * booleans without a value. Unlike Go, the list flags (--allow, --deny,
 * --transport-option) may repeat and collect every value. Parsing is pure:
 * what the flags mean is applied onto the config in config.ts.
 */
import { WebptError } from "../../shared/errors.js";
import { DEFAULT_PORTS, DEFAULT_STATE_DIR, STATE_DIR_ENV, STANDALONE_TRANSPORTS } from "./config-schema.js";

/** sysexits EX_USAGE: a bad command line. */
export const EXIT_USAGE = 64;
/** sysexits EX_CONFIG: a bad config file or value. */
export const EXIT_CONFIG = 78;
/** Arguments accepted on one command line. */
export const MAX_ARGS = 4096;

export type StandaloneErrorCode = "ERR_STANDALONE_USAGE" | "ERR_STANDALONE_CONFIG";

/**
 * A usage or config error. Its message already says where (`--flag: …`,
 * `file:line: /pointer: …`); `exitCode` is 64 or 78.
 */
export class StandaloneConfigError extends WebptError {
  override name = "StandaloneConfigError";
  readonly exitCode: number;
  readonly pointer: string | undefined;
  constructor(code: StandaloneErrorCode, message: string, pointer?: string) {
    super(code, message);
    this.exitCode = code === "ERR_STANDALONE_USAGE" ? EXIT_USAGE : EXIT_CONFIG;
    this.pointer = pointer;
  }
}

export function usageError(message: string): StandaloneConfigError {
  return new StandaloneConfigError("ERR_STANDALONE_USAGE", message);
}

interface FlagSpec {
  readonly name: string;
  readonly boolean?: true;
  readonly repeat?: true;
  readonly arg?: string;
  readonly help: string;
}

export const STANDALONE_FLAGS: readonly FlagSpec[] = [
  { name: "config", arg: "FILE", help: "read a JSON config file (flags override it)" },
  {
    name: "state",
    arg: "DIR",
    help: `state directory (default $${STATE_DIR_ENV} or ${DEFAULT_STATE_DIR})`,
  },
  { name: "mode", arg: "free|bound", help: "free (default): clients name destinations; bound: all go to --target" },
  { name: "target", arg: "HOST:PORT", help: "bound mode's destination (implies --mode bound)" },
  { name: "listen", arg: "IP", help: "address every transport listens on (default 127.0.0.1)" },
  { name: "public-host", arg: "NAME|IP", help: "where clients reach this server, for bridge lines and URLs" },
  {
    name: "transports",
    arg: "LIST",
    help: `transports to run, comma-separated (default ${STANDALONE_TRANSPORTS.join(",")})`,
  },
  ...STANDALONE_TRANSPORTS.map((t): FlagSpec => ({
    name: `${t}-port`,
    arg: "PORT",
    help: `${t}'s port (default ${DEFAULT_PORTS[t]}; 0 = any)`,
  })),
  { name: "transport-option", arg: "T:K=V", repeat: true, help: "a transport option, e.g. websocket:url=wss://…" },
  { name: "allow", arg: "CIDR", repeat: true, help: "free mode: allow destinations in CIDR (repeatable)" },
  { name: "deny", arg: "CIDR", repeat: true, help: "free mode: deny destinations in CIDR (repeatable)" },
  { name: "ports", arg: "LIST", help: "free mode: allowed destination ports, e.g. 80,443,8000-8999" },
  { name: "iat-mode", arg: "0|1|2", help: "obfs4 inter-arrival-time obfuscation" },
  { name: "metrics", arg: "HOST:PORT", help: "serve /metrics and /stats.json here" },
  { name: "log-file", arg: "FILE", help: "append logs here instead of stderr" },
  { name: "log-level", arg: "LEVEL", help: "error, warning, notice, info (default) or debug" },
  { name: "unsafe-logging", boolean: true, help: "keep client addresses in logs" },
  {
    name: "manual-signaling",
    boolean: true,
    help: "answer webpt-offer: texts pasted on stdin (WebRTC without the signaling endpoint)",
  },
  { name: "print-config", boolean: true, help: "print the effective config as JSON and exit" },
  { name: "help", boolean: true, help: "print this help and exit" },
];

const SPECS = new Map(STANDALONE_FLAGS.map((f) => [f.name, f]));

/** One flag as given, in command-line order. */
export interface FlagUse {
  readonly name: string;
  /** `true` for a boolean flag. */
  readonly value: string | true;
}

export interface StandaloneFlags {
  readonly uses: readonly FlagUse[];
  readonly help: boolean;
  readonly printConfig: boolean;
  readonly configFile: string | undefined;
}

/** Parses the arguments after the subcommand. Throws a usage StandaloneConfigError. */
export function parseStandaloneFlags(argv: readonly string[]): StandaloneFlags {
  if (argv.length > MAX_ARGS) throw usageError(`more than ${MAX_ARGS} arguments`);
  const uses: FlagUse[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      if (i + 1 < argv.length) throw usageError(`unexpected argument ${JSON.stringify(argv[i + 1])}`);
      break;
    }
    const m = /^--?([a-z][a-z0-9-]*)(?:=([\s\S]*))?$/.exec(arg);
    if (m === null) throw usageError(`unexpected argument ${JSON.stringify(arg.slice(0, 64))}`);
    const name = m[1] === "h" ? "help" : m[1]!;
    const spec = SPECS.get(name);
    if (spec === undefined) throw usageError(`unknown flag -${m[1]}`);
    let value: string | true;
    if (spec.boolean === true) {
      if (m[2] !== undefined && m[2] !== "true" && m[2] !== "false") {
        throw usageError(`--${name} takes no value (or =true/=false)`);
      }
      if (m[2] === "false") continue;
      value = true;
    } else if (m[2] !== undefined) {
      value = m[2];
    } else {
      const next = argv[++i];
      if (next === undefined) throw usageError(`--${name} needs a value (${spec.arg ?? "VALUE"})`);
      value = next;
    }
    if (spec.repeat !== true && spec.boolean !== true && uses.some((u) => u.name === name)) {
      throw usageError(`--${name} is given more than once`);
    }
    uses.push({ name, value });
  }
  const last = (n: string): FlagUse | undefined => uses.find((u) => u.name === n);
  const config = last("config")?.value;
  return {
    uses,
    help: last("help") !== undefined,
    printConfig: last("print-config") !== undefined,
    configFile: typeof config === "string" ? config : undefined,
  };
}

/** The --help text. */
export function standaloneHelp(): string {
  const rows = STANDALONE_FLAGS.map((f) => [`  --${f.name}${f.arg === undefined ? "" : ` ${f.arg}`}`, f.help]);
  const width = Math.max(...rows.map(([a]) => a!.length)) + 2;
  return [
    "usage: webpt standalone [flags]",
    "",
    "Runs the webpt bridge server without tor. With no flags it starts on a built-in default:",
    "free mode (clients name each destination with SOCKS5 inside the obfs4 tunnel; loopback, private and",
    "link-local destinations refused), obfs4 on 127.0.0.1:7900, websocket on :7901, webrtc on :7902, state in",
    `$${STATE_DIR_ENV} or ${DEFAULT_STATE_DIR}. It prints a bridge line and a share link per transport.`,
    "To serve other machines: --listen 0.0.0.0 --public-host <your name or IP>.",
    "",
    ...rows.map(([a, b]) => a!.padEnd(width) + b!),
    "",
    "Exit codes: 0 after SIGINT/SIGTERM, 64 usage error, 78 config error, 69 no transport could start,",
    "73 the state or log file cannot be written.",
    "",
  ].join("\n");
}
