// What hostile or careless input costs the built daemon, measured from outside as a local attacker
// who has the token would see it (one without the token gets 401 before any cost):
//   1. a hook flood: 1,000 StopFailure hooks of 60 KB for one open Claude Code turn, 10 at once;
//   2. 20 event-stream clients asking `since=0` and never reading;
//   3. 5,000 remembered sessions with 20 stops/s arriving: `status` and `/health` latency.
// Reports RSS (against the idle daemon's, as a ratio), audit growth against its rotation bound,
// and latencies against the goals. Usage: npm run bench:abuse. Env: BENCH_HOOKS (1000),
// BENCH_SESSIONS (5000), BENCH_SECONDS (10).
import { mkdir, readdir, readFile, stat, writeFile, appendFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { connect, type AddressInfo, type Socket } from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Worker } from 'node:worker_threads';
import { z } from 'zod';
import { spawnDaemon } from '../test/helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from '../test/helpers/temp-home.js';

const HOOKS = z.coerce.number().int().min(10).default(1000).parse(process.env['BENCH_HOOKS']);
const SESSIONS = z.coerce.number().int().min(1).default(5000).parse(process.env['BENCH_SESSIONS']);
const SECONDS = z.coerce.number().min(2).default(10).parse(process.env['BENCH_SECONDS']);
const MIB = 1024 * 1024;
const AUDIT_MAX = 16 * MIB;
const AUDIT_KEEP = 5;

const line = (value: object): string => `${JSON.stringify(value)}\n`;
const prompt = (sessionId: string, uuid: string, cwd: string): string =>
  line({
    type: 'user',
    uuid,
    sessionId,
    cwd,
    timestamp: new Date().toISOString(),
    message: { role: 'user', content: 'go' },
  });
const limit = (sessionId: string, uuid: string): string =>
  line({
    type: 'assistant',
    uuid,
    sessionId,
    timestamp: new Date().toISOString(),
    isApiErrorMessage: true,
    error: 'rate_limit',
    apiErrorStatus: 429,
    apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt: 4_000_000_000 } },
    message: { role: 'assistant', content: [{ type: 'text', text: "You've hit your limit" }] },
  });

function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${String(pid)}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Bytes the process has written (files, sockets) since it started: /proc/<pid>/io wchar. */
async function writtenBytes(pid: number): Promise<number> {
  const io = await readFile(`/proc/${String(pid)}/io`, 'utf8');
  return Number(/^wchar: (\d+)$/m.exec(io)?.[1] ?? Number.NaN);
}

async function auditBytes(home: TempHome): Promise<number> {
  const names = await readdir(home.state.dir);
  const sizes = await Promise.all(
    names
      .filter((n) => n.startsWith('audit.jsonl'))
      .map(async (n) => (await stat(join(home.state.dir, n))).size),
  );
  return sizes.reduce((a, b) => a + b, 0);
}

// The probe runs on a thread of its own: the flood's client work in this process must not be
// counted as the daemon's latency.
const PROBE = `
const { parentPort, workerData } = require('node:worker_threads');
const { url, token, path, everyMs } = workerData;
const times = [];
let stopped = false;
parentPort.on('message', () => { stopped = true; });
(async () => {
  while (!stopped) {
    const start = performance.now();
    const res = await fetch(url + path, { headers: { authorization: 'Bearer ' + token } });
    await res.arrayBuffer();
    times.push(performance.now() - start);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
  parentPort.postMessage(times);
})();
`;

/** Times GET path every `everyMs` (one at a time, on its own thread) until `signal`; ms each. */
function probe(
  daemon: { readonly url: string; readonly token: string },
  path: string,
  everyMs: number,
  signal: AbortSignal,
): Promise<number[]> {
  const worker = new Worker(PROBE, {
    eval: true,
    workerData: { url: daemon.url, token: daemon.token, path, everyMs },
  });
  return new Promise((resolve, reject) => {
    worker.once('message', (times: number[]) => {
      void worker.terminate();
      resolve(times);
    });
    worker.once('error', reject);
    signal.addEventListener(
      'abort',
      () => {
        worker.postMessage('stop');
      },
      { once: true },
    );
  });
}

async function claudeHome(): Promise<{ home: TempHome; claudeDir: string; project: string }> {
  const home = await createTempHome();
  const claudeDir = join(home.dir, 'claude');
  const project = join(claudeDir, 'projects', '-work-p');
  await mkdir(project, { recursive: true });
  await mkdir(join(home.dir, 'p'), { recursive: true });
  return { home, claudeDir, project };
}

const config = (claudeDir: string): string =>
  `[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nconfig_dir = "${claudeDir}"\nbinary = "/bin/false"\n`;

interface Row {
  readonly what: string;
  readonly value: string;
  readonly goal: string;
  readonly ok: boolean;
}
const rows: Row[] = [];
const report = (what: string, value: string, goal: string, ok: boolean): void => {
  rows.push({ what, value, goal, ok });
};

