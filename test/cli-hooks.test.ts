import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { after, afterEach, before, beforeEach, describe, it, type TestContext } from 'node:test';
import { runCli } from './helpers/run-cli.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

const EVENTS = ['StopFailure', 'Stop', 'SessionStart', 'SessionEnd'];
const USER_HOOK = { type: 'command', command: 'notify-send "turn over"' };

/** A user's settings: other settings, their own hooks on two of our events and on another one. */
function userSettings(indent: string | number, trailingNewline: boolean): string {
  const value = {
    $schema: 'https://json.schemastore.org/claude-code-settings.json',
    model: 'opus',
    env: { DISABLE_TELEMETRY: '1' },
    permissions: { allow: ['Bash(npm test)'], deny: [] },
    hooks: {
      Stop: [{ hooks: [USER_HOOK] }],
      SessionStart: [{ matcher: 'startup', hooks: [USER_HOOK] }],
      PreToolUse: [{ matcher: 'Bash', hooks: [USER_HOOK] }],
    },
    statusLine: { type: 'command', command: 'echo ok' },
  };
  return JSON.stringify(value, null, indent) + (trailingNewline ? '\n' : '');
}

interface Group {
  matcher?: string;
  hooks: { type: string; command: string; timeout?: number }[];
}
type Settings = Record<string, unknown> & { hooks: Record<string, Group[]> };

