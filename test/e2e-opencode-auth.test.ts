import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { startFakeLlm } from './fake-llm/server.js';
import { daemonSessions, eventually } from './helpers/daemon-api.js';
import { basicAuth, startOpencode } from './helpers/opencode.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';

describe('opencode with OPENCODE_SERVER_PASSWORD (basic auth)', () => {
  it('the right password watches the server; a wrong one is refused and never leaks into logs', async () => {
    const fake = await startFakeLlm();
    const server = await startOpencode({ fakeLlmUrl: fake.url, password: 's3cret-pw' });
    const config = (password: string) =>
      `[http]\nport = 0\n[opencode]\nurl = "${server.url}"\npassword = "${password}"\n`;
    const good = await spawnDaemon(config('s3cret-pw'));
    const bad = await spawnDaemon(config('wrong-pw'));
    try {
      const res = await fetch(
        `${server.url}/session?directory=${encodeURIComponent(server.directory)}`,
        {
          method: 'POST',
          headers: { ...basicAuth('s3cret-pw'), 'content-type': 'application/json' },
          body: JSON.stringify({ title: 'behind a password' }),
        },
      );
      const body = await res.text();
      assert.equal(res.status, 200, body);
      const { id } = JSON.parse(body) as { id: string };
      await eventually(
        'the session to be seen through the authenticated stream',
        20_000,
        async () => ((await daemonSessions(good)).some((s) => s.id === id) ? true : undefined),
      );
      assert.deepEqual(await daemonSessions(bad), []);
      const badLog = await readFile(bad.home.state.logFile, 'utf8');
      assert.match(badLog, /agent connection lost/);
      for (const daemon of [good, bad]) {
        const text = `${await readFile(daemon.home.state.logFile, 'utf8')}${await (await daemon.api(`/api/v1/status`)).text()}`;
        assert.doesNotMatch(text, /s3cret-pw|wrong-pw/);
      }
    } finally {
      await good.stop();
      await bad.stop();
      await good.home.remove();
      await bad.home.remove();
      await server.stop();
      await fake.close();
    }
  });
});
