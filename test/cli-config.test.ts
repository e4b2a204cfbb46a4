import assert from 'node:assert/strict';
import { stat, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from './helpers/run-cli.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

describe('palingenesis config (built CLI, temp HOME)', () => {
  let home: TempHome;
  let defaultPath: string;
  before(async () => {
    home = await createTempHome();
    defaultPath = join(home.dir, '.config', 'palingenesis', 'config.toml');
  });
  after(async () => {
    await home.remove();
  });

  it('path: the XDG default, then $PALINGENESIS_CONFIG, then --config', async () => {
    assert.equal((await runCli(['config', 'path'], home.env)).stdout, `${defaultPath}\n`);
    const env = { ...home.env, PALINGENESIS_CONFIG: '/from/env.toml' };
    assert.equal((await runCli(['config', 'path'], env)).stdout, '/from/env.toml\n');
    assert.equal(
      (await runCli(['config', 'path', '--config', '/from/flag.toml'], env)).stdout,
      '/from/flag.toml\n',
    );
    assert.equal(
      (await runCli(['--config', '/from/flag.toml', 'config', 'path'], env)).stdout,
      '/from/flag.toml\n',
    );
  });

  it('show without a file prints the defaults and says so', async () => {
    const run = await runCli(['config', 'show'], home.env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /^# effective configuration: defaults \(no file at .+\)$/m);
    assert.match(run.stdout, /^\[http\]\nenabled = true\nhost = "127\.0\.0\.1"\nport = 7654$/m);
    const json = await runCli(['config', 'show', '--json'], home.env);
    const shown = JSON.parse(json.stdout) as { path: string; exists: boolean; config: object };
    assert.equal(shown.path, defaultPath);
    assert.equal(shown.exists, false);
    assert.deepEqual(Object.keys(shown.config), [
      'daemon',
      'http',
      'otel',
      'opencode',
      'claude_code',
      'resume',
      'metrics',
    ]);
    assert.deepEqual((shown.config as { http: unknown }).http, {
      enabled: true,
      host: '127.0.0.1',
      port: 7654,
    });
  });

  it('init writes a commented file with mode 0600 and refuses to overwrite without --force', async () => {
    const first = await runCli(['config', 'init'], home.env);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stdout, `wrote ${defaultPath}\n`);
    assert.equal((await stat(defaultPath)).mode & 0o777, 0o600);
    const text = await readFile(defaultPath, 'utf8');
    assert.match(text, /^# .+\nport = 7654$/m);

    await writeFile(defaultPath, '# mine\n');
    const again = await runCli(['config', 'init'], home.env);
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists; use --force/);
    assert.equal(await readFile(defaultPath, 'utf8'), '# mine\n', 'existing file was touched');

    const forced = await runCli(['config', 'init', '--force'], home.env);
    assert.equal(forced.code, 0, forced.stderr);
    assert.equal(await readFile(defaultPath, 'utf8'), text);
    assert.equal((await stat(defaultPath)).mode & 0o777, 0o600);
  });

  it('validate: exit 0 when valid, 1 with every problem listed by key and line', async () => {
    const ok = await runCli(['config', 'validate'], home.env);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout, `${defaultPath}: valid\n`);

    const bad = join(home.dir, 'bad.toml');
    await writeFile(bad, '[daemon]\nlog_level = "loud"\n[http]\nport = 1.5\nhots = "x"\n');
    const run = await runCli(['config', 'validate', bad], home.env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /has 3 problems/);
    assert.match(run.stderr, /bad\.toml:2: daemon\.log_level: expected one of "trace", /);
    assert.match(run.stderr, /bad\.toml:4: http\.port: /);
    assert.match(run.stderr, /bad\.toml:5: http\.hots: unknown key/);

    const syntax = join(home.dir, 'syntax.toml');
    await writeFile(syntax, '[http\nport = 1\n');
    const broken = await runCli(['config', 'validate', syntax], home.env);
    assert.equal(broken.code, 1);
    assert.match(broken.stderr, /syntax\.toml:1:\d+: TOML syntax: /);

    const missing = await runCli(['config', 'validate', join(home.dir, 'nope.toml')], home.env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /nope\.toml: file not found/);
  });

  it('show redacts the opencode password', async () => {
    const path = join(home.dir, 'secret.toml');
    await writeFile(path, '[opencode]\npassword = "hunter2"\n');
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
    ]) {
      const run = await runCli([...args, '--config', path], home.env);
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stdout, /hunter2/);
      assert.match(run.stdout, /<redacted>/);
    }
  });

  it('an explicit --config that does not exist is an error, not silent defaults', async () => {
    const run = await runCli(['config', 'show', '--config', join(home.dir, 'typo.toml')], home.env);
    assert.equal(run.code, 1);
    assert.match(run.stderr, /typo\.toml: file not found/);
  });
});

describe('palingenesis usage', () => {
  it('--help lists the commands, the exit codes and the files', async () => {
    const home = await createTempHome();
    try {
      const run = await runCli(['--help'], home.env);
      assert.equal(run.code, 0);
      for (const text of ['daemon', 'config', '--config <file>', 'Exit codes:', 'XDG_STATE_HOME']) {
        assert.ok(run.stdout.includes(text), `help lacks ${text}`);
      }
      const sub = await runCli(['daemon', 'start', '--help'], home.env);
      assert.equal(sub.code, 0);
      assert.match(sub.stdout, /--foreground/);
    } finally {
      await home.remove();
    }
  });

  it('unknown commands and options are usage errors (exit 2)', async () => {
    const home = await createTempHome();
    try {
      const unknown = await runCli(['frobnicate'], home.env);
      assert.equal(unknown.code, 2);
      assert.match(unknown.stderr, /unknown command 'frobnicate'/);
      const option = await runCli(['config', 'show', '--jsn'], home.env);
      assert.equal(option.code, 2);
      assert.match(option.stderr, /unknown option '--jsn'/);
      const background = await runCli(['daemon', 'start'], home.env);
      assert.equal(background.code, 2);
      assert.match(background.stderr, /--foreground/);
    } finally {
      await home.remove();
    }
  });

  it('--version prints the package version', async () => {
    const home = await createTempHome();
    try {
      const pkg = JSON.parse(
        await readFile(new URL('../package.json', import.meta.url), 'utf8'),
      ) as {
        version: string;
      };
      const run = await runCli(['--version'], home.env);
      assert.equal(run.code, 0);
      assert.equal(run.stdout, `${pkg.version}\n`);
    } finally {
      await home.remove();
    }
  });
});
