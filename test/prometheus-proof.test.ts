import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { DASHBOARD_PATH } from '../dashboards/palingenesis.js';
import {
  labelValuesQuery,
  panelQueries,
  readDashboard,
  substitute,
} from './helpers/dashboard-queries.js';
import { daemonMetrics, eventually } from './helpers/daemon-api.js';
import type { Family } from './helpers/exposition.js';
import { startHarness, type OpencodeHarness } from './helpers/opencode-harness.js';
import { proofConfig, proofScenarios } from './helpers/proof-scenarios.js';
import { startPrometheus, type PrometheusServer } from './helpers/prometheus-server.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { requireTool } from './helpers/tools.js';

const JOB = 'palingenesis';
const RULES = fileURLToPath(new URL('../prometheus/alerts.yml', import.meta.url));
// Longer than the whole test, so every rate and increase sees the baseline scrapes before the
// first stop and the scrapes after the last resume.
const WINDOW = '5m';

const labelValues = z.object({ status: z.literal('success'), data: z.array(z.string()) });
const rulesResponse = z.object({
  status: z.literal('success'),
  data: z.object({
    groups: z.array(
      z.object({
        rules: z.array(z.looseObject({ name: z.string(), query: z.string(), health: z.string() })),
      }),
    ),
  }),
});

/** Counters the scenarios move: Prometheus must hold the daemon's final values of these. */
const COUNTED = [
  'palingenesis_saves_total',
  'palingenesis_resumes_total',
  'palingenesis_resumes_failure_total',
  'palingenesis_sessions_started_total',
];

function total(families: Map<string, Family>, name: string): number {
  return (families.get(name)?.metrics ?? []).reduce((sum, m) => sum + Number(m.value ?? 0), 0);
}

interface Result {
  readonly where: string;
  readonly expr: string;
  /** ok: finite samples; empty: parsed, nothing (or only NaN) came back; error: refused. */
  readonly outcome: 'ok' | 'empty' | 'error';
  readonly detail: string;
}

async function evaluate(p: PrometheusServer, where: string, expr: string): Promise<Result> {
  try {
    const samples = await p.query(expr);
    const finite = samples.filter((s) => Number.isFinite(s.value));
    const detail = samples
      .map((s) => `${JSON.stringify(s.labels)}=${s.value.toPrecision(4)}`)
      .join(' ');
    return { where, expr, outcome: finite.length > 0 ? 'ok' : 'empty', detail };
  } catch (error) {
    return { where, expr, outcome: 'error', detail: String(error) };
  }
}

async function getJson<T>(url: string, schema: z.ZodType<T>): Promise<T> {
  return schema.parse(await (await fetch(url)).json());
}

/** The dashboard's variables as Prometheus answers them: each must have values. */
async function variableValues(p: PrometheusServer): Promise<Record<string, string>> {
  const dashboard = await readDashboard(DASHBOARD_PATH);
  const values: Record<string, string> = {};
  for (const v of dashboard.templating.list.filter((x) => x.type === 'query')) {
    const text = z.string().parse(v.query);
    const query = labelValuesQuery(substitute(text, values));
    assert.ok(query, `variable ${v.name}: not label_values(…): ${text}`);
    const match = encodeURIComponent(query.selector);
    const url = `${p.url}/api/v1/label/${query.label}/values?match[]=${match}`;
    const found = (await getJson(url, labelValues)).data;
    assert.ok(found.length > 0, `variable ${v.name} (${text}) has no values`);
    values[v.name] = found[0] ?? '';
  }
  assert.equal(values['job'], JOB);
  return values;
}

const table = (results: readonly Result[]): string =>
  results
    .map((r) => `${r.outcome.padEnd(5)} ${r.where}\n      ${r.expr}\n      ${r.detail}`)
    .join('\n');