// 1 and 2: the hook flood, then stream hoarders, on one daemon.
{
  const { home, claudeDir, project } = await claudeHome();
  const sessionId = '11111111-2222-4333-8444-555555555555';
  await writeFile(
    join(project, `${sessionId}.jsonl`),
    prompt(sessionId, 'u1', join(home.dir, 'p')),
  );
  const daemon = await spawnDaemon(config(claudeDir), { home });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1500)); // the first scan
    const idle = await rssMb(daemon.pid);
    const auditBefore = await auditBytes(home);
    const pad = 'x'.repeat(60 * 1024);
    const body = JSON.stringify({
      hook_event_name: 'StopFailure',
      session_id: sessionId,
      transcript_path: join(project, `${sessionId}.jsonl`),
      cwd: join(home.dir, 'p'),
      error: 'rate_limit',
      error_details: `You've hit your limit · resets 4am ${pad}`,
    });
    const statuses = new Map<number, number>();
    let peak = idle;
    const stop = new AbortController();
    const health = probe(daemon, '/health', 20, stop.signal);
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < HOOKS) {
        next++;
        const res = await daemon.api('/api/v1/hooks/claude-code', {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        });
        await res.arrayBuffer();
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (next % 100 === 0) peak = Math.max(peak, await rssMb(daemon.pid));
      }
    };
    const floodStart = performance.now();
    await Promise.all(Array.from({ length: 10 }, worker));
    const floodSeconds = (performance.now() - floodStart) / 1000;
    await new Promise((resolve) => setTimeout(resolve, 2500)); // the settle window
    stop.abort();
    const healthTimes = await health;
    const after = await rssMb(daemon.pid);
    peak = Math.max(peak, after);
    const grown = (await auditBytes(home)) - auditBefore;
    const answered = [...statuses].map(([s, n]) => `${String(n)}×${String(s)}`).join(' ');
    console.log(
      `hook flood: ${String(HOOKS)} × 60 KB in ${floodSeconds.toFixed(1)} s: ${answered}`,
    );
    report(
      'hook flood: RSS peak',
      `${peak.toFixed(0)} MB (${(peak / idle).toFixed(2)}× idle ${idle.toFixed(0)} MB)`,
      '< 200 MB',
      peak < 200,
    );
    report(
      'hook flood: audit growth',
      `${(grown / MIB).toFixed(2)} MB`,
      `≤ ${String((AUDIT_MAX * (AUDIT_KEEP + 1)) / MIB)} MB (rotation)`,
      grown <= AUDIT_MAX * (AUDIT_KEEP + 1),
    );
    report(
      'hook flood: /health p99',
      `${percentile(healthTimes, 99).toFixed(1)} ms (n=${String(healthTimes.length)})`,
      '< 50 ms',
      percentile(healthTimes, 99) < 50,
    );

    // 2: twenty clients that ask for the whole buffer and never read.
    const sockets: Socket[] = [];
    for (let i = 0; i < 20; i++) {
      const url = new URL(daemon.url);
      const socket = connect(Number(url.port), url.hostname);
      socket.pause();
      socket.write(
        `GET /api/v1/events?since=0 HTTP/1.1\r\nHost: ${url.host}\r\nAuthorization: Bearer ${daemon.token}\r\n\r\n`,
      );
      socket.on('error', () => undefined);
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 3000));
    const hoarded = await rssMb(daemon.pid);
    for (const socket of sockets) socket.destroy();
    report(
      '20 stalled since=0 streams: RSS',
      `${hoarded.toFixed(0)} MB (${(hoarded / idle).toFixed(2)}× idle)`,
      '< 200 MB',
      hoarded < 200,
    );
  } finally {
    await daemon.stop();
    await home.remove();
  }
}

