/**
 * What ClientAdapter, ServerAdapter and ExtServerAdapter share (seed 003,
 * "Common aspects"): the PT command line, a state directory (temporary when
 * none is given), TOR_PT_EXIT_ON_STDIN_CLOSE, start() and close() with the
 * shutdown ladder, `await using`, one AbortSignal for the adapter's whole
 * life, and the PT's LOG / STATUS / other lines re-emitted as events.
 */
import { EventEmitter } from "node:events";
import type { IpcMessage, LogMessage, StatusMessage } from "../../shared/codec/pt-ipc/index.js";
import { AdapterError, type PtLaunchError } from "./errors.js";
import type { ExitInfo } from "./process-group.js";
import {
  DEFAULT_PT_SHUTDOWN_GRACE_MS,
  DEFAULT_PT_START_TIMEOUT_MS,
  launchPt,
  type PtLaunchOptions,
  type PtProcess,
} from "./pt-process.js";

/** The versions an adapter offers by default: both that we speak; the PT picks (PT 2.1 §1.1.1). */
export const DEFAULT_ADAPTER_VERSIONS: readonly string[] = ["1", "2"];

export interface PtAdapterOptions {
  /** The PT executable and its arguments (ptadapter's `pt_exec`). */
  readonly command: readonly [string, ...string[]];
  /** TOR_PT_STATE_LOCATION. When absent a temporary directory is created and removed on close. */
  readonly stateDir?: string;
  /** Set TOR_PT_EXIT_ON_STDIN_CLOSE=1 (default true), so closing stdin is the first rung of close(). */
  readonly exitOnStdinClose?: boolean;
  /** TOR_PT_MANAGED_TRANSPORT_VER, in order (default ["1", "2"]). */
  readonly versions?: readonly string[];
  /** More variables for the PT (set before the adapter's own TOR_PT_* ones, which win). */
  readonly env?: Readonly<Record<string, string>>;
  /** Start even when some requested transports were not launched (default false: start() rejects). */
  readonly allowPartial?: boolean;
  /** How long the PT may take to print its DONE line (default DEFAULT_PT_START_TIMEOUT_MS). */
  readonly startTimeoutMs?: number;
  /** The wait between rungs of the shutdown ladder (default DEFAULT_PT_SHUTDOWN_GRACE_MS). */
  readonly shutdownGraceMs?: number;
  /** Aborting stops the PT: during start() it rejects with ERR_PT_ABORTED; later it closes the adapter. */
  readonly signal?: AbortSignal;
}

export interface PtAdapterEvents {
  log: [LogMessage];
  status: [StatusMessage];
  /** Unknown lines, and lines other than LOG/STATUS after startup. */
  message: [IpcMessage];
  stderr: [string];
  outputError: [PtLaunchError];
  /** The PT process ended (expectedly or not). */
  exit: [ExitInfo];
}

type AdapterState = "new" | "starting" | "running" | "closing" | "closed";

// Events are declared by each subclass; the base emits through this narrower view.
type BaseEmitter = EventEmitter<PtAdapterEvents>;

export abstract class PtAdapter<
  E extends PtAdapterEvents & Record<keyof E, unknown[]> = PtAdapterEvents,
