/**
 * The only writer of a PT's stdout: IPC lines formatted by the shared codec
 * (which refuses unsafe bytes), so nothing but IPC ever reaches the parent.
 * Human logs go to stderr with client addresses scrubbed unless the operator
 * opts out.
 */
import {
  formatIpcMessage,
  type IpcMessage,
  type LogSeverity,
  type PtVersion,
} from "../../shared/codec/pt-ipc/index.js";

/** tor truncates long LOG lines anyway; keep ours well under MAX_IPC_LINE_BYTES. */
export const MAX_LOG_MESSAGE_CHARS = 2000;

const IPV4 = /\b(?:\d{1,3}\.){3}\d{1,3}\b/g;
// Bracketed or bare IPv6 with at least two colons; conservative enough to leave times like 12:34 alone.
const IPV6 = /\[?\b(?:[0-9a-fA-F]{0,4}:){2,7}[0-9a-fA-F]{0,4}\b\]?/g;

/** Replaces IP addresses with `[scrubbed]` (tor's convention) so logs do not identify users. */
export function scrubAddresses(text: string): string {
  return text.replace(IPV6, (m) => (m.split(":").length > 2 ? "[scrubbed]" : m)).replace(IPV4, "[scrubbed]");
}

export interface IpcOutOptions {
  readonly version: PtVersion;
  readonly write?: (line: string) => void;
  readonly writeErr?: (line: string) => void;
  /** Keep client addresses in logs (default false: scrubbed). */
  readonly unsafeLogging?: boolean;
}

export class IpcOut {
  readonly version: PtVersion;
  readonly #write: (line: string) => void;
  readonly #writeErr: (line: string) => void;
  readonly #unsafe: boolean;

  constructor(options: IpcOutOptions) {
    this.version = options.version;
    this.#write = options.write ?? ((l) => process.stdout.write(l));
    this.#writeErr = options.writeErr ?? ((l) => process.stderr.write(l));
    this.#unsafe = options.unsafeLogging ?? false;
  }

  send(msg: IpcMessage): void {
    this.#write(formatIpcMessage(msg, { version: this.version }) + "\n");
  }

  /** A LOG line for the parent (tor shows it in its log) and the same text on stderr. */
  log(severity: LogSeverity, message: string): void {
    const text = (this.#unsafe ? message : scrubAddresses(message)).slice(0, MAX_LOG_MESSAGE_CHARS);
    this.send({ kind: "LOG", severity, message: text });
    this.#writeErr(`${new Date().toISOString()} [${severity}] ${text}\n`);
  }

  status(transport: string, fields: readonly (readonly [string, string])[]): void {
    this.send({ kind: "STATUS", transport, fields });
  }
}
