import assert from 'node:assert/strict';
import { existsSync, writeSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, stat, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DaemonEvent } from '../core/events.js';
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

describe('audit log rotation', () => {
  const T0 = Date.parse('2026-11-27T22:00:00Z');
  const event = (n: number): DaemonEvent => ({
    type: 'resume.failed',
    at: T0 + n,
    agent: 'opencode',
    sessionId: `ses_${n}`,
    attempt: 1,
    errorType: 'request_failed',
    message: `failure number ${n} ${'x'.repeat(n % 7 === 0 ? 400 : 40)}`,
  });
  const numbers = (text: string): number[] =>
    text
      .split('\n')
      .filter((line) => line !== '')
      .map((line) => Number((JSON.parse(line) as { sessionId: string }).sessionId.slice(4)));

  async function withDir(work: (dir: string) => Promise<void>): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-audit-'));
    try {
      await work(dir);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  it('never lets a file pass maxBytes, keeps exactly keepFiles rotated files, order preserved', () =>
    withDir(async (dir) => {
      const path = join(dir, 'audit.jsonl');
      const errors: unknown[] = [];
      const maxBytes = 4096;
      const audit = openAuditLog(path, { maxBytes, keepFiles: 3, onError: (e) => errors.push(e) });
      for (let n = 0; n < 1000; n++) audit.append(event(n));
      audit.close();
      assert.deepEqual(errors, []);
      assert.deepEqual((await readdir(dir)).sort(), [
        'audit.jsonl',
        'audit.jsonl.1',
        'audit.jsonl.2',
        'audit.jsonl.3',
      ]);
      const oldestFirst = [`${path}.3`, `${path}.2`, `${path}.1`, path];
      const seen: number[] = [];
      for (const file of oldestFirst) {
        const text = await readFile(file, 'utf8');
        assert.ok(Buffer.byteLength(text) <= maxBytes, `${file}: ${Buffer.byteLength(text)} bytes`);
        assert.equal((await stat(file)).mode & 0o777, 0o600, file);
        seen.push(...numbers(text));
      }
      const first = seen[0] ?? 0;
      assert.ok(first > 0, 'older lines were deleted with the oldest file');
      assert.deepEqual(
        seen,
        Array.from({ length: 1000 - first }, (_, i) => first + i),
        'every kept line, in order, none twice',
      );
    }));

  it('counts the size of a file left by an earlier run', () =>
    withDir(async (dir) => {
      const path = join(dir, 'audit.jsonl');
      const first = openAuditLog(path, { maxBytes: 64 * 1024, keepFiles: 2 });
      for (let n = 1; n <= 8; n++) first.append(event(n));
      first.close();
      assert.ok((await stat(path)).size > 1000);
      const second = openAuditLog(path, { maxBytes: 1000, keepFiles: 2 });
      second.append(event(9));
      second.close();
      assert.deepEqual(numbers(await readFile(`${path}.1`, 'utf8')), [1, 2, 3, 4, 5, 6, 7, 8]);
      assert.deepEqual(numbers(await readFile(path, 'utf8')), [9]);
    }));

  it('a line longer than maxBytes gets a file of its own', () =>
    withDir(async (dir) => {
      const path = join(dir, 'audit.jsonl');
      const audit = openAuditLog(path, { maxBytes: 200, keepFiles: 2 });
      audit.append(event(1));
      audit.append(event(7)); // 400 bytes of message
      audit.append(event(2));
      audit.close();
      assert.deepEqual(numbers(await readFile(`${path}.2`, 'utf8')), [1]);
      assert.deepEqual(numbers(await readFile(`${path}.1`, 'utf8')), [7]);
      assert.deepEqual(numbers(await readFile(path, 'utf8')), [2]);
    }));

  it('a rotation that fails is reported, append does not throw, and writing goes on', () =>
    withDir(async (dir) => {
      const path = join(dir, 'audit.jsonl');
      // A non-empty directory where the rotated file should go: the rename cannot happen.
      await mkdir(join(`${path}.1`, 'in-the-way'), { recursive: true });
      const errors: unknown[] = [];
      const audit = openAuditLog(path, {
        maxBytes: 500,
        keepFiles: 1,
        onError: (e) => errors.push(e),
      });
      assert.doesNotThrow(() => {
        for (let n = 1; n <= 30; n++) audit.append(event(n));
      });
      audit.close();
      assert.ok(errors.length >= 1, 'the failure was reported');
      assert.ok(errors.length < 30, `reported ${errors.length} times: not once per line`);
      assert.deepEqual(
        numbers(await readFile(path, 'utf8')),
        Array.from({ length: 30 }, (_, i) => i + 1),
      );
    }));
});

describe('audit log on a failing disk', () => {
  const T0 = Date.parse('2026-11-27T22:00:00Z');
  const event = (n: number): DaemonEvent => ({
    type: 'daemon.state_changed',
    at: T0 + n,
    from: 'monitoring',
    to: n % 2 === 0 ? 'paused' : 'monitoring',
  });

  it('a full disk (/dev/full): append never throws, reported once for the whole streak', async (t) => {
    if (!existsSync('/dev/full')) {
      t.skip('no /dev/full on this system');
      return;
    }
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-audit-'));
    try {
      const path = join(dir, 'audit.jsonl');
      await symlink('/dev/full', path);
      const failures: { error: unknown; kind: string }[] = [];
      const audit = openAuditLog(path, {
        onError: (error, { kind }) => failures.push({ error, kind }),
      });
      assert.doesNotThrow(() => {
        for (let n = 1; n <= 5; n++) audit.append(event(n));
      });
      audit.close();
      assert.equal(failures.length, 1, 'once per streak, not once per line');
      const [failure] = failures;
      assert.ok(failure);
      assert.equal(failure.kind, 'audit_write');
      assert.equal((failure.error as NodeJS.ErrnoException).code, 'ENOSPC');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a disk that fills and frees: one report per streak, the recovery says how many were lost', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-audit-'));
    try {
      const path = join(dir, 'audit.jsonl');
      const disk = { full: false, halfLine: false };
      const failures: string[] = [];
      const recovered: number[] = [];
      const audit = openAuditLog(path, {
        onError: (_error, { kind }) => failures.push(kind),
        onRecovered: (lost) => recovered.push(lost),
        writeSync: (fd, buffer, offset, length) => {
          if (disk.halfLine) {
            // Half of the line lands, then the disk is full: the file ends inside a line.
            disk.halfLine = false;
            disk.full = true;
            return writeSync(fd, buffer, offset, Math.floor(length / 2));
          }
          if (disk.full)
            throw Object.assign(new Error('ENOSPC: no space left'), { code: 'ENOSPC' });
          return writeSync(fd, buffer, offset, length);
        },
      });
      audit.append(event(1));
      disk.halfLine = true;
      audit.append(event(2));
      audit.append(event(3));
      disk.full = false;
      audit.append(event(4));
      disk.full = true;
      audit.append(event(5));
      disk.full = false;
      audit.append(event(6));
      audit.close();
      assert.deepEqual(failures, ['audit_write', 'audit_write'], 'one per streak');
      assert.deepEqual(recovered, [2, 1]);
      // The torn half-line stays, but every line written whole is a line of its own.
      const whole = (await readFile(path, 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .flatMap((line) => {
          try {
            return [(JSON.parse(line) as { at: number }).at - T0];
          } catch {
            return [];
          }
        });
      assert.deepEqual(whole, [1, 4, 6]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