describe('a real Prometheus over a daemon that resumed real opencode sessions', () => {
  it('evaluates every dashboard and alert expression: all parse, every dashboard one has data', async (t) => {
    const binary = requireTool(t, 'prometheus');
    if (binary === undefined) return;
    let h: OpencodeHarness | undefined;
    let daemon: SpawnedDaemon | undefined;
    let prometheus: PrometheusServer | undefined;
    const diagnostics = (error: unknown): never => {
      throw new Error(
        [
          String(error),
          h?.diagnostics() ?? '',
          `daemon stderr:\n${daemon?.stderrTail() ?? ''}`,
          `prometheus stderr:\n${prometheus?.stderrTail() ?? ''}`,
        ].join('\n'),
      );
    };
    try {
      const startedAt = Date.now();
      h = await startHarness();
      daemon = await spawnDaemon(proofConfig(h.server.url));
      const prom = await startPrometheus(
        binary,
        { host: new URL(daemon.url).host, metricsPath: '/api/v1/metrics', job: JOB },
        { ruleFiles: [RULES] },
      );
      prometheus = prom;
      const scrapes = async (): Promise<number> =>
        (await prom.query(`count_over_time(up{job="${JOB}"}[${WINDOW}])`))[0]?.value ?? 0;
      // A baseline before any stop, so increase() and rate() see the counters move.
      await eventually('two scrapes', 20_000, async () =>
        (await scrapes()) >= 2 ? true : undefined,
      ).catch(diagnostics);
      t.diagnostic(`opencode, daemon, Prometheus and a baseline: ${Date.now() - startedAt} ms`);

      for (const scenario of proofScenarios(h, daemon)) {
        const scenarioStart = Date.now();
        await scenario.run().catch(diagnostics);
        t.diagnostic(`${scenario.name}: ${Date.now() - scenarioStart} ms`);
      }

      // Prometheus holds the daemon's final counts, and has scraped twice more since.
      const after = await scrapes();
      const finalCounts = await daemonMetrics(daemon.url);
      await eventually('the final counts in Prometheus', 20_000, async () => {
        for (const name of COUNTED) {
          const [stored] = await prom.query(`sum(${name}{job="${JOB}"})`);
          if (stored?.value !== total(finalCounts, name)) return undefined;
        }
        return (await scrapes()) >= after + 2 ? true : undefined;
      }).catch(diagnostics);

      const variables = await variableValues(prom);
      t.diagnostic(`variables: ${JSON.stringify(variables)}`);
      const values = {
        ...variables,
        __rate_interval: WINDOW,
        __range: WINDOW,
      };
      const dashboard = await readDashboard(DASHBOARD_PATH);
      const panels: Result[] = [];
      for (const q of panelQueries(dashboard))
        panels.push(await evaluate(prom, q.where, substitute(q.expr, values)));

      const rules = await eventually('every alert rule evaluated', 20_000, async () => {
        const body = await getJson(`${prom.url}/api/v1/rules`, rulesResponse);
        const all = body.data.groups.flatMap((g) => g.rules);
        return all.length > 0 && all.every((r) => r.health === 'ok') ? all : undefined;
      }).catch(diagnostics);
      const inFile = (await readFile(RULES, 'utf8')).match(/^\s*- alert:/gm) ?? [];
      assert.equal(rules.length, inFile.length, 'Prometheus did not load every rule');
      const alerts: Result[] = [];
      for (const r of rules) alerts.push(await evaluate(prom, `alert ${r.name}`, r.query));

      for (const line of table([...panels, ...alerts]).split('\n')) t.diagnostic(line);
      assert.ok(panels.length >= 20, `only ${panels.length} dashboard expressions`);
      const bad = [
        ...panels.filter((r) => r.outcome !== 'ok'),
        ...alerts.filter((r) => r.outcome === 'error'),
      ];
      assert.deepEqual(bad, [], `failing expressions:\n${table(bad)}`);

      // The scenarios moved what the panels show, not only zeros.
      const positive = (where: string): boolean =>
        panels.some((r) => r.where === where && /=[1-9]|=0\.\d*[1-9]/.test(r.detail));
      for (const where of [
        'Saves, 24 h / A',
        'Time saved, 7 days / A',
        'Resume success rate / A',
        'Resume success rate over time / A',
        'Resumes by agent and reason / A',
        'Resume failures by type / A',
        'Rate limits and context exhaustions / A',
        'Rate limits and context exhaustions / B',
        'Rate limits and context exhaustions / C',
        'Detection latency / C',
        'Wait duration / C',
        'Resume duration / C',
      ])
        assert.ok(positive(where), `${where} shows no activity:\n${table(panels)}`);
    } finally {
      try {
        await prometheus?.stop();
        if (daemon) assert.equal(await daemon.stop(), 0, daemon.stderrTail());
      } finally {
        await h?.close();
        await daemon?.home.remove();
      }
    }
  });
});
