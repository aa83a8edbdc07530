/**
 * Launching a PT executable as its parent (pt-spec §3, seed 003's ptadapter):
 * a clean environment with every TOR_PT_* variable set or cleared, stdout
 * parsed with the shared IPC decoder until `CMETHODS DONE`/`SMETHODS DONE`,
 * LOG and STATUS surfaced as events, and the shutdown ladder
 * (close stdin → wait → SIGTERM → wait → SIGKILL) so no process outlives us.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { EventEmitter } from "node:events";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { WebptError } from "../../shared/errors.js";
import {
  IpcLineDecoder,
  type CmethodMessage,
  type IpcMessage,
  type LogMessage,
  type SmethodMessage,
  type StatusMessage,
} from "../../shared/codec/pt-ipc/index.js";

/** How long a PT may take to print its DONE line. */
export const DEFAULT_PT_START_TIMEOUT_MS = 15_000;
/** Each rung of the shutdown ladder waits this long before the next. */
export const DEFAULT_PT_SHUTDOWN_GRACE_MS = 2_000;
/** stderr kept for error messages (the tail, in bytes). */
export const MAX_PT_STDERR_TAIL = 4096;

export type PtLaunchErrorCode =
  | "ERR_PT_SPAWN"
  | "ERR_PT_VERSION_ERROR"
  | "ERR_PT_ENV_ERROR"
  | "ERR_PT_PROXY_ERROR"
  | "ERR_PT_EARLY_EXIT"
  | "ERR_PT_START_TIMEOUT"
  | "ERR_PT_BAD_OUTPUT"
  | "ERR_PT_ABORTED";

export class PtLaunchError extends WebptError {
  override name = "PtLaunchError";
  declare readonly code: PtLaunchErrorCode;
  /** The PT's own words (its *-ERROR message), when it gave any. */
  readonly detail: string | undefined;
  readonly stderrTail: string;
  constructor(
    code: PtLaunchErrorCode,
    message: string,
    detail?: string,
    stderrTail = "",
    options?: { cause?: unknown },
  ) {
    super(code, message, options);
    this.detail = detail;
    this.stderrTail = stderrTail;
  }
}

export interface PtLaunchOptions {
  /** argv: the executable and its arguments. */
  readonly command: readonly [string, ...string[]];
  readonly role: "client" | "server";
  readonly transports: readonly string[];
  /** TOR_PT_MANAGED_TRANSPORT_VER; default "1". */
  readonly versions?: string;
  /** TOR_PT_STATE_LOCATION; a temporary directory (removed on close) when absent. */
  readonly stateDir?: string;
  /** Further TOR_PT_* (or other) variables; every other TOR_PT_* from our own environment is removed. */
  readonly env?: Readonly<Record<string, string>>;
  readonly startTimeoutMs?: number;
  readonly shutdownGraceMs?: number;
  readonly signal?: AbortSignal;
}

export interface PtProcessEvents {
  log: [LogMessage];
  status: [StatusMessage];
  /** Any other line after startup (method lines are collected, not emitted). */
  message: [IpcMessage];
  exit: [{ code: number | null; signal: NodeJS.Signals | null }];
}

export class PtProcess extends EventEmitter<PtProcessEvents> {
  readonly child: ChildProcess;
  readonly stateDir: string;
  version = "";
  proxyDone = false;
  readonly cmethods: CmethodMessage[] = [];
  readonly smethods: SmethodMessage[] = [];
  readonly methodErrors: { transport: string; message: string }[] = [];
  #ownsStateDir: boolean;
  #graceMs: number;
  #exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  #stderrTail = "";

