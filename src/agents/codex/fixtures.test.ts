import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classify } from '../../core/classify.js';
import { codexEvidence } from './evidence.js';
import { readRolloutLine } from './rollout-lines.js';
import { foldRollout, newThreadState, type ThreadPhase, type ThreadState } from './thread.js';

/** Recorded from the real Codex 0.171.0 (test/fixtures/codex/notes/README.md). */
const DIR = new URL('../../../test/fixtures/codex/notes/', import.meta.url);

function lines(name: string): string[] {
  return readFileSync(new URL(name, DIR), 'utf8')
    .split('\n')
    .filter((l) => l !== '');
}

function fold(texts: readonly string[]): ThreadState {
  const state = newThreadState();
  for (const text of texts) {
    const line = readRolloutLine(text);
    assert.notEqual(line.kind, 'malformed', `${text.slice(0, 120)}: ${JSON.stringify(line)}`);
    if (line.kind === 'record') foldRollout(state, line.record);
  }
  return state;
}

interface Case {
  readonly name: string;
  readonly phase: ThreadPhase;
  readonly reason: string;
  /** The reset classify must state: an instant, or none at all. */
  readonly resetAt?: number | ((now: number) => number) | undefined;
  readonly resetSource?: RegExp;
  readonly zone?: string;
}

const usage = 'usage_limit_exceeded';
const CASES: readonly Case[] = [
  { name: '429-usage', phase: 'failed', reason: 'rate_limit', resetAt: 1796288495_000 },
  { name: 'hooks-usage', phase: 'failed', reason: 'rate_limit', resetAt: 1796288643_000 },
  // "try again at Dec 5th, 2026 3:05 PM" is wall-clock time in the agent's zone.
  {
    name: '429-usage-bodyonly',
    phase: 'failed',
    reason: 'rate_limit',
    resetAt: Date.parse('2026-12-05T15:05:00+01:00'),
    resetSource: /^message:/,
    zone: 'Europe/Berlin',
  },
  { name: '429-usage-noreset', phase: 'failed', reason: 'rate_limit' },
  { name: '429-usage-team', phase: 'failed', reason: 'rate_limit' },
  { name: '429-quota', phase: 'failed', reason: 'auth_error' },
  { name: '429', phase: 'failed', reason: 'rate_limit' },
  { name: '429-msg-only', phase: 'failed', reason: 'rate_limit' },
  { name: '429-ratelimit-headers', phase: 'failed', reason: 'rate_limit' },
  { name: '429-retry-after', phase: 'failed', reason: 'rate_limit' },
  { name: '429-ra-only', phase: 'failed', reason: 'rate_limit' },
  { name: 'retry-429', phase: 'failed', reason: 'rate_limit' },
  // "Please try again in 2.5s.": no structured reset, the text's relative one.
  {
    name: 'stream-ratelimit',
    phase: 'failed',
    reason: 'rate_limit',
    resetAt: (now) => now + 2500,
    resetSource: /^message:relative$/,
  },
  { name: '400-ctx', phase: 'failed', reason: 'context_exhausted' },
  { name: 'stream-ctx', phase: 'failed', reason: 'context_exhausted' },
  { name: 'hooks-ctx', phase: 'failed', reason: 'context_exhausted' },
  { name: '500', phase: 'failed', reason: 'overloaded' },
  { name: 'bigusage', phase: 'completed', reason: 'completed' },
  { name: 'hooks-ok', phase: 'completed', reason: 'completed' },
  { name: 'retry-429-ra', phase: 'completed', reason: 'completed' },
  // Codex sleeps inside the turn for Retry-After: 3600; the process is alive.
  { name: '429-ra-long', phase: 'busy', reason: 'unknown' },
];