describe('palingenesis hooks (built CLI, temp HOME)', () => {
  let home: TempHome;
  let env: NodeJS.ProcessEnv;
  let claudeDir: string;
  let settingsPath: string;
  before(async () => {
    home = await createTempHome();
    env = { ...home.env };
    delete env['CLAUDE_CONFIG_DIR']; // the machine running the tests may have its own
    claudeDir = join(home.dir, '.claude');
    settingsPath = join(claudeDir, 'settings.json');
  });
  beforeEach(async () => {
    await rm(claudeDir, { recursive: true, force: true });
    await rm(home.state.dir, { recursive: true, force: true });
    await mkdir(claudeDir, { recursive: true });
  });
  after(async () => {
    await home.remove();
  });

  async function hooks(args: string[], extraEnv: NodeJS.ProcessEnv = {}) {
    return runCli(['hooks', ...args], { ...env, ...extraEnv });
  }

  for (const [style, original] of [
    ['tabs, no trailing newline', userSettings('\t', false)],
    ['4 spaces', userSettings(4, true)],
  ] as const) {
    it(`${style}: install adds ours beside the user's hooks; uninstall restores every byte`, async () => {
      await writeFile(settingsPath, original);
      await chmod(settingsPath, 0o644);
      const install = await hooks(['install', 'claude-code']);
      assert.equal(install.code, 0, install.stderr);
      assert.match(install.stdout, /^claude-code hooks installed in .+settings\.json\n/);
      for (const event of EVENTS)
        assert.match(install.stdout, new RegExp(`^  ${event} +added$`, 'm'));
      const backup = /^backup of the previous file: (.+)$/m.exec(install.stdout)?.[1] ?? '';
      assert.ok(backup.startsWith(`${settingsPath}.palingenesis-backup-`), install.stdout);
      assert.equal(await readFile(backup, 'utf8'), original);

      const text = await readFile(settingsPath, 'utf8');
      const after = JSON.parse(text) as Settings;
      const before = JSON.parse(original) as Settings;
      assert.deepEqual(Object.keys(after), Object.keys(before), 'key order changed');
      for (const key of ['$schema', 'model', 'env', 'permissions', 'statusLine']) {
        assert.deepEqual(after[key], before[key], key);
      }
      assert.deepEqual(after.hooks['PreToolUse'], before.hooks['PreToolUse']);
      assert.deepEqual(after.hooks['Stop']?.[0], { hooks: [USER_HOOK] });
      assert.deepEqual(after.hooks['SessionStart']?.[0], {
        matcher: 'startup',
        hooks: [USER_HOOK],
      });
      for (const event of EVENTS) {
        const ours = after.hooks[event]?.at(-1)?.hooks[0];
        assert.match(
          ours?.command ?? '',
          /palingenesis-hook\.js' claude-code --state-dir '/,
          event,
        );
        assert.equal(ours?.timeout, 10);
      }
      assert.equal(text.endsWith('\n'), original.endsWith('\n'));
      assert.match(text, style.startsWith('tabs') ? /^\t\t"Stop": \[$/m : /^ {8}"Stop": \[$/m);
      assert.equal((await stat(settingsPath)).mode & 0o777, 0o644);

      const uninstall = await hooks(['uninstall', 'claude-code']);
      assert.equal(uninstall.code, 0, uninstall.stderr);
      assert.match(uninstall.stdout, /restored byte for byte/);
      assert.equal(await readFile(settingsPath, 'utf8'), original);
      assert.equal((await stat(settingsPath)).mode & 0o777, 0o644);
    });
  }

  it('install twice: the second run changes nothing and says so', async () => {
    await writeFile(settingsPath, userSettings(2, true));
    assert.equal((await hooks(['install', 'claude-code'])).code, 0);
    const once = await readFile(settingsPath, 'utf8');
    const filesOnce = await readdir(claudeDir);
    const again = await hooks(['install', 'claude-code']);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^claude-code hooks already installed in .+; nothing changed\n$/);
    assert.equal(await readFile(settingsPath, 'utf8'), once);
    assert.deepEqual(await readdir(claudeDir), filesOnce, 'a second backup was made');
  });

  it('uninstall after the user changed a setting keeps their change and removes only ours', async () => {
    const original = userSettings(2, true);
    await writeFile(settingsPath, original);
    assert.equal((await hooks(['install', 'claude-code'])).code, 0);
    const edited = (await readFile(settingsPath, 'utf8')).replace(
      '"model": "opus"',
      '"model": "sonnet"',
    );
    await writeFile(settingsPath, edited);
    const uninstall = await hooks(['uninstall', 'claude-code']);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    assert.match(uninstall.stdout, /only our entries were taken out/);
    assert.equal(
      await readFile(settingsPath, 'utf8'),
      original.replace('"model": "opus"', '"model": "sonnet"'),
    );
    const again = await hooks(['uninstall', 'claude-code']);
    assert.match(again.stdout, /^no palingenesis hooks in .+; nothing changed\n$/);
  });

  it('honours CLAUDE_CONFIG_DIR, and a file it created is deleted again', async () => {
    const profile = join(home.dir, 'profiles', 'work');
    const extra = { CLAUDE_CONFIG_DIR: profile };
    const install = await hooks(['install', 'claude-code'], extra);
    assert.equal(install.code, 0, install.stderr);
    assert.match(install.stdout, new RegExp(`installed in ${join(profile, 'settings.json')}\\n`));
    assert.doesNotMatch(install.stdout, /backup/);
    const settings = JSON.parse(await readFile(join(profile, 'settings.json'), 'utf8')) as Settings;
    assert.deepEqual(Object.keys(settings.hooks), EVENTS);
    assert.deepEqual(await readdir(claudeDir), [], '~/.claude was touched');

    const status = await hooks(['status', 'claude-code', '--json'], extra);
    const shown = JSON.parse(status.stdout) as {
      agents: { settingsPath: string; installed: string }[];
    };
    assert.deepEqual(
      shown.agents.map((a) => [a.settingsPath, a.installed]),
      [[join(profile, 'settings.json'), 'all']],
    );
    const uninstall = await hooks(['uninstall', 'claude-code'], extra);
    assert.match(uninstall.stdout, /created by install and is deleted again/);
    await assert.rejects(stat(profile), { code: 'ENOENT' });
  });

  it('[claude_code] config_dir in the config wins over CLAUDE_CONFIG_DIR (the daemon reads it)', async () => {
    const configured = join(home.dir, 'configured-claude');
    const configFile = join(home.dir, 'hooks-config.toml');
    await writeFile(configFile, `[claude_code]\nconfig_dir = "${configured}"\n`);
    const extra = { CLAUDE_CONFIG_DIR: join(home.dir, 'ignored'), PALINGENESIS_CONFIG: configFile };
    const install = await hooks(['install', 'claude-code'], extra);
    assert.equal(install.code, 0, install.stderr);
    assert.match(
      install.stdout,
      new RegExp(`installed in ${join(configured, 'settings.json')}\\n`),
    );
    const uninstall = await hooks(['uninstall', 'claude-code'], extra);
    assert.equal(uninstall.code, 0, uninstall.stderr);
    await assert.rejects(stat(join(home.dir, 'ignored')), { code: 'ENOENT' });
  });

  it('invalid JSON: exit 1 naming the file, line and column; nothing is written', async () => {
    const broken = '{\n  "model": "opus",\n  "hooks": {\n    "Stop": [}\n  }\n}\n';
    await writeFile(settingsPath, broken);
    const install = await hooks(['install', 'claude-code']);
    assert.equal(install.code, 1);
    assert.equal(install.stdout, '');
    assert.equal(
      install.stderr,
      `palingenesis: ${settingsPath}:4:14: invalid JSON (ValueExpected); nothing was changed\n`,
    );
    assert.equal(await readFile(settingsPath, 'utf8'), broken);
    assert.deepEqual(await readdir(claudeDir), ['settings.json']);
    await assert.rejects(stat(home.state.dir), { code: 'ENOENT' });
  });

  it('an unknown agent is a usage error (exit 2) naming the valid ones', async () => {
    for (const args of [
      ['install', 'codex'],
      ['uninstall', 'opencode'],
      ['status', 'gemini'],
    ]) {
      const run = await hooks(args);
      assert.equal(run.code, 2, args.join(' '));
      assert.match(run.stderr, /unknown agent "\w+"; hooks exist for: claude-code/);
    }
    assert.equal((await hooks(['install'])).code, 2);
  });

  it('status tells per event, and flags paths that no longer exist', async () => {
    const none = await hooks(['status']);
    assert.equal(none.code, 0, none.stderr);
    assert.match(none.stdout, /^claude-code: 0 of 4 hooks installed in .+ \(no such file\)$/m);

    await writeFile(settingsPath, userSettings(2, true));
    assert.equal((await hooks(['install', 'claude-code'])).code, 0);
    const all = await hooks(['status', 'claude-code']);
    for (const event of EVENTS)
      assert.match(all.stdout, new RegExp(`^  ${event} +installed$`, 'm'));
    assert.match(all.stdout, /^ {2}hook script +\/.+\/dist\/palingenesis-hook\.js \(exists\)$/m);

    // As if palingenesis had been reinstalled elsewhere since: the old script path is gone.
    const text = await readFile(settingsPath, 'utf8');
    await writeFile(
      settingsPath,
      text.replaceAll(/'[^']*\/dist\/palingenesis-hook\.js'/g, "'/gone/dist/palingenesis-hook.js'"),
    );
    const stale = await hooks(['status', '--json']);
    const [agent] = (JSON.parse(stale.stdout) as { agents: StatusJson[] }).agents;
    assert.equal(agent?.installed, 'all');
    assert.equal(agent.current, false);
    assert.deepEqual(
      agent.paths.map((p) => [p.role, p.exists]),
      [
        ['node', true],
        ['hook script', false],
        ['state dir', true],
      ],
    );
    assert.equal(agent.paths[1]?.path, '/gone/dist/palingenesis-hook.js');
    const text2 = await hooks(['status']);
    assert.match(text2.stdout, /hook script +\/gone\/dist\/palingenesis-hook\.js \(MISSING\)/);
    assert.match(text2.stdout, /run `palingenesis hooks install claude-code` to point them here/);
    const reinstall = await hooks(['install', 'claude-code']);
    for (const event of EVENTS)
      assert.match(reinstall.stdout, new RegExp(`^  ${event} +updated$`, 'm'));
  });
});

interface StatusJson {
  installed: string;
  current: boolean;
  paths: { role: string; path: string; exists: boolean }[];
}

interface HookRun {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
  readonly ms: number;
}

/** Runs a hook command the way Claude Code does: through the shell, payload on stdin (bounded). */
async function runHook(command: string, payload: string, env: NodeJS.ProcessEnv): Promise<HookRun> {
  const started = performance.now();
  const child = spawn('/bin/sh', ['-c', command], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(payload);
  const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
  try {
    const [code] = (await once(child, 'exit')) as [number | null];
    return { code, stdout, stderr, ms: Math.round(performance.now() - started) };
  } finally {
    clearTimeout(timer);
  }
}

/** A stand-in for the daemon's hook route on 127.0.0.1:0, answering `status`. */
async function hookReceiver(
  status: number,
): Promise<{ server: Server; url: string; requests: string[]; bodies: Buffer[] }> {
  const requests: string[] = [];
  const bodies: Buffer[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push(`${req.method ?? ''} ${req.url ?? ''} ${req.headers['content-type'] ?? ''}`);
      bodies.push(Buffer.concat(chunks));
      res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return { server, url: `http://127.0.0.1:${port}`, requests, bodies };
}

async function closeServer(server: Server): Promise<void> {
  if (!server.listening) return;
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
}

const PAYLOAD =
  '{"session_id":"4f1c","transcript_path":"/tmp/t.jsonl","cwd":"/w","hook_event_name":"StopFailure",' +
  '"error":"rate_limit","last_assistant_message":"You\'ve hit your limit · resets 4am (Europe/Berlin)"}\n';

describe('the installed hook command (built forwarder)', () => {
  let home: TempHome;
  let env: NodeJS.ProcessEnv;
  let command: string;
  let spool: string;
  const servers: Server[] = [];
  before(async () => {
    home = await createTempHome();
    env = { ...home.env };
    delete env['CLAUDE_CONFIG_DIR'];
    const install = await runCli(['hooks', 'install', 'claude-code'], env);
    assert.equal(install.code, 0, install.stderr);
    const settings = JSON.parse(
      await readFile(join(home.dir, '.claude', 'settings.json'), 'utf8'),
    ) as Settings;
    command = settings.hooks['StopFailure']?.[0]?.hooks[0]?.command ?? '';
    spool = join(home.state.dir, 'spool', 'claude-code');
  });
  afterEach(async () => {
    await Promise.all(servers.splice(0).map(closeServer));
    await rm(join(home.state.dir, 'daemon.json'), { force: true });
    await rm(spool, { recursive: true, force: true });
  });
  after(async () => {
    await home.remove();
  });

  async function daemonAt(url: string): Promise<void> {
    await mkdir(home.state.dir, { recursive: true });
    await writeFile(join(home.state.dir, 'daemon.json'), JSON.stringify({ pid: process.pid, url }));
  }
  async function spooled(): Promise<string[]> {
    const names = await readdir(spool).catch(() => [] as string[]);
    return Promise.all(names.map((name) => readFile(join(spool, name), 'utf8')));
  }

  it('a live daemon gets the payload byte for byte; nothing spooled, nothing on stdout', async (t: TestContext) => {
    const daemon = await hookReceiver(202);
    servers.push(daemon.server);
    await daemonAt(daemon.url);
    const run = await runHook(command, PAYLOAD, env);
    t.diagnostic(`forwarder run time (delivered): ${run.ms} ms`);
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', '']);
    assert.deepEqual(daemon.requests, ['POST /api/v1/hooks/claude-code application/json']);
    assert.deepEqual(daemon.bodies, [Buffer.from(PAYLOAD)]);
    assert.deepEqual(await spooled(), []);
    assert.ok(run.ms < 3000, `the hook took ${run.ms} ms`);
  });

  it('no daemon.json, a 500, a closed port: spooled exactly, exit 0, nothing on stdout', async (t: TestContext) => {
    const failing = await hookReceiver(500);
    const closed = await hookReceiver(200);
    servers.push(failing.server);
    await closeServer(closed.server);
    const cases: [string, string | undefined, RegExp][] = [
      ['no daemon.json', undefined, /daemon not running \(no daemon\.json\)/],
      ['500', failing.url, /daemon answered 500/],
      ['closed port', closed.url, /daemon unreachable: .*ECONNREFUSED/],
    ];
    for (const [name, url, why] of cases) {
      await rm(join(home.state.dir, 'daemon.json'), { force: true });
      if (url !== undefined) await daemonAt(url);
      const run = await runHook(command, PAYLOAD, env);
      t.diagnostic(`forwarder run time (${name}, spooled): ${run.ms} ms`);
      assert.deepEqual([run.code, run.stdout], [0, ''], name);
      assert.match(run.stderr, why, name);
      assert.equal(run.stderr.split('\n').length, 2, `one stderr line: ${run.stderr}`);
      assert.deepEqual(await spooled(), [PAYLOAD], name);
      const [file] = await readdir(spool);
      assert.match(file ?? '', /^\d{13}-\d+-\d{6}-[0-9a-f]{8}\.json$/);
      assert.equal((await stat(join(spool, file ?? ''))).mode & 0o777, 0o600);
      assert.ok(run.ms < 3000, `${name}: the hook took ${run.ms} ms`);
      await rm(spool, { recursive: true, force: true });
    }
    assert.equal(failing.bodies.length, 1);
  });

  it('empty stdin: nothing to do, exit 0, silent', async () => {
    const run = await runHook(command, '', env);
    assert.deepEqual([run.code, run.stdout, run.stderr], [0, '', '']);
    assert.deepEqual(await spooled(), []);
  });
});
