import assert from 'node:assert/strict';
import { once } from 'node:events';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { z } from 'zod';
import { freePort } from './helpers/prometheus-server.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';
import { findCodexBinary } from './helpers/codex.js';

const report = z.object({
  ok: z.boolean(),
  checks: z.array(
    z.object({
      name: z.string(),
      status: z.enum(['ok', 'warn', 'fail']),
      finding: z.string(),
      fix: z.string().optional(),
    }),
  ),
});

/** `doctor --json` as a map from check name to its result. */
async function doctorJson(args: string[], env: NodeJS.ProcessEnv) {
  const run = await runCli([...args, 'doctor', '--json'], env);
  const parsed = report.parse(JSON.parse(run.stdout));
  const byName = new Map(parsed.checks.map((c) => [c.name, c]));
  return { code: run.code, ok: parsed.ok, byName, stderr: run.stderr };
}

describe('palingenesis doctor (built CLI, temp HOME)', () => {
  let home: TempHome;
  let fakeClaude: string;
  let bin: string;
  before(async () => {
    home = await createTempHome();
    bin = join(home.dir, 'bin');
    await mkdir(bin, { recursive: true });
    fakeClaude = join(bin, 'claude');
    await writeFile(fakeClaude, '#!/bin/sh\necho "9.8.7 (Claude Code)"\n', { mode: 0o755 });
  });
  after(async () => {
    await home.remove();
  });

  it('with the daemon running: every check ok, versions shown, exit 0', async () => {
    const config =
      `[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nbinary = "${fakeClaude}"\n` +
      `[codex]\nbinary = "${findCodexBinary()}"\n`;
    const daemon = await spawnDaemon(config, { home });
    try {
      const flag = ['--config', join(home.dir, 'config.toml')];
      const hooks = await runCli([...flag, 'hooks', 'install', 'claude-code'], home.env);
      assert.equal(hooks.code, 0, hooks.stderr);
      const text = await runCli([...flag, 'doctor'], home.env);
      assert.equal(text.code, 0, text.stdout);
      assert.match(text.stdout, /^ok +config +.+config\.toml is valid$/m);
      assert.ok(
        text.stdout.includes(`daemon      running at ${daemon.url}: monitoring, pid ${daemon.pid}`),
        text.stdout,
      );
      assert.match(text.stdout, /^ok +claude-code +9\.8\.7 \(Claude Code\) \(.+\/bin\/claude\)$/m);
      assert.match(text.stdout, /^ok +hooks +4 hooks installed in /m);
      assert.match(text.stdout, /^ok +port +127\.0\.0\.1:0 is the daemon's$/m);
      assert.match(text.stdout, /^ok +codex +codex-cli 0\.171\.0 \(.+codex\)$/m);
      assert.doesNotMatch(text.stdout, /FAIL|fix:/);

      const json = await doctorJson(flag, home.env);
      assert.equal(json.code, 0);
      assert.equal(json.ok, true);
      assert.deepEqual(
        [...json.byName.keys()],
        ['config', 'daemon', 'port', 'opencode', 'claude-code', 'hooks', 'codex'],
      );
    } finally {
      await daemon.stop('SIGKILL');
      await runCli(['hooks', 'uninstall', 'claude-code'], home.env);
    }
  });

  it('without a daemon: the daemon check fails with a fix, exit 1; a busy port is named', async () => {
    const port = await freePort();
    const path = join(home.dir, 'down.toml');
    await writeFile(path, `[http]\nport = ${port}\n[claude_code]\nenabled = false\n`);
    const text = await runCli(['--config', path, 'doctor'], home.env);
    assert.equal(text.code, 1);
    assert.match(
      text.stdout,
      new RegExp(
        `^FAIL daemon +not reachable at http://127\\.0\\.0\\.1:${port}\\n +fix: palingenesis daemon start --foreground`,
        'm',
      ),
    );
    assert.match(text.stdout, new RegExp(`^ok +port +127\\.0\\.0\\.1:${port} is free$`, 'm'));

    const squatter = createServer();
    squatter.listen(port, '127.0.0.1');
    await once(squatter, 'listening');
    try {
      const busy = await doctorJson(['--config', path], home.env);
      assert.equal(busy.code, 1);
      assert.equal(busy.byName.get('port')?.status, 'fail');
      assert.match(busy.byName.get('port')?.finding ?? '', /in use by another program/);
      assert.match(busy.byName.get('port')?.fix ?? '', /config set http\.port/);
    } finally {
      squatter.close();
    }
  });

  it('an invalid config fails the config check, naming the key and line', async () => {
    const path = join(home.dir, 'bad.toml');
    await writeFile(path, '[http]\nport = "eighty"\n');
    const json = await doctorJson(['--config', path], home.env);
    assert.equal(json.code, 1);
    const config = json.byName.get('config');
    assert.equal(config?.status, 'fail');
    assert.match(config.finding, /bad\.toml:2: http\.port: expected number/);
    assert.match(config.fix ?? '', /config edit/);
  });

  it('an inline token in a config others can read is a warning naming the file and chmod 600', async () => {
    const path = join(home.dir, 'token.toml');
    await writeFile(path, '[http]\ntoken = "s3cret-inline-token-value"\n', { mode: 0o644 });
    await chmod(path, 0o644);
    const open = await doctorJson(['--config', path], home.env);
    const config = open.byName.get('config');
    assert.equal(config?.status, 'warn');
    assert.match(
      config.finding,
      /token\.toml holds \[http\] token and others can read it \(mode 0644\)/,
    );
    assert.match(config.fix ?? '', /chmod 600 .+token\.toml/);
    assert.doesNotMatch(JSON.stringify(config), /s3cret/, 'the token itself is never shown');
    await chmod(path, 0o600);
    const closed = await doctorJson(['--config', path], home.env);
    assert.equal(closed.byName.get('config')?.status, 'ok');
  });

  it('claude-code: found on PATH with its version, or a warning with a fix when missing', async () => {
    const path = join(home.dir, 'plain.toml');
    await writeFile(path, '[opencode]\nenabled = false\n');
    const env = { ...home.env, PATH: `${bin}:${home.env['PATH'] ?? ''}` };
    const found = await doctorJson(['--config', path], env);
    assert.equal(found.byName.get('claude-code')?.status, 'ok');
    assert.equal(found.byName.get('claude-code')?.finding, '9.8.7 (Claude Code) (claude)');

    const missing = join(home.dir, 'missing.toml');
    await writeFile(missing, '[claude_code]\nbinary = "/nonexistent/claude"\n');
    const json = await doctorJson(['--config', missing], home.env);
    const claude = json.byName.get('claude-code');
    // An opencode-only or Codex-only user is not failed for lacking Claude Code (issue 12).
    assert.equal(claude?.status, 'warn');
    assert.match(claude.fix ?? '', /config set claude_code\.enabled false/);
    assert.match(claude.finding, /"\/nonexistent\/claude" not installed \(not found\)/);
    assert.match(claude.fix ?? '', /npm install -g @anthropic-ai\/claude-code/);
    assert.equal(json.byName.get('hooks')?.status, 'warn');
    assert.match(json.byName.get('hooks')?.fix ?? '', /hooks install claude-code/);
  });

  it('codex: optional — missing is a warning with the install command, never a failure', async () => {
    const path = join(home.dir, 'codex-missing.toml');
    await writeFile(path, '[codex]\nbinary = "/nonexistent/codex"\n');
    const json = await doctorJson(['--config', path], home.env);
    const codex = json.byName.get('codex');
    assert.equal(codex?.status, 'warn');
    assert.match(codex.finding, /"\/nonexistent\/codex" not installed \(not found\)/);
    assert.match(codex.fix ?? '', /npm install -g @openai\/codex, or set \[codex\] binary/);
    assert.match(codex.fix ?? '', /config set codex\.enabled false/);
    const off = join(home.dir, 'codex-off.toml');
    await writeFile(off, '[codex]\nenabled = false\nbinary = "/nonexistent/codex"\n');
    const disabled = await doctorJson(['--config', off], home.env);
    assert.equal(disabled.byName.get('codex')?.status, 'ok');
    assert.match(disabled.byName.get('codex')?.finding ?? '', /disabled in the config/);
  });
});
