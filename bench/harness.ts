/**
 * Side-by-side benchmarks: each case is run `rounds` times interleaved with
 * the others (so machine noise hits all of them alike) and reported as the
 * median, with ratios against a named anchor from the same run. Before
 * that, every case runs `warmup` times unrecorded: JIT compilation of a
 * JavaScript implementation's hot path otherwise lands in its first sample
 * (a Go binary has none to do, and loses nothing by the extra round).
 * A sample that throws is recorded as failed (NaN, printed "×") and left out
 * of the median, so one stalled case cannot stop the others.
 */

export interface BenchCase {
  readonly name: string;
  /** Printed next to the name (e.g. the bytes per sample). */
  readonly note?: string;
  /** Runs once and returns the measured figure (e.g. MB/s; higher is better), alone or with its CPU cost. */
  run(): Promise<number | Sample>;
}

export interface Sample {
  readonly value: number;
  /** CPU milliseconds per unit of work, per process involved (e.g. per MB: client PT, server PT). */
  readonly cpu?: readonly number[];
}

export interface BenchGroup {
  readonly title: string;
  readonly unit: string;
  /** The case the others are divided by (e.g. obfs4proxy). */
  readonly anchor: string;
  /** Heading of the CPU column, when cases report CPU (e.g. "CPU ms/MB: client PT + server PT"). */
  readonly cpuLabel?: string;
  readonly cases: readonly BenchCase[];
  setup?(): Promise<void>;
  teardown?(): Promise<void>;
}

export interface GroupResult {
  readonly title: string;
  readonly unit: string;
  readonly anchor: string;
  readonly cpuLabel: string | undefined;
  readonly rows: readonly GroupRow[];
  /** Unrecorded rounds of every case before the measured ones. */
  readonly warmup: number;
}

export interface GroupRow {
  readonly name: string;
  readonly note: string | undefined;
  /** Median of the samples that did not fail (NaN if all did). */
  readonly median: number;
  readonly samples: readonly number[];
  readonly ratio: number;
  /** Median CPU cost per process, when the case reports it. */
  readonly cpu: readonly number[] | undefined;
}

/** The median of the finite values (NaN if there are none). */
export function median(xs: readonly number[]): number {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

export async function runGroup(group: BenchGroup, rounds: number, warmup = 0): Promise<GroupResult> {
  await group.setup?.();
  const samples = new Map<string, Sample[]>(group.cases.map((c) => [c.name, []]));
  try {
    for (let r = 0; r < warmup; r++) {
      for (const c of group.cases) await sample(c);
    }
    for (let r = 0; r < rounds; r++) {
      for (const c of group.cases) samples.get(c.name)!.push(await sample(c));
    }
  } finally {
    await group.teardown?.();
  }
  const values = (name: string): number[] => (samples.get(name) ?? []).map((x) => x.value);
  const anchorMedian = median(values(group.anchor));
  return {
    title: group.title,
    unit: group.unit,
    anchor: group.anchor,
    cpuLabel: group.cpuLabel,
    warmup,
    rows: group.cases.map((c) => {
      const xs = values(c.name);
      const m = median(xs);
      const cpus = samples.get(c.name)!.flatMap((x) => (x.cpu === undefined ? [] : [x.cpu]));
      const cpu = cpus.length === 0 ? undefined : cpus[0]!.map((_, i) => median(cpus.map((v) => v[i] ?? NaN)));
      return { name: c.name, note: c.note, median: m, samples: xs, ratio: m / anchorMedian, cpu };
    }),
  };
}

async function sample(c: BenchCase): Promise<Sample> {
  try {
    const r = await c.run();
    return typeof r === "number" ? { value: r } : r;
  } catch (err) {
    process.stderr.write(`bench: a sample of "${c.name}" failed: ${(err as Error).message}\n`);
    return { value: NaN };
  }
}

const fmt = (x: number, digits: number): string => (Number.isFinite(x) ? x.toFixed(digits) : "×");

export function formatGroup(g: GroupResult): string {
  const lines = [
    `## ${g.title} (median ${g.unit}; ratio against ${g.anchor}${g.warmup > 0 ? `; after ${g.warmup} unrecorded warm-up round${g.warmup > 1 ? "s" : ""}` : ""})`,
    "",
    `| case | ${g.unit} | × ${g.anchor} | samples |${g.cpuLabel === undefined ? "" : ` ${g.cpuLabel} |`}`,
    `| --- | ---: | ---: | --- |${g.cpuLabel === undefined ? "" : " ---: |"}`,
  ];
  for (const r of g.rows) {
    const cpu =
      g.cpuLabel === undefined ? "" : ` ${r.cpu === undefined ? "" : r.cpu.map((x) => fmt(x, 1)).join(" + ")} |`;
    lines.push(
      `| ${r.name}${r.note === undefined ? "" : `, ${r.note}`} | ${fmt(r.median, 1)} | ${fmt(r.ratio, 2)} | ${r.samples.map((x) => fmt(x, 0)).join(" ")} |${cpu}`,
    );
  }
  return lines.join("\n");
}
