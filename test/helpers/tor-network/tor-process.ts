/**
 * One tor process of the private test network: launched from a torrc in its
 * own directory (which is also its DataDirectory), in its own process group
 * (its pluggable transports inherit the group), with its notice and info logs
 * as files there. Everything the harness learns about a node it reads from
 * those logs or from files tor writes into its DataDirectory; nothing talks
 * to a control port.
 *
 * Three layers make sure nothing outlives a test: close() (SIGTERM, then
 * SIGKILL to the whole group), a process 'exit' hook (SIGKILL to the group),
 * and `__OwningControllerProcess` in every torrc, with which tor itself exits
 * once the test process is gone even if it was SIGKILLed (tor polls it every
 * 15 s; src/lib/process/procmon.c). Its PTs then see stdin close and exit
 * (tor-pt-spec §3.3, TOR_PT_EXIT_ON_STDIN_CLOSE).
 */
import { spawn } from "node:child_process";
import { closeSync, openSync, readFileSync } from "node:fs";
import { writeFile } from "node:fs/promises";
import path from "node:path";
import { killGroup, readOrEmpty, until } from "../process-group.js";
import { TOR } from "../tor.js";

export { killGroup, readOrEmpty, until };

/** How often log files are re-read while waiting for a line. */
export const LOG_POLL_MS = 100;
/** How long close() waits after SIGTERM before it SIGKILLs the group (a relay exits at once on TERM). */
export const TOR_STOP_GRACE_MS = 3_000;
/** How many lines of each log a failure message quotes. */
export const LOG_TAIL_LINES = 25;

export type TorLogFile = "notice" | "info" | "stdout";

export interface WaitForLogOptions {
  readonly file?: TorLogFile;
  readonly timeoutMs?: number;
  /** A line that means `re` will never come (a PT that went Broken, say). */
  readonly failOn?: RegExp;
  /** What the caller waits for, in words, for the error message. */
  readonly what?: string;
}

export interface TorProcess {
  readonly name: string;
  /** The node's directory: torrc, logs and DataDirectory all live here. */
  readonly dir: string;
  readonly torrcPath: string;
  readonly pid: number;
  /** Milliseconds since the Unix epoch at spawn. */
  readonly startedAt: number;
  readonly exited: boolean;
  log(file?: TorLogFile): Promise<string>;
  /**
   * Resolves with the first match of `re` in `file` (default notice); rejects
   * at once if tor exits or `failOn` matches there, or after `timeoutMs`,
   * with the tails of this node's logs in the message.
   */
  waitForLog(re: RegExp, opts?: WaitForLogOptions): Promise<RegExpExecArray>;
  /** The last lines of each log, labelled, for failure messages. */
  tails(lines?: number): Promise<string>;
  /** Rewrites the torrc and sends tor SIGHUP, on which it re-reads it (tor-manual, SIGNALS). */
  reconfigure(torrc: readonly string[]): Promise<void>;
  /** SIGTERM, then SIGKILL to the whole process group (tor and its PTs). Idempotent. */
  close(): Promise<void>;
}

/** Every live tor's process group, SIGKILLed by one 'exit' hook (one listener, however many nodes). */
const liveGroups = new Set<number>();
const killAllAtExit = (): void => {
  for (const pgid of liveGroups) killGroup(pgid, "SIGKILL");
};

function tailOf(text: string, lines: number): string {
  const all = text.split("\n");
  if (all.at(-1) === "") all.pop();
  return all.slice(-lines).join("\n");
}

/** The log lines every node gets: notice and info to files, millisecond timestamps. */
export function logTorrc(dir: string): string[] {
  return [
    `Log notice file ${path.join(dir, "notice.log")}`,
    `Log info file ${path.join(dir, "info.log")}`,
    "LogTimeGranularity 1",
    "SafeLogging 0",
  ];
}

