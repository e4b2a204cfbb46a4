import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { createFakeClock } from '../../../test/helpers/fake-clock.js';
import { createOpencodeSupervisor } from './supervisor.js';

/** Real child processes (a script standing in for a crashing server); fake time for the backoff. */
describe('opencode supervisor', () => {
  it('restarts a dying server with backoff, then gives up loudly when the crash-loop budget is spent', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-supervisor-'));
    try {
      const starts = join(dir, 'starts');
      const binary = join(dir, 'crashing-server');
      await writeFile(binary, `#!/bin/sh\necho "$@" >> "${starts}"\nexit 3\n`);
      await chmod(binary, 0o755);
      const clock = createFakeClock(Date.parse('2026-11-27T22:00:00Z'));
      const gaveUp: string[] = [];
      const restarted: number[] = [];
      const supervisor = createOpencodeSupervisor({
        binary,
        hostname: '127.0.0.1',
        port: 4999,
        env: process.env,
        clock,
        log: pino({ level: 'silent' }),
        budget: { restarts: 3, windowMs: 600_000 },
        backoff: { baseMs: 1000, maxMs: 30_000 },
        onRestarted: (n) => restarted.push(n),
        onGaveUp: (reason) => gaveUp.push(reason),
      });
      const lines = async (): Promise<string[]> =>
        (await readFile(starts, 'utf8').catch(() => '')).trim().split('\n').filter(Boolean);
      const untilStarts = async (n: number): Promise<void> => {
        for (let i = 0; i < 200 && (await lines()).length < n; i++) {
          await new Promise((resolve) => setTimeout(resolve, 25));
        }
      };
      const exitSettled = () => new Promise((resolve) => setTimeout(resolve, 150));

      supervisor.start();
      await untilStarts(1);
      assert.deepEqual(await lines(), ['serve --hostname 127.0.0.1 --port 4999']);
      await exitSettled();
      // Backoff 1 s, 2 s, 4 s: nothing restarts before its delay.
      for (const [delay, expected] of [
        [1000, 2],
        [2000, 3],
        [4000, 4],
      ] as const) {
        await clock.advance(delay - 1);
        assert.equal((await lines()).length, expected - 1, `restarted before ${delay} ms`);
        await clock.advance(1);
        await untilStarts(expected);
        assert.equal((await lines()).length, expected);
        await exitSettled();
      }
      assert.deepEqual(restarted, [1, 2, 3]);
      assert.equal(gaveUp.length, 1, 'the fourth death within the window must give up');
      assert.match(gaveUp[0] ?? '', /not restarting it again/);
      await clock.advance(600_000);
      await exitSettled();
      assert.equal((await lines()).length, 4, 'restarted after giving up');
      await supervisor.stop();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('stop() ends a running server and prevents restarts', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-supervisor-'));
    try {
      const binary = join(dir, 'server');
      await writeFile(binary, '#!/bin/sh\nexec sleep 60\n');
      await chmod(binary, 0o755);
      const clock = createFakeClock(0);
      const supervisor = createOpencodeSupervisor({
        binary,
        hostname: '127.0.0.1',
        port: 4999,
        env: process.env,
        clock,
        log: pino({ level: 'silent' }),
        budget: { restarts: 3, windowMs: 600_000 },
        backoff: { baseMs: 1000, maxMs: 30_000 },
        onRestarted: () => assert.fail('restarted after stop'),
        onGaveUp: () => assert.fail('gave up after stop'),
      });
      supervisor.start();
      const pid = supervisor.pid();
      assert.ok(pid !== undefined);
      await supervisor.stop();
      await supervisor.stop();
      assert.throws(() => process.kill(pid, 0), /ESRCH/);
      await clock.advance(60_000);
      assert.equal(supervisor.pid(), undefined);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('a binary that cannot be started is reported to onError (counted), not only logged', async () => {
    const failures: { kind: string; error: unknown }[] = [];
    const supervisor = createOpencodeSupervisor({
      binary: join(tmpdir(), 'palingenesis-no-such-opencode'),
      hostname: '127.0.0.1',
      port: 4999,
      env: process.env,
      clock: createFakeClock(0),
      log: pino({ level: 'silent' }),
      budget: { restarts: 3, windowMs: 600_000 },
      backoff: { baseMs: 1000, maxMs: 30_000 },
      onRestarted: () => undefined,
      onGaveUp: () => undefined,
      onError: (kind, error) => failures.push({ kind, error }),
    });
    supervisor.start();
    for (let i = 0; i < 200 && failures.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    await supervisor.stop();
    assert.deepEqual(
      failures.map((f) => f.kind),
      ['process_spawn'],
    );
    const cause = (failures[0]?.error as Error).cause as NodeJS.ErrnoException;
    assert.equal(cause.code, 'ENOENT');
  });
});
