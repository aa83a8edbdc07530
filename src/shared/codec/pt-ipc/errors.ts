/**
 * Errors of the PT IPC codec. Three families, because they mean three
 * different things to the caller:
 *
 * - {@link IpcError}: the PT's configuration (environment, flags, upstream
 *   proxy) is unusable. Like goptlib's ptErr, the error *is* its stdout line
 *   (`ENV-ERROR …`, `VERSION-ERROR no-version`, `PROXY-ERROR …`) and knows the
 *   exit code the process must end with (pt-spec 2.0 §3.3.2.1/§3.3.2.2:
 *   EX_CONFIG 78, EX_USAGE 64, EX_UNAVAILABLE 69) and which stream the line
 *   goes to (CONFORMANCE "Where errors go").
 * - {@link IpcParseError}/{@link PtArgsError}: bytes from a peer (a PT's
 *   stdout, a SOCKS username) do not follow the grammar — protocol errors.
 * - {@link IpcFormatError}: our own code asked to write something the grammar
 *   cannot carry (a newline in an argument, a non-identifier transport name).
 *   A programmer error, raised loudly so that unsafe bytes never reach stdout
 *   (goptlib panics in `formatline` for the same reason).
 */
import { LimitError, ProtocolError, WebptError } from "../../errors.js";
import type { ErrorData } from "../../errors.js";

/** The PT specification versions this codec speaks (pt-spec 1.0 and 2.x). */
export type PtVersion = "1" | "2";

/** pt-spec 2.0 §3.3.2: EX_CONFIG after VERSION-ERROR. */
export const EXIT_VERSION_ERROR = 78;
/** pt-spec 2.0 §3.3.2.1: EX_USAGE after ENV-ERROR (and for bad flags). */
export const EXIT_ENV_ERROR = 64;
/** pt-spec 2.0 §3.3.2.2: EX_UNAVAILABLE after PROXY-ERROR. */
export const EXIT_PROXY_ERROR = 69;
/** pt-spec 2.0 §3.3.3: EX_OK after a graceful shutdown, and after -version/--help. */
export const EXIT_OK = 0;

export type IpcExitCode = typeof EXIT_VERSION_ERROR | typeof EXIT_ENV_ERROR | typeof EXIT_PROXY_ERROR;
export type IpcErrorKeyword = "VERSION-ERROR" | "ENV-ERROR" | "PROXY-ERROR";
export type OutputStream = "stdout" | "stderr";

/** Stable codes for {@link IpcError}; match on these, never on message text. */
export const IpcErrorCode = {
  /** No version in TOR_PT_MANAGED_TRANSPORT_VER / -ptversion that we support (or none given). */
  NO_VERSION: "ERR_PT_NO_VERSION",
  /** A required variable or flag is missing or empty. */
  MISSING: "ERR_PT_ENV_MISSING",
  /** A variable or flag is present but malformed. */
  INVALID: "ERR_PT_ENV_INVALID",
  /** The command line itself is malformed (unknown flag, missing flag value, stray argument). */
  USAGE: "ERR_PT_USAGE",
  /** TOR_PT_PROXY / -proxy is malformed or of a kind we cannot use. */
  PROXY: "ERR_PT_PROXY",
} as const;

const EXIT_FOR: Record<IpcErrorKeyword, IpcExitCode> = {
  "VERSION-ERROR": EXIT_VERSION_ERROR,
  "ENV-ERROR": EXIT_ENV_ERROR,
  "PROXY-ERROR": EXIT_PROXY_ERROR,
};

/**
 * A fatal configuration error whose wire form is one IPC line. The process
 * adapter prints `VERSION <version>` first when {@link version} is set (the
 * error happened after negotiation, as goptlib does), then {@link line} on
 * {@link stream}, then exits with {@link exitCode}. See `ipcErrorOutput()`.
 */
