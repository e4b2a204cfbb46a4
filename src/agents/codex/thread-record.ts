import { readFile } from 'node:fs/promises';
import { readRolloutValue } from './rollout-lines.js';
import { foldRollout, newThreadState, type ThreadState } from './thread.js';

/** A whole rollout: its lines as written (for a backup) and the thread they describe. */
export interface ThreadRecord {
  readonly lines: unknown[];
  readonly state: ThreadState;
}

export async function readThreadRecord(path: string, threadId: string): Promise<ThreadRecord> {
  const text = await readFile(path, 'utf8');
  const state = newThreadState(threadId);
  const lines: unknown[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      continue; // A line cut short by a crash: not part of the record.
    }
    lines.push(value);
    const read = readRolloutValue(value);
    if (read.kind === 'record') foldRollout(state, read.record);
  }
  return { lines, state };
}

/** Whether a turn started at or after `at` (epoch ms): the rollout records every one. PURE. */
export function turnStartedSince(lines: readonly unknown[], at: number): boolean {
  return lines.some((value) => {
    const line = readRolloutValue(value);
    return (
      line.kind === 'record' &&
      line.record.type === 'event_msg' &&
      line.record.event.type === 'task_started' &&
      (line.record.at ?? 0) >= at
    );
  });
}
