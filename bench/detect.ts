// Detection latency and resume dispatch lag against the real opencode binary and the project's
// fake LLM. Per run: opencode gives up on a 429 (its own 5 retries are made quick with
// retry-after-ms), the final answer asks for retry-after: 1 s; the daemon must classify the stop
// and fire the resume on time. Usage: npm run bench:detect. Env: BENCH_RUNS (default 20).
import { mkdir, writeFile } from 'node:fs/promises';
import { z } from 'zod';
import { lastMessageText, rateLimitedTurn } from '../test/fake-llm/script.js';
import { readAudit } from '../test/helpers/daemon-api.js';
import { startHarness } from '../test/helpers/opencode-harness.js';
import { spawnDaemon } from '../test/helpers/spawn-daemon.js';

const RUNS = z.coerce.number().int().min(1).default(20).parse(process.env['BENCH_RUNS']);
const CONTINUE = 'BENCH-CONTINUE';
const RUN_TIMEOUT_MS = 60_000;

const script = rateLimitedTurn(1, 10);

function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

const h = await startHarness();
const daemon = await spawnDaemon(
  `[http]\nport = 0\n[opencode]\nurl = "${h.server.url}"\n[resume]\ncontinue_prompt = "${CONTINUE}"\nmargin_seconds = 0\nverify_timeout_seconds = 30\n`,
);
const detection: number[] = [];
const dispatch: number[] = [];
const delivered: number[] = [];
try {
  h.fake.setDefault({ kind: 'ok', text: 'done' });
  for (let run = 1; run <= RUNS; run++) {
    const session = await h.client.createSession(`bench ${run}`);
    const before = h.fake.requests().length;
    h.fake.enqueue(...script);
    await h.client.promptAsync(session.id, 'go');
    const last429 = await h.fake.waitForRequest((r) => r.seq === before + 6, RUN_TIMEOUT_MS);
    const cont = await h.fake.waitForRequest(
      (r) => r.seq > before + 6 && r.body !== undefined && lastMessageText(r.body) === CONTINUE,
      RUN_TIMEOUT_MS,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    const audit = (await readAudit(daemon.home.state.auditFile)).filter(
      (e) => e.sessionId === session.id,
    );
    const stopped = audit.find((e) => e.type === 'session.stopped');
    const scheduled = audit.find((e) => e.type === 'resume.scheduled');
    const started = audit.find((e) => e.type === 'resume.started');
    if (!stopped || scheduled?.dueAt === undefined || !started)
      throw new Error(`run ${run}: events missing`);
    detection.push(stopped.at - last429.at);
    dispatch.push(started.at - scheduled.dueAt);
    delivered.push(cont.at - scheduled.dueAt);
    console.error(
      `[bench] run ${run}/${RUNS}: detection ${detection.at(-1)} ms, dispatch ${dispatch.at(-1)} ms`,
    );
  }
} finally {
  await daemon.stop();
  await h.close();
  await daemon.home.remove();
}

const rows: [string, number[], number][] = [
  ['detection latency: final 429 sent -> stop classified (ms)', detection, 250],
  ['dispatch lag: due time -> resume.started, then prompt_async (ms)', dispatch, 1000],
  ['delivery lag: due time -> continue prompt at the LLM (ms)', delivered, Number.NaN],
];
console.log(`runs: ${RUNS}`);
const width = Math.max(...rows.map(([name]) => name.length));
console.log(
  'metric'.padEnd(width),
  'p50'.padStart(8),
  'p99'.padStart(8),
  'max'.padStart(8),
  '  goal',
);
for (const [name, values, goal] of rows) {
  const p99 = percentile(values, 99);
  const verdict = Number.isNaN(goal) ? '' : `p99 < ${goal}: ${p99 < goal ? 'PASS' : 'FAIL'}`;
  console.log(
    name.padEnd(width),
    String(percentile(values, 50)).padStart(8),
    String(p99).padStart(8),
    String(Math.max(...values)).padStart(8),
    ` ${verdict}`,
  );
}
await mkdir('.bench', { recursive: true });
const file = `.bench/detect-${new Date().toISOString().replace(/[:.]/g, '-')}.json`;
await writeFile(
  file,
  `${JSON.stringify({ date: new Date().toISOString(), runs: RUNS, detection, dispatch, delivered }, null, 2)}\n`,
);
console.error(`[bench] wrote ${file}`);