describe('recorded Codex rollouts, judged', () => {
  it('every recorded scenario has a case', () => {
    const recorded = readdirSync(DIR)
      .filter((f) => f.startsWith('rollout-events-'))
      .map((f) => f.slice('rollout-events-'.length, -'.jsonl'.length));
    assert.deepEqual(recorded.sort(), CASES.map((c) => c.name).sort());
  });

  for (const c of CASES) {
    it(`${c.name}: ${c.phase}, classified ${c.reason}`, () => {
      const state = fold(lines(`rollout-events-${c.name}.jsonl`));
      assert.equal(state.phase, c.phase);
      assert.ok(state.phaseAt !== undefined && state.turnId !== undefined);
      const now = state.phaseAt + 1000;
      const verdict = classify(codexEvidence(state), now, c.zone ?? 'UTC');
      assert.equal(verdict.reason, c.reason, JSON.stringify(verdict));
      const resetAt = typeof c.resetAt === 'function' ? c.resetAt(now) : c.resetAt;
      assert.equal(verdict.resetAt, resetAt, JSON.stringify(verdict));
      if (c.resetSource !== undefined) assert.match(verdict.resetSource ?? '', c.resetSource);
      if (c.resetAt !== undefined && c.resetSource === undefined) {
        assert.equal(verdict.resetSource, 'resetsAt');
      }
    });
  }

  it('429-usage: without the headers’ token_count, the reset is the text’s 9:01 AM in the zone', () => {
    const texts = lines('rollout-events-429-usage.jsonl').filter((l) => !l.includes('token_count'));
    const state = fold(texts);
    assert.ok(state.phaseAt !== undefined);
    for (const [zone, at] of [
      ['UTC', '2026-12-03T09:01:00Z'],
      ['America/New_York', '2026-12-03T09:01:00-05:00'],
    ] as const) {
      const verdict = classify(codexEvidence(state), state.phaseAt, zone);
      assert.equal(verdict.reason, 'rate_limit');
      assert.equal(verdict.resetAt, Date.parse(at), `${zone}: ${JSON.stringify(verdict)}`);
    }
    // Older Codex wrote an ASCII apostrophe: the same reading.
    const ascii = fold(texts.map((l) => l.replace('You’ve', "You've")));
    const verdict = classify(codexEvidence(ascii), state.phaseAt, 'UTC');
    assert.equal(verdict.resetAt, Date.parse('2026-12-03T09:01:00Z'));
  });

  it('the quota error carries usage_limit_exceeded too, and is never waited for', () => {
    const state = fold(lines('rollout-events-429-quota.jsonl'));
    assert.equal(state.failure?.code, usage);
    const error = codexEvidence(state).lastAssistant?.error;
    assert.equal(error?.kind, 'auth_error');
    assert.equal(error.resetAt, undefined);
  });

  it('retry-limit failures pass the last HTTP status on', () => {
    const state = fold(lines('rollout-events-429-ra-only.jsonl'));
    assert.equal(state.failure?.code, 'response_too_many_failed_attempts');
    assert.equal(codexEvidence(state).lastAssistant?.error?.statusCode, 429);
  });

  it('429-ra-long: the turn killed while Codex slept on Retry-After is a crash once it died', () => {
    const state = fold(lines('rollout-events-429-ra-long.jsonl'));
    assert.equal(state.retrying, undefined, 'the rollout does not record Reconnecting');
    const verdict = classify(codexEvidence(state, { agentDied: true }), Date.now(), 'UTC');
    assert.equal(verdict.reason, 'crash');
  });

  it('a dead process after a finished turn changes nothing: codex exec exits after each turn', () => {
    const state = fold(lines('rollout-events-429-usage.jsonl'));
    const verdict = classify(codexEvidence(state, { agentDied: true }), state.phaseAt ?? 0, 'UTC');
    assert.equal(verdict.reason, 'rate_limit');
  });

  it('a full rollout, resumed: identity, the task, the last prompt and reply, completed', () => {
    const state = fold(lines('rollout-ok-then-resumed.jsonl'));
    assert.equal(state.threadId, '01a23ad0-7640-7410-96f1-c16bb9ffd189');
    assert.equal(state.cwd, '<codex-try>/work');
    assert.equal(state.originator, 'codex_exec');
    assert.equal(state.cliVersion, '0.171.0');
    assert.equal(state.modelProvider, 'fake');
    assert.equal(state.phase, 'completed');
    assert.equal(state.turnId, '01a23ad2-6e26-7d21-9e60-94a8f891c632');
    assert.equal(state.phaseAt, Date.parse('2026-12-03T07:33:19.140Z'));
    assert.equal(state.task, 'say hello', 'the injected <environment_context> is no task');
    assert.equal(state.lastPrompt, 'continue please');
    assert.equal(state.lastAssistantText, 'FAKE-OK #9 (you said: continue please)');
    assert.equal(classify(codexEvidence(state), state.phaseAt, 'UTC').reason, 'completed');
  });

  it('the rollout read line by line as it grows: busy after the second task_started', () => {
    const all = lines('rollout-ok-then-resumed.jsonl');
    const second = all.findIndex((l, i) => i > 1 && l.includes('"task_started"'));
    const state = fold(all.slice(0, second + 1));
    assert.equal(state.phase, 'busy');
    assert.equal(state.lastPrompt, 'say hello');
    assert.equal(classify(codexEvidence(state, { agentDied: true }), 0, 'UTC').reason, 'crash');
  });
});
