// Benchmarks palingenesis's Prometheus endpoint against plain prom-client default metrics, one
// server after the other (never both at once: they would compete for the same cores), each in
// its own child process so that the load generator's heap and event loop do not pollute theirs.
// Usage: npm run bench:metrics. Env: BENCH_SECONDS, BENCH_SLOW_SECONDS, BENCH_WARMUP_SECONDS,
// BENCH_SCRAPES. Exits 1 on request errors or crashes; a missed goal is reported, not fatal.
import { z } from 'zod';
import { spawnServer, type ServerChild } from './metrics-child.js';
import { serverKindSchema, type ServerKind } from './metrics-ipc.js';
import { pacedLatency } from './metrics-latency.js';
import { scrapes, throughput } from './metrics-load.js';
import { render, writeJson, type ServerResult } from './metrics-report.js';

const settingsSchema = z.object({
  /** Each throughput run and the 100 req/s latency run. */
  BENCH_SECONDS: z.coerce.number().positive().default(5),
  /** The 10 req/s latency run: 10 s gives 100 samples, the fewest for a meaningful p99. */
  BENCH_SLOW_SECONDS: z.coerce.number().positive().default(10),
  BENCH_WARMUP_SECONDS: z.coerce.number().positive().default(2),
  BENCH_SCRAPES: z.coerce.number().int().positive().default(100_000),
});
type Settings = z.infer<typeof settingsSchema>;

/** Heap reads run three GCs; everything else answers at once. */
const IPC_TIMEOUT_MS = 30_000;

type Problems = string[];

function step(server: ServerChild, what: string): void {
  console.error(`[bench] ${server.kind} (pid ${server.pid}): ${what}`);
}

function note(problems: Problems, kind: ServerKind, what: string, found: string[]): void {
  problems.push(...found.map((problem) => `${kind}, ${what}: ${problem}`));
}

async function measureLoad(server: ServerChild, s: Settings, problems: Problems) {
  const { kind, url } = server;
  step(server, `warm-up, ${s.BENCH_WARMUP_SECONDS} s at 10 connections`);
  note(problems, kind, 'warm-up', (await throughput(url, 10, s.BENCH_WARMUP_SECONDS)).problems);
  step(server, `throughput, 1 connection, ${s.BENCH_SECONDS} s`);
  const one = await throughput(url, 1, s.BENCH_SECONDS);
  note(problems, kind, '1 connection', one.problems);
  step(server, `throughput, 10 connections, ${s.BENCH_SECONDS} s`);
  await server.ask({ cmd: 'eld-reset' }, 'ack', IPC_TIMEOUT_MS);
  const ten = await throughput(url, 10, s.BENCH_SECONDS);
  const { p50Ms, p99Ms, maxMs } = await server.ask({ cmd: 'eld-read' }, 'eld', IPC_TIMEOUT_MS);
  note(problems, kind, '10 connections', ten.problems);
  step(server, `latency at 10 req/s, ${s.BENCH_SLOW_SECONDS} s`);
  const latency10 = await pacedLatency(url, 10, s.BENCH_SLOW_SECONDS);
  note(problems, kind, 'latency at 10 req/s', latency10.problems);
  step(server, `latency at 100 req/s, ${s.BENCH_SECONDS} s`);
  const latency100 = await pacedLatency(url, 100, s.BENCH_SECONDS);
  note(problems, kind, 'latency at 100 req/s', latency100.problems);
  const eld = { p50Ms, p99Ms, maxMs };
  return { reqPerSec1: one.reqPerSec, reqPerSec10: ten.reqPerSec, eld, latency10, latency100 };
}

/** Runs after the load phases on purpose: JIT, lazy init and pools have settled by then. */
async function measureHeap(server: ServerChild, s: Settings, problems: Problems) {
  const before = await server.ask({ cmd: 'heap' }, 'heap', IPC_TIMEOUT_MS);
  step(server, `${s.BENCH_SCRAPES} scrapes at 10 connections`);
  const scraped = await scrapes(server.url, s.BENCH_SCRAPES, server.kind);
  note(problems, server.kind, 'scrapes', scraped.problems);
  const after = await server.ask({ cmd: 'heap' }, 'heap', IPC_TIMEOUT_MS);
  return {
    heapBeforeBytes: before.heapUsed,
    heapAfterBytes: after.heapUsed,
    scrapes: scraped.total,
  };
}

async function benchServer(
  kind: ServerKind,
  s: Settings,
  problems: Problems,
): Promise<ServerResult> {
  const server = await spawnServer(kind);
  try {
    step(server, `listening at ${server.url}`);
    const load = await measureLoad(server, s, problems);
    const heap = await measureHeap(server, s, problems);
    await server.stop();
    return { kind, ...load, ...heap };
  } finally {
    server.kill();
  }
}

async function main(): Promise<number> {
  const settings = settingsSchema.parse(process.env);
  const problems: Problems = [];
  const results: ServerResult[] = [];
  for (const kind of serverKindSchema.options)
    results.push(await benchServer(kind, settings, problems));
  const [ours, base] = results;
  if (ours === undefined || base === undefined) throw new Error('a server produced no result');
  console.log(render(ours, base));
  console.error(`[bench] wrote ${await writeJson(settings, results, problems)}`);
  for (const problem of problems) console.error(`[bench] ERROR ${problem}`);
  return problems.length > 0 ? 1 : 0;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error('[bench] failed:', error);
    process.exit(1);
  },
);
