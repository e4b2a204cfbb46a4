import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { sessionMismatch, stopFailureVerdict } from './hook-verdict.js';
import { newTranscriptState, type TranscriptPhase } from './transcript.js';

const state = (file: string, lines: string | undefined) => ({
  ...newTranscriptState(file),
  lineSessionId: lines,
});

describe('what a Claude Code hook may claim', () => {
  const sessions = [
    { file: 's1', lines: 's1', hook: 's1', want: undefined },
    { file: 's1', lines: undefined, hook: 's1', want: 'unknown_session' },
    { file: 's1', lines: 'other', hook: 's1', want: 'foreign_transcript' },
    { file: 'other', lines: 's1', hook: 's1', want: 'foreign_transcript' },
    { file: 'other', lines: undefined, hook: 's1', want: 'foreign_transcript' },
  ] as const;
  for (const c of sessions) {
    it(`a ${c.file}.jsonl whose lines name ${String(c.lines)}, for a hook of ${c.hook}: ${String(c.want)}`, () => {
      assert.equal(sessionMismatch(state(c.file, c.lines), c.hook), c.want);
    });
  }

  const phases: [TranscriptPhase, string][] = [
    ['busy', 'settle'],
    ['stopped', 'told'],
    ['completed', 'turn_not_open'],
    ['interrupted', 'turn_not_open'],
    ['empty', 'turn_not_open'],
  ];
  for (const [phase, want] of phases) {
    it(`a StopFailure while the transcript is ${phase}: ${want}`, () => {
      assert.equal(stopFailureVerdict(phase), want);
    });
  }
});
