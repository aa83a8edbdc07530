/**
 * The PT 2.x command-line flags (2.0 §3.3.1.4, 2.1 §1.1.4): every TOR_PT_*
 * variable has a flag, and "when a command line flag is provided, it
 * overrides corresponding environment variables" (CONFORMANCE "Flags").
 *
 * Syntax is Go's `flag` package, which the reference dispatcher and the Go
 * PTs use: `-name value`, `-name=value`, `--name` the same as `-name`,
 * booleans as `-name` or `-name=true|false`, parsing stops at `--` or at the
 * first non-flag argument, and the last repetition of a flag wins.
 */
import { WebptError } from "../../errors.js";
import { quote } from "../../net/host-port.js";

export type FlagKind = "value" | "boolean";

/** A flag and the TOR_PT_* variable it overrides. */
export interface PtFlagSpec {
  readonly flag: string;
  readonly kind: FlagKind;
  readonly env: string | undefined;
  readonly help: string;
}

/** The flags of 2.0 §3.3.1 and 2.1 §1.1 (`-ptversion` renamed from `-version`; `-target` added). */
export const PT_FLAGS: readonly PtFlagSpec[] = [
  { flag: "ptversion", kind: "value", env: "TOR_PT_MANAGED_TRANSPORT_VER", help: "PT versions the parent speaks" },
  { flag: "state", kind: "value", env: "TOR_PT_STATE_LOCATION", help: "directory for persistent state" },
  {
    flag: "exit-on-stdin-close",
    kind: "boolean",
    env: "TOR_PT_EXIT_ON_STDIN_CLOSE",
    help: "exit gracefully when stdin closes",
  },
  { flag: "transports", kind: "value", env: undefined, help: "comma-separated transport names" },
  { flag: "proxy", kind: "value", env: "TOR_PT_PROXY", help: "client: upstream proxy URI" },
  { flag: "target", kind: "value", env: undefined, help: "client: transparent-TCP destination host:port" },
  {
    flag: "options",
    kind: "value",
    env: "TOR_PT_SERVER_TRANSPORT_OPTIONS",
    help: "per-transport options t:k=v;… (a client uses them in -target mode)",
  },
  { flag: "bindaddr", kind: "value", env: "TOR_PT_SERVER_BINDADDR", help: "server: t-addr:port,… to listen on" },
  { flag: "orport", kind: "value", env: "TOR_PT_ORPORT", help: "server: where to forward plain traffic" },
  {
    flag: "extorport",
    kind: "value",
    env: "TOR_PT_EXTENDED_SERVER_PORT",
    help: "server: Extended ORPort address",
  },
  { flag: "authcookie", kind: "value", env: "TOR_PT_AUTH_COOKIE_FILE", help: "server: Extended ORPort cookie file" },
  { flag: "version", kind: "boolean", env: undefined, help: "print the program version and exit" },
  { flag: "help", kind: "boolean", env: undefined, help: "print this help and exit" },
  { flag: "h", kind: "boolean", env: undefined, help: "same as -help" },
];

/** Extra flags an embedding program adds (e.g. its own `-log-level`), by name → kind. */
export type ExtraFlags = Readonly<Record<string, FlagKind>>;

export interface ParsedFlags {
  /** Value of each flag seen (booleans as true/false), by name without dashes. */
  readonly values: ReadonlyMap<string, string | boolean>;
  /** Arguments after the flags (after `--` or the first non-flag argument). */
  readonly positional: readonly string[];
}

/** Why the argument vector is unusable; the config parser turns it into a usage ENV-ERROR. */
export class FlagSyntaxError extends WebptError {
  override name = "FlagSyntaxError";
  constructor(message: string) {
    super("ERR_PT_BAD_FLAG", message);
  }
}

/**
 * Parses `argv` (the arguments after the program or subcommand name).
 * Throws {@link FlagSyntaxError} for an unknown flag, a missing value or a bad boolean.
 */
export function parseFlags(argv: readonly string[], extra: ExtraFlags = {}): ParsedFlags {
  const kinds = new Map<string, FlagKind>(PT_FLAGS.map((f) => [f.flag, f.kind]));
  for (const [name, kind] of Object.entries(extra)) {
    if (kinds.has(name)) throw new TypeError(`extra flag -${name} clashes with a PT flag`);
    kinds.set(name, kind);
  }
  const values = new Map<string, string | boolean>();
  let i = 0;
  for (; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (arg.length < 2 || !arg.startsWith("-")) break;
    const body = arg.startsWith("--") ? arg.slice(2) : arg.slice(1);
    if (body === "" || body.startsWith("-") || body.startsWith("=")) {
      throw new FlagSyntaxError(`bad flag syntax: ${quote(arg)}`);
    }
    const eq = body.indexOf("=");
    const name = eq < 0 ? body : body.slice(0, eq);
    const kind = kinds.get(name);
    if (kind === undefined) throw new FlagSyntaxError(`flag provided but not defined: -${quote(name)}`);
    if (kind === "boolean") {
      values.set(name, eq < 0 ? true : parseBool(name, body.slice(eq + 1)));
    } else if (eq >= 0) {
      values.set(name, body.slice(eq + 1));
    } else {
      // Go takes the next argument as the value even when it starts with '-'.
      if (i + 1 >= argv.length) throw new FlagSyntaxError(`flag needs an argument: -${name}`);
      values.set(name, argv[++i]!);
    }
  }
  return { values, positional: argv.slice(i) };
}

/** Go strconv.ParseBool. */
function parseBool(name: string, v: string): boolean {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(v)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(v)) return false;
  throw new FlagSyntaxError(`invalid boolean value ${quote(v)} for -${name}`);
}

/** Human help text for `--help` (printed to stdout, exit 0). */
export function formatPtUsage(role: "client" | "server", program = "webpt"): string {
  const lines = [`usage: ${program} ${role} [flags]`, "", "Flags override the TOR_PT_* environment variables:"];
  const forRole = PT_FLAGS.filter((f) => !f.help.startsWith(role === "client" ? "server:" : "client:"));
  for (const f of forRole) {
    const name = f.kind === "value" ? `-${f.flag} <value>` : `-${f.flag}`;
    const env = f.env ?? (f.flag === "transports" ? `TOR_PT_${role.toUpperCase()}_TRANSPORTS` : undefined);
    lines.push(`  ${name.padEnd(26)} ${f.help}${env === undefined ? "" : ` (${env})`}`);
  }
  return `${lines.join("\n")}\n`;
}
