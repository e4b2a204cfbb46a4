import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classifyInput } from '../classify-input.js';
import { recordReaders } from '../record-readers.js';
import { readClaudeLine } from './lines.js';
import { applyTranscriptLine, newTranscriptState } from './transcript.js';

const READERS = (await recordReaders('auto')) ?? [];

/** Recorded from the real Claude Code 2.1.332 (test/fixtures/claude-code/README.md). */
interface Fixture {
  readonly transcript: unknown[];
  readonly runs?: { readonly streamJson: unknown[] }[];
  readonly hooks: Record<string, unknown>[];
}

function fixture(name: string): Fixture {
  const url = new URL(`../../../test/fixtures/claude-code/${name}.json`, import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as Fixture;
}

const jsonl = (values: readonly unknown[]) => values.map((v) => JSON.stringify(v)).join('\n');
const NOW = Date.parse('2026-11-28T00:00:00Z');

/** What each recorded scenario must be judged as: by the daemon's fold and by `classify`. */
const CASES = [
  { name: 'normal-turn', phase: 'completed', reason: 'completed' },
  { name: 'plan-limit-warning', phase: 'completed', reason: 'completed' },
  { name: 'plan-limit', phase: 'stopped', reason: 'rate_limit', resetsAt: true },
  { name: 'api-rate-limit', phase: 'stopped', reason: 'rate_limit' },
  { name: 'overloaded', phase: 'stopped', reason: 'overloaded' },
  { name: 'compaction-failed', phase: 'stopped', reason: 'context_exhausted' },
  { name: 'prompt-too-long-first-turn', phase: 'stopped', reason: 'context_exhausted' },
  { name: 'compaction-succeeded', phase: 'completed', reason: 'completed' },
  { name: 'interactive-plan-limit', phase: 'stopped', reason: 'rate_limit', resetsAt: true },
] as const;

describe('recorded Claude Code sessions, judged', () => {
  for (const c of CASES) {
    it(`${c.name}: the transcript reads as ${c.reason}`, () => {
      const f = fixture(c.name);
      const state = newTranscriptState('s');
      for (const line of f.transcript) applyTranscriptLine(state, line);
      assert.equal(state.phase, c.phase);
      const verdict = classifyInput(jsonl(f.transcript), NOW, 'UTC', READERS);
      assert.equal(verdict.reason, c.reason, JSON.stringify(verdict));
      if ('resetsAt' in c) assert.match(verdict.source, /resetsAt$/);
    });

    const runs = fixture(c.name).runs;
    if (runs !== undefined) {
      it(`${c.name}: the headless stream-json reads as ${c.reason}`, () => {
        const stream = runs.flatMap((r) => r.streamJson);
        const verdict = classifyInput(jsonl(stream), NOW, 'UTC', READERS);
        assert.equal(verdict.reason, c.reason, JSON.stringify(verdict));
      });
    }
  }

  it('StopFailure hooks: the turn’s own failure counts, a compaction sub-agent’s does not', () => {
    const hooks = fixture('compaction-failed').hooks.filter(
      (h) => h['hook_event_name'] === 'StopFailure',
    );
    const judged = hooks.map((h) => readClaudeLine(h));
    assert.ok(
      judged.some((j) => j.kind === 'noise'),
      'no sub-agent hook recorded',
    );
    const own = judged.filter((j) => j.kind === 'stop');
    assert.equal(own.length, 1);
    assert.equal(own[0]?.kind === 'stop' ? own[0].reason : undefined, 'context_exhausted');
  });

  it('a headless run’s SessionEnd (reason "other") is no user exit; `/exit` is', () => {
    const end = fixture('plan-limit').hooks.find((h) => h['hook_event_name'] === 'SessionEnd');
    assert.equal(end?.['reason'], 'other');
    assert.equal(readClaudeLine(end).kind, 'noise');
    const exit = fixture('interactive-plan-limit').hooks.find(
      (h) => h['hook_event_name'] === 'SessionEnd',
    );
    assert.equal(exit?.['reason'], 'prompt_input_exit');
    const judged = readClaudeLine(exit);
    assert.equal(judged.kind === 'stop' ? judged.reason : judged.kind, 'user_exit');
  });

  it('a plan-limit StopFailure carries no resetsAt, only the banner text', () => {
    const hook = fixture('plan-limit').hooks.find((h) => h['hook_event_name'] === 'StopFailure');
    const judged = readClaudeLine(hook);
    assert.ok(judged.kind === 'stop');
    assert.equal(judged.reason, 'rate_limit');
    assert.equal(judged.resetsAtSeconds, undefined);
    assert.match(judged.text, /resets/);
  });

  it('interactive plan limit: Claude Code says it will continue by itself, then that it will not', () => {
    const state = newTranscriptState('s');
    const lines = fixture('interactive-plan-limit').transcript;
    const notice = lines.findIndex((l) => JSON.stringify(l).includes('continue automatically'));
    assert.ok(notice > 0);
    for (const line of lines.slice(0, notice + 1)) applyTranscriptLine(state, line);
    assert.equal(state.selfContinue, true);
    for (const line of lines.slice(notice + 1)) applyTranscriptLine(state, line);
    assert.equal(state.selfContinue, false, 'the cancellation was not read');
  });
});
