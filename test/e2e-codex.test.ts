import assert from 'node:assert/strict';
import { cp, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from './fake-llm/server.js';
import { typePrompt } from '../src/agents/codex/tmux.js';
import {
  createCodexHome,
  findCodexBinary,
  rolloutFileFor,
  runCodexExec,
  startCodexExec,
  type CodexHome,
} from './helpers/codex.js';
import { needTmux, startTui, turn, warmUp } from './helpers/codex-tui.js';
import {
  daemonMetrics,
  daemonSessions,
  eventually,
  readAudit,
  sample,
  type AuditEntry,
} from './helpers/daemon-api.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';

const CONTINUE = 'PALINGENESIS-CONTINUE: carry on.';
const INTERRUPTED = 'PALINGENESIS-INTERRUPTED: go on.';
const HANDOFF_INTRO = 'PALINGENESIS-HANDOFF follows.';
const CODEX = findCodexBinary();
/** What the daemon adds to every `codex exec`: no plugin fetch (there is no network here). */
const OFFLINE_ARGS = ['--disable', 'plugins', '--disable', 'remote_plugin'];
/** The daemon's own runs retry as Codex does by default (the users' runs here never retry). */
const DAEMON_ARGS = [...OFFLINE_ARGS, '-c', 'model_providers.fake.stream_max_retries=2'];

/** A turn request (not a compaction) whose prompt contains `text`. */
const prompted =
  (text: string) =>
  (r: RecordedRequest): boolean =>
    r.responses?.kind === 'turn' && r.responses.lastUserText.includes(text);

/**
 * The real daemon (built CLI) watching the real Codex CLI 0.171, which talks to the fake
 * Responses API. Each scenario runs `codex exec` as a user would, in its own project; the
 * daemon's resumes run the same binary with the same CODEX_HOME.
 */
describe('end to end with real Codex CLI', () => {
  let fake: FakeLlm;
  let h: CodexHome;
  let daemon: SpawnedDaemon;

  before(async () => {
    fake = await startFakeLlm();
    // No retries of Codex's own: each scripted failure ends the turn at once.
    h = await createCodexHome(fake, { streamMaxRetries: 0, requestMaxRetries: 0 });
    const config = [
      '[daemon]',
      'log_level = "debug"',
      '[http]',
      'port = 0',
      '[opencode]',
      'enabled = false',
      '[claude_code]',
      'enabled = false',
      '[codex]',
      `binary = "${CODEX}"`,
      `exec_args = ${JSON.stringify(DAEMON_ARGS)}`,
      'poll_interval_ms = 250',
      '[resume]',
      `continue_prompt = "${CONTINUE}"`,
      `interrupted_prompt = "${INTERRUPTED}"`,
      `new_session_prompt = "${HANDOFF_INTRO}"`,
      'margin_seconds = 1',
      'backoff_base_seconds = 1',
      'max_retries = 3',
      'verify_timeout_seconds = 30',
      '',
    ].join('\n');
    daemon = await spawnDaemon(config, { home: h.home, env: h.env });
  });

  after(async () => {
    if (process.env['KEEP_CODEX_LOG'] !== undefined) {
      await cp(h.home.state.logFile, process.env['KEEP_CODEX_LOG']).catch(() => undefined);
    }
    await daemon.stop();
    await fake.close();
    await h.remove();
  });

  const audit = (): Promise<AuditEntry[]> => readAudit(daemon.home.state.auditFile);
  const forSession = (entries: AuditEntry[], id: string, type?: string): AuditEntry[] =>
    entries.filter((e) => e.sessionId === id && (type === undefined || e.type === type));

  it('a usage limit with a reset seconds away: resumed in the same thread after the reset', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 4;
    fake.enqueueResponses({ kind: 'usage_limit', resetsAtSeconds: resetAt });
    const run = await runCodexExec({ home: h, prompt: 'write the plan', extraArgs: OFFLINE_ARGS });
    assert.equal(run.exitCode, 1, run.stderr);
    const thread = run.threadId;
    assert.ok(thread !== undefined);

    const resumed = await fake.waitForRequest(prompted(CONTINUE), 40_000);
    // Not before the provider's reset plus the margin.
    assert.ok(resumed.at >= resetAt * 1000 + 1000 - 50, `${resumed.at} vs ${resetAt * 1000}`);
    const request = resumed.responses;
    assert.ok(request !== undefined);
    assert.equal(request.threadId, thread);
    assert.equal(request.metadata?.history_initialization, 'cold_resume');
    assert.ok(request.userTexts.includes('write the plan'));

    const entries = await eventually('session.resumed in the audit log', 30_000, async () => {
      const all = await audit();
      return forSession(all, thread, 'session.resumed').length > 0 ? all : undefined;
    });
    const stop = forSession(entries, thread, 'session.stopped')[0];
    assert.equal(stop?.['reason'], 'rate_limit');
    const decision = forSession(entries, thread, 'decision.made')[0];
    assert.match(String(decision?.['why']), /resets at .*resetsAt/);
    const sessions = await daemonSessions(daemon);
    assert.equal(sessions.find((s) => s.id === thread)?.agent, 'codex');
    // The agent-neutral metrics carry the agent's name.
    const metrics = await daemonMetrics(daemon.url);
    const labels = { agent: 'codex', reason: 'rate_limit' };
    assert.ok(sample(metrics, 'palingenesis_resumes_total', labels) >= 1);
    assert.ok(sample(metrics, 'palingenesis_resumes_success_total', { agent: 'codex' }) >= 1);
  });

  it('a 429 without a reset: backoff, then resumed', async () => {
    fake.enqueueResponses({ kind: 'rate_limit' });
    const run = await runCodexExec({ home: h, prompt: 'rate limited', extraArgs: OFFLINE_ARGS });
    const thread = run.threadId;
    assert.ok(thread !== undefined);
    const resumed = await fake.waitForRequest(
      (r) => prompted(CONTINUE)(r) && r.responses?.threadId === thread,
      40_000,
    );
    assert.ok(resumed.responses?.userTexts.includes('rate limited'));
    const entries = await audit();
    const decision = forSession(entries, thread, 'decision.made')[0];
    assert.match(String(decision?.['why']), /no reset time known; backoff attempt 1/);
  });

  it('billing ("Quota exceeded") is never resumed', async () => {
    fake.enqueueResponses({ kind: 'quota' });
    const run = await runCodexExec({ home: h, prompt: 'no money', extraArgs: OFFLINE_ARGS });
    const thread = run.threadId;
    assert.ok(thread !== undefined);
    const entries = await eventually('decision.made in the audit log', 20_000, async () => {
      const all = await audit();
      return forSession(all, thread, 'decision.made').length > 0 ? all : undefined;
    });
    assert.equal(forSession(entries, thread, 'session.stopped')[0]?.['reason'], 'auth_error');
    assert.equal(forSession(entries, thread, 'decision.made')[0]?.['action'], 'none');
    assert.equal(forSession(entries, thread, 'resume.scheduled').length, 0);
  });

  it('kill -9 mid-turn: resumed with the interrupted prompt', async () => {
    fake.enqueueResponses({ kind: 'slow', text: 'working on it', delayMs: 10_000, chunks: 3 });
    const run = startCodexExec({ home: h, prompt: 'long task', extraArgs: OFFLINE_ARGS });
    const started = await run.waitForEvent((e) => e.type === 'thread.started', 20_000);
    const thread = String(started['thread_id']);
    await fake.waitForRequest(prompted('long task'), 20_000);
    await run.kill9();
    const resumed = await fake.waitForRequest(
      (r) => prompted(INTERRUPTED)(r) && r.responses?.threadId === thread,
      40_000,
    );
    assert.ok(resumed.responses?.userTexts.includes('long task'));
    const entries = await audit();
    assert.equal(forSession(entries, thread, 'session.stopped')[0]?.['reason'], 'crash');
  });

  it("the user's Ctrl-C mid-turn is never resumed", async () => {
    fake.enqueueResponses({ kind: 'slow', text: 'working on it', delayMs: 10_000, chunks: 3 });
    const run = startCodexExec({ home: h, prompt: 'stop me', extraArgs: OFFLINE_ARGS });
    const started = await run.waitForEvent((e) => e.type === 'thread.started', 20_000);
    const thread = String(started['thread_id']);
    await fake.waitForRequest(prompted('stop me'), 20_000);
    run.child.kill('SIGINT');
    await run.done;
    const entries = await eventually('decision.made in the audit log', 20_000, async () => {
      const all = await audit();
      return forSession(all, thread, 'decision.made').length > 0 ? all : undefined;
    });
    assert.equal(forSession(entries, thread, 'session.stopped')[0]?.reason, 'user_exit');
    assert.equal(forSession(entries, thread, 'decision.made')[0]?.['action'], 'none');
    assert.equal(forSession(entries, thread, 'resume.scheduled').length, 0);
  });

  it('context exceeded twice: the same thread first, then a new session with the handoff', async () => {
    fake.enqueueResponses({ kind: 'context_overflow', where: 'status' });
    // The resume compacts (by default the fake's compaction answer succeeds), then its turn
    // overflows again.
    fake.enqueueResponses({ kind: 'context_overflow', where: 'status' });
    const run = await runCodexExec({ home: h, prompt: 'huge task', extraArgs: OFFLINE_ARGS });
    const thread = run.threadId;
    assert.ok(thread !== undefined);
    const resumed = await fake.waitForRequest(
      (r) => prompted(CONTINUE)(r) && r.responses?.threadId === thread,
      40_000,
    );
    assert.equal(resumed.responses?.threadId, thread);
    const fresh = await fake.waitForRequest(prompted(HANDOFF_INTRO), 40_000);
    assert.notEqual(fresh.responses?.threadId, thread);
    assert.match(fresh.responses?.lastUserText ?? '', /huge task/);
    const entries = await eventually('session.started from the old thread', 30_000, async () => {
      const all = await audit();
      return all.some((e) => e.type === 'session.started' && e.fromSessionId === thread)
        ? all
        : undefined;
    });
    const decisions = forSession(entries, thread, 'decision.made').map((e) => e['action']);
    assert.deepEqual(decisions.slice(0, 2), ['resume_same', 'new_session']);
    // The old rollout was backed up, whole, before the new session started.
    const backups = join(h.home.state.dir, 'backups');
    const backup = (await readdir(backups)).find((f) => f.startsWith(`codex-${thread}-`));
    assert.ok(backup !== undefined);
    const saved = JSON.parse(await readFile(join(backups, backup), 'utf8')) as {
      messages: unknown[];
    };
    const rollout = await rolloutFileFor(h, thread);
    assert.ok(rollout !== undefined);
    const lines = (await readFile(rollout, 'utf8')).trim().split('\n');
    assert.ok(saved.messages.length > 0 && saved.messages.length <= lines.length);
  });

  it('an open TUI in tmux: its rate-limit dialog answered "Keep current model", then typed into', async (t) => {
    if (!needTmux(t)) return;
    const tui = await startTui(h);
    try {
      // The first prompt of a TUI thread also asks for a title: answered before the limit.
      const thread = await warmUp(fake, tui);
      fake.enqueueResponses({
        kind: 'usage_limit',
        resetsAtSeconds: Math.ceil(Date.now() / 1000) + 3,
      });
      assert.deepEqual(await typePrompt(tui.target, 'refactor the parser'), { ok: true });
      await fake.waitForRequest(turn('refactor the parser'), 15_000);
      const resumed = await fake.waitForRequest(
        (r) => prompted(CONTINUE)(r) && r.responses?.threadId === thread,
        40_000,
      );
      const request = resumed.responses;
      assert.ok(request !== undefined);
      assert.ok(request.userTexts.includes('refactor the parser'));
      // "Keep current model": the model the thread had, not the one the dialog offered.
      assert.equal(request.body.model, 'fake-model');
      const entries = await eventually('session.resumed in the audit log', 30_000, async () => {
        const all = await audit();
        return forSession(all, thread, 'session.resumed').length > 0 ? all : undefined;
      });
      assert.equal(forSession(entries, thread, 'resume.needs_user').length, 0);
      await tui.waitFor((s) => s.kind === 'idle', 15_000, 'idle after the resumed turn');
    } finally {
      await tui.close();
    }
  });

  it('a thread the user resumed by hand before the reset is left to them', async () => {
    const resetAt = Math.ceil(Date.now() / 1000) + 6;
    fake.enqueueResponses({ kind: 'usage_limit', resetsAtSeconds: resetAt });
    const first = await runCodexExec({ home: h, prompt: 'first', extraArgs: OFFLINE_ARGS });
    const thread = first.threadId;
    assert.ok(thread !== undefined);
    await eventually('the resume scheduled', 20_000, async () =>
      forSession(await audit(), thread, 'resume.scheduled').length > 0 ? true : undefined,
    );
    // The user resumes it by hand before the reset, and that turn hangs on a slow answer.
    fake.enqueueResponses({ kind: 'slow', text: 'thinking', delayMs: 20_000, chunks: 2 });
    const mine = startCodexExec({
      home: h,
      prompt: 'by hand',
      resume: thread,
      extraArgs: OFFLINE_ARGS,
      timeoutMs: 60_000,
    });
    mine.done.catch(() => undefined);
    try {
      await fake.waitForRequest(prompted('by hand'), 20_000);
      // The thread went back to work before its reset: the pending resume is dropped, never sent
      // while another process runs the thread.
      const entries = await eventually('resume.dropped for the busy thread', 30_000, async () => {
        const all = await audit();
        return forSession(all, thread, 'resume.dropped').length > 0 ? all : undefined;
      });
      assert.equal(forSession(entries, thread, 'resume.started').length, 0);
      assert.equal(
        fake
          .requests()
          .filter(prompted(CONTINUE))
          .filter((r) => r.responses?.threadId === thread).length,
        0,
      );
    } finally {
      await mine.kill9();
    }
  });

  it('Codex sleeping inside a resumed turn on a long Retry-After is recorded as retrying, never acted on', async () => {
    fake.enqueueResponses({
      kind: 'usage_limit',
      resetsAtSeconds: Math.ceil(Date.now() / 1000) + 1,
    });
    // The resumed turn meets a 429 whose Retry-After is an hour: Codex waits inside the turn.
    fake.enqueueResponses({ kind: 'rate_limit', retryAfterSeconds: 3600 });
    const run = await runCodexExec({ home: h, prompt: 'patient work', extraArgs: OFFLINE_ARGS });
    const thread = run.threadId;
    assert.ok(thread !== undefined);
    await fake.waitForRequest(
      (r) => prompted(CONTINUE)(r) && r.responses?.threadId === thread,
      40_000,
    );
    const session = await eventually('the session shown retrying', 30_000, async () => {
      const found = (await daemonSessions(daemon)).find((s) => s.id === thread);
      return found?.state === 'retrying' ? found : undefined;
    });
    assert.equal(session.agent, 'codex');
    const entries = await audit();
    // One resume, verified; no second one while Codex waits.
    assert.equal(forSession(entries, thread, 'resume.started').length, 1);
    assert.equal(forSession(entries, thread, 'session.stopped').length, 1);
  });

  it('Codex in an open TUI waiting on a long Retry-After is shown retrying, never acted on', async (t) => {
    if (!needTmux(t)) return;
    // This TUI retries as Codex does by default (the shared home turns retries off).
    const tui = await startTui(h, { args: ['-c', 'model_providers.fake.stream_max_retries=2'] });
    try {
      const thread = await warmUp(fake, tui);
      fake.enqueueResponses({ kind: 'rate_limit', retryAfterSeconds: 3600 });
      assert.deepEqual(await typePrompt(tui.target, 'wait for it'), { ok: true });
      await fake.waitForRequest(turn('wait for it'), 15_000);
      const session = await eventually('the TUI session shown retrying', 30_000, async () => {
        const found = (await daemonSessions(daemon)).find((s) => s.id === thread);
        return found?.state === 'retrying' ? found : undefined;
      }).catch(async (error: unknown) => {
        const sessions = JSON.stringify(await daemonSessions(daemon));
        throw new Error(`${String(error)}\nsessions: ${sessions}\nscreen:\n${await tui.capture()}`);
      });
      assert.equal(session.agent, 'codex');
      const entries = await audit();
      // The warm-up turn completed; the waiting one is no stop.
      const stops = forSession(entries, thread, 'session.stopped').map((e) => e.reason);
      assert.deepEqual(stops, ['completed']);
      assert.equal(forSession(entries, thread, 'resume.started').length, 0);
    } finally {
      await tui.close();
    }
  });
});
