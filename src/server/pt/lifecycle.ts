/**
 * How a managed PT ends (CONFORMANCE "stdin"; pt-spec 1.0 §3.4, 2.0 §3.3.3):
 * stdin EOF means "exit gracefully" only with TOR_PT_EXIT_ON_STDIN_CLOSE=1;
 * SIGTERM stops accepting and closes; the first SIGINT stops accepting and
 * lets open connections drain, the second exits; and we exit when the parent
 * dies (our parent pid changes).
 */

/** How often we look for the parent's death (Linux has no portable notification). */
export const PARENT_POLL_MS = 1000;

export interface ShutdownHooks {
  /** Close listeners; open connections keep going. */
  stopAccepting(): void;
  /** Destroy every open connection. */
  closeAll(): void;
  /** How many connections are still open (for the SIGINT drain). */
  openConnections(): number;
  exit(code: number): void;
}

export function installShutdown(exitOnStdinClose: boolean, hooks: ShutdownHooks): () => void {
  let sigints = 0;
  let drainTimer: ReturnType<typeof setInterval> | undefined;
  const now = (): void => {
    hooks.stopAccepting();
    hooks.closeAll();
    hooks.exit(0);
  };
  const onSigint = (): void => {
    if (++sigints > 1) return now();
    hooks.stopAccepting();
    drainTimer = setInterval(() => {
      if (hooks.openConnections() === 0) now();
    }, 100);
  };
  const parent = process.ppid;
  const parentTimer = setInterval(() => {
    if (process.ppid !== parent) now();
  }, PARENT_POLL_MS);
  // Not unref'd: a managed PT runs until told to stop, even with no listener open (PT 2.1 §1.2.2.1: one asked
  // only for transports it does not know still answers CMETHODS DONE and keeps running).
  process.on("SIGTERM", now);
  process.on("SIGINT", onSigint);
  const onStdinEnd = (): void => now();
  if (exitOnStdinClose) {
    process.stdin.on("end", onStdinEnd);
    process.stdin.on("error", onStdinEnd);
    process.stdin.resume();
  }
  return () => {
    clearInterval(parentTimer);
    clearInterval(drainTimer);
    process.off("SIGTERM", now);
    process.off("SIGINT", onSigint);
    process.stdin.off("end", onStdinEnd);
  };
}
