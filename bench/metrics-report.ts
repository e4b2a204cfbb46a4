import { mkdir, writeFile } from 'node:fs/promises';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import type { ServerKind } from './metrics-ipc.js';
import type { LatencyResult } from './metrics-latency.js';

export interface ServerResult {
  readonly kind: ServerKind;
  readonly reqPerSec1: number;
  readonly reqPerSec10: number;
  readonly latency10: LatencyResult;
  readonly latency100: LatencyResult;
  /** Server-side event-loop delay during the 10-connection throughput run. */
  readonly eld: { readonly p50Ms: number; readonly p99Ms: number; readonly maxMs: number };
  readonly heapBeforeBytes: number;
  readonly heapAfterBytes: number;
  readonly scrapes: number;
}

interface Goal {
  readonly name: string;
  readonly pass: boolean;
  readonly actual: string;
}

const MB = 1024 * 1024;
const growthMb = (r: ServerResult): number => (r.heapAfterBytes - r.heapBeforeBytes) / MB;

const ROWS: readonly { label: string; digits: number; value: (r: ServerResult) => number }[] = [
  { label: 'throughput, 1 connection (req/s)', digits: 0, value: (r) => r.reqPerSec1 },
  { label: 'throughput, 10 connections (req/s)', digits: 0, value: (r) => r.reqPerSec10 },
  { label: 'latency p50 @ 10 req/s (ms)', digits: 3, value: (r) => r.latency10.p50Ms },
  { label: 'latency p99 @ 10 req/s (ms)', digits: 3, value: (r) => r.latency10.p99Ms },
  { label: 'latency p50 @ 100 req/s (ms)', digits: 3, value: (r) => r.latency100.p50Ms },
  { label: 'latency p99 @ 100 req/s (ms)', digits: 3, value: (r) => r.latency100.p99Ms },
  { label: 'server event-loop delay p99, 10 conn (ms)', digits: 2, value: (r) => r.eld.p99Ms },
  { label: 'server event-loop delay max, 10 conn (ms)', digits: 2, value: (r) => r.eld.maxMs },
  { label: 'heap after GC, before scrapes (MB)', digits: 2, value: (r) => r.heapBeforeBytes / MB },
  { label: 'heap after GC, after scrapes (MB)', digits: 2, value: (r) => r.heapAfterBytes / MB },
  { label: 'heap growth over the scrapes (MB)', digits: 3, value: growthMb },
];

/** A ratio of two signed or near-zero values (heap growth) means nothing, so none is shown. */
function ratio(ours: number, baseline: number): string {
  if (!(ours > 0 && baseline > 0)) return 'n/a';
  return `${(ours / baseline).toFixed(2)}x`;
}

function table(header: string[], rows: string[][]): string {
  const all = [header, ...rows];
  const widths = header.map((_, c) => Math.max(...all.map((row) => (row[c] ?? '').length)));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => (c === 0 ? cell.padEnd(widths[c] ?? 0) : cell.padStart(widths[c] ?? 0)))
      .join('  ');
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

export function goals(ours: ServerResult, base: ServerResult): Goal[] {
  return [
    {
      name: 'throughput @ 1 conn >= 1.5x baseline',
      pass: ours.reqPerSec1 >= 1.5 * base.reqPerSec1,
      actual: ratio(ours.reqPerSec1, base.reqPerSec1),
    },
    {
      name: 'throughput @ 10 conn >= 1.5x baseline',
      pass: ours.reqPerSec10 >= 1.5 * base.reqPerSec10,
      actual: ratio(ours.reqPerSec10, base.reqPerSec10),
    },
    {
      name: 'latency p99 @ 100 req/s < 5 ms',
      pass: ours.latency100.p99Ms < 5,
      actual: `${ours.latency100.p99Ms.toFixed(3)} ms`,
    },
    {
      name: `heap growth over ${ours.scrapes} scrapes < 2 MB`,
      pass: growthMb(ours) < 2,
      actual: `${growthMb(ours).toFixed(3)} MB`,
    },
  ];
}

export function render(ours: ServerResult, base: ServerResult): string {
  const rows = ROWS.map((row) => {
    const [a, b] = [row.value(ours), row.value(base)];
    return [row.label, a.toFixed(row.digits), b.toFixed(row.digits), ratio(a, b)];
  });
  const goalRows = goals(ours, base).map((g) => [g.name, g.actual, g.pass ? 'PASS' : 'FAIL']);
  const samples = `latency samples: ${ours.latency10.samples}/${ours.latency100.samples} (ours), ${base.latency10.samples}/${base.latency100.samples} (baseline) at 10/100 req/s`;
  return [
    table(['metric', 'palingenesis', 'baseline', 'ratio ours/baseline'], rows),
    samples,
    '',
    table(['goal (palingenesis)', 'actual', 'result'], goalRows),
  ].join('\n');
}

/** Writes the raw numbers to .bench/ (gitignored) so runs can be compared later. */
export async function writeJson(
  settings: object,
  results: ServerResult[],
  problems: string[],
): Promise<string> {
  const dir = fileURLToPath(new URL('../.bench/', import.meta.url));
  await mkdir(dir, { recursive: true });
  // ISO 8601 with ':' and '.' swapped for '-': colons are not allowed in file names everywhere.
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const file = `${dir}metrics-${stamp}.json`;
  const [ours, base] = results;
  const body = {
    date: new Date().toISOString(),
    node: process.version,
    cpus: cpus().length,
    settings,
    results,
    goals: ours && base ? goals(ours, base) : [],
    problems,
  };
  await writeFile(file, `${JSON.stringify(body, null, 2)}\n`);
  return file;
}
