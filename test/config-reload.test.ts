import assert from 'node:assert/strict';
import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import type { ConfigLocation } from '../src/config/paths.js';
import { parseConfigText } from '../src/config/parse.js';
import { readBuildInfo } from '../src/daemon/build-info.js';
import { startDaemon, type RunningDaemon } from '../src/daemon/daemon.js';
import { eventually, readAudit } from './helpers/daemon-api.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

/** Nothing to watch: these tests are about the config file alone. */
const BASE = [
  '[http]',
  'port = 0',
  '[opencode]',
  'enabled = false',
  '[claude_code]',
  'enabled = false',
  '[codex]',
  'enabled = false',
].join('\n');

/** A real daemon in this process, started from `text` as if it had been read from `location`. */
async function daemonFrom(
  home: TempHome,
  text: string,
  location: ConfigLocation,
): Promise<{ daemon: RunningDaemon; url: string }> {
  const parsed = parseConfigText(text);
  if (!parsed.ok) throw new Error(`bad test config: ${JSON.stringify(parsed.issues)}`);
  const daemon = await startDaemon({
    config: parsed.config,
    paths: home.state,
    build: readBuildInfo(),
    log: pino({ level: 'silent' }),
    env: home.env,
    configLocation: location,
  });
  if (daemon.url === undefined) {
    await daemon.stop();
    throw new Error('the test daemon has no HTTP URL');
  }
  return { daemon, url: daemon.url };
}

describe('config reload (a real daemon in this process)', () => {
  it('a reload that finds the default config file gone keeps the running config and says so', async () => {
    const home = await createTempHome();
    const dir = join(home.dir, '.config', 'palingenesis');
    const path = join(dir, 'config.toml');
    const text = `${BASE}\n[resume]\nmargin_seconds = 5\n`;
    await mkdir(dir, { recursive: true });
    await writeFile(path, text);
    const { daemon } = await daemonFrom(home, text, { path, source: 'default' });
    try {
      await rm(path);
      const gone = await daemon.reload('api');
      assert.deepEqual(gone, {
        ok: false,
        problems: [`${path}: the file is gone; the running config stays`],
      });
      const audit = await readAudit(home.state.auditFile);
      assert.ok(
        audit.some((e) => e.type === 'config.rejected' && JSON.stringify(e).includes(path)),
        'no config.rejected event naming the file',
      );
      // Put back as it was: nothing differs from what runs, so nothing was reverted meanwhile.
      await writeFile(path, text);
      const back = await daemon.reload('api');
      assert.equal(back.ok, true, JSON.stringify(back));
      assert.deepEqual(back.diff, { applied: [], needsRestart: [] });
    } finally {
      await daemon.stop();
      await home.remove();
    }
  });

  it('a config directory made after the start is watched: saving the file there reloads', async () => {
    const home = await createTempHome();
    const dir = join(home.dir, '.config', 'palingenesis');
    const path = join(dir, 'config.toml');
    const { daemon } = await daemonFrom(home, BASE, { path, source: 'default' });
    try {
      await mkdir(dir, { recursive: true });
      await writeFile(path, `${BASE}\n[resume]\nmargin_seconds = 5\n`);
      const reloaded = await eventually('the reload of the new file', 10_000, async () => {
        const audit = await readAudit(home.state.auditFile);
        return audit.find((e) => e.type === 'config.reloaded');
      });
      assert.deepEqual(
        { trigger: reloaded['trigger'], applied: reloaded['applied'] },
        { trigger: 'file', applied: ['resume.margin_seconds'] },
      );
    } finally {
      await daemon.stop();
      await home.remove();
    }
  });

  it('[http] token and token_file apply live; a bad token file is rejected and the old token stays', async () => {
    const home = await createTempHome();
    const path = join(home.dir, 'config.toml');
    const tokenFile = join(home.dir, 'token');
    const withHttp = (line: string): string => BASE.replace('port = 0', `port = 0\n${line}`);
    await writeFile(path, withHttp('token = "token-a"'));
    const { daemon, url } = await daemonFrom(home, withHttp('token = "token-a"'), {
      path,
      source: 'flag',
    });
    const status = async (token: string): Promise<number> =>
      (await fetch(`${url}/api/v1/status`, { headers: { authorization: `Bearer ${token}` } }))
        .status;
    const rotate = async (token: string): Promise<number> =>
      (
        await fetch(`${url}/api/v1/token/rotate`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}` },
        })
      ).status;
    try {
      assert.equal(await status('token-a'), 200);

      await writeFile(path, withHttp('token = "token-b"'));
      const changed = await daemon.reload('api');
      assert.equal(changed.ok, true, JSON.stringify(changed));
      assert.equal(changed.diff.needsRestart.includes('http.token'), false);
      assert.equal(await status('token-a'), 401, 'the old token still works');
      assert.equal(await status('token-b'), 200, 'the new token is refused');

      await writeFile(tokenFile, 'token-c\n');
      await chmod(tokenFile, 0o644);
      await writeFile(path, withHttp(`token_file = ${JSON.stringify(tokenFile)}`));
      const refused = await daemon.reload('api');
      assert.equal(refused.ok, false);
      assert.match(
        refused.problems.join('\n'),
        new RegExp(`http\\.token_file ${tokenFile} has mode 0644`),
      );
      assert.equal(await status('token-b'), 200, 'a rejected reload changed the token');
      assert.equal(await status('token-c'), 401);

      await chmod(tokenFile, 0o600);
      const fromFile = await daemon.reload('api');
      assert.equal(fromFile.ok, true, JSON.stringify(fromFile));
      assert.equal(await status('token-c'), 200);
      assert.equal(await status('token-b'), 401);
      assert.equal(await rotate('token-c'), 409, 'a configured token is not rotated');

      // The token is the daemon's own again (the copy in the state directory): rotation works.
      await writeFile(path, BASE);
      assert.equal((await daemon.reload('api')).ok, true);
      assert.equal(await rotate('token-c'), 200);
      const rotated = (await readFile(home.state.tokenFile, 'utf8')).trim();
      assert.notEqual(rotated, 'token-c');
      assert.equal(await status(rotated), 200);
      assert.equal(await status('token-c'), 401);
    } finally {
      await daemon.stop();
      await home.remove();
    }
  });
});
