/**
 * `npm run bench`: every side-by-side benchmark, each case interleaved with
 * its anchor across rounds, reported as medians and ratios, then issue 4's
 * two throughput targets as PASS/FAIL against obfs4proxy over TCP in the
 * same run. Set BENCH_ROUNDS (default 5) for more samples, BENCH_WARMUP
 * (default 1) for the unrecorded rounds of every case before them, BENCH_MIB
 * (default 128) for the bytes per sample, BENCH_CASES=a,b to keep only the
 * cases whose names contain one of those substrings. `npm run bench -- <group>`
 * runs one group (names below). The workers are compiled to JavaScript
 * first (bench/build.ts).
 */
import os from "node:os";
import { formatGroup, runGroup, type BenchGroup, type GroupResult } from "./harness.js";
import { obfs4HandshakeGroup } from "./obfs4.js";
import { formatExtensionBench, runExtensionBench } from "./extension-throughput.js";
import { OBFS4PROXY, RTC_NDC_OBFS4, WS_OBFS4, obfs4TcpGroup, throughputGroup } from "./throughput.js";

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const warmup = Number(process.env.BENCH_WARMUP ?? 1);
const only = process.argv[2];
const groups: Record<string, () => BenchGroup> = {
  throughput: () => throughputGroup("up"),
  "throughput-down": () => throughputGroup("down"),
  "obfs4-handshake": obfs4HandshakeGroup,
};
/** Subsets, only by name: issue 3's TCP comparison alone. */
const extra: Record<string, () => BenchGroup> = { "obfs4-tcp": obfs4TcpGroup };

/** Issue 4: minimum ratio of each case's median to obfs4proxy's over TCP, client → server, same run. */
const TARGETS: readonly { readonly name: string; readonly min: number }[] = [
  { name: WS_OBFS4, min: 1.0 },
  { name: RTC_NDC_OBFS4, min: 0.45 },
];

function formatTargets(up: GroupResult): string {
  const anchor = up.rows.find((r) => r.name === OBFS4PROXY);
  const lines = [`## Issue 4 targets (client → server, × ${OBFS4PROXY} = ${anchor?.median.toFixed(1)} MB/s)`, ""];
  for (const t of TARGETS) {
    const row = up.rows.find((r) => r.name === t.name);
    if (row === undefined) continue;
    const ok = Number.isFinite(row.ratio) && row.ratio >= t.min;
    lines.push(
      `- ${ok ? "PASS" : "FAIL"}: ${t.name}: ${row.median.toFixed(1)} MB/s = ${row.ratio.toFixed(2)}× (target ≥ ${t.min.toFixed(2)}×)`,
    );
  }
  return lines.join("\n");
}

if (only !== undefined && only !== "extension" && groups[only] === undefined && extra[only] === undefined) {
  console.error(`bench: no group ${only}; groups: ${[...Object.keys(groups), ...Object.keys(extra)].join(", ")}`);
  process.exit(64);
}
const cpu = os.cpus()[0]?.model ?? "unknown CPU";
console.log(
  `# webpt benchmarks — ${new Date().toISOString().slice(0, 16).replace("T", " ")} UTC, ${os.hostname()}, ${os.cpus().length} × ${cpu}, Node ${process.version}, ${rounds} rounds (+${warmup} warm-up)\n`,
);
const started = performance.now();
for (const [name, make] of Object.entries({ ...groups, ...extra })) {
  if (only === undefined ? name in extra : only !== name) continue;
  const result = await runGroup(make(), rounds, warmup);
  console.log(formatGroup(result) + "\n");
  if (name === "throughput") console.log(formatTargets(result) + "\n");
}
// Issue 6: the extension's transports against a raw WebSocket from the same service worker, in real Chromium.
if (only === undefined || only === "extension") {
  console.log(formatExtensionBench(await runExtensionBench({ rounds: Math.max(1, Math.min(rounds, 3)) })) + "\n");
}
console.log(`(${((performance.now() - started) / 1000).toFixed(0)} s)`);
// node-datachannel's native threads live in the workers only; nothing here should linger, but don't wait on it.
process.exit(0);
