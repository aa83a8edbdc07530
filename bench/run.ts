/**
 * `npm run bench`: every side-by-side benchmark, each case interleaved with
 * its anchor across rounds, reported as medians and ratios. Set
 * BENCH_ROUNDS (default 5) for more samples and BENCH_WARMUP (default 1)
 * for the unrecorded rounds of every case before them. The obfs4 workers
 * are compiled to JavaScript first (bench/build.ts).
 */
import os from "node:os";
import { formatGroup, runGroup, type BenchGroup } from "./harness.js";
import { obfs4HandshakeGroup, obfs4ThroughputGroup } from "./obfs4.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const only = process.argv[2];
const groups: Record<string, () => BenchGroup> = {
  "obfs4-tcp": obfs4ThroughputGroup,
  "obfs4-handshake": obfs4HandshakeGroup,
};

const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(
  `# webpt benchmarks — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${cpu}, Node ${process.version}, ${rounds} rounds (+${warmup} warm-up)\n`,
);
for (const [name, make] of Object.entries(groups)) {
  if (only !== undefined && only !== name) continue;
  console.log(formatGroup(await runGroup(make(), rounds, warmup)) + "\n");
}
