import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { failedTurn } from './fake-llm/script.js';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from './fake-llm/server.js';
import {
  CLAUDE_BIN,
  createClaudeHome,
  isAlive,
  runHeadless,
  startHeadless,
  startInteractive,
  type ClaudeHome,
  type InteractiveClaude,
} from './helpers/claude.js';
import { daemonSessions, eventually, readAudit, type AuditEntry } from './helpers/daemon-api.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';

const CONTINUE = 'PALINGENESIS-CONTINUE: carry on.';
const INTERRUPTED = 'PALINGENESIS-INTERRUPTED: go on.';
const HANDOFF_INTRO = 'PALINGENESIS-HANDOFF follows.';

/** A main-conversation request whose last user text contains `text`. */
const prompted =
  (text: string) =>
  (r: RecordedRequest): boolean =>
    r.anthropic?.role === 'main' && r.anthropic.lastUserText.includes(text);

/**
 * The real daemon (built CLI) watching the real Claude Code 2.1.332, which talks to the fake
 * Anthropic API. The daemon's own headless resumes run the same binary with the same env. The
 * hooks are installed with `palingenesis hooks install claude-code`, as a user would.
 */
describe('end to end with real Claude Code', () => {
  let fake: FakeLlm;
  let h: ClaudeHome;
  let daemon: SpawnedDaemon;
  const config = [
    '[daemon]',
    'log_level = "debug"',
    '[http]',
    'port = 0',
    '[opencode]',
    'enabled = false',
    '[claude_code]',
    `binary = "${CLAUDE_BIN}"`,
    'poll_interval_ms = 250',
    '[resume]',
    `continue_prompt = "${CONTINUE}"`,
    `interrupted_prompt = "${INTERRUPTED}"`,
    `new_session_prompt = "${HANDOFF_INTRO}"`,
    'margin_seconds = 0',
    'backoff_base_seconds = 1',
    'max_retries = 3',
    'verify_timeout_seconds = 30',
    '',
  ].join('\n');

  before(async () => {
    fake = await startFakeLlm();
    // Plan limits need a subscription token; every scenario runs with it.
    h = await createClaudeHome({ baseUrl: fake.anthropicUrl, auth: 'oauth', hooks: false });
    const install = await runCli(['hooks', 'install', 'claude-code'], h.env);
    assert.equal(install.code, 0, install.stderr);
    daemon = await spawnDaemon(config, { home: h.home, env: h.env });
  });
  after(async () => {
    try {
      await daemon.stop();
    } finally {
      await fake.close();
      await h.remove();
    }
  });

  const failWith = (error: unknown): never => {
    const requests = fake
      .requests()
      .map(
        (r) =>
          `  #${r.seq} ${r.path} -> ${r.answeredWith} ${r.anthropic?.lastUserText.slice(-60) ?? ''}`,
      )
      .join('\n');
    throw new Error(
      `${String(error)}\nfake requests:\n${requests}\ndaemon stderr:\n${daemon.stderrTail()}`,
    );
  };
  const trailOf = async (sessionId: string): Promise<AuditEntry[]> =>
    (await readAudit(daemon.home.state.auditFile)).filter((e) => e.sessionId === sessionId);
  const untilResumed = (sessionId: string, timeoutMs = 45_000) =>
    eventually(`session ${sessionId} to be resumed`, timeoutMs, async () => {
      const trail = await trailOf(sessionId);
      return trail.some((e) => e.type === 'session.resumed') ? trail : undefined;
    }).catch(failWith);
  /** The daemon's headless run has finished: no Claude Code process left for the session. */
  const untilQuiet = (sessionId: string) =>
    eventually('the resumed run to end', 30_000, async () => {
      const files = await readdir(join(h.configDir, 'sessions')).catch(() => [] as string[]);
      for (const name of files) {
        const text = await readFile(join(h.configDir, 'sessions', name), 'utf8').catch(() => '');
        if (text.includes(sessionId) && isAlive(Number(name.replace('.json', ''))))
          return undefined;
      }
      return true;
    }).catch(failWith);

  it('plan limit: waits until resetsAt, resumes the same session once, headless', async () => {
    fake.reset();
    const resetAt = Math.ceil(Date.now() / 1000) + 4;
    fake.enqueueAnthropic({ kind: 'plan_limit', resetAtSeconds: resetAt });
    const run = await runHeadless(h, 'Do the planned work.');
    assert.equal(run.exitCode, 1, run.stderr);
    const sessionId = run.sessionId ?? assert.fail('no session id');
    const resumed = await fake.waitForRequest(prompted(CONTINUE), 30_000).catch(failWith);
    assert.ok(
      resumed.at >= resetAt * 1000,
      `resumed ${String(resetAt * 1000 - resumed.at)} ms early`,
    );
    assert.ok(resumed.at < resetAt * 1000 + 10_000, 'resumed long after the reset');
    assert.equal(resumed.anthropic?.sessionId, sessionId, 'a different session was resumed');
    const trail = await untilResumed(sessionId);
    const stopped =
      trail.find((e) => e.type === 'session.stopped') ?? assert.fail('no session.stopped');
    assert.equal(stopped.reason, 'rate_limit');
    assert.equal(stopped['resetSource'], 'resetsAt');
    assert.equal(trail.filter((e) => e.type === 'resume.started').length, 1);
    await untilQuiet(sessionId);
    assert.equal(fake.requests().filter(prompted(CONTINUE)).length, 1, 'resumed more than once');
    // The hook forwarder reached the daemon (hooks installed by our own CLI). A headless run
    // exits before its StopFailure hook runs (Claude Code 2.1.332): the transcript told.
    const log = await readFile(daemon.home.state.logFile, 'utf8');
    assert.match(log, /"event":"SessionStart".*"msg":"hook received"/);
  });

  it('API 429 without a reset time: backoff, then resume', async () => {
    fake.reset();
    fake.enqueueAnthropic(...failedTurn({ kind: 'rate_limit', retryAfterSeconds: 0 }));
    const run = await runHeadless(h, 'Work through the API limit.');
    assert.equal(run.exitCode, 1, run.stderr);
    const sessionId = run.sessionId ?? assert.fail('no session id');
    const trail = await untilResumed(sessionId);
    const decision = trail.find((e) => e.type === 'decision.made');
    assert.match(String(decision?.['why']), /backoff attempt 1/);
    await fake.waitForRequest(prompted(CONTINUE), 10_000).catch(failWith);
    await untilQuiet(sessionId);
  });

  it('failed compaction: the transcript is backed up, a new session starts with the handoff', async () => {
    fake.reset();
    const task = 'Refactor the whole parser module.';
    const first = await runHeadless(h, task);
    assert.equal(first.exitCode, 0, first.stderr);
    const sessionId = first.sessionId ?? assert.fail('no session id');
    fake.enqueueAnthropic({ kind: 'prompt_too_long' });
    fake.setCompaction({ kind: 'prompt_too_long' });
    const second = await runHeadless(h, 'Keep going.', { resume: sessionId });
    assert.equal(second.exitCode, 1);
    fake.setCompaction({ kind: 'ok', text: '<summary>fine</summary>' });
    const handoff = await fake.waitForRequest(prompted(HANDOFF_INTRO), 30_000).catch(failWith);
    assert.ok(handoff.anthropic?.lastUserText.includes(task), 'the handoff lacks the task');
    assert.notEqual(handoff.anthropic?.sessionId, sessionId);
    const audit = await readAudit(daemon.home.state.auditFile);
    const started = audit.find(
      (e) => e.type === 'session.started' && e.fromSessionId === sessionId,
    );
    assert.ok(started?.sessionId, 'no session.started for the new session');
    const backups = await readdir(join(daemon.home.state.dir, 'backups'));
    assert.ok(
      backups.some((f) => f.includes(sessionId)),
      `no backup: ${backups.join(', ')}`,
    );
    await untilResumed(sessionId);
    await untilQuiet(started.sessionId);
  });

  it('kill -9 mid-turn: the crash is resumed with the interrupted prompt', async () => {
    fake.reset();
    fake.enqueueAnthropic({ kind: 'slow', text: 'one two three four five six', delayMs: 500 });
    const run = startHeadless(h, 'Answer at length.');
    await fake.waitForRequest(prompted('Answer at length.'), 20_000).catch(failWith);
    // The prompt reaches the transcript ~100 ms after the request.
    await new Promise((resolve) => setTimeout(resolve, 800));
    const killed = await run.kill9();
    const sessionId = killed.sessionId ?? assert.fail('no session id');
    const resumed = await fake.waitForRequest(prompted(INTERRUPTED), 30_000).catch(failWith);
    assert.equal(resumed.anthropic?.sessionId, sessionId);
    const trail = await untilResumed(sessionId);
    assert.equal(trail.find((e) => e.type === 'session.stopped')?.reason, 'crash');
    await untilQuiet(sessionId);
  });

  describe('interactive in tmux', () => {
    let c: InteractiveClaude | undefined;
    after(async () => {
      await c?.close();
    });

    it('a rate-limited interactive session is resumed by typing into its own idle pane', async () => {
      fake.reset();
      c = await startInteractive(h);
      fake.enqueueAnthropic(...failedTurn({ kind: 'rate_limit', retryAfterSeconds: 0 }));
      await c.submit('Rate limit me in tmux.');
      const typed = await fake.waitForRequest(prompted(CONTINUE), 30_000).catch(failWith);
      const sessionId = typed.anthropic?.sessionId ?? assert.fail('no session id');
      const trail = await untilResumed(sessionId);
      assert.equal(trail.find((e) => e.type === 'session.stopped')?.reason, 'rate_limit');
      await c.waitForScreen((screen) => screen.includes(CONTINUE), 10_000).catch(failWith);
      assert.equal(isAlive(c.claudePid), true, 'the interactive Claude Code is gone');
      // Interactive Claude Code runs its StopFailure hook: the forwarder delivered it.
      const log = await readFile(daemon.home.state.logFile, 'utf8');
      assert.match(log, /"event":"StopFailure".*"msg":"hook received"/);
    });

    it('a turn the user interrupts (Esc) is never resumed', async () => {
      const session = c ?? assert.fail('no interactive session');
      fake.reset();
      fake.enqueueAnthropic({ kind: 'slow', text: 'a b c d e f g h i j', delayMs: 500 });
      await session.submit('Start something long.');
      const request = await fake.waitForRequest(prompted('Start something long.'), 20_000);
      await new Promise((resolve) => setTimeout(resolve, 800));
      await session.tmux('send-keys', '-t', session.pane, 'Escape');
      const sessionId = request.anthropic?.sessionId ?? assert.fail('no session id');
      await eventually('the interruption to be judged', 20_000, async () => {
        const listed = (await daemonSessions(daemon)).find((s) => s.id === sessionId);
        return listed?.lastStop?.reason === 'user_exit' ? true : undefined;
      }).catch(failWith);
      await new Promise((resolve) => setTimeout(resolve, 3000));
      assert.equal(
        fake.requests().filter(prompted(CONTINUE)).length,
        0,
        'an interrupted turn was resumed',
      );
    });
  });

  it('hooks while the daemon is down are spooled, then replayed at its start', async () => {
    assert.equal(await daemon.stop(), 0);
    fake.reset();
    const run = await runHeadless(h, 'Work while nobody watches.');
    assert.equal(run.exitCode, 0, run.stderr);
    const spool = join(daemon.home.state.dir, 'spool', 'claude-code');
    const spooled = (await readdir(spool)).filter((f) => f.endsWith('.json'));
    assert.ok(spooled.length >= 2, `spool: ${spooled.join(', ')}`);
    daemon = await spawnDaemon(config, { home: h.home, env: h.env });
    await eventually('the spool to be drained', 15_000, async () => {
      const left = (await readdir(spool)).filter((f) => f.endsWith('.json'));
      return left.length === 0 ? true : undefined;
    }).catch(failWith);
    // The drain logs once every entry was handled: wait for that line, not for the empty spool.
    await eventually('the replay to be logged', 15_000, async () =>
      /"replayed":[1-9]\d*.*spooled Claude Code hook payloads replayed/.test(
        await readFile(daemon.home.state.logFile, 'utf8'),
      )
        ? true
        : undefined,
    ).catch(failWith);
  });

  it('hooks uninstall leaves settings.json as it was before install', async () => {
    const settings = join(h.configDir, 'settings.json');
    const uninstall = await runCli(['hooks', 'uninstall', 'claude-code'], h.env);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    await assert.rejects(readFile(settings, 'utf8'), { code: 'ENOENT' });
  });
});
