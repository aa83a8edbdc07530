/**
 * Side-by-side benchmarks: each case is run `rounds` times interleaved with
 * the others (so machine noise hits all of them alike) and reported as the
 * median, with ratios against a named anchor from the same run. Before
 * that, every case runs `warmup` times unrecorded: JIT compilation of a
 * JavaScript implementation's hot path otherwise lands in its first sample
 * (a Go binary has none to do, and loses nothing by the extra round).
 */

export interface BenchCase {
  readonly name: string;
  /** Runs once and returns the measured figure (e.g. MB/s); higher is better. */
  run(): Promise<number>;
}

export interface BenchGroup {
  readonly title: string;
  readonly unit: string;
  /** The case the others are divided by (e.g. obfs4proxy). */
  readonly anchor: string;
  readonly cases: readonly BenchCase[];
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

export interface GroupResult {
  readonly title: string;
  readonly unit: string;
  readonly anchor: string;
  readonly rows: readonly { name: string; median: number; samples: number[]; ratio: number }[];
  /** Unrecorded rounds of every case before the measured ones. */
  readonly warmup: number;
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function runGroup(group: BenchGroup, rounds: number, warmup = 0): Promise<GroupResult> {
  await group.setup?.();
  const samples = new Map<string, number[]>(group.cases.map((c) => [c.name, []]));
  try {
    for (let r = 0; r < warmup; r++) {
      for (const c of group.cases) await c.run();
    }
    for (let r = 0; r < rounds; r++) {
      for (const c of group.cases) samples.get(c.name)!.push(await c.run());
    }
  } finally {
    await group.teardown?.();
  }
  const anchorMedian = median(samples.get(group.anchor) ?? [NaN]);
  return {
    title: group.title,
    unit: group.unit,
    anchor: group.anchor,
    warmup,
    rows: group.cases.map((c) => {
      const xs = samples.get(c.name)!;
      const m = median(xs);
      return { name: c.name, median: m, samples: xs, ratio: m / anchorMedian };
    }),
  };
}

export function formatGroup(g: GroupResult): string {
  const lines = [
    `## ${g.title} (median ${g.unit}; ratio against ${g.anchor}${g.warmup > 0 ? `; after ${g.warmup} unrecorded warm-up round${g.warmup > 1 ? "s" : ""}` : ""})`,
    "",
    `| case | ${g.unit} | × ${g.anchor} | samples |`,
    "| --- | ---: | ---: | --- |",
  ];
  for (const r of g.rows) {
    lines.push(
      `| ${r.name} | ${r.median.toFixed(1)} | ${r.ratio.toFixed(2)} | ${r.samples.map((x) => x.toFixed(0)).join(" ")} |`,
    );
  }
  return lines.join("\n");
}
