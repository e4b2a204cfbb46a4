import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readBuildInfo } from '../src/daemon/build-info.js';
import { eventually } from './helpers/daemon-api.js';
import { startPrometheus } from './helpers/prometheus-server.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { requireTool } from './helpers/tools.js';

const JOB = 'palingenesis';

describe('a real Prometheus server scrapes the running daemon', () => {
  it('up == 1, every exposed sample stored, story metrics queryable with the right values', async (t) => {
    const binary = requireTool(t, 'prometheus');
    if (binary === undefined) return;
    const daemon = await spawnDaemon();
    try {
      const prometheus = await startPrometheus(binary, {
        host: new URL(daemon.url).host,
        metricsPath: '/api/v1/metrics',
        job: JOB,
      });
      try {
        // At least three scrapes, so series are settled and a flapping target would show.
        await eventually('three scrapes', 30_000, async () => {
          const [scrapes] = await prometheus.query(`count_over_time(up{job="${JOB}"}[1m])`);
          return (scrapes?.value ?? 0) >= 3 ? true : undefined;
        }).catch((error: unknown) => {
          throw new Error(`${String(error)}\nprometheus stderr:\n${prometheus.stderrTail()}`);
        });

        const [up] = await prometheus.query(`up{job="${JOB}"}`);
        assert.equal(up?.value, 1, 'target is not up');

        // The server silently drops duplicate series, so "up" alone proves little: every sample
        // of the last scrape must be a distinct stored series. One expression, one evaluation time.
        const [scraped] = await prometheus.query(`scrape_samples_scraped{job="${JOB}"}`);
        const [stored] = await prometheus.query(`count({job="${JOB}",__name__!~"up|scrape_.*"})`);
        const [diff] = await prometheus.query(
          `scrape_samples_scraped{job="${JOB}"} - scalar(count({job="${JOB}",__name__!~"up|scrape_.*"}))`,
        );
        assert.ok((scraped?.value ?? 0) > 10, `only ${scraped?.value} samples scraped`);
        assert.equal(
          diff?.value,
          0,
          `scraped ${scraped?.value} samples, stored ${stored?.value} series`,
        );

        const build = readBuildInfo();
        const [info] = await prometheus.query('palingenesis_info');
        assert.equal(info?.value, 1);
        assert.equal(info.labels['version'], build.version);
        const [buildInfo] = await prometheus.query('palingenesis_build_info');
        assert.equal(buildInfo?.value, 1);
        assert.equal(buildInfo.labels['version'], build.version);
        assert.equal(buildInfo.labels['commit'], build.commit);
        const [uptime] = await prometheus.query('palingenesis_uptime_seconds');
        assert.ok((uptime?.value ?? 0) > 1, `uptime ${uptime?.value}`);
        const [state] = await prometheus.query('palingenesis_daemon_state');
        assert.equal(state?.value, 1);

        // A state change reaches Prometheus through the next scrape.
        assert.equal((await daemon.api(`/api/v1/pause`, { method: 'POST' })).status, 200);
        await eventually('the paused state in Prometheus', 10_000, async () => {
          const [paused] = await prometheus.query('palingenesis_daemon_state');
          return paused?.value === 2 ? true : undefined;
        });
      } finally {
        await prometheus.stop();
      }
    } finally {
      const code = await daemon.stop();
      assert.equal(code, 0, daemon.stderrTail());
      await daemon.home.remove();
    }
  });
});
