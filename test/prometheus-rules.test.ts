import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { requireTool } from './helpers/tools.js';

const RULES = fileURLToPath(new URL('../prometheus/alerts.yml', import.meta.url));
const RULE_TESTS = fileURLToPath(new URL('../prometheus/alerts.test.yml', import.meta.url));

describe('alert rules (prometheus/alerts.yml)', () => {
  it('pass `promtool check rules`', (t) => {
    const promtool = requireTool(t, 'promtool');
    if (promtool === undefined) return;
    const run = spawnSync(promtool, ['check', 'rules', RULES], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    assert.match(run.stdout, /SUCCESS: 4 rules found/);
  });

  it('pass their unit tests: every alert firing and not firing', (t) => {
    const promtool = requireTool(t, 'promtool');
    if (promtool === undefined) return;
    const run = spawnSync(promtool, ['test', 'rules', RULE_TESTS], { encoding: 'utf8' });
    assert.equal(run.status, 0, `${run.stdout}${run.stderr}`);
    const tests = (run.stdout + run.stderr).match(/SUCCESS/g) ?? [];
    assert.ok(tests.length >= 1, run.stdout);
  });

  it('use only metric families the daemon exposes', async () => {
    const rules = await readFile(RULES, 'utf8');
    const used = new Set(rules.match(/palingenesis_[a-z_]+/g) ?? []);
    assert.ok(used.size >= 5, [...used].join(', '));
    const daemon = await spawnDaemon('[http]\nport = 0\n[opencode]\nenabled = false\n');
    try {
      const body = await (await fetch(`${daemon.url}/api/v1/metrics`)).text();
      const families = new Set(
        [...body.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]).filter((n) => n !== undefined),
      );
      for (const name of used) assert.ok(families.has(name), `${name} is not exposed`);
    } finally {
      await daemon.stop();
      await daemon.home.remove();
    }
  });
});
