import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { openAuditLog } from './audit-log.js';

describe('audit log', () => {
  it('appends one JSON line per event with its evidence, secrets redacted, mode 0600', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-audit-'));
    try {
      const path = join(dir, 'nested', 'audit.jsonl');
      const audit = openAuditLog(path);
      const at = Date.parse('2026-11-27T22:00:00Z');
      audit.append({
        type: 'session.stopped',
        at,
        agent: 'opencode',
        sessionId: 'ses_1',
        reason: 'rate_limit',
        detail: 'APIError 429',
        evidence: { headers: { 'retry-after': '5', authorization_token: 'sk-secret' } },
      });
      audit.append({ type: 'daemon.state_changed', at: at + 1, from: 'monitoring', to: 'paused' });
      audit.close();
      audit.close();
      audit.append({ type: 'daemon.state_changed', at: at + 2, from: 'paused', to: 'monitoring' });

      const text = await readFile(path, 'utf8');
      assert.doesNotMatch(text, /sk-secret/);
      const lines = text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, unknown>);
      assert.equal(lines.length, 2, 'nothing written after close');
      const [first] = lines;
      assert.ok(first);
      assert.equal(first['type'], 'session.stopped');
      assert.equal(first['time'], '2026-11-27T22:00:00.000Z');
      assert.deepEqual(first['evidence'], {
        headers: { 'retry-after': '5', authorization_token: '<redacted>' },
      });
      assert.equal((await stat(path)).mode & 0o777, 0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
