import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmod, mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import { runCli } from './helpers/run-cli.js';
import { CLI_PATH } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

// `service install` in a temp HOME. The real systemctl/launchctl are never run: either
// `--no-start`, or a fake `systemctl` first on PATH that records what it was asked.

function which(name: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${name}`], { encoding: 'utf8' });
  return found.status === 0 ? found.stdout.trim() : undefined;
}

/** Under CI=true a missing checker fails; elsewhere the test says it fell back to structure checks. */
function missingTool(t: TestContext, name: string, required: boolean): void {
  const message = `${name} is not installed: structure checks only, ${name} did not run`;
  if (required && process.env['CI'] === 'true') throw new Error(`${message}; CI must have it`);
  t.diagnostic(message);
}

describe('palingenesis service (built CLI, temp HOME)', () => {
  let home: TempHome;
  let unitPath: string;
  let plistPath: string;
  before(async () => {
    home = await createTempHome();
    unitPath = join(home.dir, '.config', 'systemd', 'user', 'palingenesis.service');
    plistPath = join(home.dir, 'Library', 'LaunchAgents', 'dev.palingenesis.daemon.plist');
  });
  after(async () => {
    await home.remove();
  });

  it('install --platform linux writes a unit that systemd-analyze accepts; uninstall removes it', async (t) => {
    const install = await runCli(
      ['service', 'install', '--platform', 'linux', '--no-start'],
      home.env,
    );
    assert.equal(install.code, 0, install.stderr);
    assert.equal(
      install.stdout,
      `wrote ${unitPath}\n` +
        'the service manager does not answer here (or --no-start/--no-stop); to start it, run:\n' +
        '  systemctl --user daemon-reload\n' +
        '  systemctl --user enable --now palingenesis.service\n',
    );
    assert.equal((await stat(unitPath)).mode & 0o777, 0o644);
    const unit = await readFile(unitPath, 'utf8');
    assert.ok(
      unit.includes(`\nExecStart=${process.execPath} ${CLI_PATH} daemon start --foreground\n`),
      unit,
    );
    assert.match(unit, /^Restart=on-failure$/m);
    assert.match(unit, /^WantedBy=default\.target$/m);
    assert.ok(unit.includes(`\nEnvironment=XDG_STATE_HOME=${home.env['XDG_STATE_HOME'] ?? ''}\n`));

    const analyze = which('systemd-analyze');
    if (analyze === undefined) {
      missingTool(t, 'systemd-analyze', true);
    } else {
      // --user needs a runtime directory, which containers and CI lack: a private one does.
      const runtime = await mkdtemp(join(tmpdir(), 'palingenesis-runtime-'));
      try {
        await chmod(runtime, 0o700);
        const verify = spawnSync(analyze, ['--user', 'verify', unitPath], {
          env: { ...home.env, XDG_RUNTIME_DIR: runtime },
          encoding: 'utf8',
          timeout: 30_000,
        });
        // verify exits 0 on unknown keys and bad values too; it only warns. So: no output at all.
        assert.equal(verify.status, 0, verify.stderr);
        assert.equal(`${verify.stdout}${verify.stderr}`, '', 'systemd-analyze verify warned');
      } finally {
        await rm(runtime, { recursive: true, force: true });
      }
    }

    const status = await runCli(['service', 'status', '--platform', 'linux'], home.env);
    assert.equal(status.code, 0, status.stdout);
    assert.ok(status.stdout.includes(`  cli    ${CLI_PATH} (exists)\n`), status.stdout);

    const uninstall = await runCli(
      ['service', 'uninstall', '--platform', 'linux', '--no-stop'],
      home.env,
    );
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.match(
      uninstall.stdout,
      /^removed .+\n.+\n {2}systemctl --user disable --now palingenesis\.service\n {2}systemctl --user daemon-reload\n$/,
    );
    assert.equal(existsSync(unitPath), false);
    const gone = await runCli(['service', 'status', '--platform', 'linux'], home.env);
    assert.equal(gone.code, 1);
    assert.match(gone.stdout, /^not installed: /);
  });

  it('status fails when the unit points at a palingenesis that no longer exists', async () => {
    await mkdir(join(home.dir, '.config', 'systemd', 'user'), { recursive: true });
    await writeFile(
      unitPath,
      `[Service]\nExecStart=${process.execPath} /gone/dist/cli.js daemon start --foreground\n`,
    );
    try {
      const status = await runCli(['service', 'status', '--platform', 'linux'], home.env);
      assert.equal(status.code, 1);
      assert.match(status.stdout, /cli {4}\/gone\/dist\/cli\.js \(MISSING\)/);
      assert.match(status.stdout, /run `palingenesis service install` again/);
    } finally {
      await rm(unitPath, { force: true });
    }
  });

  it('with systemctl --user answering, install runs daemon-reload and enable --now (a fake systemctl)', async () => {
    const bin = join(home.dir, 'fake-bin');
    const calls = join(home.dir, 'systemctl-calls');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >> '${calls}'\n`, {
      mode: 0o755,
    });
    const env = { ...home.env, PATH: `${bin}:${home.env['PATH'] ?? ''}` };
    try {
      const install = await runCli(['service', 'install', '--platform', 'linux'], env);
      assert.equal(install.code, 0, install.stderr);
      if (process.platform !== 'linux') {
        assert.equal(existsSync(calls), false, 'another platform must never run systemctl');
        return;
      }
      assert.match(install.stdout, /ran: systemctl --user enable --now palingenesis\.service/);
      const uninstall = await runCli(['service', 'uninstall', '--platform', 'linux'], env);
      assert.equal(uninstall.code, 0, uninstall.stderr);
      assert.deepEqual((await readFile(calls, 'utf8')).trim().split('\n'), [
        '--user show-environment',
        '--user daemon-reload',
        '--user enable --now palingenesis.service',
        '--user show-environment',
        '--user disable --now palingenesis.service',
        '--user show-environment',
        '--user daemon-reload',
      ]);
    } finally {
      await rm(unitPath, { force: true });
    }
  });

  it('install --platform darwin writes a launchd plist; uninstall removes it', async (t) => {
    const configPath = join(home.dir, 'my config.toml');
    await writeFile(configPath, '[http]\nport = 7655\n');
    const install = await runCli(
      ['--config', configPath, 'service', 'install', '--platform', 'darwin', '--no-start'],
      home.env,
    );
    assert.equal(install.code, 0, install.stderr);
    assert.match(
      install.stdout,
      /^ {2}launchctl bootstrap gui\/\d+ .+dev\.palingenesis\.daemon\.plist'?$/m,
    );
    const plist = await readFile(plistPath, 'utf8');
    const args = [
      process.execPath,
      CLI_PATH,
      '--config',
      configPath,
      'daemon',
      'start',
      '--foreground',
    ];
    const expected = args.map((arg) => `    <string>${arg}</string>`).join('\n');
    assert.ok(
      plist.includes(`<key>ProgramArguments</key>\n  <array>\n${expected}\n  </array>`),
      plist,
    );
    assert.match(plist, /<key>KeepAlive<\/key>\s*<dict>\s*<key>SuccessfulExit<\/key>\s*<false\/>/);
    assert.ok(plist.includes(`<string>${home.state.dir}/launchd.err.log</string>`));

    const plutil = which('plutil');
    const python = which('python3');
    if (plutil !== undefined) {
      const lint = spawnSync(plutil, ['-lint', plistPath], { encoding: 'utf8' });
      assert.equal(lint.status, 0, `${lint.stdout}${lint.stderr}`);
    } else if (python !== undefined) {
      // Python's plistlib is a real plist parser: the file must load with these values.
      const script =
        'import json, plistlib, sys; print(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
      const parsed = spawnSync(python, ['-c', script, plistPath], { encoding: 'utf8' });
      assert.equal(parsed.status, 0, parsed.stderr);
      const value = JSON.parse(parsed.stdout) as Record<string, unknown>;
      assert.equal(value['Label'], 'dev.palingenesis.daemon');
      assert.deepEqual(value['ProgramArguments'], args);
      assert.deepEqual(value['KeepAlive'], { SuccessfulExit: false });
      assert.equal(value['RunAtLoad'], true);
      t.diagnostic('plutil is macOS-only: the plist was parsed with python3 plistlib');
    } else {
      missingTool(t, 'plutil', process.platform === 'darwin');
    }

    const uninstall = await runCli(
      ['service', 'uninstall', '--platform', 'darwin', '--no-stop'],
      home.env,
    );
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.match(uninstall.stdout, /launchctl bootout gui\/\d+\/dev\.palingenesis\.daemon/);
    assert.equal(existsSync(plistPath), false);
  });

  it('--dry-run prints the unit and writes nothing; an invalid config is refused', async () => {
    const dry = await runCli(['service', 'install', '--platform', 'linux', '--dry-run'], home.env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^# Written by `palingenesis service install`/);
    assert.match(dry.stdout, /^ExecStart=/m);
    assert.equal(existsSync(unitPath), false);

    const bad = join(home.dir, 'bad.toml');
    await writeFile(bad, '[http]\nport = "x"\n');
    const refused = await runCli(
      ['--config', bad, 'service', 'install', '--platform', 'linux'],
      home.env,
    );
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /bad\.toml:2: http\.port: expected number/);
    assert.equal(existsSync(unitPath), false);

    const other = await runCli(['service', 'install', '--platform', 'windows'], home.env);
    assert.equal(other.code, 2);
  });
});
