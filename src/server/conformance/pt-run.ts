/**
 * One run of the PT under test: spawned in its own process group with an
 * exact environment, stdout judged line by line, stderr kept (bounded), and
 * waits that always end — a checker must never hang on the thing it checks.
 * dispose() kills the whole group with SIGKILL and waits (bounded) for it.
 */
import type { ChildProcess } from "node:child_process";
import type { IpcMessage } from "../../shared/codec/pt-ipc/index.js";
import {
  exitOf,
  groupAlive,
  settlesWithin,
  signalGroup,
  spawnInGroup,
  type ExitInfo,
} from "../adapters/process-group.js";
import { StderrLineSplitter, type StderrLine } from "../adapters/stderr-lines.js";
import { StdoutLineSplitter, type StdoutLine } from "./stdout-lines.js";

/** stderr kept per run, in characters (the tail). */
export const MAX_RUN_STDERR_CHARS = 16 * 1024;
/** After exit, how long the pipes may take to deliver the last lines. */
export const RUN_DRAIN_MS = 300;
/** How long dispose() waits for a SIGKILLed group to be gone. */
export const RUN_KILL_WAIT_MS = 2000;

export interface RunSpec {
  /** The complete environment (the caller decides every TOR_PT_* variable). */
  readonly env: NodeJS.ProcessEnv;
  /** Extra arguments after the command (PT 2.x flags). */
  readonly args?: readonly string[];
  /** A name for reports. */
  readonly label: string;
}

export type StartOutcome =
  { readonly kind: "done" } | { readonly kind: "exit"; readonly exit: ExitInfo } | { readonly kind: "timeout" };

export class PtRun {
  readonly label: string;
  readonly env: NodeJS.ProcessEnv;
  readonly args: readonly string[];
  readonly stdout: StdoutLineSplitter;
  readonly stderrLines: StderrLine[] = [];
  readonly #child: ChildProcess;
  readonly #exited: Promise<ExitInfo>;
  #exit: ExitInfo | undefined;
  #stderr = "";
  #waiters: (() => void)[] = [];
  #spawnError: Error | undefined;
  #outputEnded: Promise<void>;

  constructor(command: readonly [string, ...string[]], spec: RunSpec) {
    this.label = spec.label;
    this.env = spec.env;
    this.args = spec.args ?? [];
    const [file, ...baseArgs] = command;
    this.#child = spawnInGroup(file, [...baseArgs, ...this.args], { env: spec.env });
    this.#child.once("error", (err) => {
      if (this.#child.pid === undefined) this.#spawnError = err;
    });
    this.stdout = new StdoutLineSplitter(() => this.#wake());
    const splitter = new StderrLineSplitter();
    const ended = (s: NodeJS.ReadableStream): Promise<void> =>
      new Promise((r) => {
        s.once("end", () => r());
        s.once("close", () => r());
      });
    this.#child.stdout!.on("data", (c: Buffer) => this.stdout.push(c));
    this.#child.stdout!.once("end", () => this.stdout.finish());
    this.#child.stderr!.on("data", (c: Buffer) => {
      this.#stderr = (this.#stderr + c.toString("utf8")).slice(-MAX_RUN_STDERR_CHARS);
      for (const l of splitter.push(c)) this.#noteStderr(l);
    });
    this.#child.stderr!.once("end", () => splitter.finish().forEach((l) => this.#noteStderr(l)));
    this.#outputEnded = Promise.all([ended(this.#child.stdout!), ended(this.#child.stderr!)]).then(() => undefined);
    this.#exited = exitOf(this.#child).then(async (info) => {
      await settlesWithin(this.#outputEnded, RUN_DRAIN_MS);
      this.#exit = info;
      this.#wake();
      return info;
    });
  }

  #noteStderr(l: StderrLine): void {
    if (this.stderrLines.length < 1000) this.stderrLines.push(l);
    this.#wake();
  }

  #wake(): void {
    const w = this.#waiters;
    this.#waiters = [];
    for (const f of w) f();
  }

  get pid(): number | undefined {
    return this.#child.pid;
  }

  get spawnError(): Error | undefined {
    return this.#spawnError;
  }

  /** How the process ended (after its pipes drained), if it has. */
  get exit(): ExitInfo | undefined {
    return this.#exit;
  }

  get stderrText(): string {
    return this.#stderr;
  }

  get lines(): readonly StdoutLine[] {
    return this.stdout.lines;
  }

  /** Parsed stdout messages in order. */
  get messages(): IpcMessage[] {
    return this.stdout.lines.flatMap((l) => (l.message ? [l.message] : []));
  }

  /** IPC messages found on stderr (PT 2.x error lines, LOG/STATUS). */
  get stderrMessages(): IpcMessage[] {
    return this.stderrLines.flatMap((l) => (l.kind === "ipc" ? [l.message] : []));
  }

  /** Resolves when `pred` holds (checked on every line and on exit) or after `ms`: returns whether it held. */
  waitUntil(pred: () => boolean, ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#waiters = this.#waiters.filter((w) => w !== check);
        resolve(pred());
      }, ms);
      const check = (): void => {
        if (pred()) {
          clearTimeout(timer);
          resolve(true);
        } else if (this.#exit !== undefined || this.#spawnError !== undefined) {
          clearTimeout(timer);
          resolve(pred());
        } else {
          this.#waiters.push(check);
        }
      };
      check();
    });
  }

  /** Waits for the role's DONE line, the process's exit, or `ms`. */
  async untilStarted(doneKind: "CMETHODS DONE" | "SMETHODS DONE", ms: number): Promise<StartOutcome> {
    const seen = (): boolean => this.messages.some((m) => m.kind === doneKind);
    await this.waitUntil(seen, ms);
    if (seen()) return { kind: "done" };
    if (this.#exit !== undefined) return { kind: "exit", exit: this.#exit };
    if (this.#spawnError !== undefined) return { kind: "exit", exit: { code: null, signal: null } };
    return { kind: "timeout" };
  }

  /** Waits up to `ms` for the process to exit. */
  async untilExit(ms: number): Promise<ExitInfo | undefined> {
    await this.waitUntil(() => this.#exit !== undefined, ms);
    return this.#exit;
  }

  closeStdin(): void {
    this.#child.stdin?.end();
  }

  /** Signals the PT itself (not its group): what a parent's SIGTERM rung does to the process it launched. */
  signal(sig: NodeJS.Signals): void {
    this.#child.kill(sig);
  }

  /** SIGKILL to the whole group, synchronously (for an exit handler). */
  killNow(): void {
    signalGroup(this.#child, "SIGKILL");
  }

  /** SIGKILL to the whole group, then wait (bounded) until nothing of it is left. Idempotent. */
  async dispose(): Promise<void> {
    signalGroup(this.#child, "SIGKILL");
    await settlesWithin(this.#exited, RUN_KILL_WAIT_MS);
    const deadline = Date.now() + RUN_KILL_WAIT_MS;
    while (groupAlive(this.#child) && Date.now() < deadline) {
      signalGroup(this.#child, "SIGKILL");
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
