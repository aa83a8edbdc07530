/**
 * The bench measures webpt as it is deployed: compiled JavaScript run by
 * plain `node`, not TypeScript through the tsx loader. tsx costs nothing per
 * byte in principle, but its loader, esbuild and source-map support live in
 * the measured processes' heaps: every major GC marks them, and with obfs4's
 * 64 KiB buffers churning, GC helper threads took ~20% of each PT process's
 * CPU under tsx against ~5% compiled (and ~35% more CPU per byte in all).
 * So the workers are compiled first, with the same compiler settings as
 * `npm run build` (tsconfig.base.json), into .tmp/bench-build/.
 *
 * BENCH_FROM_SOURCE=1 runs them under tsx instead (e.g. to profile with
 * TypeScript line numbers).
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath } from "node:url";

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.dirname(here);

/** How to start a bench worker: node arguments before the worker's own. */
export interface WorkerCommand {
  readonly nodeArgs: readonly string[];
  readonly script: string;
}

let built: Map<string, WorkerCommand> | undefined;

/**
 * Compiles bench/tsconfig.workers.json once per run and returns how to run
 * `worker` (a path under bench/workers/, without extension). Type errors are
 * printed but do not stop the bench as long as tsc emitted the worker
 * (another module may be mid-edit); a missing output does.
 */
export function workerCommand(worker: string): WorkerCommand {
  if (process.env.BENCH_FROM_SOURCE === "1") {
    return { nodeArgs: ["--import", "tsx"], script: path.join(here, "workers", `${worker}.ts`) };
  }
  if (built === undefined) {
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    const r = spawnSync(process.execPath, [tsc, "-p", path.join(here, "tsconfig.workers.json")], {
      cwd: root,
      encoding: "utf8",
    });
    if (r.status !== 0) {
      process.stderr.write(`bench: tsc reported problems compiling the workers:\n${r.stdout}${r.stderr}`);
    }
    built = new Map();
  }
  let cmd = built.get(worker);
  if (cmd === undefined) {
    const script = path.join(root, ".tmp", "bench-build", "bench", "workers", `${worker}.js`);
    if (!existsSync(script)) throw new Error(`bench: ${script} was not built`);
    cmd = { nodeArgs: [], script };
    built.set(worker, cmd);
  }
  return cmd;
}
