import type { RecordReader, RecordReading } from '../definition.js';
import { codexEvidence } from './evidence.js';
import { readRolloutValue, type RolloutRecord } from './rollout-lines.js';
import { foldRollout, newThreadState, type ThreadState } from './thread.js';

/**
 * `classify --agent codex`: rollout lines, read by the adapter's own code. A whole rollout is
 * folded as the adapter folds it (the reset of a usage limit is in the `token_count` line before
 * the failure); one line alone is judged on what it says.
 */
export const readCodexRecord: RecordReader = {
  line: (value) => {
    const record = asRecord(value);
    if (record === 'foreign') return { kind: 'irrelevant' };
    if (record === 'ignored') return { kind: 'noise' };
    const state = newThreadState();
    foldRollout(state, record);
    return reading(state, 'codex:rollout');
  },
  file: (values) => {
    const records = values.map(asRecord);
    if (records.includes('foreign') || records.every((r) => r === 'ignored')) {
      return { kind: 'irrelevant' };
    }
    const state = newThreadState();
    for (const record of records) if (typeof record !== 'string') foldRollout(state, record);
    return reading(state, 'codex:rollout');
  },
};

function reading(state: ThreadState, source: string): RecordReading {
  switch (state.phase) {
    case 'empty':
      return { kind: 'noise' };
    case 'busy':
      // A turn still running (or killed: only a dead process would tell) is no stop yet.
      return { kind: 'no_stop', completed: false, source };
    case 'completed':
      return { kind: 'no_stop', completed: true, source };
    case 'failed':
    case 'interrupted':
      return {
        kind: 'stop',
        evidence: codexEvidence(state),
        source,
        text: state.failure?.message,
      };
  }
}

/** A rollout line's record; `ignored` for a rollout line of a kind not read, else `foreign`. */
function asRecord(value: unknown): RolloutRecord | 'ignored' | 'foreign' {
  if (typeof value !== 'object' || value === null || !('payload' in value)) return 'foreign';
  const read = readRolloutValue(value);
  if (read.kind === 'record') return read.record;
  return read.kind === 'ignored' ? 'ignored' : 'foreign';
}
