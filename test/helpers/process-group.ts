/** Small process and file helpers shared by the tests that run real daemons (tor, coturn, PTs). */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";

/** Whether `pid` is running; a zombie (exited, not yet reaped by a PID 1 that doesn't reap) counts as gone. */
export function isAlive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3) !== "Z";
  } catch {
    return false;
  }
}

/** Signals a whole process group (a daemon and the children it spawned). */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // ESRCH: the group is already gone.
  }
}

/** Polls `test` until it holds (true) or `timeoutMs` passes (false). */
export async function until(test: () => Promise<boolean> | boolean, timeoutMs: number, pollMs = 100): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (await test()) return true;
    if (Date.now() >= end) return false;
    await new Promise((r) => setTimeout(r, pollMs));
  }
}

/** A file's text, or "" when it does not exist (yet). */
export async function readOrEmpty(file: string): Promise<string> {
  try {
    return await readFile(file, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return "";
    throw err;
  }
}