export class IpcError extends WebptError {
  override name = "IpcError";
  readonly keyword: IpcErrorKeyword;
  /** The explanation after the keyword (the `<ErrorMessage>` of the spec). */
  readonly detail: string;
  /** The exact line to write, without the trailing newline, e.g. `ENV-ERROR no TOR_PT_ORPORT…`. */
  readonly line: string;
  readonly exitCode: IpcExitCode;
  /** Where the line goes: stdout for version 1 (tor reads only stdout), stderr for version 2. */
  readonly stream: OutputStream;
  /** The negotiated version, or undefined when the error happened before or during negotiation. */
  readonly version: PtVersion | undefined;

  constructor(
    code: string,
    keyword: IpcErrorKeyword,
    detail: string,
    version: PtVersion | undefined,
    options?: { cause?: unknown },
  ) {
    const safe = sanitizeDetail(detail);
    super(code, `${keyword} ${safe}`, options);
    this.keyword = keyword;
    this.detail = safe;
    this.line = `${keyword} ${safe}`;
    this.exitCode = EXIT_FOR[keyword];
    this.version = version;
    // CONFORMANCE "Where errors go": 2.x writes errors to stderr; 1.0 (and a
    // parent we could not negotiate with) only ever reads stdout.
    this.stream = version === "2" ? "stderr" : "stdout";
  }

  override toJSON(): ErrorData {
    return {
      ...super.toJSON(),
      keyword: this.keyword,
      line: this.line,
      exitCode: this.exitCode,
      stream: this.stream,
      version: this.version,
    };
  }
}

/**
 * Error details often quote hostile input (an env value, a flag). Replace
 * every byte the line grammar forbids (NUL, CR, LF, >= 0x80) and other
 * controls so that the error line itself is always safe to print.
 */
function sanitizeDetail(detail: string): string {
  // eslint-disable-next-line no-control-regex
  return detail.replace(/[\u0000-\u001f\u007f-\uffff]/g, "?");
}

/** A line from a PT's stdout that does not follow pt-spec §3.3. */
export class IpcParseError extends ProtocolError {
  override name = "IpcParseError";
}

/** A PT's stdout line longer than MAX_IPC_LINE_BYTES. */
export class IpcLineTooLongError extends LimitError {
  override name = "IpcLineTooLongError";
}

/** Stable codes for {@link IpcParseError} and {@link IpcLineTooLongError}. */
export const IpcParseErrorCode = {
  LINE_TOO_LONG: "ERR_IPC_LINE_TOO_LONG",
  /** NUL or LF inside a line (the grammar's ArgChar excludes both). */
  FORBIDDEN_BYTE: "ERR_IPC_FORBIDDEN_BYTE",
  /** A known keyword with arguments that do not follow its grammar. */
  MALFORMED: "ERR_IPC_MALFORMED_LINE",
  /** A LOG/STATUS key=value list that tor's kvline parser would reject. */
  BAD_KVLINE: "ERR_IPC_BAD_KVLINE",
} as const;

/** A per-connection argument string, server-options string or SMETHOD ARGS value is malformed. */
export class PtArgsError extends ProtocolError {
  override name = "PtArgsError";
}

export const PtArgsErrorCode = {
  /** A backslash at the very end: nothing follows the escape. */
  TRAILING_ESCAPE: "ERR_PT_ARGS_TRAILING_ESCAPE",
  /** A `key=value` pair without an unescaped `=`. */
  NO_EQUALS: "ERR_PT_ARGS_NO_EQUALS",
  EMPTY_KEY: "ERR_PT_ARGS_EMPTY_KEY",
  /** A server-options item without the `transport:` prefix. */
  NO_COLON: "ERR_PT_ARGS_NO_COLON",
  EMPTY_TRANSPORT: "ERR_PT_ARGS_EMPTY_TRANSPORT",
} as const;

/** Our own code tried to format something the IPC grammar cannot carry. */
export class IpcFormatError extends WebptError {
  override name = "IpcFormatError";
  constructor(message: string) {
    super("ERR_IPC_UNSAFE_FORMAT", message);
  }
}
