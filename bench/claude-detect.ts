// Claude Code detection latency: from the moment the synthetic rate-limit line is appended to a
// transcript until the adapter reports the stop, three ways in one process: the transcript poll
// alone at the default 1000 ms, the poll at 250 ms, and a StopFailure hook delivered as the line is
// written (what interactive Claude Code does, through the forwarder). Then the cost of one scan
// with many idle transcripts (a long-used ~/.claude) against an empty directory.
// Usage: npm run bench:claude. Env: BENCH_RUNS (default 20), BENCH_IDLE (default 500).
import { appendFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { z } from 'zod';
import type { Observation } from '../src/agents/adapter.js';
import { createClaudeAdapter } from '../src/agents/claude-code/adapter.js';

const RUNS = z.coerce.number().int().min(1).default(20).parse(process.env['BENCH_RUNS']);
const IDLE = z.coerce.number().int().min(1).default(500).parse(process.env['BENCH_IDLE']);

const line = (value: object) => `${JSON.stringify(value)}\n`;
const prompt = (session: string, uuid: string) =>
  line({
    type: 'user',
    uuid,
    sessionId: session,
    cwd: '/work/p',
    timestamp: new Date().toISOString(),
    message: { role: 'user', content: 'go' },
  });
const limit = (uuid: string) =>
  line({
    type: 'assistant',
    uuid,
    timestamp: new Date().toISOString(),
    isApiErrorMessage: true,
    error: 'rate_limit',
    apiErrorStatus: 429,
    apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt: 1_900_000_000 } },
    message: { role: 'assistant', content: [{ type: 'text', text: "You've hit your limit" }] },
  });

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const sleep = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  });

interface Watched {
  readonly dir: string;
  readonly adapter: ReturnType<typeof createClaudeAdapter>;
  readonly seen: Observation[];
  stop(): Promise<void>;
}

async function watchDir(pollMs: number, idle = 0): Promise<Watched> {
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-bench-claude-'));
  const project = join(dir, 'projects', '-work-p');
  await mkdir(project, { recursive: true });
  for (let i = 0; i < idle; i++) {
    await writeFile(join(project, `idle-${String(i)}.jsonl`), prompt(`idle-${String(i)}`, 'x'));
  }
  const seen: Observation[] = [];
  const adapter = createClaudeAdapter({
    claudeDir: dir,
    binary: 'claude',
    tmuxBinary: 'tmux',
    resumeMode: 'notify',
    pollMs,
    env: {},
    now: () => Date.now(),
    sleep,
    onError: (what, error) => {
      throw new Error(`${what}: ${String(error)}`);
    },
    onInfo: () => undefined,
  });
  const stopping = new AbortController();
  const watching = adapter.watch((o) => seen.push(o), stopping.signal);
  return {
    dir,
    adapter,
    seen,
    async stop() {
      stopping.abort();
      await watching;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function detection(mode: 'poll-1000' | 'poll-250' | 'hook'): Promise<number[]> {
  const w = await watchDir(mode === 'poll-250' ? 250 : 1000);
  const latencies: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const session = `s${String(run)}`;
      const path = join(w.dir, 'projects', '-work-p', `${session}.jsonl`);
      await writeFile(path, prompt(session, `u${String(run)}`));
      // Let the scan pick the new file up and see it busy, as a real turn would.
      // (The very first file may be found by the start-up scan: discovered, not busy.)
      const known = (o: Observation) =>
        (o.kind === 'busy' || o.kind === 'discovered') && o.ref.sessionId === session;
      while (!w.seen.some(known)) await sleep(5);
      await sleep(Math.random() * 1000);
      const start = performance.now();
      await appendFile(path, limit(`e${String(run)}`));
      if (mode === 'hook') {
        w.adapter.acceptHook({
          hook_event_name: 'StopFailure',
          session_id: session,
          transcript_path: path,
          error: 'rate_limit',
        });
      }
      while (!w.seen.some((o) => o.kind === 'stopped' && o.ref.sessionId === session)) {
        await sleep(1);
      }
      latencies.push(performance.now() - start);
    }
  } finally {
    await w.stop();
  }
  return latencies;
}

/** Mean time from appending a line to seeing it, with a 1 ms poll: about one full scan. */
async function scanCost(idle: number): Promise<number> {
  const w = await watchDir(1, idle);
  try {
    // Wait for the first scan (it reads every recent file), then count scans in a fixed window.
    while (w.seen.filter((o) => o.kind === 'discovered').length < idle) await sleep(10);
    const marker = join(w.dir, 'projects', '-work-p', 'marker.jsonl');
    let scans = 0;
    const start = performance.now();
    while (performance.now() - start < 3000) {
      const id = `m${String(scans)}`;
      await appendFile(marker, prompt('marker', id));
      while (!w.seen.some((o) => o.kind === 'busy' && o.ref.sessionId === 'marker')) {
        await sleep(1);
      }
      w.seen.length = 0;
      scans++;
    }
    return (performance.now() - start) / scans;
  } finally {
    await w.stop();
  }
}

const results = {
  'poll-1000': await detection('poll-1000'),
  'poll-250': await detection('poll-250'),
  hook: await detection('hook'),
};
const stats = (values: number[]) => ({ p50: percentile(values, 50), p99: percentile(values, 99) });
const summary = {
  'poll-1000': stats(results['poll-1000']),
  'poll-250': stats(results['poll-250']),
  hook: stats(results.hook),
};
const emptyScan = await scanCost(1);
const idleScan = await scanCost(IDLE);
const report = {
  runs: RUNS,
  detectionMs: summary,
  hookVsPoll1000P50: summary.hook.p50 / summary['poll-1000'].p50,
  scanMs: { oneTranscript: emptyScan, [`${String(IDLE)}Transcripts`]: idleScan },
  scanCostRatio: idleScan / emptyScan,
};
console.log(JSON.stringify(report, null, 2));
await mkdir('.bench', { recursive: true });
await writeFile('.bench/claude-detect.json', `${JSON.stringify(report, null, 2)}\n`);
