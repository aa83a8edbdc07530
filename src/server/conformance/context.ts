/**
 * Shared state of one conformance session: the command under test, its role
 * and transports, what the baseline runs learned (the version it speaks,
 * whether it speaks 2.x), a temporary root for state directories and cookie
 * files, and every run started, so that all of them are killed at the end
 * whatever happens.
 */
import { mkdtemp, rm } from "node:fs/promises";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Level } from "./findings.js";
import { PtRun, type RunSpec } from "./pt-run.js";
import type { ErrorRunRecord } from "./run-records.js";

export type Role = "client" | "server";

/** A transport name no PT implements: requested to check that unknown names are ignored. */
export const BOGUS_TRANSPORT = "webpt_conformance_bogus";

/**
 * Names probed when --transports is not given: the PT announces those it
 * implements and must ignore the rest (pt-spec §3.2.2/§3.2.3), so asking for
 * all of them finds its transports without guessing from the file name.
 */
export const WELL_KNOWN_TRANSPORTS: readonly string[] = [
  "obfs4",
  "obfs3",
  "obfs2",
  "scramblesuit",
  "meek_lite",
  "snowflake",
  "webtunnel",
  "websocket",
  "webrtc",
  "conjure",
  "dnstt",
];

export interface ConformanceOptions {
  readonly command: readonly [string, ...string[]];
  readonly role: Role;
  /** Given with --transports; discovered when absent. */
  readonly transports?: readonly string[];
  /** How long a run may take to reach its DONE line. */
  readonly startTimeoutMs: number;
  /** How long a graceful exit (after stdin close, SIGTERM or an *-ERROR line) may take. */
  readonly exitTimeoutMs: number;
  /** How long to watch a PT that must keep running. */
  readonly observeMs: number;
  /** Runs at once. */
  readonly concurrency: number;
}

export class ConformanceContext {
  readonly options: ConformanceOptions;
  readonly runs: PtRun[] = [];
  /** Every run given a configuration the PT should refuse (judged together by checks-errors.ts). */
  readonly errorRuns: ErrorRunRecord[] = [];
  /** Transports the PT launched in the baseline run. */
  transports: string[] = [];
  /** The version it answered when offered only 1 ("" if it never did). */
  baselineVersion = "";
  /** Whether it answers VERSION 2 when 2 is offered. */
  speaks2 = false;
  #root: string | undefined;
  #dirs = 0;
  #active = 0;
  #queue: (() => void)[] = [];

  constructor(options: ConformanceOptions) {
    this.options = options;
  }

  get role(): Role {
    return this.options.role;
  }

  get doneKind(): "CMETHODS DONE" | "SMETHODS DONE" {
    return this.role === "client" ? "CMETHODS DONE" : "SMETHODS DONE";
  }

  get transportsVar(): "TOR_PT_CLIENT_TRANSPORTS" | "TOR_PT_SERVER_TRANSPORTS" {
    return this.role === "client" ? "TOR_PT_CLIENT_TRANSPORTS" : "TOR_PT_SERVER_TRANSPORTS";
  }

  /** MUST for a PT that speaks 2.x, SHOULD for a 1.0-only PT (see findings.ts). */
  get level2x(): Level {
    return this.speaks2 ? "MUST" : "SHOULD";
  }

  async init(): Promise<void> {
    this.#root = await mkdtemp(path.join(tmpdir(), "webpt-conformance-"));
  }

  /** A fresh path under the session's temporary root (not created). */
  freshPath(name: string): string {
    if (this.#root === undefined) throw new Error("ConformanceContext.init() was not called");
    return path.join(this.#root, `${++this.#dirs}-${name}`);
  }

  /**
   * The environment of a run: ours without any TOR_PT_*, then a complete,
   * valid configuration for the role, then `overrides` (a value of
   * undefined removes the variable).
   */
  env(
    overrides: Readonly<Record<string, string | undefined>> = {},
    transports: readonly string[] = this.transports.length > 0 ? this.transports : [BOGUS_TRANSPORT],
  ): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = {};
    for (const [k, v] of Object.entries(process.env)) if (!k.startsWith("TOR_PT_")) env[k] = v;
    env.TOR_PT_MANAGED_TRANSPORT_VER = "1";
    env.TOR_PT_STATE_LOCATION = this.freshPath("state");
    env[this.transportsVar] = transports.join(",");
    if (this.role === "server") {
      // As tor always does: a bind address per transport, and an ORPort (nothing listens there).
      env.TOR_PT_SERVER_BINDADDR = transports.map((t) => `${t}-127.0.0.1:0`).join(",");
      env.TOR_PT_ORPORT = "127.0.0.1:9";
    }
    const merged: NodeJS.ProcessEnv = { ...env, ...overrides };
    return Object.fromEntries(Object.entries(merged).filter(([, v]) => v !== undefined));
  }

  /** Starts a run (registered for the final cleanup). */
  start(spec: RunSpec): PtRun {
    const run = new PtRun(this.options.command, spec);
    this.runs.push(run);
    return run;
  }

  /**
   * Runs `fn` when a slot is free (at most `concurrency` checks at once);
   * the runs it starts through its `start` argument are killed when it ends.
   */
  async slot<T>(fn: (start: (spec: RunSpec) => PtRun) => Promise<T>): Promise<T> {
    if (this.#active >= this.options.concurrency) await new Promise<void>((r) => this.#queue.push(r));
    this.#active++;
    const mine: PtRun[] = [];
    try {
      return await fn((spec) => {
        const run = this.start(spec);
        mine.push(run);
        return run;
      });
    } finally {
      await Promise.all(mine.map((r) => r.dispose()));
      this.#active--;
      this.#queue.shift()?.();
    }
  }

  /** Kills every run and removes the temporary root. */
  async dispose(): Promise<void> {
    await Promise.all(this.runs.map((r) => r.dispose()));
    if (this.#root !== undefined) await rm(this.#root, { recursive: true, force: true });
  }
}

/** A TCP port nothing listens on right now (bound, then released). */
export async function freePort(host = "127.0.0.1"): Promise<number> {
  const srv = net.createServer();
  await new Promise<void>((resolve, reject) => {
    srv.once("error", reject);
    srv.listen(0, host, resolve);
  });
  const { port } = srv.address() as net.AddressInfo;
  await new Promise<void>((r) => srv.close(() => r()));
  return port;
}
