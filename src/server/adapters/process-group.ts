/**
 * Child processes in their own process group, so that a parent can signal
 * (and, as the last rung of the shutdown ladder, kill) a PT together with
 * anything it started: a wrapper script's child, a helper it forked. PT 2.1
 * §1.3 / pt-spec §3.4: "Use OS specific mechanisms to force terminate the
 * PT"; a PT launched through `sh -c` would otherwise leave its real process
 * behind when only the shell is killed.
 *
 * On Windows there are no process groups: signals go to the child alone.
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** Whether this platform has POSIX process groups (everything but Windows). */
export const HAS_PROCESS_GROUPS = process.platform !== "win32";

/** How a child ended: its exit code or the signal that killed it (both null when it never started). */
export interface ExitInfo {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/**
 * Spawns `file` as the leader of a new process group (setsid via
 * `detached`), with all three standard streams piped. `detached` does not
 * unref the child: the parent still waits for it and still owns its pipes.
 */
export function spawnInGroup(
  file: string,
  args: readonly string[],
  options: Omit<SpawnOptions, "detached" | "stdio">,
): ChildProcess & {
  stdin: NonNullable<ChildProcess["stdin"]>;
  stdout: NonNullable<ChildProcess["stdout"]>;
  stderr: NonNullable<ChildProcess["stderr"]>;
} {
  const child = spawn(file, args, { ...options, detached: HAS_PROCESS_GROUPS, stdio: ["pipe", "pipe", "pipe"] });
  // A PT that exits while we write to its stdin must not crash the parent with EPIPE.
  child.stdin?.on("error", () => undefined);
  return child as ReturnType<typeof spawnInGroup>;
}

/**
 * Sends `signal` to the child's whole process group (to the child alone
 * where groups do not exist). Returns false when nothing was there to
 * signal (never started, or the group is already empty).
 */
export function signalGroup(child: ChildProcess, signal: NodeJS.Signals): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  if (HAS_PROCESS_GROUPS) {
    try {
      process.kill(-pid, signal);
      return true;
    } catch {
      // ESRCH: the group is empty. EPERM cannot happen for our own children.
      return false;
    }
  }
  return child.kill(signal);
}

/** Whether any process of the child's group is still alive (including zombies not yet reaped). */
export function groupAlive(child: ChildProcess): boolean {
  const pid = child.pid;
  if (pid === undefined) return false;
  try {
    process.kill(HAS_PROCESS_GROUPS ? -pid : pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * A promise for the child's end that also settles when it never started
 * (`spawn` failed: Node then emits 'error' and never 'exit').
 */
export function exitOf(child: ChildProcess): Promise<ExitInfo> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode as NodeJS.Signals | null });
      return;
    }
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => {
      if (child.pid === undefined) resolve({ code: null, signal: null });
    });
  });
}

/** Resolves true if `p` settles within `ms`, false otherwise (the timer never outlives the answer). */
export function settlesWithin(p: Promise<unknown>, ms: number): Promise<boolean> {
  return new Promise((resolve) => {
    const t = setTimeout(() => resolve(false), ms);
    void p.then(
      () => {
        clearTimeout(t);
        resolve(true);
      },
      () => {
        clearTimeout(t);
        resolve(true);
      },
    );
  });
}

/**
 * The shutdown ladder of pt-spec §3.4 / PT 2.1 §1.3: close stdin, wait;
 * SIGTERM, wait; SIGKILL. Signals go to the whole group, and once the
 * leader is gone anything left in its group is killed too, so nothing
 * outlives the call. Resolves with how the leader ended and which rung
 * ended it.
 */
export async function shutdownLadder(
  child: ChildProcess,
  exited: Promise<ExitInfo>,
  graceMs: number,
  options: { readonly closeStdin?: boolean } = {},
): Promise<ExitInfo & { readonly rung: "already" | "stdin" | "sigterm" | "sigkill" }> {
  let rung: "already" | "stdin" | "sigterm" | "sigkill" = "already";
  if (child.exitCode === null && child.signalCode === null && child.pid !== undefined) {
    rung = "stdin";
    if (options.closeStdin !== false) child.stdin?.end();
    if (options.closeStdin === false || !(await settlesWithin(exited, graceMs))) {
      rung = "sigterm";
      signalGroup(child, "SIGTERM");
      if (!(await settlesWithin(exited, graceMs))) {
        rung = "sigkill";
        signalGroup(child, "SIGKILL");
      }
    }
  }
  const info = await exited;
  // Anything the PT started and left behind in its group goes with it.
  signalGroup(child, "SIGKILL");
  return { ...info, rung };
}
