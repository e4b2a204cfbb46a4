import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'node:test';
import { engineRig, rateLimited, REF, T0, type EngineRig } from '../../test/helpers/engine.js';
import { findJob, jobKey } from '../core/jobs.js';

const KEY = jobKey(REF);

describe('resume engine at the edges: crashes, stops and a failing disk', () => {
  let rig: EngineRig;
  beforeEach(async () => {
    rig = await engineRig();
  });
  afterEach(async () => {
    await rig.dispose();
  });

  it('a failed attempt is replaced by its retry in one write: no state on disk lacks the job', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 1));
    await rig.event('resume.scheduled');
    await rig.clock.advance(1000);
    await rig.event('resume.started');
    await rig.clock.advance(5000); // no busy within verify_timeout_seconds
    const retry = await rig.event('resume.scheduled', 2);
    assert.ok(retry.type === 'resume.scheduled' && retry.attempt === 2);
    await rig.store.idle();
    // Every state written from the first job on is one a kill -9 could leave: each has a job.
    const first = rig.disk.written.findIndex((s) => findJob(s, KEY) !== undefined);
    const after = rig.disk.written.slice(first);
    assert.ok(after.length >= 2, `writes: ${String(after.length)}`);
    assert.deepEqual(
      after.map((s) => findJob(s, KEY)?.attempt ?? 'no job'),
      [1, ...after.slice(1, -1).map((s) => findJob(s, KEY)?.attempt ?? 'no job'), 2],
    );
    assert.ok(
      after.every((s) => findJob(s, KEY) !== undefined),
      'a state on disk without the session’s job: a kill there loses the resume',
    );
    assert.equal(findJob(after.at(-1) ?? rig.store.get(), KEY)?.attempt, 2);
  });

  it('a daemon stop while a resume is verified costs nothing: no failure, no second prompt after a restart', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 1));
    await rig.event('resume.scheduled');
    await rig.clock.advance(1000);
    await rig.event('resume.started');
    await rig.clock.advance(0); // the prompt goes out right after its step is saved
    assert.equal(rig.adapter.prompts.length, 1);
    await rig.engine.stop(); // the verification is in flight
    assert.ok(!rig.types().includes('resume.failed'), rig.types().join(' '));
    const saved = findJob(rig.disk.written.at(-1) ?? rig.store.get(), KEY);
    assert.equal(saved?.attempt, 1, 'the stop cost an attempt');
    assert.ok(saved.sentAt !== undefined, 'the prompt went out unrecorded');

    // Started again: the session had answered the prompt meanwhile.
    const sentAt = saved.sentAt;
    rig.adapter.lastMessageAt = () => Promise.resolve(sentAt + 500);
    rig.adapter.workedSince = (_ref, since) => Promise.resolve(since <= sentAt + 500);
    rig.restart().poke();
    await rig.clock.advance(5000);
    await rig.event('session.resumed');
    assert.equal(rig.adapter.prompts.length, 1, 'the session got a second continue');
    assert.equal(rig.engine.totals().saves, 1);
  });

  it('a failing disk: nothing unsaved is announced or shown, commands say so, and the stop is saved once it can be', async () => {
    rig.engine.observe({ kind: 'discovered', ref: REF, at: T0 });
    rig.disk.full = true;
    rig.engine.observe(rateLimited(T0, 'msg_1', 3600));
    await rig.writeFailed();
    assert.deepEqual(rig.types(), [], 'announced before it was saved');
    assert.equal(rig.store.health().ok, false);
    assert.equal(rig.engine.sessions()[0]?.state, 'idle', 'shown as waiting while unsaved');
    assert.equal(rig.engine.pendingResumes(), 0);
    const pause = await rig.engine.command(REF.sessionId, 'pause');
    assert.deepEqual(pause.ok ? 'ok' : [pause.error, pause.message], [
      'state_write_failed',
      'nothing changed: the state file cannot be written (ENOSPC: no space left on device)',
    ]);
    assert.equal(rig.engine.sessions()[0]?.paused, false);

    rig.disk.full = false;
    await rig.clock.advance(30_000); // the retry
    const scheduled = await rig.event('resume.scheduled');
    assert.ok(scheduled.type === 'resume.scheduled' && scheduled.dueAt === T0 + 3_600_000);
    assert.deepEqual(rig.types(), ['session.stopped', 'decision.made', 'resume.scheduled']);
    assert.equal(rig.store.health().ok, true);
    assert.ok(findJob(rig.disk.written.at(-1) ?? rig.store.get(), KEY) !== undefined);
  });

  it('a job whose step cannot be saved is not acted on, and fires once the disk is back', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 1));
    await rig.event('resume.scheduled');
    rig.disk.full = true;
    await rig.clock.advance(1000);
    await rig.writeFailed();
    await rig.clock.advance(0);
    assert.deepEqual(rig.adapter.prompts, [], 'sent before "sent" was saved');
    assert.ok(!rig.types().includes('resume.started'));
    rig.disk.full = false;
    await rig.clock.advance(2000); // the probe write succeeds; the scheduler fires
    await rig.event('resume.started');
    await rig.clock.advance(0);
    assert.equal(rig.adapter.prompts.length, 1);
  });

  it('a new stop seen while the job is verified is decided once the job is done, not lost', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 1));
    await rig.event('resume.scheduled');
    await rig.clock.advance(1000);
    await rig.event('resume.started');
    await rig.clock.advance(0);
    rig.engine.observe({ kind: 'busy', ref: REF, at: rig.clock.now() });
    // The resumed turn meets its limit again before the save is written.
    rig.engine.observe(rateLimited(rig.clock.now(), 'msg_2', 60));
    await rig.event('session.resumed');
    const again = await rig.event('resume.scheduled', 2);
    assert.ok(again.type === 'resume.scheduled' && again.dueAt === T0 + 1000 + 60_000);
  });

  it('a busy older than the judgement drops the job, and the same stop seen again is decided again', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 3600));
    await rig.event('resume.scheduled');
    rig.engine.observe({ kind: 'busy', ref: REF, at: T0 + 1 });
    await rig.event('resume.dropped');
    rig.engine.observe(rateLimited(T0 + 2, 'msg_1', 3600));
    await rig.event('resume.scheduled', 2);
    assert.equal(rig.engine.pendingResumes(), 1, 'the stop was lost after a stale busy');
  });

  it('an agent retrying by itself after the prompt verifies the resume', async () => {
    rig.engine.observe(rateLimited(T0, 'msg_1', 1));
    await rig.event('resume.scheduled');
    await rig.clock.advance(1000);
    await rig.event('resume.started');
    await rig.clock.advance(0);
    rig.engine.observe({
      kind: 'retrying',
      ref: REF,
      attempt: 1,
      message: '429',
      nextAt: rig.clock.now() + 4000,
      at: rig.clock.now(),
    });
    await rig.event('session.resumed');
    assert.ok(!rig.types().includes('resume.failed'));
  });

  it('stop() with changes still unsaved rejects, naming the cause', async () => {
    rig.disk.full = true;
    rig.engine.observe(rateLimited(T0, 'msg_1', 60));
    await rig.writeFailed();
    await assert.rejects(rig.engine.stop(), /1 change\(s\) could not be saved.*ENOSPC/);
  });
});
