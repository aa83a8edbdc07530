import { ByteQueue } from "../../bytes/byte-queue.js";
import { concatBytes } from "../../bytes/bytes.js";
import { UnexpectedEOFError } from "../../errors.js";
import { ExtOrStateError } from "./errors.js";

/**
 * What one push() into an ExtORPort handshake produced. The handshakes are
 * sans-IO: they never read, write or time anything; the adapter writes
 * `send`, and once `done` it relays `leftover` (bytes that arrived after the
 * handshake and belong to the tunnelled OR stream) and everything after it.
 */
export interface ExtOrStep {
  /** Bytes to write to the peer now (empty when nothing is due). */
  readonly send: Uint8Array;
  /** True once this phase is over. */
  readonly done: boolean;
  /** When done: the bytes after the phase's last byte (often empty). Otherwise empty. */
  readonly leftover: Uint8Array;
}

export const EMPTY: Uint8Array = new Uint8Array(0);

export function continueStep(send: Uint8Array): ExtOrStep {
  return { send, done: false, leftover: EMPTY };
}

/**
 * Shared life cycle of the handshake machines: a throw poisons the machine
 * (every later call rethrows the same error, as StreamDecoder does), a push
 * after completion is a programmer error, and finish() (the peer closed)
 * before completion is an UnexpectedEOFError.
 */
export abstract class HandshakeMachine {
  #failure: { error: unknown } | undefined;

  /** A short description of the phase, for error messages. */
  protected abstract readonly what: string;
  /** True once the phase is complete. */
  protected abstract get complete(): boolean;
  /** Bytes received and not yet consumed. */
  abstract get buffered(): number;

  /** True after a throw; the connection must be closed. */
  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Declares that the peer closed the stream; throws unless the phase completed. */
  finish(): void {
    this.guard(() => {
      if (!this.complete) throw new UnexpectedEOFError(this.what, this.buffered);
    });
  }

  /** Runs `fn` unless poisoned; a throw poisons the machine. */
  protected guard<T>(fn: () => T): T {
    if (this.#failure !== undefined) throw this.#failure.error;
    try {
      return fn();
    } catch (e) {
      this.#failure = { error: e };
      throw e;
    }
  }

  /** Throws ExtOrStateError (without poisoning) when the phase is already over. */
  protected assertOpen(): void {
    if (this.#failure === undefined && this.complete) {
      throw new ExtOrStateError(`${this.what} is already complete; relay the stream instead of pushing`);
    }
  }
}

/**
 * A handshake phase that reads fixed-size fields from a byte queue: push()
 * buffers the chunk and runs the current state's handler until one needs
 * more bytes, collecting what the handlers send. Once the phase completes,
 * every byte still buffered is the next phase's (`leftover`): tor keeps
 * reading after the last byte, so commands may follow in the same chunk.
 */
export abstract class QueuedHandshake extends HandshakeMachine {
  protected readonly queue = new ByteQueue();

  get buffered(): number {
    return this.queue.length;
  }

  /** Runs the handler of the current state; true when it consumed input and may continue. */
  protected abstract advance(send: Uint8Array[]): boolean;

  /** The body of push(), after the subclass's own precondition checks. */
  protected drive(chunk: Uint8Array): ExtOrStep {
    this.assertOpen();
    return this.guard(() => {
      this.queue.push(chunk);
      const send: Uint8Array[] = [];
      while (this.advance(send));
      const out = concatBytes(...send);
      if (!this.complete) return continueStep(out);
      return { send: out, done: true, leftover: this.queue.readAll() };
    });
  }
}
