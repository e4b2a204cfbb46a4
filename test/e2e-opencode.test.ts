import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { after, before, describe, it } from 'node:test';
import { lastMessageText } from './fake-llm/script.js';
import { daemonMetrics, daemonSessions, eventually, sample } from './helpers/daemon-api.js';
import { startHarness, type OpencodeHarness } from './helpers/opencode-harness.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';

const CONTINUE = 'PALINGENESIS-CONTINUE: carry on.';

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

  const failWith = (error: unknown): never => {
    throw new Error(`${String(error)}\n${h.diagnostics()}\ndaemon stderr:\n${daemon.stderrTail()}`);
  };

  it('a 429 that outlasts opencode’s own retries: waits the header time, resumes the same session once', async () => {
    const session = await h.client.createSession('rate limited');
    // opencode retries 5 times itself (honouring retry-after-ms), then gives up with the 6th
    // answer's headers on the error: the daemon must wait retry-after = 3 s from there.
    const quick = {
      kind: 'status',
      status: 429,
      headers: { 'retry-after-ms': '50' },
      body: { error: { message: 'Rate limit reached', type: 'rate_limit_error' } },
    } as const;
    h.fake.enqueue(quick, quick, quick, quick, quick, {
      ...quick,
      headers: { 'retry-after': '3' },
    });
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
    await eventually('the resumed turn to finish', 20_000, async () => {
      const messages = await h.client.messages(session.id);
      const last = messages.at(-1)?.info;
      return last?.role === 'assistant' && last.time.completed !== undefined ? true : undefined;
    }).catch(failWith);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const continues = h.fake
      .chatRequests()
      .filter((r) => lastMessageText(r)?.includes(CONTINUE) === true);
    assert.equal(continues.length, 1, 'the continue prompt was sent more than once');

    const [listed] = (await daemonSessions(daemon.url)).filter((s) => s.id === session.id);
    assert.equal(listed?.lastStop?.reason, 'completed');
    const audit = (await readFile(daemon.home.state.auditFile, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { type: string; sessionId?: string; reason?: string });
    const mine = audit
      .filter((e) => e.sessionId === session.id)
      .map((e) => `${e.type}${e.reason ? `:${e.reason}` : ''}`);
    assert.deepEqual(mine.slice(0, 4), [
      'session.stopped:rate_limit',
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
      const found = (await daemonSessions(daemon.url)).find((s) => s.id === session.id);
      return found?.lastStop?.reason === 'user_exit' ? found : undefined;
    }).catch(failWith);
    assert.equal(listed.nextWakeAt, null);
    await new Promise((resolve) => setTimeout(resolve, 2000));
    assert.equal(h.fake.chatRequests().length, 1, 'an aborted session was prompted again');
  });
});
