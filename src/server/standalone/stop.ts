/**
 * Stop requests for the standalone server: SIGINT, SIGTERM, or an embedding
 * program's AbortSignal. Listened for from before the server starts, so a
 * signal that arrives while it is starting up (or right after the banner is
 * printed) is queued, not left to the default action that kills the process.
 */
export interface StopSources {
  /** Listen for SIGINT/SIGTERM (default true). */
  readonly handleSignals?: boolean;
  readonly signal?: AbortSignal;
}

export class StopRequests {
  readonly #pending: string[] = [];
  #handler: ((why: string) => void) | undefined;
  readonly #detach: () => void;

  constructor(sources: StopSources) {
    const request = (why: string) => (): void => {
      if (this.#handler === undefined) this.#pending.push(why);
      else this.#handler(why);
    };
    const onSigint = request("SIGINT");
    const onSigterm = request("SIGTERM");
    const onAbort = request("stop requested");
    if (sources.handleSignals ?? true) {
      process.on("SIGINT", onSigint);
      process.on("SIGTERM", onSigterm);
    }
    if (sources.signal?.aborted === true) onAbort();
    else sources.signal?.addEventListener("abort", onAbort, { once: true });
    this.#detach = () => {
      process.off("SIGINT", onSigint);
      process.off("SIGTERM", onSigterm);
      sources.signal?.removeEventListener("abort", onAbort);
    };
  }

  /** Whether a request arrived before a handler was set. */
  get pending(): boolean {
    return this.#pending.length > 0;
  }

  /** Delivers the queued requests, then every later one, to `handler`. */
  onRequest(handler: (why: string) => void): void {
    this.#handler = handler;
    for (const why of this.#pending.splice(0)) handler(why);
  }

  /** Stops listening; the default signal actions apply again. */
  dispose(): void {
    this.#detach();
  }
}
