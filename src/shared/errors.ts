/**
 * Errors are data: every error the project raises has a stable `name` and
 * `code` to match on (never the message text), an optional `cause`, and a
 * plain-object form that survives structured cloning and extension messaging.
 * Subclasses that have a wire form (a SOCKS reply byte, an IPC stdout line, a
 * JSON pointer) carry it as a field.
 */

export interface ErrorData {
  readonly name: string;
  readonly code: string;
  readonly message: string;
  readonly [extra: string]: unknown;
}

export class WebptError extends Error {
  override name = "WebptError";
  readonly code: string;

  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
  }

  /** A plain object that can cross postMessage / runtime.sendMessage. */
  toJSON(): ErrorData {
    return { name: this.name, code: this.code, message: this.message };
  }
}

/** The peer sent bytes that do not follow the protocol. */
export class ProtocolError extends WebptError {
  override name = "ProtocolError";
}

/** Input exceeded a named limit (see limits.ts); the stream cannot continue. */
export class LimitError extends WebptError {
  override name = "LimitError";
  readonly limit: number;
  constructor(code: string, message: string, limit: number, options?: { cause?: unknown }) {
    super(code, message, options);
    this.limit = limit;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), limit: this.limit };
  }
}

/** A decoder's `finish()` was called with a partial message still buffered. */
export class UnexpectedEOFError extends WebptError {
  override name = "UnexpectedEOFError";
  readonly remaining: number;
  constructor(what: string, remaining: number) {
    super("ERR_UNEXPECTED_EOF", `stream ended inside ${what} (${remaining} bytes buffered)`);
    this.remaining = remaining;
  }
  override toJSON(): ErrorData {
    return { ...super.toJSON(), remaining: this.remaining };
  }
}

/** An operation was cancelled through its AbortSignal. */
export class AbortError extends WebptError {
  override name = "AbortError";
  constructor(message = "the operation was aborted", options?: { cause?: unknown }) {
    super("ERR_ABORTED", message, options);
  }
}

/** An operation did not finish within its deadline. */
export class TimeoutError extends WebptError {
  override name = "TimeoutError";
  constructor(message: string, options?: { cause?: unknown }) {
    super("ERR_TIMEOUT", message, options);
  }
}

export function isWebptError(e: unknown): e is WebptError {
  return e instanceof WebptError;
}
