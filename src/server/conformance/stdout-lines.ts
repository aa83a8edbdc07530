/**
 * A PT's stdout as the checker sees it: raw lines, each judged against the
 * pt-spec §3.3 grammar (`<Keyword> <OptArgs> <NL>`; keyword characters are
 * US-ASCII alphanumerics, dash and underscore; argument characters any
 * US-ASCII but NUL and NL) and, when the grammar holds, parsed with the
 * shared strict IPC parser. Unlike the adapters' decoder this never throws:
 * a checker reports every bad line instead of stopping at the first.
 */
import { parseIpcLine, type IpcMessage } from "../../shared/codec/pt-ipc/index.js";

/** A line longer than this is cut (and reported); the checker's memory stays bounded. */
export const MAX_CHECKED_LINE_BYTES = 64 * 1024;
/** Lines kept per run; a PT that floods stdout is reported, not buffered. */
export const MAX_LINES_PER_RUN = 10_000;

export interface StdoutLine {
  /** The line as text (bytes ≥ 0x80 decoded as U+FFFD, NUL as \u0000), without its LF. */
  readonly text: string;
  /** Grammar problems; empty for a well-formed line. */
  readonly problems: readonly string[];
  /** The parsed message, when the grammar holds and the line parses. */
  readonly message?: IpcMessage;
  /** Why a grammatical line with a known keyword did not parse. */
  readonly parseError?: string;
  /** False for a last line the PT never ended with LF. */
  readonly terminated: boolean;
}

const KEYWORD_CHAR = /^[A-Za-z0-9_-]$/;

/** The grammar problems of one line's bytes (without the LF). */
export function grammarProblems(bytes: Uint8Array): string[] {
  const problems: string[] = [];
  if (bytes.length === 0) return ["empty line (a keyword is required)"];
  let i = 0;
  while (i < bytes.length && bytes[i] !== 0x20) {
    if (!KEYWORD_CHAR.test(String.fromCharCode(bytes[i]!))) {
      problems.push(`keyword character 0x${bytes[i]!.toString(16).padStart(2, "0")} at offset ${i}`);
      break;
    }
    i++;
  }
  if (i === 0) problems.push("line starts with a space (no keyword)");
  let nul = false;
  let high = false;
  for (const b of bytes) {
    if (b === 0) nul = true;
    else if (b >= 0x80) high = true;
  }
  if (nul) problems.push("NUL byte");
  if (high) problems.push("byte ≥ 0x80 (not US-ASCII)");
  return problems;
}

export function judgeLine(bytes: Uint8Array, terminated: boolean): StdoutLine {
  const text = new TextDecoder("utf-8").decode(bytes);
  const problems = grammarProblems(bytes);
  if (!terminated) problems.push("no terminating newline");
  if (problems.length > 0) return { text, problems, terminated };
  const body = text.endsWith("\r") ? text.slice(0, -1) : text;
  try {
    return { text, problems, terminated, message: parseIpcLine(body, { strict: true }) };
  } catch (err) {
    return { text, problems, terminated, parseError: (err as Error).message };
  }
}

/** Splits stdout into judged lines as bytes arrive. */
export class StdoutLineSplitter {
  readonly lines: StdoutLine[] = [];
  #pending: Uint8Array[] = [];
  #pendingBytes = 0;
  #cut = false;
  /** Lines dropped after MAX_LINES_PER_RUN. */
  dropped = 0;
  readonly #onLine: (line: StdoutLine) => void;

  constructor(onLine: (line: StdoutLine) => void = () => undefined) {
    this.#onLine = onLine;
  }

  push(chunk: Uint8Array): void {
    let start = 0;
    while (start <= chunk.length) {
      const nl = chunk.indexOf(0x0a, start);
      const end = nl < 0 ? chunk.length : nl;
      this.#append(chunk.subarray(start, end));
      if (nl < 0) return;
      this.#emit(true);
      start = nl + 1;
    }
  }

  /** Call at EOF: an unterminated last line is judged too. */
  finish(): void {
    if (this.#pendingBytes > 0) this.#emit(false);
  }

  #append(piece: Uint8Array): void {
    if (piece.length === 0) return;
    const room = MAX_CHECKED_LINE_BYTES - this.#pendingBytes;
    if (piece.length > room) this.#cut = true;
    const kept = piece.subarray(0, Math.max(0, room));
    if (kept.length > 0) {
      this.#pending.push(kept.slice());
      this.#pendingBytes += kept.length;
    }
  }

  #emit(terminated: boolean): void {
    const bytes = new Uint8Array(this.#pendingBytes);
    let off = 0;
    for (const p of this.#pending) {
      bytes.set(p, off);
      off += p.length;
    }
    const judged = judgeLine(bytes, terminated);
    const line = this.#cut
      ? { ...judged, problems: [...judged.problems, `longer than ${MAX_CHECKED_LINE_BYTES} bytes`] }
      : judged;
    this.#pending = [];
    this.#pendingBytes = 0;
    this.#cut = false;
    if (this.lines.length >= MAX_LINES_PER_RUN) {
      this.dropped++;
      return;
    }
    this.lines.push(line);
    this.#onLine(line);
  }
}

/** A line for evidence: control characters made visible. */
export function showLine(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\x00-\x1f\x7f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, "0")}`);
}
