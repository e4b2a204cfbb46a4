import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { engineRig, rateLimited, T0, type EngineRig } from '../../test/helpers/engine.js';
import { EMPTY_STATE } from '../core/jobs.js';

/** Waits (in real time, bounded) for a fact the engine makes true off the caller's turn. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setImmediate(resolve));
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('resume engine: what it counts', () => {
  let rig: EngineRig | undefined;
  afterEach(async () => {
    await rig?.dispose();
    rig = undefined;
  });

  it('malformed agent input is counted by unit and number, once per observation', async () => {
    const malformed: [string, number][] = [];
    const errors: string[] = [];
    rig = await engineRig(EMPTY_STATE, undefined, {
      onError: (kind) => errors.push(kind),
      onMalformed: (unit, count) => malformed.push([unit, count]),
    });
    const at = T0;
    rig.engine.observe({
      kind: 'malformed',
      agent: 'opencode',
      unit: 'frame',
      count: 1,
      detail: 'x',
      at,
    });
    rig.engine.observe({
      kind: 'malformed',
      agent: 'claude-code',
      unit: 'line',
      count: 3,
      detail: 'y',
      at,
    });
    assert.deepEqual(malformed, [
      ['frame', 1],
      ['line', 3],
    ]);
    assert.deepEqual(errors, [], 'not a failure of the resume engine');
  });

  it('a session record that cannot be read to verify a resume is counted (verify_read)', async () => {
    const errors: string[] = [];
    rig = await engineRig(EMPTY_STATE, undefined, { onError: (kind) => errors.push(kind) });
    const { engine, adapter, clock, events } = rig;
    adapter.workedSince = () => Promise.reject(new Error('EACCES: permission denied'));
    engine.observe(rateLimited(T0, 'msg_1', 1));
    await until('the job', () => events.some((e) => e.type === 'resume.scheduled'));
    await clock.advance(1000);
    await until('the prompt', () => adapter.prompts.length === 1);
    // The verification wait (verify_timeout_seconds = 5) is armed: let it run out.
    await until('the verification wait', () => clock.armed.includes(5000));
    await clock.advance(5000);
    await until('the failed attempt', () => events.some((e) => e.type === 'resume.failed'));
    const failed = events.find((e) => e.type === 'resume.failed');
    assert.equal(failed?.type === 'resume.failed' ? failed.errorType : '', 'not_verified');
    assert.deepEqual(errors, ['verify_read']);
    await until(
      'the retry scheduled',
      () => events.filter((e) => e.type === 'resume.scheduled').length === 2,
    );
  });
});
