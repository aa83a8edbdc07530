/**
 * Errors of the parent side. A PtLaunchError says why a PT did not come up
 * (its own *-ERROR line when it gave one, in `detail`, plus the tail of its
 * stderr); an AdapterError is a failure after startup (a transport the PT
 * did not launch, a connection through it that failed).
 */
import { WebptError, type ErrorData } from "../../shared/errors.js";

export type PtLaunchErrorCode =
  /** The executable could not be started at all (ENOENT, EACCES…). */
  | "ERR_PT_SPAWN"
  /** VERSION-ERROR: no offered version is supported (pt-spec §3.3.1). */
  | "ERR_PT_VERSION_ERROR"
  /** The PT answered VERSION with a version we did not offer (tor: "We only support version '1'"). */
  | "ERR_PT_BAD_VERSION"
  /** ENV-ERROR: the PT rejected its environment or flags (pt-spec §3.3.1). */
  | "ERR_PT_ENV_ERROR"
  /** PROXY-ERROR: the PT rejected TOR_PT_PROXY (pt-spec §3.3.2). */
  | "ERR_PT_PROXY_ERROR"
  /** TOR_PT_PROXY was set but the PT never said PROXY DONE (pt-spec §3.3.2 "MUST respond"; tor kills it). */
  | "ERR_PT_PROXY_IGNORED"
  /** A requested transport was not launched: a *METHOD-ERROR line, or not announced before DONE. */
  | "ERR_PT_METHOD_ERROR"
  /** The PT exited before its DONE line. */
  | "ERR_PT_EARLY_EXIT"
  /** No DONE line within the start timeout. */
  | "ERR_PT_START_TIMEOUT"
  /** stdout broke the line grammar or the message order (NUL, a malformed known line, too long a line…). */
  | "ERR_PT_BAD_OUTPUT"
  /** The caller's AbortSignal fired during startup. */
  | "ERR_PT_ABORTED";

/** A transport that did not launch: the PT's message, or "not announced". */
export interface MethodFailure {
  readonly transport: string;
  readonly message: string;
}

export class PtLaunchError extends WebptError {
  override name = "PtLaunchError";
  declare readonly code: PtLaunchErrorCode;
  /** The PT's own words (its *-ERROR message), when it gave any. */
  readonly detail: string | undefined;
  /** The last bytes the PT wrote to stderr (at most MAX_PT_STDERR_TAIL). */
  readonly stderrTail: string;
  /** For ERR_PT_METHOD_ERROR: each transport that did not launch. */
  readonly failures: readonly MethodFailure[];
  /** The PT's process id, if it started (it is gone by the time the error is thrown). */
  readonly pid: number | undefined;
  constructor(
    code: PtLaunchErrorCode,
    message: string,
    detail?: string,
    stderrTail = "",
    options?: { cause?: unknown; failures?: readonly MethodFailure[]; pid?: number | undefined },
  ) {
    super(code, message, options);
    this.detail = detail;
    this.stderrTail = stderrTail;
    this.failures = options?.failures ?? [];
    this.pid = options?.pid;
  }

  override toJSON(): ErrorData {
    return {
      ...super.toJSON(),
      detail: this.detail,
      stderrTail: this.stderrTail,
      failures: this.failures,
      pid: this.pid,
    };
  }
}

export type AdapterErrorCode =
  /** start() has not completed (or close() has begun). */
  | "ERR_ADAPTER_NOT_RUNNING"
  /** start() called twice. */
  | "ERR_ADAPTER_STARTED"
  /** openTransportConnection for a transport the PT did not launch. */
  | "ERR_ADAPTER_NO_TRANSPORT"
  /** The transport's CMETHOD proxy type cannot carry a TCP connection with these arguments. */
  | "ERR_ADAPTER_PROXY_TYPE"
  /** Bad options (a cookie of the wrong length, an unusable bind address…). */
  | "ERR_ADAPTER_OPTIONS";

export class AdapterError extends WebptError {
  override name = "AdapterError";
  declare readonly code: AdapterErrorCode;
  // Not useless: it narrows `code` to the documented codes at every call site.
  // eslint-disable-next-line @typescript-eslint/no-useless-constructor
  constructor(code: AdapterErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
