import { spawnSync } from 'node:child_process';
import type { TestContext } from 'node:test';

/**
 * Finds an external binary the tests need (promtool, prometheus). Missing under CI=true is a
 * failure, since .ci/run installs it; elsewhere the test is skipped with a visible message.
 */
export function requireTool(t: TestContext, name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  const path = found.stdout.trim();
  if (found.status === 0 && path !== '') return path;
  const message = `${name} is not installed (apt-get install prometheus)`;
  if (process.env['CI'] === 'true') throw new Error(`${message}; CI must have it`);
  t.diagnostic(`SKIPPED: ${message}`);
  t.skip(message);
  return undefined;
}

/** Runs `promtool check metrics` on an exposition body. */
export function promtoolCheckMetrics(
  promtool: string,
  body: string,
): { status: number | null; output: string } {
  const run = spawnSync(promtool, ['check', 'metrics'], {
    input: body,
    encoding: 'utf8',
    timeout: 30_000,
  });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}
