import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { ResumeJob } from '../core/jobs.js';
import { MAX_TIMER_MS } from './clock.js';
import { createScheduler } from './scheduler.js';

const T0 = Date.parse('2026-11-27T22:00:00Z');

function job(sessionId: string, dueAt: number): ResumeJob {
  return {
    agent: 'opencode',
    sessionId,
    reason: 'rate_limit',
    action: 'resume_same',
    dueAt,
    attempt: 1,
    createdAt: T0,
    stoppedAt: T0,
    why: 'test',
  };
}

function setup(jobs: ResumeJob[], options: { holdFire?: boolean } = {}) {
  const clock = createFakeClock(T0);
  const fired: [string, number][] = [];
  let paused = false;
  let release: () => void = () => undefined;
  const scheduler = createScheduler({
    clock,
    pending: () => jobs,
    paused: () => paused,
    fire: async (j) => {
      fired.push([j.sessionId, clock.now() - T0]);
      if (options.holdFire === true) await new Promise<void>((resolve) => (release = resolve));
      jobs.splice(jobs.indexOf(j), 1);
    },
    onError: () => undefined,
  });
  return {
    clock,
    fired,
    scheduler,
    setPaused: (p: boolean) => (paused = p),
    release: () => {
      release();
    },
  };
}

describe('scheduler', () => {
  it('fires each job at its due time, not before, in order', async () => {
    const { clock, fired, scheduler } = setup([job('b', T0 + 5000), job('a', T0 + 1000)]);
    scheduler.poke();
    await clock.advance(999);
    assert.deepEqual(fired, []);
    await clock.advance(10_000);
    assert.deepEqual(fired, [
      ['a', 1000],
      ['b', 5000],
    ]);
  });

  it('a job already past due (e.g. after a daemon restart) fires at once', async () => {
    const { clock, fired, scheduler } = setup([job('late', T0 - 60_000)]);
    scheduler.poke();
    await clock.advance(0);
    assert.deepEqual(fired, [['late', 0]]);
  });

  it('pause holds due jobs without dropping them; they fire on resume', async () => {
    const jobs = [job('a', T0 + 1000)];
    const { clock, fired, scheduler, setPaused } = setup(jobs);
    setPaused(true);
    scheduler.poke();
    await clock.advance(60_000);
    assert.deepEqual(fired, []);
    assert.equal(jobs.length, 1);
    setPaused(false);
    scheduler.poke();
    await clock.advance(0);
    assert.deepEqual(fired, [['a', 60_000]]);
  });

  it('waits longer than 2^31-1 ms are re-armed in steps and never fire early', async () => {
    const dueIn = 40 * 24 * 3_600_000; // 40 days
    const { clock, fired, scheduler } = setup([job('weekly', T0 + dueIn)]);
    scheduler.poke();
    await clock.advance(MAX_TIMER_MS);
    assert.deepEqual(fired, []);
    await clock.advance(dueIn);
    assert.deepEqual(fired, [['weekly', dueIn]]);
    assert.ok(clock.armed.every((d) => d <= MAX_TIMER_MS));
  });

  it('a running job is not fired a second time by another poke', async () => {
    const { clock, fired, scheduler, release } = setup([job('a', T0)], { holdFire: true });
    scheduler.poke();
    await clock.advance(0);
    scheduler.poke();
    scheduler.poke();
    await clock.advance(1000);
    assert.equal(fired.length, 1);
    assert.deepEqual([...scheduler.active()], ['opencode:a']);
    release();
    await clock.advance(0);
    assert.deepEqual([...scheduler.active()], []);
  });

  it('stop() cancels the timer', async () => {
    const { clock, fired, scheduler } = setup([job('a', T0 + 1000)]);
    scheduler.poke();
    scheduler.stop();
    scheduler.poke();
    await clock.advance(5000);
    assert.deepEqual(fired, []);
  });
});
