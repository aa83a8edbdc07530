/**
 * A PT's stderr, read by its parent. Mostly human text, but PT 2.x writes
 * its error lines there ("As this is an error, this message is written to
 * STDERR", PT 2.1 §1.2.1-§1.2.3), and LOG/STATUS may come "via stdout or
 * stderr" (tor ipc.md §3.3.4-§3.3.5). So each line is offered to the IPC
 * parser when its keyword is one of those, and passed on as text otherwise.
 * Unlike stdout, nothing here may fail the PT: stderr is not the protocol
 * channel in version 1 (tor reads only stdout).
 */
import { parseIpcLine, type IpcMessage } from "../../shared/codec/pt-ipc/index.js";
import { MAX_IPC_LINE_BYTES } from "../../shared/codec/pt-ipc/index.js";

/** Keywords recognised on stderr; every other stderr line is plain text. */
export const STDERR_IPC_KEYWORDS: readonly string[] = [
  "VERSION-ERROR",
  "ENV-ERROR",
  "PROXY-ERROR",
  "CMETHOD-ERROR",
  "SMETHOD-ERROR",
  "LOG",
  "STATUS",
];

/** Longest stderr line kept, in characters; the rest of a longer line is dropped. */
export const MAX_STDERR_LINE_CHARS = MAX_IPC_LINE_BYTES;

export type StderrLine =
  { readonly kind: "ipc"; readonly message: IpcMessage } | { readonly kind: "text"; readonly text: string };

/** Splits stderr into lines with bounded memory: a line longer than the limit is cut, never buffered whole. */
export class StderrLineSplitter {
  #partial = "";
  #overflow = false;
  readonly #decoder = new TextDecoder("utf-8");

  push(chunk: Uint8Array): StderrLine[] {
    const text = this.#decoder.decode(chunk, { stream: true });
    const out: StderrLine[] = [];
    let start = 0;
    for (;;) {
      const nl = text.indexOf("\n", start);
      const piece = text.slice(start, nl < 0 ? text.length : nl);
      if (!this.#overflow) {
        this.#partial += piece;
        if (this.#partial.length > MAX_STDERR_LINE_CHARS) {
          this.#partial = this.#partial.slice(0, MAX_STDERR_LINE_CHARS);
          this.#overflow = true;
        }
      }
      if (nl < 0) break;
      out.push(classify(this.#partial));
      this.#partial = "";
      this.#overflow = false;
      start = nl + 1;
    }
    return out;
  }

  /** The unterminated last line, if any (call when stderr ends). */
  finish(): StderrLine[] {
    const rest = this.#partial + this.#decoder.decode();
    this.#partial = "";
    return rest === "" ? [] : [classify(rest.slice(0, MAX_STDERR_LINE_CHARS))];
  }
}

function classify(raw: string): StderrLine {
  const line = raw.endsWith("\r") ? raw.slice(0, -1) : raw;
  const space = line.indexOf(" ");
  const keyword = space < 0 ? line : line.slice(0, space);
  if (STDERR_IPC_KEYWORDS.includes(keyword)) {
    try {
      const message = parseIpcLine(line);
      if (message.kind !== "UNKNOWN") return { kind: "ipc", message };
    } catch {
      // A malformed error line on stderr is still worth showing as text.
    }
  }
  return { kind: "text", text: line };
}
