import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import type { SlowWriteVerdict } from './helpers/slow-write-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

const SCRIPT = fileURLToPath(new URL('./helpers/slow-write-daemon.ts', import.meta.url));

describe('daemon stop with a state write in flight', () => {
  it('waits for the write, and releases the PID file only after it landed', async () => {
    const home = await createTempHome();
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT], {
      env: home.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null]>;
    const bound = setTimeout(() => child.kill('SIGKILL'), 30_000);
    try {
      const [code] = await exited;
      assert.equal(code, 0, err.split('\n').slice(-10).join('\n'));
      const verdict = JSON.parse(out) as SlowWriteVerdict;
      assert.deepEqual(
        verdict.atQuiet,
        { stopEnded: false, pidFile: true },
        'with only the write left, the stop must still wait and the PID file still be there',
      );
      assert.equal(verdict.pidFileAtLanding, true, 'the write landed after the PID file was gone');
      assert.equal(verdict.pidFileAfterStop, false, 'PID file left behind');
    } finally {
      clearTimeout(bound);
      child.kill('SIGKILL');
      await home.remove();
    }
  });
});
