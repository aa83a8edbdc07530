/**
 * Launching a PT executable as its parent (pt-spec §3, PT 2.1 §1, seed 003's
 * ptadapter): a clean environment with every TOR_PT_* variable set or
 * cleared, stdout parsed with the shared IPC decoder until `CMETHODS DONE` /
 * `SMETHODS DONE` (stderr too, where PT 2.x writes its error lines), LOG and
 * STATUS surfaced as events, and the shutdown ladder (close stdin → wait →
 * SIGTERM → wait → SIGKILL, to the PT's whole process group) so no process
 * outlives us. The typed adapters (ClientAdapter, ServerAdapter,
 * ExtServerAdapter) are built on this.
 */
import type { ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import {
  IpcLineDecoder,
  type CmethodMessage,
  type IpcMessage,
  type LogMessage,
  type SmethodMessage,
  type StatusMessage,
} from "../../shared/codec/pt-ipc/index.js";
import { PtLaunchError, type MethodFailure, type PtLaunchErrorCode } from "./errors.js";
import { exitOf, shutdownLadder, spawnInGroup, type ExitInfo } from "./process-group.js";
import { StartupTracker, type PtRole, type StartupFailure } from "./pt-startup.js";
import { StderrLineSplitter, type StderrLine } from "./stderr-lines.js";

export { PtLaunchError, type PtLaunchErrorCode } from "./errors.js";
export type { ExitInfo } from "./process-group.js";

/** How long a PT may take to print its DONE line. */
export const DEFAULT_PT_START_TIMEOUT_MS = 15_000;
/** Each rung of the shutdown ladder waits this long before the next. */
export const DEFAULT_PT_SHUTDOWN_GRACE_MS = 2_000;
/** stderr kept for error messages (the tail, in characters). */
export const MAX_PT_STDERR_TAIL = 4096;
/**
 * After the PT exits, how long to wait for its pipes to drain before judging
 * the exit: a PT that prints `VERSION-ERROR` and exits must be reported as a
 * version error, not an early exit, even when 'exit' beats the stdout data.
 */
export const PT_EXIT_DRAIN_MS = 250;

export interface PtLaunchOptions {
  /** argv: the executable and its arguments. */
  readonly command: readonly [string, ...string[]];
  readonly role: PtRole;
  readonly transports: readonly string[];
  /** TOR_PT_MANAGED_TRANSPORT_VER; default "1" (what tor sends). */
  readonly versions?: string;
  /** TOR_PT_STATE_LOCATION; a temporary directory (removed on close) when absent. */
  readonly stateDir?: string;
  /** TOR_PT_EXIT_ON_STDIN_CLOSE=1 (default true); when false the variable is left unset. */
  readonly exitOnStdinClose?: boolean;
  /** TOR_PT_PROXY (client role); the PT must then answer PROXY DONE or PROXY-ERROR. */
  readonly proxy?: string;
  /** Further variables (TOR_PT_* included); every other TOR_PT_* from our own environment is removed. */
  readonly env?: Readonly<Record<string, string>>;
  /** Fail with ERR_PT_METHOD_ERROR unless every requested transport was launched (default false). */
  readonly requireTransports?: boolean;
  readonly startTimeoutMs?: number;
  readonly shutdownGraceMs?: number;
  readonly signal?: AbortSignal;
  /**
   * Called with the PtProcess before any of its output is read, to subscribe
   * to its events: LOG / STATUS lines printed during startup, or in the same
   * chunk as DONE, are emitted before launchPt resolves.
   */
  readonly onSpawn?: (pt: PtProcess) => void;
}

export interface PtProcessEvents {
  log: [LogMessage];
  status: [StatusMessage];
  /** Unknown keywords at any time, and any other line after startup (method lines are collected, not emitted). */
  message: [IpcMessage];
  /** A stderr line that is not an IPC message. */
  stderr: [string];
  /** stdout broke the line grammar after startup; later stdout is drained but not parsed. */
  outputError: [PtLaunchError];
  exit: [ExitInfo];
}

export class PtProcess extends EventEmitter<PtProcessEvents> {
  readonly child: ChildProcess;
  readonly stateDir: string;
  /** The version from the PT's VERSION line ("" until then). */
  version = "";
  proxyDone = false;
  readonly cmethods: CmethodMessage[] = [];
  readonly smethods: SmethodMessage[] = [];
  readonly methodErrors: MethodFailure[] = [];
  readonly #ownsStateDir: boolean;
  readonly #graceMs: number;
  readonly #exited: Promise<ExitInfo>;
  #stderrTail = "";
  #closing: Promise<ExitInfo> | undefined;

  constructor(child: ChildProcess, stateDir: string, ownsStateDir: boolean, graceMs: number) {
    super();
    this.child = child;
    this.stateDir = stateDir;
    this.#ownsStateDir = ownsStateDir;
    this.#graceMs = graceMs;
    this.#exited = exitOf(child).then((info) => {
      this.emit("exit", info);
      return info;
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  /** Appends to the stderr tail (kept bounded). */
  noteStderr(text: string): void {
    this.#stderrTail = (this.#stderrTail + text).slice(-MAX_PT_STDERR_TAIL);
  }

  get exited(): Promise<ExitInfo> {
    return this.#exited;
  }

  /** Whether the process is still running. */
  get running(): boolean {
    return this.child.pid !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The address of a transport's listener (client: its SOCKS port; server: its public port). */
  method(transport: string): CmethodMessage | SmethodMessage | undefined {
    return [...this.cmethods, ...this.smethods].find((m) => m.transport === transport);
  }

  /** The shutdown ladder; resolves with how the process ended. Idempotent. */
  close(): Promise<ExitInfo> {
    this.#closing ??= (async () => {
      const { code, signal } = await shutdownLadder(this.child, this.#exited, this.#graceMs);
      if (this.#ownsStateDir) await rm(this.stateDir, { recursive: true, force: true });
      return { code, signal };
    })();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** The parent's environment minus anything that would leak into the PT's configuration. */
export function cleanPtEnv(
  extra: Readonly<Record<string, string>>,
  base: Readonly<NodeJS.ProcessEnv> = process.env,
): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(base)) if (!k.startsWith("TOR_PT_")) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Starts a PT and resolves once it has printed its methods and DONE line.
 * Rejects with a PtLaunchError (and leaves no process behind) on any *-ERROR
 * line that ends startup, an early exit, garbage on stdout, or a timeout.
 */
export async function launchPt(options: PtLaunchOptions): Promise<PtProcess> {
  if (options.signal?.aborted) {
    throw new PtLaunchError("ERR_PT_ABORTED", "PT launch aborted", undefined, "", { cause: options.signal.reason });
  }
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(tmpdir(), "webpt-pt-")));
  const versions = options.versions ?? "1";
  const transportsVar = options.role === "client" ? "TOR_PT_CLIENT_TRANSPORTS" : "TOR_PT_SERVER_TRANSPORTS";
  const env = cleanPtEnv({
    TOR_PT_MANAGED_TRANSPORT_VER: versions,
    TOR_PT_STATE_LOCATION: stateDir,
    ...(options.exitOnStdinClose === false ? {} : { TOR_PT_EXIT_ON_STDIN_CLOSE: "1" }),
    [transportsVar]: options.transports.join(","),
    ...(options.proxy === undefined ? {} : { TOR_PT_PROXY: options.proxy }),
    ...options.env,
  });
  const [file, ...args] = options.command;
  const child = spawnInGroup(file, args, { env });
  const pt = new PtProcess(child, stateDir, ownsStateDir, options.shutdownGraceMs ?? DEFAULT_PT_SHUTDOWN_GRACE_MS);
  options.onSpawn?.(pt);
  const tracker = new StartupTracker({
    role: options.role,
    offered: versions.split(","),
    proxyRequested: env.TOR_PT_PROXY !== undefined,
    transports: options.transports,
    requireAll: options.requireTransports === true,
  });
  const startTimeoutMs = options.startTimeoutMs ?? DEFAULT_PT_START_TIMEOUT_MS;

  let started = false;
  let settle: { ok: () => void; fail: (f: StartupFailure, cause?: unknown) => void } | undefined;
  const startup = new Promise<void>((resolve, reject) => {
    settle = {
      ok: () => {
        settle = undefined;
        started = true;
        resolve();
      },
      fail: (f, cause) => {
        settle = undefined;
        const err = new PtLaunchError(f.code, f.message, f.detail, pt.stderrTail, {
          cause,
          pid: child.pid,
          ...(f.failures ? { failures: f.failures } : {}),
        });
        reject(err);
      },
    };
  });
  const fail = (code: PtLaunchErrorCode, message: string, cause?: unknown): void =>
    settle?.fail({ code, message }, cause);

  const sync = (): void => {
    pt.version = tracker.version ?? "";
    pt.proxyDone = tracker.proxyDone;
    pt.cmethods.splice(0, pt.cmethods.length, ...tracker.cmethods);
    pt.smethods.splice(0, pt.smethods.length, ...tracker.smethods);
    pt.methodErrors.splice(0, pt.methodErrors.length, ...tracker.methodErrors);
  };
  const surface = (m: IpcMessage): void => {
    if (m.kind === "LOG") pt.emit("log", m);
    else if (m.kind === "STATUS") pt.emit("status", m);
    else if (m.kind === "UNKNOWN" || started) pt.emit("message", m);
  };

  // stdout: the protocol channel. It is read for the PT's whole life, so the pipe never fills up.
  const decoder = new IpcLineDecoder();
  let outputBroken = false;
  child.stdout.on("data", (chunk: Buffer) => {
    if (outputBroken) return;
    let msgs: IpcMessage[];
    try {
      msgs = decoder.push(chunk);
    } catch (err) {
      outputBroken = true;
      const why = `PT wrote a malformed line on stdout: ${(err as Error).message}`;
      if (settle) return fail("ERR_PT_BAD_OUTPUT", why, err);
      pt.emit(
        "outputError",
        new PtLaunchError("ERR_PT_BAD_OUTPUT", why, undefined, pt.stderrTail, { cause: err, pid: child.pid }),
      );
      return;
    }
    for (const m of msgs) {
      if (settle) {
        const verdict = tracker.accept(m);
        sync();
        if (verdict.kind === "fail") return settle.fail(verdict.failure);
        if (verdict.kind === "done") settle.ok();
      }
      surface(m);
    }
  });

  // stderr: human text, plus PT 2.x's error lines.
  const splitter = new StderrLineSplitter();
  const onStderrLine = (line: StderrLine): void => {
    if (line.kind === "text") {
      pt.emit("stderr", line.text);
      return;
    }
    if (settle) {
      const verdict = tracker.acceptStderr(line.message);
      sync();
      if (verdict.kind === "fail") settle.fail(verdict.failure);
    }
    if (line.message.kind === "LOG" || line.message.kind === "STATUS") surface(line.message);
  };
  child.stderr.on("data", (chunk: Buffer) => {
    pt.noteStderr(chunk.toString("utf8"));
    for (const line of splitter.push(chunk)) onStderrLine(line);
  });
  child.stderr.once("end", () => splitter.finish().forEach(onStderrLine));

  const timer = setTimeout(
    () => fail("ERR_PT_START_TIMEOUT", `PT printed no ${tracker.doneKind} within ${startTimeoutMs} ms`),
    startTimeoutMs,
  );
  const onAbort = (): void => fail("ERR_PT_ABORTED", "PT launch aborted", options.signal?.reason);
  child.once("error", (err) => {
    if (child.pid === undefined) fail("ERR_PT_SPAWN", `cannot start ${file}: ${err.message}`, err);
  });
  void pt.exited.then(async (info) => {
    if (!settle || child.pid === undefined) return;
    // Let the pipes drain: the reason for the exit is usually its last line.
    await drained(child, PT_EXIT_DRAIN_MS);
    fail("ERR_PT_EARLY_EXIT", `PT exited before ${tracker.doneKind} (code ${info.code}, signal ${info.signal})`);
  });
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener("abort", onAbort, { once: true });

  try {
    await startup;
  } catch (err) {
    await pt.close();
    throw err;
  } finally {
    clearTimeout(timer);
    options.signal?.removeEventListener("abort", onAbort);
  }
  return pt;
}

/** Resolves when both output pipes have ended, or after `ms`. */
function drained(child: ChildProcess, ms: number): Promise<void> {
  const ended = (s: NodeJS.ReadableStream | null): Promise<void> =>
    s === null || (s as unknown as { readableEnded: boolean }).readableEnded
      ? Promise.resolve()
      : new Promise((r) => {
          s.once("end", () => r());
          s.once("close", () => r());
        });
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    void Promise.all([ended(child.stdout), ended(child.stderr)]).then(() => {
      clearTimeout(t);
      resolve();
    });
  });
}
