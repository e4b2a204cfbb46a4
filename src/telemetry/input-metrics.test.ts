import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { DECLARED_ERRORS, ERROR_COMPONENTS, registerInputMetrics } from './input-metrics.js';

async function errorSamples(registry: Registry): Promise<Map<string, number>> {
  const metric = await registry.getSingleMetric('palingenesis_errors_total')?.get();
  return new Map(
    (metric?.values ?? []).map((v) => [
      `${String(v.labels['component'])}/${String(v.labels['kind'])}`,
      v.value,
    ]),
  );
}

describe('palingenesis_errors_total', () => {
  it('the declared series are there at 0 from the start, each of a known component', async () => {
    const registry = new Registry();
    registerInputMetrics(registry);
    const samples = await errorSamples(registry);
    assert.deepEqual(
      [...samples.keys()].sort(),
      DECLARED_ERRORS.map(([component, kind]) => `${component}/${kind}`).sort(),
    );
    assert.ok([...samples.values()].every((v) => v === 0));
    for (const [component] of DECLARED_ERRORS) assert.ok(ERROR_COMPONENTS.includes(component));
    assert.ok(DECLARED_ERRORS.length <= 8, 'a handful, not every pair');
  });

  it('counts one failure, or several at once (lines skipped by one read)', async () => {
    const registry = new Registry();
    const inputs = registerInputMetrics(registry);
    inputs.error('agent', 'malformed_line', 3);
    inputs.error('agent', 'malformed_line');
    inputs.error('store', 'audit_write');
    const samples = await errorSamples(registry);
    assert.equal(samples.get('agent/malformed_line'), 4);
    assert.equal(samples.get('store/audit_write'), 1);
    assert.equal(samples.get('store/state_write'), 0);
  });
});
