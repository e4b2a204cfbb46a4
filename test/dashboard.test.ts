import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { DASHBOARD_PATH, renderDashboard } from '../dashboards/palingenesis.js';
import {
  allPanels,
  panelQueries,
  readDashboard,
  type DashboardJson,
} from './helpers/dashboard-queries.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';

const README = fileURLToPath(new URL('../README.md', import.meta.url));
const DS = { type: 'prometheus', uid: '${datasource}' };

const mappingsSchema = z.array(
  z.object({
    type: z.literal('value'),
    options: z.record(z.string(), z.looseObject({ text: z.string() })),
  }),
);

const load = (): Promise<DashboardJson> => readDashboard(DASHBOARD_PATH);

/** Metric names a PromQL expression reads (histogram series map to their family). */
function metricsIn(expr: string): string[] {
  return (expr.match(/palingenesis_[a-z_]+/g) ?? []).map((m) =>
    m.replace(/_(bucket|sum|count)$/, ''),
  );
}

describe('the Grafana dashboard (dashboards/palingenesis.json)', () => {
  it('is exactly what `npm run dashboard` generates from dashboards/palingenesis.ts', async () => {
    const committed = await readFile(DASHBOARD_PATH, 'utf8');
    assert.ok(committed === (await renderDashboard()), 'stale: run `npm run dashboard`');
  });

  it('imports anywhere: data source, job and instance are variables; every query uses them', async () => {
    const d = await load();
    assert.equal(d.uid, 'palingenesis');
    assert.ok(d.title.length > 0);
    assert.ok(d.schemaVersion >= 36, `schemaVersion ${d.schemaVersion}`);
    const vars = new Map(d.templating.list.map((v) => [v.name, v]));
    assert.deepEqual(
      [vars.get('datasource')?.type, vars.get('datasource')?.query],
      ['datasource', 'prometheus'],
    );
    assert.equal(vars.get('job')?.query, 'label_values(palingenesis_info, job)');
    assert.equal(
      vars.get('instance')?.query,
      'label_values(palingenesis_info{job=~"$job"}, instance)',
    );
    for (const name of ['job', 'instance']) {
      assert.equal(vars.get(name)?.type, 'query');
      assert.deepEqual(vars.get(name)?.datasource, DS);
    }

    const panels = allPanels(d.panels);
    const ids = panels.map((p) => p.id);
    assert.equal(new Set(ids).size, ids.length, `panel ids not unique: ${ids.join(',')}`);
    const titles = panels.map((p) => p.title);
    assert.equal(new Set(titles).size, titles.length, `panel titles not unique`);
    for (const p of panels.filter((x) => x.type !== 'row')) {
      assert.deepEqual(p.datasource, DS, `${p.title ?? ''}: panel data source`);
      assert.ok((p.targets ?? []).length > 0, `${p.title ?? ''}: no query`);
      for (const t of p.targets ?? []) {
        assert.deepEqual(t.datasource, DS, `${p.title ?? ''}: target data source`);
        assert.match(t.expr ?? '', /job=~"\$job", instance=~"\$instance"/, p.title);
      }
    }
  });

  it('shows what the issue asks for, with units, state names and quantiles', async () => {
    const d = await load();
    const panels = allPanels(d.panels);
    const byTitle = new Map(panels.map((p) => [p.title ?? '', p]));
    const exprs = panelQueries(d).map((q) => q.expr);
    const state = byTitle.get('Daemon state');
    assert.equal(state?.type, 'state-timeline');
    const [mapping] = mappingsSchema.parse(state.fieldConfig?.defaults?.['mappings']);
    assert.deepEqual(
      Object.entries(mapping?.options ?? {}).map(([k, v]) => `${k}=${v.text}`),
      ['1=monitoring', '2=paused', '3=waiting', '4=resuming'],
    );
    const unit = (title: string): unknown => byTitle.get(title)?.fieldConfig?.defaults?.['unit'];
    assert.equal(unit('Uptime'), 's');
    assert.equal(unit('Time saved, 24 h'), 's');
    assert.equal(unit('Time saved, 7 days'), 's');
    assert.equal(unit('Resume success rate'), 'percentunit');
    for (const window of ['24h', '7d']) {
      for (const metric of ['palingenesis_saves_total', 'palingenesis_time_saved_seconds_total'])
        assert.ok(exprs.some((e) => e.includes(`${metric}{`) && e.includes(`[${window}]`)));
    }
    for (const family of ['detection_latency', 'wait_duration', 'resume_duration']) {
      for (const q of ['0.5', '0.9', '0.99']) {
        const re = new RegExp(
          `^histogram_quantile\\(${q}, sum by \\(le\\) \\(rate\\(palingenesis_${family}_seconds_bucket\\{`,
        );
        assert.ok(
          exprs.some((e) => re.test(e)),
          `no p${q} of ${family}`,
        );
      }
    }
    // Rates over the panel's window use $__rate_interval; fixed windows are the stat panels'.
    for (const e of exprs) {
      for (const [, window] of e.matchAll(/(?:rate|increase)\([^[]+\[([^\]]+)\]/g))
        assert.ok(['$__rate_interval', '$__range', '24h', '7d'].includes(window ?? ''), e);
    }
  });

  it('uses only metrics the daemon exposes and the README lists', async () => {
    const used = new Set(panelQueries(await load()).flatMap((q) => metricsIn(q.expr)));
    assert.ok(used.size >= 15, [...used].join(', '));
    const readme = await readFile(README, 'utf8');
    const daemon = await spawnDaemon('[http]\nport = 0\n[opencode]\nenabled = false\n');
    try {
      const body = await (await fetch(`${daemon.url}/api/v1/metrics`)).text();
      const families = new Set([...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]));
      for (const name of used) {
        assert.ok(families.has(name), `${name} is not exposed`);
        assert.ok(readme.includes(`| \`${name}\``), `${name} is not in README's metrics table`);
      }
    } finally {
      await daemon.stop();
      await daemon.home.remove();
    }
  });
});
