/**
 * An incremental decoder for a PT's stdout, for a parent process (pt-spec
 * 1.0 §3.3: "NL-terminated lines"). It follows the StreamDecoder contract:
 * any chunking, messages in order, a named limit, poisoned after a throw.
 *
 * Framing is tor's (`process_read_lines`): a line ends at LF, and one CR just
 * before the LF is dropped, so PTs that print CRLF still parse. Bytes are
 * decoded as UTF-8 with replacement characters — the grammar is US-ASCII, but
 * a sloppy PT's human-readable text must not make the parent fail; structured
 * fields are validated by {@link parseIpcLine} anyway. A NUL byte anywhere in
 * a line is an error, as the grammar forbids it and tor's C strings would
 * silently cut the line there.
 */
import { ByteQueue } from "../../bytes/index.js";
import { UnexpectedEOFError } from "../../errors.js";
import type { StreamDecoder } from "../decoder.js";
import { IpcLineTooLongError, IpcParseError, IpcParseErrorCode } from "./errors.js";
import { MAX_IPC_LINE_BYTES } from "./format.js";
import { parseIpcLine } from "./parse.js";
import type { ParseOptions } from "./parse.js";
import type { IpcMessage } from "./types.js";

const LF = 0x0a;
const CR = 0x0d;

export interface IpcLineDecoderOptions extends ParseOptions {
  /** Longest accepted line in bytes, without the LF. Default and maximum: MAX_IPC_LINE_BYTES. */
  readonly maxLineBytes?: number;
}

export class IpcLineDecoder implements StreamDecoder<IpcMessage> {
  readonly #pending = new ByteQueue();
  readonly #maxLineBytes: number;
  readonly #parseOptions: ParseOptions;
  readonly #text = new TextDecoder("utf-8");
  #error: unknown = undefined;

  constructor(options: IpcLineDecoderOptions = {}) {
    const max = options.maxLineBytes ?? MAX_IPC_LINE_BYTES;
    if (!Number.isInteger(max) || max < 1 || max > MAX_IPC_LINE_BYTES) {
      throw new RangeError(`maxLineBytes must be an integer in 1..${MAX_IPC_LINE_BYTES}`);
    }
    this.#maxLineBytes = max;
    this.#parseOptions = options.strict === undefined ? {} : { strict: options.strict };
  }

  /** Bytes of an unfinished line currently held (never more than the line limit). */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): IpcMessage[] {
    if (this.#error !== undefined) throw this.#error;
    try {
      return this.#push(chunk);
    } catch (e) {
      this.#error = e;
      this.#pending.clear();
      throw e;
    }
  }

  finish(): void {
    if (this.#error !== undefined) throw this.#error;
    if (this.#pending.length > 0) {
      this.#error = new UnexpectedEOFError("an IPC line (no terminating newline)", this.#pending.length);
      throw this.#error;
    }
  }

  #push(chunk: Uint8Array): IpcMessage[] {
    const out: IpcMessage[] = [];
    let offset = 0;
    // Scan only the new bytes for LF, so 1-byte chunks stay linear.
    while (offset < chunk.length) {
      const nl = chunk.indexOf(LF, offset);
      const end = nl < 0 ? chunk.length : nl;
      // The limit is checked before buffering, so memory stays bounded.
      if (this.#pending.length + (end - offset) > this.#maxLineBytes) {
        throw new IpcLineTooLongError(
          IpcParseErrorCode.LINE_TOO_LONG,
          `IPC line longer than ${this.#maxLineBytes} bytes`,
          this.#maxLineBytes,
        );
      }
      this.#pending.push(chunk.subarray(offset, end));
      if (nl < 0) break;
      out.push(this.#line(this.#pending.readAll()));
      offset = nl + 1;
    }
    return out;
  }

  #line(bytes: Uint8Array): IpcMessage {
    const body = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.subarray(0, -1) : bytes;
    if (body.includes(0)) {
      throw new IpcParseError(IpcParseErrorCode.FORBIDDEN_BYTE, "NUL byte inside an IPC line");
    }
    return parseIpcLine(this.#text.decode(body), this.#parseOptions);
  }
}

/** Convenience: every message in a complete stdout capture (throws if it ends mid-line). */
export function decodeIpcLines(bytes: Uint8Array, options: IpcLineDecoderOptions = {}): IpcMessage[] {
  const decoder = new IpcLineDecoder(options);
  const out = decoder.push(bytes);
  decoder.finish();
  return out;
}
