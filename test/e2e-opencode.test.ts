import assert from 'node:assert/strict';
import { readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { RecordedRequest } from './fake-llm/server.js';
import { lastMessageText, rateLimitedTurn } from './fake-llm/script.js';
import {
  daemonMetrics,
  daemonSessions,
  eventually,
  readAudit,
  sample,
} from './helpers/daemon-api.js';
import { startHarness, type OpencodeHarness } from './helpers/opencode-harness.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { promtoolCheckMetrics, requireTool } from './helpers/tools.js';

const CONTINUE = 'PALINGENESIS-CONTINUE: carry on.';
const HANDOFF_INTRO = 'PALINGENESIS-HANDOFF follows.';

function isContinue(r: RecordedRequest): boolean {
  return r.body !== undefined && lastMessageText(r.body)?.includes(CONTINUE) === true;
}

/** The real daemon (built CLI) watching a real `opencode serve` that talks to the fake LLM. */
describe('end to end with real opencode', () => {
  let h: OpencodeHarness;
  let daemon: SpawnedDaemon;
  before(async () => {
    h = await startHarness();
    daemon = await spawnDaemon(
      [
        '[http]',
        'port = 0',
        '[opencode]',
        `url = "${h.server.url}"`,
        '[resume]',
        `continue_prompt = "${CONTINUE}"`,
        'margin_seconds = 0',
        'backoff_base_seconds = 1',
        'max_retries = 3',
        'verify_timeout_seconds = 20',
        `new_session_prompt = "${HANDOFF_INTRO}"`,
        '',
      ].join('\n'),
    );
  });
  after(async () => {
    try {
      await daemon.stop();
    } finally {
      await h.close();
      await daemon.home.remove();
    }
  });

  const untilWaiting = (sessionId: string) =>
    eventually('the resume to be scheduled', 20_000, async () => {
      const found = (await daemonSessions(daemon)).find((s) => s.id === sessionId);
      return found?.state === 'waiting' ? true : undefined;
    });

  const failWith = (error: unknown): never => {
    throw new Error(`${String(error)}\n${h.diagnostics()}\ndaemon stderr:\n${daemon.stderrTail()}`);
  };

  /**
   * Waits until the session is idle with a completed assistant message last. Every test that
   * resumes a session ends with this: a turn still in flight would take the next test's scripted
   * answers from the shared fake LLM.
   */
  const untilTurnFinished = (sessionId: string, timeoutMs = 30_000) =>
    eventually('the resumed turn to finish', timeoutMs, async () => {
      if ((await h.client.status())[sessionId] !== undefined) return undefined;
      const last = (await h.client.messages(sessionId)).at(-1)?.info;
      return last?.role === 'assistant' && last.time.completed !== undefined ? true : undefined;
    }).catch(failWith);

  it('a 429 that outlasts opencode’s own retries: waits the header time, resumes the same session once', async () => {
    const session = await h.client.createSession('rate limited');
    // opencode retries 5 times itself (honouring retry-after-ms), then gives up with the 6th
    // answer's headers on the error: the daemon must wait retry-after = 3 s from there.
    h.fake.enqueue(...rateLimitedTurn(3));
    h.fake.setDefault({ kind: 'ok', text: 'Done after the limit.' });
    await h.client.promptAsync(session.id, 'Do the long task.');

    const sixth = await h.fake.waitForRequest((r) => r.seq >= 6, 30_000).catch(failWith);
    const resumed = await h.fake
      .waitForRequest(
        (r) => r.body !== undefined && lastMessageText(r.body)?.includes(CONTINUE) === true,
        30_000,
      )
      .catch(failWith);
    const waitedMs = resumed.at - sixth.at;
    assert.ok(
      waitedMs >= 2900,
      `resumed after ${waitedMs} ms, before retry-after (3 s) had passed`,
    );
    assert.ok(waitedMs < 15_000, `resumed only after ${waitedMs} ms`);

    const families = await eventually('a counted save', 20_000, async () => {
      const m = await daemonMetrics(daemon.url);
      return sample(m, 'palingenesis_saves_total') >= 1 ? m : undefined;
    }).catch(failWith);
    assert.equal(sample(families, 'palingenesis_rate_limits_total', { agent: 'opencode' }), 1);
    assert.equal(
      sample(families, 'palingenesis_resumes_total', { agent: 'opencode', reason: 'rate_limit' }),
      1,
    );
    assert.equal(sample(families, 'palingenesis_resumes_success_total', { agent: 'opencode' }), 1);
    assert.equal(sample(families, 'palingenesis_saves_total'), 1);
    assert.ok(sample(families, 'palingenesis_time_saved_seconds_total') >= 300 + 2.9);

    // The continued turn completes; exactly one continue prompt was ever sent.
    await untilTurnFinished(session.id, 20_000);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const continues = h.fake
      .chatRequests()
      .filter((r) => lastMessageText(r)?.includes(CONTINUE) === true);
    assert.equal(continues.length, 1, 'the continue prompt was sent more than once');

    const [listed] = (await daemonSessions(daemon)).filter((s) => s.id === session.id);
    assert.equal(listed?.lastStop?.reason, 'completed');
    const audit = await readAudit(daemon.home.state.auditFile);
    const mine = audit
      .filter((e) => e.sessionId === session.id)
      .map((e) => `${e.type}${e.reason ? `:${e.reason}` : ''}`);
    assert.deepEqual(mine.slice(0, 5), [
      'session.stopped:rate_limit',
      'decision.made:rate_limit',
      'resume.scheduled:rate_limit',
      'resume.started:rate_limit',
      'session.resumed',
    ]);
  });

  it('a user abort is never resumed', async () => {
    h.fake.reset();
    const session = await h.client.createSession('aborted');
    h.fake.enqueue({ kind: 'slow', text: 'a b c d e f g h i j', delayMs: 300, chunks: 10 });
    await h.client.promptAsync(session.id, 'Start something long.');
    await h.fake.waitForChatRequests(1, 20_000).catch(failWith);
    await new Promise((resolve) => setTimeout(resolve, 500));
    await h.client.abort(session.id);
    const listed = await eventually('the abort to be classified', 20_000, async () => {
      const found = (await daemonSessions(daemon)).find((s) => s.id === session.id);
      return found?.lastStop?.reason === 'user_exit' ? found : undefined;
    }).catch(failWith);
    assert.equal(listed.nextWakeAt, null);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(h.fake.chatRequests().length, 1, 'an aborted session was prompted again');
  });
  it('pause during a wait holds the resume; it fires only after resume', async () => {
    h.fake.reset();
    const session = await h.client.createSession('paused wait');
    h.fake.enqueue(...rateLimitedTurn(2));
    await h.client.promptAsync(session.id, 'Work while I pause you.');
    await untilWaiting(session.id).catch(failWith);
    const waiting = await daemonMetrics(daemon.url);
    assert.equal(sample(waiting, 'palingenesis_daemon_state'), 3, 'daemon state is not waiting');
    assert.equal((await daemon.api(`/api/v1/pause`, { method: 'POST' })).status, 200);
    await new Promise((resolve) => setTimeout(resolve, 4000));
    assert.equal(h.fake.requests().filter(isContinue).length, 0, 'a job fired while paused');
    const paused = await daemonMetrics(daemon.url);
    assert.equal(sample(paused, 'palingenesis_daemon_state'), 2);
    const listed = (await daemonSessions(daemon)).find((s) => s.id === session.id);
    assert.equal(listed?.state, 'waiting', 'the job was dropped during the pause');

    assert.equal((await daemon.api(`/api/v1/resume`, { method: 'POST' })).status, 200);
    await h.fake.waitForRequest(isContinue, 15_000).catch(failWith);
    await untilTurnFinished(session.id);
  });

  it('a daemon killed while waiting is restarted and resumes exactly once', async () => {
    h.fake.reset();
    const session = await h.client.createSession('daemon restart');
    h.fake.enqueue(...rateLimitedTurn(4));
    await h.client.promptAsync(session.id, 'Survive a daemon restart.');
    await untilWaiting(session.id).catch(failWith);
    const before = await daemonMetrics(daemon.url);
    const savesBefore = sample(before, 'palingenesis_saves_total');
    const savedBefore = sample(before, 'palingenesis_time_saved_seconds_total');
    assert.ok(savesBefore >= 1, 'earlier tests made no save to carry over');
    assert.equal(await daemon.stop('SIGKILL'), null);
    daemon = await spawnDaemon(daemon.config, { home: daemon.home });
    await h.fake.waitForRequest(isContinue, 20_000).catch(failWith);
    // The lifetime totals came back from the state file, and this resume added exactly one save.
    const after = await eventually('the save to be counted', 20_000, async () => {
      const m = await daemonMetrics(daemon.url);
      return sample(m, 'palingenesis_saves_total') > savesBefore ? m : undefined;
    }).catch(failWith);
    assert.equal(sample(after, 'palingenesis_saves_total'), savesBefore + 1);
    assert.ok(sample(after, 'palingenesis_time_saved_seconds_total') >= savedBefore + 300);
    await new Promise((resolve) => setTimeout(resolve, 3000));
    assert.equal(h.fake.requests().filter(isContinue).length, 1, 'resumed more than once');
    await untilTurnFinished(session.id);
  });

  for (const withFile of [false, true]) {
    it(`context exhausted (compaction failed): backup, then a new session with the handoff ${withFile ? 'file' : 'summary'}`, async () => {
      h.fake.reset();
      const marker = `Handoff note ${Date.now()}: finish step 3 next.`;
      const handoffPath = join(h.server.directory, 'Next-step.md');
      if (withFile) await writeFile(handoffPath, marker);
      else await rm(handoffPath, { force: true });
      const task = `Refactor module ${withFile ? 'A' : 'B'} completely.`;
      const opencode = { agent: 'opencode' };
      const before = await daemonMetrics(daemon.url);
      const session = await h.client.createSession('overflowing');
      h.fake.enqueue({ kind: 'context_overflow' }, { kind: 'context_overflow' });
      h.fake.setDefault({ kind: 'ok', text: 'Picked up from the handoff.' });
      await h.client.promptAsync(session.id, task);
      const handoff = await h.fake
        .waitForRequest(
          (r) => r.body !== undefined && lastMessageText(r.body)?.includes(HANDOFF_INTRO) === true,
          30_000,
        )
        .catch(failWith);
      const text = handoff.body === undefined ? '' : (lastMessageText(handoff.body) ?? '');
      if (withFile) assert.ok(text.includes(marker), `handoff file not used:\n${text}`);
      else assert.ok(text.includes(task), `summary lacks the original task:\n${text}`);

      const backups = await readdir(join(daemon.home.state.dir, 'backups'));
      assert.ok(
        backups.some((f) => f.includes(session.id)),
        `no backup of ${session.id}: ${backups.join(', ')}`,
      );
      // Announced once the new session is saved in the job: it may trail the handoff request.
      const started = await eventually('session.started for the old session', 10_000, async () =>
        (await readAudit(daemon.home.state.auditFile)).find(
          (e) => e.type === 'session.started' && e.fromSessionId === session.id,
        ),
      ).catch(failWith);
      assert.notEqual(started.sessionId, session.id);
      const metrics = await daemonMetrics(daemon.url);
      for (const name of [
        'palingenesis_context_exhaustions_total',
        'palingenesis_sessions_started_total',
      ]) {
        assert.equal(sample(metrics, name, opencode), sample(before, name, opencode) + 1, name);
      }
      if (started.sessionId !== undefined) await untilTurnFinished(started.sessionId);
      await rm(handoffPath, { force: true });
    });
  }

  it('context overflow that opencode compacts by itself: no new session, no backup, no resume', async () => {
    h.fake.reset();
    const opencode = { agent: 'opencode' };
    const before = await daemonMetrics(daemon.url);
    const session = await h.client.createSession('compacts by itself');
    h.fake.enqueue(
      { kind: 'context_overflow' },
      { kind: 'ok', text: '## Objective\n- Say hello.' },
      { kind: 'ok', text: 'Hello again, after compaction.' },
    );
    await h.client.promptAsync(session.id, 'Say hello, at length.');
    await untilTurnFinished(session.id);
    // The stop the daemon saw is the completed turn after the compaction, not the overflow.
    const listed = await eventually('the completed turn to be judged', 10_000, async () => {
      const found = (await daemonSessions(daemon)).find((s) => s.id === session.id);
      return found?.lastStop?.reason === 'completed' ? found : undefined;
    }).catch(failWith);
    assert.equal(listed.state, 'idle');
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const audit = (await readAudit(daemon.home.state.auditFile)).filter(
      (e) => e.sessionId === session.id || e.fromSessionId === session.id,
    );
    const types = audit.map((e) => e.type);
    for (const never of ['resume.scheduled', 'session.started', 'resume.started']) {
      assert.ok(
        !types.includes(never),
        `${never} after a successful compaction: ${types.join(' ')}`,
      );
    }
    const backups = await readdir(join(daemon.home.state.dir, 'backups')).catch(() => []);
    assert.ok(!backups.some((f) => f.includes(session.id)), 'the session was backed up');
    const metrics = await daemonMetrics(daemon.url);
    for (const name of [
      'palingenesis_context_exhaustions_total',
      'palingenesis_sessions_started_total',
    ]) {
      assert.equal(sample(metrics, name, opencode), sample(before, name, opencode), name);
    }
  });

  it('a session that stopped before the daemon started is discovered and resumed', async () => {
    // The daemon is down while the session stops. It comes back with its state (so the stops it
    // already handled stay handled) and has never seen this session.
    assert.equal(await daemon.stop(), 0);
    h.fake.reset();
    const session = await h.client.createSession('stopped while nobody watched');
    h.fake.enqueue(...rateLimitedTurn(1));
    await h.client.promptAsync(session.id, 'Work alone.');
    await eventually('opencode to give up', 30_000, async () => {
      const last = (await h.client.messages(session.id)).at(-1)?.info;
      return last?.role === 'assistant' && last.time.completed !== undefined ? true : undefined;
    }).catch(failWith);
    daemon = await spawnDaemon(daemon.config, { home: daemon.home });
    const trail = await eventually('the pre-existing session to be resumed', 30_000, async () => {
      const mine = (await readAudit(daemon.home.state.auditFile)).filter(
        (e) => e.sessionId === session.id,
      );
      return mine.some((e) => e.type === 'session.resumed') ? mine : undefined;
    }).catch(async (error: unknown) => {
      const all = await readAudit(daemon.home.state.auditFile);
      const lines = all.map((e) => `${e.type} ${e.sessionId ?? ''} ${e.reason ?? ''}`).join('\n');
      return failWith(`${String(error)}\nsession ${session.id}; audit:\n${lines}`);
    });
    assert.equal(trail.find((e) => e.type === 'session.stopped')?.reason, 'rate_limit');
    const listed = (await daemonSessions(daemon)).find((s) => s.id === session.id);
    assert.ok(listed, 'the pre-existing session is not listed');
    await untilTurnFinished(session.id);
  });

  it('opencode serve killed mid-turn: after it is back, the unfinished turn is resumed', async () => {
    h.fake.reset();
    h.fake.enqueue({ kind: 'slow', text: 'one two three four five six', delayMs: 400, chunks: 6 });
    h.fake.setDefault({ kind: 'ok', text: 'Recovered.' });
    const session = await h.client.createSession('crash');
    await h.client.promptAsync(session.id, 'Write a long answer.');
    await h.fake
      .waitForRequest(
        (r) => r.body !== undefined && lastMessageText(r.body) === 'Write a long answer.',
        20_000,
      )
      .catch(failWith);
    await new Promise((resolve) => setTimeout(resolve, 600));
    await h.crashAndRestart();
    // Judge by this session's own audit trail: other sessions on the shared server may be resumed
    // too after the restart, so "a continue prompt arrived" alone would prove nothing.
    const trail = await eventually('the crash to be resumed', 45_000, async () => {
      const mine = (await readAudit(daemon.home.state.auditFile)).filter(
        (e) => e.sessionId === session.id,
      );
      return mine.some((e) => e.type === 'session.resumed') ? mine : undefined;
    }).catch(failWith);
    const stops = trail.filter((e) => e.type === 'session.stopped').map((e) => e.reason);
    assert.equal(stops[0], 'crash', `stops recorded: ${stops.join(', ')}`);
    assert.equal(trail.filter((e) => e.type === 'resume.started').length, 1);
    await untilTurnFinished(session.id);
  });

  it('after all of the above, the exposition passes promtool and no label carries a session id', async (t) => {
    const body = await (await fetch(`${daemon.url}/api/v1/metrics`)).text();
    const sessionIds = (await daemonSessions(daemon)).map((s) => s.id);
    assert.ok(sessionIds.length >= 5, `only ${sessionIds.length} sessions tracked`);
    for (const id of sessionIds) assert.ok(!body.includes(id), `session id ${id} in the metrics`);
    assert.doesNotMatch(body, /"ses_/, 'an opencode session id is a label value');
    const promtool = requireTool(t, 'promtool');
    if (promtool === undefined) return;
    const result = promtoolCheckMetrics(promtool, body);
    assert.equal(result.status, 0, result.output);
  });
});