// 3: many sessions, stops arriving.
{
  const { home, claudeDir, project } = await claudeHome();
  const now = Date.now();
  const sessions = Array.from({ length: SESSIONS }, (_, i) => ({
    agent: 'claude-code',
    sessionId: `old-${String(i).padStart(5, '0')}`,
    directory: join(home.dir, 'p'),
    attempts: 0,
    lastStop: {
      reason: 'rate_limit',
      detail: 'limit',
      at: now - 3_600_000,
      resetAt: now + 86_400_000,
    },
  }));
  const jobs = sessions.map((s) => ({
    agent: s.agent,
    sessionId: s.sessionId,
    directory: s.directory,
    reason: 'rate_limit',
    action: 'resume_same',
    dueAt: now + 86_400_000,
    attempt: 1,
    createdAt: now - 3_600_000,
    stoppedAt: now - 3_600_000,
    why: 'bench',
  }));
  await mkdir(home.state.dir, { recursive: true, mode: 0o700 });
  await writeFile(
    home.state.stateFile,
    JSON.stringify({ version: 1, jobs, sessions, totals: { saves: 0, timeSavedSeconds: 0 } }),
    { mode: 0o600 },
  );
  const daemon = await spawnDaemon(config(claudeDir), { home });
  try {
    const live = Array.from(
      { length: 20 },
      (_, i) => `aaaaaaaa-0000-4000-8000-${String(i).padStart(12, '0')}`,
    );
    for (const id of live) await writeFile(join(project, `${id}.jsonl`), '');
    await new Promise((resolve) => setTimeout(resolve, 1500));
    // Two windows of 20 stops/s: the first measures what the daemon writes (with only /health
    // probed, whose answers are tiny), the second times status while the stops go on.
    const stopsFor = async (seconds: number, from: number): Promise<number> => {
      let n = from;
      const started = performance.now();
      while (performance.now() - started < seconds * 1000) {
        const id = live[n % live.length] ?? '';
        const cwd = join(home.dir, 'p');
        await appendFile(
          join(project, `${id}.jsonl`),
          prompt(id, `p${String(n)}`, cwd) + limit(id, `l${String(n)}`),
        );
        n++;
        await new Promise((resolve) => setTimeout(resolve, 50)); // 20 stops/s
      }
      return n;
    };
    const stop = new AbortController();
    const health = probe(daemon, '/health', 20, stop.signal);
    const writtenBefore = await writtenBytes(daemon.pid);
    const firstStops = await stopsFor(SECONDS / 2, 0);
    const written = (await writtenBytes(daemon.pid)) - writtenBefore;
    const stateSize = (await stat(home.state.stateFile)).size;
    await (await daemon.api('/api/v1/metrics')).text(); // the loop-delay window starts here
    const statusStop = new AbortController();
    const status = probe(daemon, '/api/v1/status', 50, statusStop.signal);
    const stops = await stopsFor(SECONDS / 2, firstStops);
    statusStop.abort();
    stop.abort();
    const exposition = await (await daemon.api('/api/v1/metrics')).text();
    const gauge = (name: string): number =>
      Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(exposition)?.[1] ?? Number.NaN) * 1000;
    const [statusTimes, healthTimes] = await Promise.all([status, health]);
    // Baseline, same thread and client: a bare node:http server answering a body of the status's
    // size, so the transfer itself is not taken for the daemon's work.
    const body = await (await daemon.api('/api/v1/status')).text();
    const bare = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' }).end(body);
    });
    await new Promise<void>((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const port = (bare.address() as AddressInfo).port;
    const bareStop = new AbortController();
    const bareProbe = probe(
      { url: `http://127.0.0.1:${String(port)}`, token: '' },
      '/',
      50,
      bareStop.signal,
    );
    await new Promise((resolve) => setTimeout(resolve, 3000));
    bareStop.abort();
    const bareTimes = await bareProbe;
    bare.close();
    const rss = await rssMb(daemon.pid);
    console.log(
      `${String(SESSIONS)} sessions, ${String(stops)} stops in ${String(SECONDS)} s; state file ${(stateSize / MIB).toFixed(1)} MB; RSS ${rss.toFixed(0)} MB`,
    );
    // Every stop rewriting the whole state file would write (stops × state size).
    const naive = firstStops * stateSize;
    report(
      `written during ${String(firstStops)} stops (state, audit, log)`,
      `${(written / MIB).toFixed(1)} MB (${((written / naive) * 100).toFixed(0)} % of a state write per stop: ${(naive / MIB).toFixed(0)} MB)`,
      '< 50 % (writes coalesce)',
      written < naive / 2,
    );
    report(
      `status at ${String(SESSIONS)} sessions: p50`,
      `${percentile(statusTimes, 50).toFixed(1)} ms (n=${String(statusTimes.length)})`,
      '< 20 ms',
      percentile(statusTimes, 50) < 20,
    );
    report(
      `status p50 against a bare server sending the same ${(body.length / MIB).toFixed(1)} MB`,
      `${(percentile(statusTimes, 50) / percentile(bareTimes, 50)).toFixed(2)}× (bare p50 ${percentile(bareTimes, 50).toFixed(1)} ms, p99 ${percentile(bareTimes, 99).toFixed(1)} ms)`,
      '(reported)',
      true,
    );
    report(
      `status at ${String(SESSIONS)} sessions: p99`,
      `${percentile(statusTimes, 99).toFixed(1)} ms`,
      '(reported)',
      true,
    );
    report(
      "the daemon's own event-loop delay meanwhile: p99 / max",
      `${gauge('nodejs_eventloop_delay_p99_seconds').toFixed(1)} ms / ${gauge('nodejs_eventloop_delay_max_seconds').toFixed(1)} ms`,
      '(reported)',
      true,
    );
    report(
      `/health p99 at ${String(SESSIONS)} sessions + 20 stops/s`,
      `${percentile(healthTimes, 99).toFixed(1)} ms (n=${String(healthTimes.length)})`,
      '< 50 ms',
      percentile(healthTimes, 99) < 50,
    );
  } finally {
    await daemon.stop();
    await home.remove();
  }
}

console.log('\n| what | measured | goal | |\n|---|---|---|---|');
for (const row of rows)
  console.log(`| ${row.what} | ${row.value} | ${row.goal} | ${row.ok ? 'ok' : 'MISSED'} |`);
process.exitCode = rows.every((r) => r.ok) ? 0 : 1;
