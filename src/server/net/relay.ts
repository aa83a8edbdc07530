/**
 * Joins two byte streams both ways (the last hop of every transport: an
 * obfs4 stream to the ORPort, a SOCKS client to an obfs4 stream). Half-close
 * is passed on; an abortive close on either side destroys both, a clean one
 * lets the partner flush and finish within RELAY_LINGER_MS, so no socket
 * outlives its partner for long. Backpressure is pipe()'s.
 */
import type { Duplex } from "node:stream";

/** After one side closed cleanly, how long the other may take to finish before it is destroyed. */
export const RELAY_LINGER_MS = 30_000;

export interface RelayResult {
  readonly error?: Error;
}

export function relay(a: Duplex, b: Duplex): Promise<RelayResult> {
  return new Promise((resolve) => {
    let error: Error | undefined;
    let closed = 0;
    a.pipe(b);
    b.pipe(a);
    const onError = (err: Error): void => {
      error ??= err;
      a.destroy();
      b.destroy();
    };
    a.on("error", onError);
    b.on("error", onError);
    let linger: ReturnType<typeof setTimeout> | undefined;
    const onClose = (self: Duplex, other: Duplex) => (): void => {
      if (!self.readableEnded) {
        // Closed without a clean end (reset, error, destroy): abort the partner too.
        other.destroy();
      } else if (!other.destroyed) {
        // Clean end: pipe() has ended the partner's write side so its buffered bytes still flush;
        // give it RELAY_LINGER_MS to finish its own direction, then stop waiting.
        linger = setTimeout(() => other.destroy(), RELAY_LINGER_MS);
      }
      if (++closed === 2) {
        clearTimeout(linger);
        resolve(error === undefined ? {} : { error });
      }
    };
    a.once("close", onClose(a, b));
    b.once("close", onClose(b, a));
  });
}