> extends EventEmitter<E> {
  protected readonly options: PtAdapterOptions;
  #pt: PtProcess | undefined;
  #state: AdapterState = "new";
  #closing: Promise<ExitInfo> | undefined;
  #starting: Promise<unknown> | undefined;
  /** Aborted by close(): a close() during start() cancels the launch. */
  readonly #lifetime = new AbortController();
  readonly #exited: Promise<ExitInfo>;
  #resolveExited!: (info: ExitInfo) => void;
  readonly #onAbort = (): void => void this.close();

  constructor(options: PtAdapterOptions) {
    super();
    if (options.command.length === 0 || options.command[0] === "") {
      throw new AdapterError("ERR_ADAPTER_OPTIONS", "command must name the PT executable");
    }
    this.options = options;
    this.#exited = new Promise((resolve) => (this.#resolveExited = resolve));
  }

  /** The role-specific part of the launch: role, transports, TOR_PT_* variables. */
  protected abstract launchOptions(): Promise<Pick<PtLaunchOptions, "role" | "transports" | "env" | "proxy">>;
  /** Runs before the PT is launched (ExtServerAdapter starts its ExtORPort here). */
  protected async beforeLaunch(): Promise<void> {}
  /** Runs after the PT has exited, on close or on a failed start. */
  protected async afterExit(): Promise<void> {}

  /**
   * Launches the PT and resolves once its DONE line arrived. Rejects with a
   * PtLaunchError (the process is gone by then) on any startup failure.
   */
  async start(options: { readonly signal?: AbortSignal } = {}): Promise<this> {
    if (this.#state !== "new") throw new AdapterError("ERR_ADAPTER_STARTED", `start() called in state ${this.#state}`);
    this.#state = "starting";
    const signals = [this.#lifetime.signal, this.options.signal, options.signal].filter(
      (s): s is AbortSignal => s !== undefined,
    );
    const signal = AbortSignal.any(signals);
    const launching = this.#launch(signal);
    this.#starting = launching.catch(() => undefined);
    await launching;
    return this;
  }

  async #launch(signal: AbortSignal): Promise<void> {
    try {
      await this.beforeLaunch();
      const role = await this.launchOptions();
      this.#pt = await launchPt({
        command: this.options.command,
        ...role,
        env: { ...this.options.env, ...role.env },
        versions: (this.options.versions ?? DEFAULT_ADAPTER_VERSIONS).join(","),
        requireTransports: this.options.allowPartial !== true,
        startTimeoutMs: this.options.startTimeoutMs ?? DEFAULT_PT_START_TIMEOUT_MS,
        shutdownGraceMs: this.options.shutdownGraceMs ?? DEFAULT_PT_SHUTDOWN_GRACE_MS,
        ...(this.options.stateDir === undefined ? {} : { stateDir: this.options.stateDir }),
        ...(this.options.exitOnStdinClose === undefined ? {} : { exitOnStdinClose: this.options.exitOnStdinClose }),
        signal,
        onSpawn: (pt) => this.#wire(pt),
      });
    } catch (err) {
      this.#state = "closed";
      await this.afterExit();
      this.#resolveExited({ code: null, signal: null });
      throw err;
    }
    // A close() that began while we were starting wins.
    if (this.#state === "starting") this.#state = "running";
    this.options.signal?.addEventListener("abort", this.#onAbort, { once: true });
    if (this.options.signal?.aborted) void this.close();
  }

  #wire(pt: PtProcess): void {
    const emitter = this as unknown as BaseEmitter;
    pt.on("log", (m) => emitter.emit("log", m));
    pt.on("status", (m) => emitter.emit("status", m));
    pt.on("message", (m) => emitter.emit("message", m));
    pt.on("stderr", (l) => emitter.emit("stderr", l));
    pt.on("outputError", (e) => emitter.emit("outputError", e));
    void pt.exited.then((info) => {
      // A PT that failed to start is reported by start()'s rejection, not as an exit of a running PT.
      if (this.#pt !== undefined) emitter.emit("exit", info);
      this.#resolveExited(info);
    });
  }

  /** The running PT process; throws ERR_ADAPTER_NOT_RUNNING before start() completes or after it exited. */
  get process(): PtProcess {
    if (this.#pt === undefined || this.#state !== "running" || !this.#pt.running) {
      throw new AdapterError("ERR_ADAPTER_NOT_RUNNING", `the PT is not running (adapter ${this.#state})`);
    }
    return this.#pt;
  }

  /** The PT process, if it was launched (running or not). */
  protected get launched(): PtProcess | undefined {
    return this.#pt;
  }

  get state(): AdapterState {
    return this.#state;
  }

  /** The version the PT chose ("" before start). */
  get version(): string {
    return this.#pt?.version ?? "";
  }

  /** The PT's state directory (TOR_PT_STATE_LOCATION), once started. */
  get stateDir(): string | undefined {
    return this.#pt?.stateDir;
  }

  /** Resolves when the PT has exited (or never started); ptadapter's `wait()`. */
  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /** Stops the PT with the shutdown ladder and releases everything; idempotent. */
  close(): Promise<ExitInfo> {
    this.#closing ??= (async () => {
      this.options.signal?.removeEventListener("abort", this.#onAbort);
      if (this.#state === "new") {
        this.#state = "closed";
        this.#resolveExited({ code: null, signal: null });
        return { code: null, signal: null };
      }
      if (this.#state === "starting") {
        // Cancel the launch; start() rejects with ERR_PT_ABORTED and cleans up after itself.
        this.#state = "closing";
        this.#lifetime.abort(new AdapterError("ERR_ADAPTER_NOT_RUNNING", "close() called during start()"));
        await this.#starting;
      }
      if (this.#pt === undefined) return this.#exited;
      this.#state = "closing";
      const info = await this.#pt.close();
      await this.afterExit();
      this.#state = "closed";
      return info;
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
