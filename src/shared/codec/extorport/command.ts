import { ByteQueue } from "../../bytes/byte-queue.js";
import { readU16BE, writeU16BE } from "../../bytes/bytes.js";
import { LimitError, UnexpectedEOFError } from "../../errors.js";
import type { StreamDecoder } from "../decoder.js";
import { ExtOrErrorCode } from "./errors.js";

/**
 * Extended ORPort command framing (tor-ext-orport-spec.txt §3.1):
 *
 *     COMMAND [2 bytes, big-endian]
 *     BODYLEN [2 bytes, big-endian]
 *     BODY    [BODYLEN bytes]
 */

/** Transport → bridge: no more metadata; what follows is the tunnelled stream (§3.1). */
export const EXTOR_CMD_DONE = 0x0000;
/** Transport → bridge: the client's address, `1.2.3.4:5678` or `[1:2::3:4]:5678` (§3.2.1). */
export const EXTOR_CMD_USERADDR = 0x0001;
/** Transport → bridge: the transport's name, a C identifier (§3.2.2). */
export const EXTOR_CMD_TRANSPORT = 0x0002;
/** Bridge → transport: send the user's traffic (§3.1). */
export const EXTOR_CMD_OKAY = 0x1000;
/** Bridge → transport: refuse this client for a while (§3.1). */
export const EXTOR_CMD_DENY = 0x1001;
/** Bridge → transport: reserved, "not used" (§3.1); ignored like any unknown code. */
export const EXTOR_CMD_CONTROL = 0x1002;

/** Size of COMMAND + BODYLEN. */
export const EXTOR_COMMAND_HEADER_LENGTH = 4;
/** Largest BODY: BODYLEN is 16 bits, so 65535 (goptlib rejects 65536 when sending). */
export const MAX_EXTOR_BODY = 65535;

export interface ExtOrCommand {
  /** The 16-bit command code, known or not: "Parties MUST ignore command codes that they do not understand." */
  readonly command: number;
  /** The body; a view into the pushed chunk when it lay in one (no copy). */
  readonly body: Uint8Array;
}

const NAMES: ReadonlyMap<number, string> = new Map([
  [EXTOR_CMD_DONE, "DONE"],
  [EXTOR_CMD_USERADDR, "USERADDR"],
  [EXTOR_CMD_TRANSPORT, "TRANSPORT"],
  [EXTOR_CMD_OKAY, "OKAY"],
  [EXTOR_CMD_DENY, "DENY"],
  [EXTOR_CMD_CONTROL, "CONTROL"],
]);

/** The spec's name for a command code, or undefined for a code it does not define. */
export function extOrCommandName(command: number): string | undefined {
  return NAMES.get(command);
}

/**
 * Frames one command. Throws RangeError for a code outside 0..0xffff or a
 * body over MAX_EXTOR_BODY (a programmer error: the body would not fit
 * BODYLEN), TypeError for a body that is not bytes.
 */
export function encodeExtOrCommand(command: number, body: Uint8Array = new Uint8Array(0)): Uint8Array {
  if (!Number.isInteger(command) || command < 0 || command > 0xffff) {
    throw new RangeError(`ExtORPort command code must be an integer in 0..0xffff, got ${command}`);
  }
  if (!(body instanceof Uint8Array)) throw new TypeError("ExtORPort command body must be a Uint8Array");
  if (body.length > MAX_EXTOR_BODY) {
    throw new RangeError(`ExtORPort command body is ${body.length} bytes; the maximum is ${MAX_EXTOR_BODY}`);
  }
  const out = new Uint8Array(EXTOR_COMMAND_HEADER_LENGTH + body.length);
  writeU16BE(out, 0, command);
  writeU16BE(out, 2, body.length);
  out.set(body, EXTOR_COMMAND_HEADER_LENGTH);
  return out;
}

export interface ExtOrCommandDecoderOptions {
  /**
   * Largest BODYLEN accepted, at most MAX_EXTOR_BODY (the default). A lower
   * value bounds what one peer can make us buffer; a longer body is a
   * LimitError (ERR_EXTOR_BODY_TOO_LONG) as soon as its header arrives.
   */
  readonly maxBody?: number;
}

/**
 * Incremental decoder for §3.1 commands. Besides the StreamDecoder contract
 * it can decode one command at a time (`feed` + `next`) and hand back the
 * undecoded rest (`takeRemaining`): the handshakes stop at DONE or OKAY,
 * after which the bytes belong to the relayed OR stream, not to this codec.
 * It buffers at most one partial command (4 + maxBody bytes).
 */
export class ExtOrCommandDecoder implements StreamDecoder<ExtOrCommand> {
  readonly #queue = new ByteQueue();
  readonly #maxBody: number;
  #error: unknown = undefined;

  constructor(options: ExtOrCommandDecoderOptions = {}) {
    const maxBody = options.maxBody ?? MAX_EXTOR_BODY;
    if (!Number.isInteger(maxBody) || maxBody < 0 || maxBody > MAX_EXTOR_BODY) {
      throw new RangeError(`maxBody must be an integer in 0..${MAX_EXTOR_BODY}, got ${maxBody}`);
    }
    this.#maxBody = maxBody;
  }

  /** Bytes held: undecoded input, at most one partial command after push(). */
  get buffered(): number {
    return this.#queue.length;
  }

  push(chunk: Uint8Array): ExtOrCommand[] {
    this.feed(chunk);
    const out: ExtOrCommand[] = [];
    for (let c = this.next(); c !== undefined; c = this.next()) out.push(c);
    return out;
  }

  /** Buffers `chunk` without decoding; follow with next(). */
  feed(chunk: Uint8Array): void {
    this.#rethrow();
    this.#queue.push(chunk);
  }

  /** The next complete command, or undefined until more bytes arrive. */
  next(): ExtOrCommand | undefined {
    this.#rethrow();
    if (this.#queue.length < EXTOR_COMMAND_HEADER_LENGTH) return undefined;
    const header = this.#queue.peek(EXTOR_COMMAND_HEADER_LENGTH);
    const command = readU16BE(header, 0);
    const length = readU16BE(header, 2);
    if (length > this.#maxBody) {
      this.#error = new LimitError(
        ExtOrErrorCode.BODY_TOO_LONG,
        `ExtORPort command 0x${command.toString(16).padStart(4, "0")} announces a ${length}-byte body; the limit is ${this.#maxBody}`,
        this.#maxBody,
      );
      throw this.#error;
    }
    if (this.#queue.length < EXTOR_COMMAND_HEADER_LENGTH + length) return undefined;
    this.#queue.skip(EXTOR_COMMAND_HEADER_LENGTH);
    return { command, body: this.#queue.read(length) };
  }

  /** Removes and returns every byte not yet decoded (the start of the next protocol). */
  takeRemaining(): Uint8Array {
    this.#rethrow();
    return this.#queue.readAll();
  }

  finish(): void {
    this.#rethrow();
    if (this.#queue.length > 0) {
      this.#error = new UnexpectedEOFError("an ExtORPort command", this.#queue.length);
      throw this.#error;
    }
  }

  #rethrow(): void {
    if (this.#error !== undefined) throw this.#error;
  }
}
