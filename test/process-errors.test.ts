import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { eventually } from './helpers/daemon-api.js';
import { createTempHome } from './helpers/temp-home.js';

const SCRIPT = fileURLToPath(new URL('./helpers/stray-failure-daemon.ts', import.meta.url));

describe('a stray rejection or throw (the real runForeground)', () => {
  it('is logged and counted, and the daemon goes on serving and stops cleanly', async () => {
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
    try {
      const url = await eventually('the ready line', 20_000, () =>
        Promise.resolve(/listening on (http:\S+)/.exec(out)?.[1]),
      );
      child.kill('SIGUSR2');
      const log = await eventually('both failures in the log', 10_000, async () => {
        const text = await readFile(home.state.logFile, 'utf8');
        return text.includes('a stray rejection') && text.includes('a stray throw')
          ? text
          : undefined;
      });
      assert.match(log, /process unhandled_rejection: caught, the daemon goes on/);
      assert.match(log, /process uncaught_exception: caught, the daemon goes on/);
      assert.equal((await fetch(`${url}/health`)).status, 200);
      const metrics = await (await fetch(`${url}/api/v1/metrics`)).text();
      assert.match(
        metrics,
        /^palingenesis_errors_total\{component="process",kind="unhandled_rejection"\} 1$/m,
      );
      assert.match(
        metrics,
        /^palingenesis_errors_total\{component="process",kind="uncaught_exception"\} 1$/m,
      );
      child.kill('SIGTERM');
      const [code] = await exited;
      assert.equal(code, 0, err.split('\n').slice(-10).join('\n'));
    } finally {
      child.kill('SIGKILL');
      await home.remove();
    }
  });
});
