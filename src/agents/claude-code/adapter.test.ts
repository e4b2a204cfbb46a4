import assert from 'node:assert/strict';
import { appendFile, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { classify } from '../../core/classify.js';
import { delay } from '../../node-util.js';
import type { Observation } from '../adapter.js';
import { NeedsUserError } from '../adapter.js';
import type { HookFate, HookReceipt } from '../definition.js';
import { createClaudeAdapter, type ClaudeAdapter, type HookRejection } from './adapter.js';

const line = (value: object) => `${JSON.stringify(value)}\n`;
const prompt = (uuid: string, text: string) =>
  line({
    type: 'user',
    uuid,
    sessionId: 's1',
    cwd: '/work/p',
    timestamp: new Date().toISOString(),
    message: { role: 'user', content: text },
  });
const limit = (uuid: string, resetsAt: number) =>
  line({
    type: 'assistant',
    uuid,
    timestamp: new Date().toISOString(),
    isApiErrorMessage: true,
    error: 'rate_limit',
    apiErrorStatus: 429,
    apiError: 'usage_limit_reached',
    apiErrorParams: { rate_limit_info: { status: 'rejected', resetsAt } },
    message: { role: 'assistant', content: [{ type: 'text', text: "You've hit your limit" }] },
  });

/** A plan reset an hour away: within the longest wait the core believes. */
const SOON_S = Math.floor(Date.now() / 1000) + 3600;

/** A daemon-less adapter over a temp Claude directory, with real files and a fast poll. */
describe('the Claude Code adapter over a Claude directory', () => {
  let dir: string;
  let adapter: ClaudeAdapter;
  const seen: Observation[] = [];
  const rejected: { reason: HookRejection; detail: string }[] = [];
  const stopping = new AbortController();
  let watching: Promise<void>;
  let transcript: string;
  let replayed: HookReceipt;

  const until = async <T>(what: string, find: () => T | undefined): Promise<T> => {
    const deadline = Date.now() + 5000;
    for (;;) {
      const found = find();
      if (found !== undefined) return found;
      if (Date.now() > deadline) {
        throw new Error(
          `timed out waiting for ${what}; saw ${JSON.stringify(seen.map((o) => o.kind))}`,
        );
      }
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  };
  const stopsOf = (id: string) =>
    seen.filter(
      (o): o is Extract<Observation, { kind: 'stopped' }> =>
        o.kind === 'stopped' && o.ref.sessionId === id,
    );

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'palingenesis-claude-'));
    await mkdir(join(dir, 'projects', '-work-p'), { recursive: true });
    transcript = join(dir, 'projects', '-work-p', 's1.jsonl');
    // A session that stopped on a plan limit before the daemon started: discovered and judged.
    await writeFile(
      join(dir, 'projects', '-work-p', 'old.jsonl'),
      prompt('o1', 'Old task') + limit('o2', SOON_S),
    );
    adapter = createClaudeAdapter({
      claudeDir: dir,
      binary: 'claude-not-installed',
      tmuxBinary: 'tmux',
      resumeMode: 'auto',
      pollMs: 20,
      env: {},
      now: () => Date.now(),
      sleep: delay,
      onHookRejected: (reason, detail) => rejected.push({ reason, detail }),
      onError: (what, error) => {
        throw new Error(`${what}: ${String(error)}`);
      },
      onInfo: () => undefined,
    });
    // What the daemon replays at its start (its hook inbox, the spool) comes before watching.
    replayed = adapter.acceptHook({
      hook_event_name: 'SessionStart',
      session_id: 'spooled',
      transcript_path: join(dir, 'elsewhere', 'spooled.jsonl'),
    });
    watching = adapter.watch((o) => seen.push(o), stopping.signal);
  });
  after(async () => {
    stopping.abort();
    await watching;
    await rm(dir, { recursive: true, force: true });
  });

  it('discovers a recent transcript and reports how its last turn ended, with resetsAt', async () => {
    const stop = await until('the old stop', () => stopsOf('old')[0]);
    assert.ok(seen.some((o) => o.kind === 'discovered' && o.ref.sessionId === 'old'));
    assert.equal(stop.messageId, 'o2');
    assert.equal(stop.ref.directory, '/work/p');
    const judged = classify(stop.evidence, Date.now());
    assert.equal(judged.reason, 'rate_limit');
    assert.equal(judged.resetAt, SOON_S * 1000);
    assert.equal(judged.resetSource, 'resetsAt');
  });

  it('follows a new transcript: busy on the prompt, one stop on the error line', async () => {
    await writeFile(transcript, prompt('u1', 'Build the parser.'));
    await until('busy', () => seen.find((o) => o.kind === 'busy' && o.ref.sessionId === 's1'));
    await appendFile(transcript, limit('e1', 1_900_000_100));
    const stops = await until('the stop', () =>
      stopsOf('s1').length > 0 ? stopsOf('s1') : undefined,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.equal(stopsOf('s1').length, 1, 'the same stop was reported twice');
    assert.equal(stops[0]?.messageId, 'e1');
  });

  it('workedSince: an answer (or the error ending the turn) since the instant, from the transcript', async () => {
    // s1 holds a prompt and the limit error that answered it (the test above).
    const ref = { agent: 'claude-code', sessionId: 's1' } as const;
    const answeredAt = Date.parse(
      (
        JSON.parse((await readFile(transcript, 'utf8')).trim().split('\n').at(-1) ?? '{}') as {
          timestamp: string;
        }
      ).timestamp,
    );
    assert.equal(await adapter.workedSince?.(ref, answeredAt), true);
    assert.equal(await adapter.workedSince?.(ref, answeredAt + 1), false, 'nothing since then');
  });

  it('a dead process left busy with an unanswered prompt is a crash, reported once', async () => {
    await appendFile(transcript, prompt('u2', 'continue'));
    await mkdir(join(dir, 'sessions'), { recursive: true });
    // A pid that cannot be alive: beyond the kernel's pid_max.
    await writeFile(
      join(dir, 'sessions', '99999999.json'),
      JSON.stringify({ pid: 99_999_999, sessionId: 's1', cwd: '/work/p', status: 'busy' }),
    );
    const crash = await until('the crash', () =>
      stopsOf('s1').find((o) => o.messageId?.startsWith('crash:') === true),
    );
    assert.equal(classify(crash.evidence, Date.now()).reason, 'crash');
    await new Promise((resolve) => setTimeout(resolve, 150));
    assert.equal(stopsOf('s1').filter((o) => o.messageId?.startsWith('crash:')).length, 1);
    await rm(join(dir, 'sessions', '99999999.json'));
    // A poll already under way may still have read the file: let it finish before the next test
    // starts a new turn in this session (it would be reported as that turn's crash).
    await new Promise((resolve) => setTimeout(resolve, 500));
  });

  it('a StopFailure hook that comes before its transcript line is judged from its own words', async () => {
    await appendFile(transcript, prompt('u3', 'again'));
    await until('busy again', () =>
      seen.findLast((o) => o.kind === 'busy' && o.ref.sessionId === 's1'),
    );
    const before = stopsOf('s1').length;
    adapter.acceptHook({
      hook_event_name: 'StopFailure',
      session_id: 's1',
      transcript_path: transcript,
      error: 'overloaded',
      error_details: '529 Overloaded',
    });
    const stop = await until('the hook stop', () => stopsOf('s1')[before]);
    assert.equal(stop.messageId?.startsWith('hook:'), true, stop.messageId);
    assert.equal(classify(stop.evidence, Date.now()).reason, 'overloaded');
  });

  it('a hook naming a transcript outside Claude Code’s directory is not followed', async () => {
    const outside = join(tmpdir(), `palingenesis-not-claude-${String(process.pid)}.jsonl`);
    await writeFile(outside, prompt('z1', 'not a transcript of ours'));
    try {
      adapter.acceptHook({
        hook_event_name: 'SessionStart',
        session_id: 'forged',
        transcript_path: outside,
      });
      const no = await until('the rejection', () =>
        rejected.find((r) => r.detail.includes(outside)),
      );
      assert.equal(no.reason, 'foreign_transcript');
      // A followed file would show up as a session named after the file or the hook.
      const id = `palingenesis-not-claude-${String(process.pid)}`;
      assert.equal(
        seen.filter((o) => 'ref' in o && [id, 'forged'].includes(o.ref.sessionId)).length,
        0,
      );
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('a malformed hook payload is counted, not fatal; hooks taken before watching were judged', async () => {
    const malformed = adapter.acceptHook({ nothing: true });
    await until('malformed', () => rejected.find((r) => r.reason === 'malformed'));
    const fates: HookFate[] = [];
    for (const receipt of [replayed, malformed]) {
      assert.equal(receipt.taken, true);
      fates.push(await receipt.done);
    }
    assert.deepEqual(fates, ['handled', 'handled'], 'looked at: the daemon may drop its copies');
    // The spooled SessionStart named a transcript outside projects/: looked at, and not followed.
    const spooled = await until('the spooled hook judged', () =>
      rejected.find((r) => r.detail.includes('spooled.jsonl')),
    );
    assert.equal(spooled.reason, 'foreign_transcript');
    assert.equal(seen.filter((o) => 'ref' in o && o.ref.sessionId === 'spooled').length, 0);
  });

  it('resume_mode notify never acts', async () => {
    const quiet = createClaudeAdapter({
      claudeDir: dir,
      binary: 'claude',
      tmuxBinary: 'tmux',
      resumeMode: 'notify',
      pollMs: 1000,
      env: {},
      now: () => Date.now(),
      sleep: () => Promise.resolve(),
      onError: () => undefined,
      onInfo: () => undefined,
    });
    await assert.rejects(
      quiet.sendPrompt({ agent: 'claude-code', sessionId: 's1' }, 'go'),
      NeedsUserError,
    );
  });

  it('a headless resume whose binary is missing fails with a clear error', async () => {
    await assert.rejects(
      adapter.sendPrompt({ agent: 'claude-code', sessionId: 's1', directory: dir }, 'go'),
      /cannot run claude-not-installed/,
    );
  });
});
