import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { readThreadRecord, turnStartedSince } from './thread-record.js';

const THREAD = 'aaaaaaaa-0000-4000-8000-000000000001';
const line = (at: string, type: string, payload: object): string =>
  JSON.stringify({ timestamp: at, type, payload });

describe('a whole rollout', () => {
  it('keeps every JSON line for the backup, skips a cut one, and tells when a turn started', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-codex-record-'));
    try {
      const path = join(dir, `rollout-2026-12-03T07-31-35-${THREAD}.jsonl`);
      await writeFile(
        path,
        [
          line('2026-12-03T07:31:35.000Z', 'session_meta', { id: THREAD, cwd: '/work/p' }),
          line('2026-12-03T07:31:36.000Z', 'event_msg', { type: 'task_started', turn_id: 't1' }),
          line('2026-12-03T07:31:37.000Z', 'world_state', { anything: true }),
          '{"timestamp":"2026-12-03T07:31:38.000Z","type":"event_m',
        ].join('\n'),
      );
      const { lines, state } = await readThreadRecord(path, THREAD);
      assert.equal(lines.length, 3);
      assert.equal(state.cwd, '/work/p');
      assert.equal(state.phase, 'busy');
      assert.equal(turnStartedSince(lines, Date.parse('2026-12-03T07:31:36.000Z')), true);
      assert.equal(turnStartedSince(lines, Date.parse('2026-12-03T07:31:36.001Z')), false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
