import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
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
      'codex',
      'resume',
      'metrics',
      'limits',
      'notifications',
    ]);
    assert.deepEqual((shown.config as { http: unknown }).http, {
      enabled: true,
      host: '127.0.0.1',
      port: 7654,
      token: '',
      token_file: '',
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

  it('OTLP export headers are never shown: config show (TOML, JSON) and config set', async () => {
    const path = join(home.dir, 'otel.toml');
    await writeFile(
      path,
      '[otel]\nheaders = { Authorization = "Bearer hunter3", "X-Org" = "o1" }\n',
    );
    for (const args of [
      ['config', 'show'],
      ['config', 'show', '--json'],
    ]) {
      const run = await runCli([...args, '--config', path], home.env);
      assert.equal(run.code, 0, run.stderr);
      assert.doesNotMatch(run.stdout, /hunter3|o1/);
      assert.match(run.stdout, /Authorization/);
      assert.match(run.stdout, /X-Org/);
    }
    const set = await runCli(
      ['config', 'set', 'otel.headers', '{ Authorization = "Bearer hunter4" }', '--config', path],
      home.env,
    );
    assert.equal(set.code, 0, set.stderr);
    assert.match(set.stdout, /otel\.headers = <redacted>/);
    assert.doesNotMatch(set.stdout + set.stderr, /hunter4/);
    assert.match(await readFile(path, 'utf8'), /Bearer hunter4/);
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
      const missing = await runCli(['wake'], home.env);
      assert.equal(missing.code, 2);
      assert.match(missing.stderr, /missing required argument 'id'/);
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

describe('palingenesis config edit and set (built CLI, temp HOME)', () => {
  let home: TempHome;
  let path: string;
  let scripts: string;
  const MINE = '# mine\n[daemon]\nlog_level = "info" # keep this\n';
  const editor = async (name: string, body: string): Promise<string> => {
    const file = join(scripts, name);
    await writeFile(file, `#!/bin/sh\n${body}\n`, { mode: 0o755 });
    return file;
  };
  const withEditor = (vars: Record<string, string>): NodeJS.ProcessEnv => {
    const env: NodeJS.ProcessEnv = { ...home.env, ...vars };
    if (vars['VISUAL'] === undefined) delete env['VISUAL'];
    return env;
  };
  before(async () => {
    home = await createTempHome();
    path = join(home.dir, '.config', 'palingenesis', 'config.toml');
    scripts = join(home.dir, 'scripts');
    await mkdir(scripts, { recursive: true });
  });
  after(async () => {
    await home.remove();
  });

  it('edit: a valid edit is saved (mode 0600)', async () => {
    await mkdir(join(home.dir, '.config', 'palingenesis'), { recursive: true });
    await writeFile(path, MINE, { mode: 0o644 });
    const append = await editor('append', `printf '[http]\\nport = 9999\\n' >> "$1"`);
    const run = await runCli(['config', 'edit'], withEditor({ EDITOR: append }));
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, `saved ${path}\n`);
    assert.equal(await readFile(path, 'utf8'), `${MINE}[http]\nport = 9999\n`);
    assert.equal((await stat(path)).mode & 0o777, 0o600);
  });

  it('edit: an invalid edit is not saved; every problem is listed and the copy is kept', async () => {
    await writeFile(path, MINE);
    const bad = await editor('bad', `printf '[http]\\nport = "x"\\nhots = 1\\n' >> "$1"`);
    const run = await runCli(['config', 'edit'], withEditor({ EDITOR: bad }));
    assert.equal(run.code, 1);
    assert.match(run.stderr, /not saved: your edit has 2 problems:/);
    assert.match(run.stderr, /config\.toml:5: http\.port: expected number/);
    assert.match(run.stderr, /config\.toml:6: http\.hots: unknown key/);
    assert.equal(await readFile(path, 'utf8'), MINE, 'the original was touched');
    const copy = /your edit is kept in (\S+)\.$/m.exec(run.stderr)?.[1] ?? '';
    assert.match(await readFile(copy, 'utf8'), /port = "x"/);
    await rm(dirname(copy), { recursive: true, force: true });
  });

  it('edit: with no file, starts from the commented default; $VISUAL wins over $EDITOR', async () => {
    const fresh = join(home.dir, 'fresh.toml');
    const sed = await editor('sed', `sed -i 's/^port = 7654$/port = 7655/' "$1"`);
    const fail = await editor('fail', 'exit 3');
    const env = withEditor({ VISUAL: sed, EDITOR: fail, PALINGENESIS_CONFIG: fresh });
    const run = await runCli(['config', 'edit'], env);
    assert.equal(run.code, 0, run.stderr);
    const text = await readFile(fresh, 'utf8');
    assert.match(text, /^# palingenesis configuration\./);
    assert.match(text, /^port = 7655$/m);

    const failed = await runCli(['config', 'edit'], withEditor({ EDITOR: fail }));
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /the editor \(.+fail\) exited with 3; your edit is kept in /);
    const copy = /your edit is kept in (\S+)$/m.exec(failed.stderr)?.[1] ?? '';
    assert.ok(existsSync(copy), copy);
    await rm(dirname(copy), { recursive: true, force: true });
  });

  it('set: numbers, booleans and strings; only that line changes, comments stay', async () => {
    await writeFile(
      path,
      '# my comment\n[http]\nport = 7654 # keep\n\n# level\n[daemon]\nlog_level = "info"\n',
    );
    for (const [key, value] of [
      ['http.port', '8080'],
      ['http.enabled', 'false'],
      ['daemon.log_level', 'debug'],
      ['opencode.url', 'http://127.0.0.1:5000'],
    ]) {
      const run = await runCli(['config', 'set', key ?? '', value ?? ''], home.env);
      assert.equal(run.code, 0, run.stderr);
    }
    assert.equal(
      await readFile(path, 'utf8'),
      '# my comment\n[http]\nport = 8080 # keep\nenabled = false\n\n# level\n[daemon]\n' +
        'log_level = "debug"\n\n[opencode]\nurl = "http://127.0.0.1:5000"\n',
    );
    assert.equal((await stat(path)).mode & 0o777, 0o600);
    const shown = await runCli(['config', 'show', '--json'], home.env);
    const config = (JSON.parse(shown.stdout) as { config: { http: { port: number } } }).config;
    assert.equal(config.http.port, 8080);
  });

  it('set: an unknown key or a bad value is refused (exit 1) and nothing is written', async () => {
    const before = await readFile(path, 'utf8');
    const unknown = await runCli(['config', 'set', 'http.prot', '1'], home.env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /unknown key "http\.prot"/);
    const section = await runCli(['config', 'set', 'nope.port', '1'], home.env);
    assert.equal(section.code, 1);
    assert.match(section.stderr, /unknown key "nope\.port"/);
    const bad = await runCli(['config', 'set', 'http.port', '70000'], home.env);
    assert.equal(bad.code, 1);
    assert.match(bad.stderr, /not saved: .+config\.toml:3: http\.port: /s);
    assert.equal(await readFile(path, 'utf8'), before);
    assert.equal(existsSync(`${path}.${process.pid}.tmp`), false);
  });
});