/** Writes `torrc` into `dir` and starts tor on it. `dir` must exist with mode 0700 (tor checks). */
export async function launchTor(name: string, dir: string, torrc: readonly string[]): Promise<TorProcess> {
  const torrcPath = path.join(dir, "torrc");
  await writeFile(torrcPath, torrc.join("\n") + "\n");
  const files: Record<TorLogFile, string> = {
    notice: path.join(dir, "notice.log"),
    info: path.join(dir, "info.log"),
    stdout: path.join(dir, "stdout.log"),
  };
  // stdout/stderr straight to a file: what tor says before its logs open (torrc errors) survives, and no pipe ties
  // the test process to tor.
  const out = openSync(files.stdout, "a");
  const startedAt = Date.now();
  const child = spawn(TOR, ["-f", torrcPath, "--defaults-torrc", "/dev/null"], {
    cwd: dir,
    stdio: ["ignore", out, out],
    detached: true, // its own process group, which its PTs join
  });
  closeSync(out);
  const pgid = child.pid;
  if (pgid === undefined) throw new Error(`${name}: could not spawn ${TOR}`);
  if (liveGroups.size === 0) process.on("exit", killAllAtExit);
  liveGroups.add(pgid);
  let exited: string | null = null;
  const exitPromise = new Promise<void>((resolve) => {
    child.once("exit", (code, signal) => {
      exited = signal !== null ? `killed by ${signal}` : `exited with code ${code}`;
      resolve();
    });
    child.once("error", (err) => {
      exited = `failed to start: ${err.message}`;
      resolve();
    });
  });

  const log = (file: TorLogFile = "notice"): Promise<string> => readOrEmpty(files[file]);
  const tails = async (lines = LOG_TAIL_LINES): Promise<string> => {
    const parts = [`--- ${name} (${dir}) ${exited ?? "running"}`];
    for (const f of ["stdout", "notice"] as const) {
      const text = await log(f);
      if (text.trim() !== "") parts.push(`--- ${name} ${f}.log (last ${lines} lines)`, tailOf(text, lines));
    }
    return parts.join("\n");
  };
  let closing: Promise<void> | null = null;
  return {
    name,
    dir,
    torrcPath,
    pid: pgid,
    startedAt,
    get exited() {
      return exited !== null;
    },
    log,
    tails,
    async waitForLog(re, opts = {}) {
      const file = opts.file ?? "notice";
      const timeoutMs = opts.timeoutMs ?? 60_000;
      let match: RegExpExecArray | null = null;
      let failed: RegExpExecArray | null = null;
      const ok = await until(async () => {
        const text = await log(file);
        match = re.exec(text);
        failed = opts.failOn?.exec(text) ?? null;
        return match !== null || failed !== null || exited !== null;
      }, timeoutMs);
      if (match !== null) return match;
      const why =
        failed !== null
          ? `tor logged ${JSON.stringify((failed as RegExpExecArray)[0])}`
          : ok
            ? `tor ${exited}`
            : `nothing after ${timeoutMs} ms`;
      throw new Error(`${name}: waiting for ${opts.what ?? String(re)} in ${file}.log: ${why}\n${await tails()}`);
    },
    async reconfigure(torrc) {
      await writeFile(torrcPath, torrc.join("\n") + "\n");
      if (exited !== null) throw new Error(`${name}: cannot reconfigure, tor ${exited}\n${await tails()}`);
      process.kill(pgid, "SIGHUP"); // tor only, not its group: a PT would take SIGHUP as a signal to quit
    },
    close() {
      closing ??= (async () => {
        if (exited === null) killGroup(pgid, "SIGTERM");
        await until(() => exited !== null, TOR_STOP_GRACE_MS);
        killGroup(pgid, "SIGKILL"); // the PTs, and tor if it lingered
        await exitPromise;
        liveGroups.delete(pgid);
        if (liveGroups.size === 0) process.off("exit", killAllAtExit);
      })();
      return closing;
    },
  };
}

/** The second word of a DataDirectory fingerprint file (`Nickname FINGERPRINT`). */
export function readFingerprintFile(file: string): string {
  const word = readFileSync(file, "utf8").trim().split(/\s+/)[1];
  if (word === undefined) throw new Error(`${file} holds no fingerprint`);
  return word;
}
