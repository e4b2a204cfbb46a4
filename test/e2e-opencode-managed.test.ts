import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { startFakeLlm } from './fake-llm/server.js';
import { lastMessageText } from './fake-llm/script.js';
import { daemonMetrics, eventually, sample } from './helpers/daemon-api.js';
import { OPENCODE_BIN, opencodeConfig, opencodeEnv } from './helpers/opencode.js';
import { createTestClient } from './helpers/opencode-client.js';
import { freePort } from './helpers/prometheus-server.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

const CONTINUE = 'PALINGENESIS-CONTINUE: managed.';
const INTERRUPTED = 'PALINGENESIS-INTERRUPTED: managed.';

function childPids(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
}

describe('managed opencode serve ([opencode] manage = true)', () => {
  it('the daemon runs opencode; kill -9 mid-turn: it is restarted and the turn resumed', async () => {
    const fake = await startFakeLlm();
    const home = await createTempHome();
    const project = join(home.dir, 'project');
    await mkdir(project);
    await mkdir(join(home.dir, 'tmp'));
    const port = await freePort();
    const config = [
      '[http]',
      'port = 0',
      '[opencode]',
      'manage = true',
      `binary = "${OPENCODE_BIN}"`,
      `serve_port = ${port}`,
      `directory = "${project}"`,
      '[resume]',
      `continue_prompt = "${CONTINUE}"`,
      `interrupted_prompt = "${INTERRUPTED}"`,
      'margin_seconds = 0',
      'verify_timeout_seconds = 20',
      '',
    ].join('\n');
    const daemon = await spawnDaemon(config, {
      home,
      env: opencodeEnv(home, opencodeConfig(fake.url)),
    });
    const diagnostics = (error: unknown): never => {
      throw new Error(`${String(error)}\ndaemon stderr:\n${daemon.stderrTail()}`);
    };
    try {
      const url = `http://127.0.0.1:${port}`;
      await eventually('the managed server to be healthy', 60_000, async () => {
        const res = await fetch(`${url}/global/health`, {
          signal: AbortSignal.timeout(1000),
        }).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      }).catch(diagnostics);
      const [serverPid] = childPids(daemon.pid);
      assert.ok(serverPid !== undefined, 'the daemon has no child process');

      const client = createTestClient(url, project);
      const session = await client.createSession('managed crash');
      fake.enqueue({ kind: 'slow', text: 'one two three four five six', delayMs: 400, chunks: 6 });
      fake.setDefault({ kind: 'ok', text: 'Recovered after the restart.' });
      await client.promptAsync(session.id, 'Write something long.');
      await fake.waitForChatRequests(1, 30_000).catch(diagnostics);
      await new Promise((resolve) => setTimeout(resolve, 600));
      process.kill(serverPid, 'SIGKILL');

      await fake
        .waitForRequest(
          // A crash is resumed with the interrupted prompt, not the continue prompt.
          (r) => r.body !== undefined && lastMessageText(r.body)?.includes(INTERRUPTED) === true,
          60_000,
        )
        .catch(diagnostics);
      const [newPid] = childPids(daemon.pid);
      assert.ok(newPid !== undefined && newPid !== serverPid, 'opencode serve was not restarted');
      const families = await daemonMetrics(daemon.url);
      assert.equal(sample(families, 'palingenesis_agent_restarts_total', { agent: 'opencode' }), 1);
    } finally {
      const code = await daemon.stop();
      const left = childPids(daemon.pid);
      await fake.close();
      await home.remove();
      assert.equal(code, 0, daemon.stderrTail());
      assert.deepEqual(left, [], 'the managed server outlived the daemon');
    }
  });
});
