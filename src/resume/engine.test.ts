import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import {
  engineRig,
  rateLimited,
  REF,
  T0,
  type EngineRig,
  type RecordingAdapter,
} from '../../test/helpers/engine.js';
import type { FakeClock } from '../../test/helpers/fake-clock.js';
import type { DaemonEvent } from '../core/events.js';
import { EMPTY_STATE } from '../core/jobs.js';
import type { ResumeEngine } from './engine.js';

/** Lets real file writes (the state store) finish between fake-clock steps. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 30));

/** Waits (in real time, bounded) for what the engine does after its state file is written. */
async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe('resume engine (fake clock, in-memory agent)', () => {
  let rig: EngineRig;
  let clock: FakeClock;
  let engine: ResumeEngine;
  let adapter: RecordingAdapter;
  let events: DaemonEvent[];
  beforeEach(async () => {
    rig = await engineRig();
    ({ clock, engine, adapter, events } = rig);
  });
  afterEach(async () => {
    await rig.dispose(); // every job in flight, and every write, is done before the directory goes
  });

  const types = () => events.map((e) => e.type);

  it('waits for the reset, prompts once, and counts a save when the session turns busy', async () => {
    engine.observe(rateLimited(T0, 'msg_1', 60));
    await until('the job', () => types().includes('resume.scheduled'));
    assert.deepEqual(types(), ['session.stopped', 'decision.made', 'resume.scheduled']);
    await clock.advance(59_000);
    assert.deepEqual(adapter.prompts, []);
    await clock.advance(1000);
    await until('the prompt', () => adapter.prompts.length === 1);
    engine.observe({ kind: 'busy', ref: REF, at: clock.now() });
    await until('the save', () => types().includes('session.resumed'));
    assert.deepEqual(types(), [
      'session.stopped',
      'decision.made',
      'resume.scheduled',
      'resume.started',
      'session.resumed',
    ]);
    const resumed = events.at(-1);
    assert.ok(resumed?.type === 'session.resumed');
    assert.equal(resumed.waitedMs, 60_000);
    assert.equal(resumed.savedSeconds, 60 + 300);
  });

  it('a paused session holds its job past the reset; resume releases it; wake fires it now', async () => {
    engine.observe(rateLimited(T0, 'msg_p', 3600));
    await until('the job', () => types().includes('resume.scheduled'));
    const paused = await engine.command('ses_1', 'pause');
    assert.equal(paused.ok, true);
    assert.deepEqual(await engine.command('ses_1', 'pause'), {
      ok: false,
      error: 'conflict',
      message: 'session ses_1 is already paused',
    });
    const held = await engine.command('ses_1', 'wake');
    assert.equal(held.ok ? 'ok' : held.message, 'session ses_1 is paused; resume it first');
    await clock.advance(3_600_000);
    await settle();
    assert.deepEqual(adapter.prompts, [], 'a paused session was resumed');
    assert.equal(engine.sessions()[0]?.state, 'waiting', 'the held job was dropped');
    await clock.advance(60_000);
    assert.deepEqual(
      [engine.snapshot().pendingResumes, engine.snapshot().overdueSeconds],
      [1, 60],
      'a held job is pending and overdue',
    );
    assert.equal((await engine.command('ses_1', 'resume')).ok, true);
    await until('the released job', () => adapter.prompts.length === 1);
    const controls = events.filter((e) => e.type === 'session.control').map((e) => e.command);
    assert.deepEqual(controls, ['pause', 'resume']);
  });

  it('wake fires a pending job at once; cancel drops one; unknown ids are not_found', async () => {
    engine.observe(rateLimited(T0, 'msg_w', 3600));
    await until('the job', () => types().includes('resume.scheduled'));
    assert.equal((await engine.command('ses_1', 'wake')).ok, true);
    await until('the woken job', () => adapter.prompts.length === 1);
    engine.observe({ kind: 'busy', ref: REF, at: clock.now() });
    await until('the save', () => types().includes('session.resumed'));

    engine.observe(rateLimited(clock.now(), 'msg_c', 3600));
    await until(
      'the second job',
      () => types().filter((t) => t === 'resume.scheduled').length === 2,
    );
    assert.equal((await engine.command('ses_1', 'cancel')).ok, true);
    assert.equal(engine.pendingResumes(), 0);
    const again = await engine.command('ses_1', 'cancel');
    assert.equal(again.ok ? 'ok' : again.error, 'conflict');
    await clock.advance(3_600_000);
    await settle();
    assert.equal(adapter.prompts.length, 1, 'a cancelled job fired');
    const unknown = await engine.command('ses_nope', 'wake');
    assert.equal(unknown.ok ? 'ok' : unknown.error, 'not_found');
  });

  it('an overnight run that hits its limit again after each verified resume is resumed every time', async () => {
    for (let cycle = 1; cycle <= 5; cycle++) {
      engine.observe(rateLimited(clock.now(), `msg_${cycle}`, 60));
      await until(
        `job ${cycle}`,
        () => types().filter((t) => t === 'resume.scheduled').length === cycle,
      );
      await clock.advance(60_000);
      await until(`prompt ${cycle}`, () => adapter.prompts.length === cycle);
      engine.observe({ kind: 'busy', ref: REF, at: clock.now() });
      await until(
        `save ${cycle}`,
        () => types().filter((t) => t === 'session.resumed').length === cycle,
      );
    }
    const attempts = events.flatMap((e) => (e.type === 'resume.scheduled' ? [e.attempt] : []));
    assert.deepEqual(
      attempts,
      [1, 1, 1, 1, 1],
      'max_retries (3) must count failures, not successes',
    );
    assert.ok(!types().includes('resume.gave_up'));
  });

  it('shows opencode retrying on its own, and the todo steps of the latest active session', () => {
    engine.observe({ kind: 'discovered', ref: REF, title: 'Build it', at: T0 });
    engine.observe({
      kind: 'retrying',
      ref: REF,
      attempt: 2,
      message: '429',
      nextAt: T0 + 4000,
      at: T0 + 1,
    });
    engine.observe({ kind: 'todos', ref: REF, completed: 2, total: 5, at: T0 + 2 });
    const other = { ...REF, sessionId: 'ses_2' };
    engine.observe({ kind: 'busy', ref: other, at: T0 + 3 });
    engine.observe({ kind: 'todos', ref: other, completed: 1, total: 3, at: T0 + 4 });
    const [first] = engine.sessions();
    assert.equal(first?.state, 'retrying');
    assert.equal(first.title, 'Build it');
    assert.equal(first.nextWakeAt, T0 + 4000);
    assert.deepEqual(engine.snapshot(), {
      activeSessions: { opencode: 1, 'claude-code': 0 },
      retryAttempts: 0,
      pendingResumes: 0,
      overdueSeconds: 0,
      steps: { completed: 1, total: 3 },
    });
    assert.deepEqual(adapter.prompts, [], 'never act while the agent retries by itself');
  });

  it('the same stop seen again, or another stop while a job is pending, makes no second job', async () => {
    engine.observe(rateLimited(T0, 'msg_1', 60));
    await until('the job', () => types().includes('resume.scheduled'));
    engine.observe(rateLimited(T0 + 10, 'msg_1', 60));
    engine.observe(rateLimited(T0 + 20, 'msg_2', 5));
    await settle();
    await clock.advance(120_000);
    await settle();
    assert.equal(adapter.prompts.length, 1);
    assert.equal(types().filter((t) => t === 'resume.scheduled').length, 1);
  });

  it('a session busy again before its job fires: the job is dropped, nothing is sent', async () => {
    engine.observe(rateLimited(T0, 'msg_1', 60));
    await until('the job', () => types().includes('resume.scheduled'));
    engine.observe({ kind: 'busy', ref: REF, at: T0 + 1000 });
    await until('the job dropped', () => engine.pendingResumes() === 0);
    await clock.advance(120_000);
    await settle();
    assert.deepEqual(adapter.prompts, []);
    assert.equal(engine.pendingResumes(), 0);
    const dropped = events.filter((e) => e.type === 'resume.dropped');
    assert.deepEqual(
      dropped.map((e) => [e.sessionId, e.reason, e.at]),
      [[REF.sessionId, 'rate_limit', T0 + 1000]],
    );
  });

  it('unverified attempts are retried with backoff, then given up after max_retries', async () => {
    engine.observe(rateLimited(T0, 'msg_1', 1));
    for (let step = 0; step < 60 && types().at(-1) !== 'resume.gave_up'; step++) {
      await settle();
      await clock.advance(5_000);
    }
    await until('giving up', () => types().at(-1) === 'resume.gave_up');
    assert.equal(adapter.prompts.length, 3, 'one prompt per attempt, max_retries = 3');
    const failed = events.filter((e) => e.type === 'resume.failed');
    assert.deepEqual(
      failed.map((e) => ('errorType' in e ? [e.attempt, e.errorType] : [])),
      [
        [1, 'not_verified'],
        [2, 'not_verified'],
        [3, 'not_verified'],
      ],
    );
    assert.equal(types().at(-1), 'resume.gave_up');
    assert.equal(engine.pendingResumes(), 0);
  });

  it('no busy seen, but the session record shows an answer since the prompt: verified, a save', async () => {
    const answeredAt: number[] = [];
    adapter.workedSince = (_ref, at) => {
      answeredAt.push(at);
      return Promise.resolve(true);
    };
    engine.observe(rateLimited(T0, 'msg_1', 1));
    for (let step = 0; step < 10 && !types().includes('session.resumed'); step++) {
      await settle();
      await clock.advance(2_000);
    }
    await until('the resume verified', () => types().includes('session.resumed'));
    assert.equal(adapter.prompts.length, 1);
    assert.ok(!types().includes('resume.failed'), types().join(' '));
    const started = events.find((e) => e.type === 'resume.started');
    assert.deepEqual(answeredAt, [started?.at]);
    assert.equal(engine.totals().saves, 1);
  });

  it('no busy seen and no answer in the session record: not verified', async () => {
    adapter.workedSince = () => Promise.resolve(false);
    engine.observe(rateLimited(T0, 'msg_1', 1));
    for (let step = 0; step < 10 && !types().includes('resume.failed'); step++) {
      await settle();
      await clock.advance(2_000);
    }
    await until('the attempt failed', () => types().includes('resume.failed'));
    const failed = events.find((e) => e.type === 'resume.failed');
    assert.equal(failed?.type === 'resume.failed' ? failed.errorType : '', 'not_verified');
    // The retry is scheduled after the failure is saved: let it land in this test, not the next.
    await until(
      'the retry scheduled',
      () => types().filter((t) => t === 'resume.scheduled').length === 2,
    );
  });

  it('a user abort and a completed turn are never acted on', async () => {
    engine.observe({
      kind: 'stopped',
      ref: REF,
      at: T0,
      messageId: 'm1',
      evidence: {
        agent: 'opencode',
        lastAssistant: {
          completed: true,
          error: { name: 'MessageAbortedError', kind: 'user_exit' },
        },
      },
    });
    engine.observe({
      kind: 'stopped',
      ref: { ...REF, sessionId: 'ses_2' },
      at: T0,
      messageId: 'm2',
      evidence: { agent: 'opencode', lastAssistant: { completed: true, finish: 'stop' } },
    });
    await settle();
    await clock.advance(3_600_000);
    await settle();
    assert.deepEqual(adapter.prompts, []);
    assert.deepEqual(types(), [
      'session.stopped',
      'decision.made',
      'session.stopped',
      'decision.made',
    ]);
    const decisions = events.flatMap((e) =>
      e.type === 'decision.made' ? [[e.action, e.why]] : [],
    );
    assert.deepEqual(decisions, [
      ['none', 'the user stopped this session on purpose'],
      ['none', 'the turn completed'],
    ]);
  });
});

describe('resume engine: old sessions are pruned (fake clock)', () => {
  it('forgets records and views idle past the horizon, keeps recent ones', async () => {
    const DAY = 86_400_000;
    const stop = (sessionId: string, at: number) => ({
      agent: 'opencode' as const,
      sessionId,
      attempts: 0,
      lastStop: { reason: 'completed' as const, detail: 'done', at },
    });
    const rig = await engineRig(
      { ...EMPTY_STATE, sessions: [stop('ancient', T0 - 31 * DAY), stop('fresh', T0 - DAY)] },
      (config) => {
        config.limits.session_horizon_days = 30;
      },
    );
    const { clock, engine, store } = rig;
    try {
      await clock.advance(0);
      await until('the prune', () => store.get().sessions.length === 1);
      assert.deepEqual(
        engine.sessions().map((s) => s.id),
        ['fresh'],
      );
      engine.observe({ kind: 'discovered', ref: { ...REF, sessionId: 'seen' }, at: T0 });
      assert.equal(engine.sessions().length, 2);
      await clock.advance(31 * DAY);
      await until('the second prune', () => engine.sessions().length === 0);
    } finally {
      await rig.dispose(); // the prune's write is done
    }
  });
});
