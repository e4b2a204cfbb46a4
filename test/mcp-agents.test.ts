import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { promisify } from 'node:util';
import { parse as parseToml } from 'smol-toml';
import { z } from 'zod';
import { CLAUDE_BIN, claudeEnv } from './helpers/claude.js';
import { findCodexBinary } from './helpers/codex.js';
import { OPENCODE_BIN, opencodeEnv } from './helpers/opencode.js';
import { runCli } from './helpers/run-cli.js';
import { CLI_PATH, spawnDaemon } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

// The snippets `mcp config` prints, fed to the real agents (the pinned devDependencies): each
// must accept it and, with the daemon running, connect to `palingenesis mcp serve`.

const run = promisify(execFile);
const CONFIG = '[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nenabled = false\n';
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

describe('mcp config: the snippets work in the real agents', () => {
  it('opencode: the printed opencode.json is accepted and `opencode mcp list` connects', async () => {
    const daemon = await spawnDaemon(CONFIG);
    try {
      const configPath = join(daemon.home.dir, 'config.toml');
      const printed = await runCli(
        ['--config', configPath, 'mcp', 'config', 'opencode'],
        daemon.home.env,
      );
      assert.equal(printed.code, 0, printed.stderr);
      const snippet = z
        .object({
          $schema: z.literal('https://opencode.ai/config.json'),
          mcp: z.object({
            palingenesis: z.object({
              type: z.literal('local'),
              command: z.array(z.string()),
              enabled: z.literal(true),
            }),
          }),
        })
        .parse(JSON.parse(printed.stdout));
      assert.deepEqual(snippet.mcp.palingenesis.command, [
        process.execPath,
        CLI_PATH,
        '--config',
        configPath,
        'mcp',
        'serve',
      ]);

      const project = join(daemon.home.dir, 'project');
      await mkdir(project, { recursive: true });
      await mkdir(join(daemon.home.dir, 'tmp'), { recursive: true });
      await writeFile(join(project, 'opencode.json'), printed.stdout);
      const env = opencodeEnv(daemon.home, { autoupdate: false, share: 'disabled' });
      const listed = await run(OPENCODE_BIN, ['mcp', 'list'], {
        cwd: project,
        env,
        timeout: 60_000,
      });
      const out = `${listed.stdout}${listed.stderr}`.replace(ANSI, '');
      assert.match(out, /palingenesis\s+connected/, out);
    } finally {
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('claude-code: the printed `claude mcp add` registers it and `claude mcp list` connects', async () => {
    const daemon = await spawnDaemon(CONFIG);
    try {
      const configPath = join(daemon.home.dir, 'config.toml');
      const printed = await runCli(
        ['--config', configPath, 'mcp', 'config', 'claude-code'],
        daemon.home.env,
      );
      assert.equal(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /^claude mcp add --scope user palingenesis -- \S+/);
      await mkdir(join(daemon.home.dir, 'tmp'), { recursive: true });
      const base = claudeEnv(daemon.home, { baseUrl: 'http://127.0.0.1:9' });
      const env = { ...base, PATH: `${dirname(CLAUDE_BIN)}:${base['PATH'] ?? ''}` };
      await run('sh', ['-c', printed.stdout], { cwd: daemon.home.dir, env, timeout: 60_000 });

      const claudeJson = z
        .object({ mcpServers: z.record(z.string(), z.unknown()) })
        .parse(JSON.parse(await readFile(join(daemon.home.dir, '.claude.json'), 'utf8')));
      assert.deepEqual(claudeJson.mcpServers['palingenesis'], {
        type: 'stdio',
        command: process.execPath,
        args: [CLI_PATH, '--config', configPath, 'mcp', 'serve'],
        env: {},
      });
      const listed = await run(CLAUDE_BIN, ['mcp', 'list'], {
        cwd: daemon.home.dir,
        env,
        timeout: 60_000,
      });
      assert.match(listed.stdout, /^palingenesis: .+ - ✔ Connected$/m, listed.stdout);
    } finally {
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('codex: the printed `codex mcp add` registers exactly our command in $CODEX_HOME', async () => {
    const home = await createTempHome();
    try {
      // A config path the shell must be told literally: the printed line quotes it.
      const configDir = join(home.dir, "it's a dir");
      await mkdir(configDir);
      const configPath = join(configDir, 'config.toml');
      await writeFile(configPath, CONFIG);
      const printed = await runCli(['--config', configPath, 'mcp', 'config', 'codex'], home.env);
      assert.equal(printed.code, 0, printed.stderr);
      assert.match(printed.stdout, /^codex mcp add palingenesis -- \S+.* mcp serve\n$/);

      const codexHome = join(home.dir, '.codex');
      await mkdir(codexHome);
      const inherited = Object.entries(home.env).filter(
        ([key]) => !key.startsWith('CODEX_') && !key.startsWith('OPENAI_'),
      );
      const bin = findCodexBinary();
      const env = {
        ...Object.fromEntries(inherited),
        CODEX_HOME: codexHome,
        PATH: `${dirname(bin)}:${home.env['PATH'] ?? ''}`,
      };
      await run('sh', ['-c', printed.stdout], { cwd: home.dir, env, timeout: 60_000 });

      const command = [CLI_PATH, '--config', configPath, 'mcp', 'serve'];
      const written = z
        .object({
          mcp_servers: z.record(
            z.string(),
            z.object({ command: z.string(), args: z.array(z.string()) }),
          ),
        })
        .parse(parseToml(await readFile(join(codexHome, 'config.toml'), 'utf8')));
      assert.deepEqual(written.mcp_servers, {
        palingenesis: { command: process.execPath, args: command },
      });
      const listed = await run(bin, ['mcp', 'list', '--json'], { env, timeout: 60_000 });
      const servers = z
        .array(
          z.object({
            name: z.string(),
            enabled: z.boolean(),
            transport: z.object({
              type: z.string(),
              command: z.string(),
              args: z.array(z.string()),
            }),
          }),
        )
        .parse(JSON.parse(listed.stdout));
      assert.deepEqual(
        servers.map((s) => [s.name, s.enabled, s.transport]),
        [['palingenesis', true, { type: 'stdio', command: process.execPath, args: command }]],
      );
    } finally {
      await home.remove();
    }
  });

  it('an unknown agent or scope is a usage error', async () => {
    const home = await createTempHome();
    try {
      const agent = await runCli(['mcp', 'config', 'vim'], home.env);
      assert.equal(agent.code, 2);
      assert.match(agent.stderr, /unknown agent "vim"/);
      const scope = await runCli(['mcp', 'config', 'claude-code', '--scope', 'all'], home.env);
      assert.equal(scope.code, 2);
      assert.match(scope.stderr, /--scope must be one of local, user, project/);
      // Codex has no scopes: `codex mcp add` always writes $CODEX_HOME/config.toml.
      const codex = await runCli(['mcp', 'config', 'codex', '--scope', 'user'], home.env);
      assert.equal(codex.code, 2);
      assert.match(codex.stderr, /codex has no --scope/);
      assert.equal(codex.stdout, '');
    } finally {
      await home.remove();
    }
  });
});