  constructor(child: ChildProcess, stateDir: string, ownsStateDir: boolean, graceMs: number) {
    super();
    this.child = child;
    this.stateDir = stateDir;
    this.#ownsStateDir = ownsStateDir;
    this.#graceMs = graceMs;
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        const info = { code, signal };
        this.emit("exit", info);
        resolve(info);
      });
    });
    child.stderr?.on("data", (d: Buffer) => {
      this.#stderrTail = (this.#stderrTail + d.toString("utf8")).slice(-MAX_PT_STDERR_TAIL);
    });
  }

  get stderrTail(): string {
    return this.#stderrTail;
  }

  get exited(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    return this.#exited;
  }

  /** The address of a transport's listener (client: its SOCKS port; server: its public port). */
  method(transport: string): CmethodMessage | SmethodMessage | undefined {
    return [...this.cmethods, ...this.smethods].find((m) => m.transport === transport);
  }

  /** The shutdown ladder; resolves with how the process ended. Idempotent. */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const child = this.child;
    if (child.exitCode === null && child.signalCode === null) {
      child.stdin?.end();
      if (!(await settlesWithin(this.#exited, this.#graceMs))) {
        child.kill("SIGTERM");
        if (!(await settlesWithin(this.#exited, this.#graceMs))) child.kill("SIGKILL");
      }
    }
    const info = await this.#exited;
    if (this.#ownsStateDir) await rm(this.stateDir, { recursive: true, force: true });
    return info;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(() => {
      clearTimeout(t);
      resolve(true);
    });
  });
}

/** The parent's environment minus anything that would leak into the PT's configuration. */
function cleanEnv(extra: Readonly<Record<string, string>>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TOR_PT_")) env[k] = v;
  return { ...env, ...extra };
}

/**
 * Starts a PT and resolves once it has printed its methods and DONE line.
 * Rejects with a PtLaunchError (and leaves no process behind) on any *-ERROR
 * line that ends startup, an early exit, garbage on stdout, or a timeout.
 */
export async function launchPt(options: PtLaunchOptions): Promise<PtProcess> {
  const ownsStateDir = options.stateDir === undefined;
  const stateDir = options.stateDir ?? (await mkdtemp(path.join(tmpdir(), "webpt-pt-")));
  const prefix = options.role === "client" ? "TOR_PT_CLIENT_TRANSPORTS" : "TOR_PT_SERVER_TRANSPORTS";
  const env = cleanEnv({
    TOR_PT_MANAGED_TRANSPORT_VER: options.versions ?? "1",
    TOR_PT_STATE_LOCATION: stateDir,
    TOR_PT_EXIT_ON_STDIN_CLOSE: "1",
    [prefix]: options.transports.join(","),
    ...options.env,
  });
  const [file, ...args] = options.command;
  const child = spawn(file, args, { env, stdio: ["pipe", "pipe", "pipe"] });
  const pt = new PtProcess(child, stateDir, ownsStateDir, options.shutdownGraceMs ?? DEFAULT_PT_SHUTDOWN_GRACE_MS);

  const doneKind = options.role === "client" ? "CMETHODS DONE" : "SMETHODS DONE";
  const decoder = new IpcLineDecoder();
  try {
    await new Promise<void>((resolve, reject) => {
      let started = false;
      const fail = (code: PtLaunchErrorCode, message: string, detail?: string, cause?: unknown): void => {
        if (started) return;
        started = true;
        cleanup();
        reject(new PtLaunchError(code, message, detail, pt.stderrTail, { cause }));
      };
      const onMessage = (m: IpcMessage): void => {
        switch (m.kind) {
          case "VERSION":
            pt.version = m.version;
            return;
          case "VERSION-ERROR":
            return fail("ERR_PT_VERSION_ERROR", `PT rejected every offered version: ${m.message}`, m.message);
          case "ENV-ERROR":
            return fail("ERR_PT_ENV_ERROR", `PT rejected its environment: ${m.message}`, m.message);
          case "PROXY-ERROR":
            return fail("ERR_PT_PROXY_ERROR", `PT rejected the upstream proxy: ${m.message}`, m.message);
          case "PROXY DONE":
            pt.proxyDone = true;
            return;
          case "CMETHOD":
            pt.cmethods.push(m);
            return;
          case "SMETHOD":
            pt.smethods.push(m);
            return;
          case "CMETHOD-ERROR":
          case "SMETHOD-ERROR":
            pt.methodErrors.push({ transport: m.transport, message: m.message });
            return;
          case "LOG":
            pt.emit("log", m);
            return;
          case "STATUS":
            pt.emit("status", m);
            return;
          case "CMETHODS DONE":
          case "SMETHODS DONE":
            if (m.kind !== doneKind)
              return fail("ERR_PT_BAD_OUTPUT", `PT printed ${m.kind} in the ${options.role} role`);
            if (!started) {
              started = true;
              cleanup();
              resolve();
            }
            return;
          default:
            if (started) pt.emit("message", m);
        }
      };
      const onData = (chunk: Buffer): void => {
        let msgs: IpcMessage[];
        try {
          msgs = decoder.push(chunk);
        } catch (err) {
          return fail("ERR_PT_BAD_OUTPUT", "PT wrote a malformed line on stdout", undefined, err);
        }
        for (const m of msgs) onMessage(m);
      };
      const onExit = (code: number | null, signal: NodeJS.Signals | null): void =>
        fail("ERR_PT_EARLY_EXIT", `PT exited before ${doneKind} (code ${code}, signal ${signal})`);
      const onError = (err: Error): void =>
        fail("ERR_PT_SPAWN", `cannot start ${file}: ${err.message}`, undefined, err);
      const onAbort = (): void => fail("ERR_PT_ABORTED", "PT launch aborted", undefined, options.signal?.reason);
      const timer = setTimeout(
        () =>
          fail(
            "ERR_PT_START_TIMEOUT",
            `PT printed no ${doneKind} within ${options.startTimeoutMs ?? DEFAULT_PT_START_TIMEOUT_MS} ms`,
          ),
        options.startTimeoutMs ?? DEFAULT_PT_START_TIMEOUT_MS,
      );
      const cleanup = (): void => {
        clearTimeout(timer);
        child.off("exit", onExit);
        child.off("error", onError);
        options.signal?.removeEventListener("abort", onAbort);
      };
      child.stdout.on("data", onData);
      child.once("exit", onExit);
      child.once("error", onError);
      if (options.signal?.aborted) onAbort();
      else options.signal?.addEventListener("abort", onAbort, { once: true });
    });
  } catch (err) {
    await pt.close();
    throw err;
  }
  return pt;
}
