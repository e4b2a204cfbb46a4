import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readBuildInfo } from '../src/daemon/build-info.js';
import { startTestDaemon, type TestDaemon } from './helpers/daemon.js';
import { parseExposition, sampleOf } from './helpers/exposition.js';
import { promtoolCheckMetrics, requireTool } from './helpers/tools.js';

const STORY_FAMILIES = [
  'palingenesis_info',
  'palingenesis_daemon_state',
  'palingenesis_uptime_seconds',
  'palingenesis_build_info',
];

describe('metrics endpoint on a real server (127.0.0.1:0)', () => {
  let daemon: TestDaemon;
  before(async () => {
    daemon = await startTestDaemon();
  });
  after(async () => {
    await daemon.close();
  });

  const scrape = async (): Promise<Response> => fetch(`${daemon.url}/api/v1/metrics`);

  it('binds to loopback by default', () => {
    assert.match(daemon.url, /^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('answers 200 with the exact content type and the story metrics (AC1, AC5)', async () => {
    const res = await scrape();
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/plain; version=0.0.4; charset=utf-8');
    const families = parseExposition(await res.text());
    const build = readBuildInfo();
    assert.deepEqual(sampleOf(families, 'palingenesis_info'), {
      value: 1,
      labels: { version: build.version },
    });
    assert.deepEqual(sampleOf(families, 'palingenesis_build_info'), {
      value: 1,
      labels: { version: build.version, commit: build.commit },
    });
    assert.equal(sampleOf(families, 'palingenesis_daemon_state').value, 1);
    assert.ok(sampleOf(families, 'palingenesis_uptime_seconds').value > 0);
  });

  it('every family has HELP and a TYPE; the story families are gauges (AC2)', async () => {
    const families = parseExposition(await (await scrape()).text());
    for (const name of STORY_FAMILIES) assert.equal(families.get(name)?.type, 'GAUGE', name);
    for (const [name, family] of families) {
      assert.ok(family.help.trim().length > 0, `${name} has no HELP`);
      assert.ok(['GAUGE', 'COUNTER', 'HISTOGRAM', 'SUMMARY'].includes(family.type), name);
    }
    const body = await (await scrape()).text();
    const typeLines = body.split('\n').filter((l) => l.startsWith('# TYPE ')).length;
    const helpLines = body.split('\n').filter((l) => l.startsWith('# HELP ')).length;
    assert.equal(typeLines, families.size);
    assert.equal(helpLines, families.size);
  });

  it('uptime is fractional and current at each scrape', async () => {
    const first = sampleOf(
      parseExposition(await (await scrape()).text()),
      'palingenesis_uptime_seconds',
    );
    await new Promise((resolve) => setTimeout(resolve, 50));
    const second = sampleOf(
      parseExposition(await (await scrape()).text()),
      'palingenesis_uptime_seconds',
    );
    assert.ok(!Number.isInteger(first.value), `uptime ${first.value} should be fractional`);
    assert.ok(second.value - first.value >= 0.04, `${first.value} -> ${second.value}`);
  });

  it('pausing shows palingenesis_daemon_state 2, resuming 1', async () => {
    const state = async (): Promise<number> =>
      sampleOf(parseExposition(await (await scrape()).text()), 'palingenesis_daemon_state').value;
    assert.equal((await daemon.api(`/api/v1/pause`, { method: 'POST' })).status, 200);
    assert.equal(await state(), 2);
    assert.equal((await daemon.api(`/api/v1/resume`, { method: 'POST' })).status, 200);
    assert.equal(await state(), 1);
  });

  it('passes `promtool check metrics` with exit 0', async (t) => {
    const promtool = requireTool(t, 'promtool');
    if (promtool === undefined) return;
    const result = promtoolCheckMetrics(promtool, await (await scrape()).text());
    assert.equal(result.status, 0, result.output);
  });

  it('100 sequential scrapes finish in under 5 s (story sanity bound, AC3)', async () => {
    const started = performance.now();
    for (let i = 0; i < 100; i++) {
      const res = await scrape();
      assert.equal(res.status, 200);
      await res.text();
    }
    const elapsedMs = performance.now() - started;
    assert.ok(elapsedMs < 5000, `took ${elapsedMs.toFixed(0)} ms`);
  });

  it('scraped at 10 req/s: answers in <50 ms (median) while /health keeps answering (AC3)', async () => {
    // Timing proper (p99, heap, event-loop delay) is `npm run bench:metrics`; this machine is
    // shared, so the test holds the story's bound on the median and only a sanity bound on the max.
    const scrapeMs: number[] = [];
    const healthMs: number[] = [];
    const timed = async (path: string, into: number[]): Promise<void> => {
      const started = performance.now();
      const res = await fetch(`${daemon.url}${path}`);
      await res.text();
      assert.equal(res.status, 200, path);
      into.push(performance.now() - started);
    };
    const ticks = Array.from({ length: 30 }, (_, i) =>
      new Promise((resolve) => setTimeout(resolve, i * 100)).then(() =>
        Promise.all([timed('/api/v1/metrics', scrapeMs), timed('/health', healthMs)]),
      ),
    );
    await Promise.all(ticks);
    const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1] ?? NaN;
    const shown = `scrapes ${scrapeMs.map((ms) => ms.toFixed(1)).join(' ')}`;
    assert.equal(scrapeMs.length, 30);
    assert.equal(healthMs.length, 30);
    assert.ok(median(scrapeMs) < 50, shown);
    assert.ok(Math.max(...scrapeMs) < 1000, shown);
    assert.ok(median(healthMs) < 50, `health ${healthMs.map((ms) => ms.toFixed(1)).join(' ')}`);
  });
});

describe('metrics disabled with [otel] metrics_enabled = false (AC4)', () => {
  it('GET /api/v1/metrics is 404 while the rest of the API works', async () => {
    const daemon = await startTestDaemon((config) => {
      config.otel.metrics_enabled = false;
    });
    try {
      const res = await fetch(`${daemon.url}/api/v1/metrics`);
      assert.equal(res.status, 404);
      assert.deepEqual(await res.json(), {
        error: { code: 'not_found', message: 'no route for GET /api/v1/metrics' },
      });
      assert.equal((await fetch(`${daemon.url}/health`)).status, 200);
    } finally {
      await daemon.close();
    }
  });
});
