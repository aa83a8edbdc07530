/**
 * The standalone server's log: one line per message, to stderr or a file,
 * never to stdout (which carries only what a client needs). Client
 * addresses are scrubbed unless the operator opts out (tor's SafeLogging;
 * managed mode's IpcOut does the same), and control characters are replaced
 * so a hostile host name cannot forge log lines.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { LOG_SEVERITIES, type LogSeverity } from "../../shared/codec/pt-ipc/index.js";
import { MAX_LOG_MESSAGE_CHARS, scrubAddresses } from "../pt/ipc-out.js";
import type { Logger } from "../service/types.js";

export interface StandaloneLogOptions {
  /** The least severe level written. */
  readonly level: LogSeverity;
  readonly unsafeLogging: boolean;
  readonly write: (line: string) => void;
  /** Default: an ISO 8601 timestamp. */
  readonly now?: () => string;
}

function rank(s: LogSeverity): number {
  return LOG_SEVERITIES.indexOf(s);
}

export function createStandaloneLogger(options: StandaloneLogOptions): Logger {
  const max = rank(options.level);
  const now = options.now ?? (() => new Date().toISOString());
  return {
    log(severity, message) {
      if (rank(severity) > max) return;
      const safe = options.unsafeLogging ? message : scrubAddresses(message);
      // eslint-disable-next-line no-control-regex -- replacing control characters is the point
      const text = safe.replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, "?").slice(0, MAX_LOG_MESSAGE_CHARS);
      options.write(`${now()} [${severity}] ${text}\n`);
    },
  };
}

/** Opens `file` for appending (created 0600); rejects if it cannot be opened. */
export function openLogFile(file: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const stream = createWriteStream(file, { flags: "a", mode: 0o600 });
    stream.once("open", () => {
      stream.off("error", reject);
      // Later write errors (disk full) must not end the server; the log is best effort.
      stream.on("error", () => undefined);
      resolve(stream);
    });
    stream.once("error", reject);
  });
}
