import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { z } from 'zod';
import { CLI_PATH, spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome } from './helpers/temp-home.js';

const CONFIG = '[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nenabled = false\n';
const TOOLS = ['logs', 'new_session', 'pause', 'resume', 'sessions', 'status', 'wake'];

const toolResult = z.object({
  content: z.array(z.object({ type: z.literal('text'), text: z.string() })).length(1),
  isError: z.boolean().optional(),
});

function stringEnv(env: NodeJS.ProcessEnv): Record<string, string> {
  return Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

async function daemonState(daemon: SpawnedDaemon): Promise<string> {
  const body = z
    .object({ state: z.string() })
    .parse(await (await daemon.api(`/api/v1/status`)).json());
  return body.state;
}

describe('palingenesis mcp serve (built CLI, the SDK client over stdio, a real daemon)', () => {
  let daemon: SpawnedDaemon;
  let client: Client;
  let stderr = '';

  const call = async (
    name: string,
    args: Record<string, unknown> = {},
  ): Promise<{ text: string; isError: boolean }> => {
    const result = toolResult.parse(await client.callTool({ name, arguments: args }));
    return { text: result.content[0]?.text ?? '', isError: result.isError === true };
  };

  before(async () => {
    daemon = await spawnDaemon(CONFIG);
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI_PATH, '--config', join(daemon.home.dir, 'config.toml'), 'mcp', 'serve'],
      env: stringEnv(daemon.home.env),
      stderr: 'pipe',
    });
    transport.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    client = new Client({ name: 'palingenesis-test', version: '0.0.0' });
    await client.connect(transport);
  });
  after(async () => {
    try {
      await client.close();
    } finally {
      await daemon.stop('SIGKILL');
      await daemon.home.remove();
    }
  });

  it('lists exactly the seven tools', async () => {
    const { tools } = await client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), TOOLS);
    const wake = tools.find((t) => t.name === 'wake');
    assert.deepEqual(wake?.inputSchema.required, ['session']);
  });

  it('status answers with the daemon state; sessions with the (empty) list', async () => {
    const status = await call('status');
    assert.equal(status.isError, false, status.text);
    const body = JSON.parse(status.text) as { state: string; pid: number };
    assert.equal(body.state, 'monitoring');
    assert.equal(body.pid, daemon.pid);
    const sessions = await call('sessions');
    assert.deepEqual(JSON.parse(sessions.text), { sessions: [] });
  });

  it('pause and resume change the daemon state; a second pause is a tool error (409)', async () => {
    const paused = await call('pause');
    assert.equal(paused.isError, false, paused.text);
    assert.equal(await daemonState(daemon), 'paused');
    const again = await call('pause');
    assert.equal(again.isError, true);
    assert.match(again.text, /^conflict: /);
    const resumed = await call('resume');
    assert.equal(resumed.isError, false, resumed.text);
    assert.equal(await daemonState(daemon), 'monitoring');
  });

  it('session tools reach the session routes: an unknown session is a tool error', async () => {
    for (const name of ['wake', 'new_session', 'pause', 'resume']) {
      const result = await call(name, { session: 'ses_nope' });
      assert.equal(result.isError, true, `${name}: ${result.text}`);
      assert.match(result.text, /^not_found: /, name);
    }
    const missing = await client.callTool({ name: 'wake', arguments: {} });
    assert.equal(missing.isError, true, 'wake without a session id must be refused');
  });

  it('logs returns the last lines of the daemon log', async () => {
    const logs = await call('logs');
    assert.equal(logs.isError, false, logs.text);
    const lines = logs.text.split('\n');
    assert.ok(lines.length >= 1);
    const messages = lines.map((line) => (JSON.parse(line) as { msg: string }).msg);
    assert.ok(messages.includes('daemon.started'), messages.join(', '));
    const two = await call('logs', { lines: 2 });
    assert.equal(two.text.split('\n').length, 2);
  });

  it('with the daemon stopped, a tool answers isError saying it is not reachable', async () => {
    assert.equal(await daemon.stop('SIGTERM'), 0, daemon.stderrTail());
    for (const name of ['status', 'pause']) {
      const result = await call(name);
      assert.equal(result.isError, true, result.text);
      assert.match(result.text, /daemon not reachable/);
    }
    const logs = await call('logs', { lines: 1 });
    assert.equal(logs.isError, false, 'logs reads the file, daemon or not');
    assert.match(logs.text, /daemon\.stopped/);
    assert.doesNotMatch(stderr, /tool failed/, stderr);
  });
});

describe('palingenesis mcp serve on stdout', () => {
  it('writes only JSON-RPC on stdout and exits 0 when stdin closes', async () => {
    const home = await createTempHome();
    const child = spawn(process.execPath, [CLI_PATH, 'mcp', 'serve'], {
      env: home.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    const timer = setTimeout(() => child.kill('SIGKILL'), 15_000);
    try {
      const send = (message: object): void => {
        child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', ...message })}\n`);
      };
      send({
        id: 1,
        method: 'initialize',
        params: {
          protocolVersion: '2025-06-18',
          capabilities: {},
          clientInfo: { name: 'raw', version: '0' },
        },
      });
      send({ method: 'notifications/initialized' });
      send({ id: 2, method: 'tools/list' });
      for (let i = 0; i < 100 && stdout.split('\n').length < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      child.stdin.end();
      const [code] = await exited;
      assert.equal(code, 0, stderr);
      const lines = stdout.trim().split('\n');
      assert.equal(lines.length, 2, stdout);
      for (const line of lines) {
        const message = z
          .object({ jsonrpc: z.literal('2.0'), id: z.number() })
          .parse(JSON.parse(line));
        assert.ok([1, 2].includes(message.id));
      }
    } finally {
      clearTimeout(timer);
      child.kill('SIGKILL');
      await home.remove();
    }
  });
});
