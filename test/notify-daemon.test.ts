import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startReceiver, type Receiver } from './helpers/notify-receiver.js';
import { runCli } from './helpers/run-cli.js';
import { spawnDaemon, type SpawnedDaemon } from './helpers/spawn-daemon.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';
import { promtoolCheckMetrics, requireTool } from './helpers/tools.js';

/**
 * The built daemon and CLI against loopback services: daemon start and stop, a rejected config,
 * a live reload adding a channel, `notify test`, and no secret in the log, the API or config show.
 */
const SECRET = 'whsec-0b9f51';
const HOOK_PATH = '/hooks/path-token-77ac';
const BOT_TOKEN = '777001:tg-secret-d41d';
const NTFY_TOKEN = 'tk_ntfy-e2e-5e3a';
const SECRETS = [SECRET, HOOK_PATH, BOT_TOKEN, NTFY_TOKEN, 'tg-secret', 'path-token'];

const BASE = '[http]\nport = 0\n\n[opencode]\nenabled = false\n\n[claude_code]\nenabled = false\n';

function channels(hook: Receiver, tg: Receiver): string {
  return `
[notifications]
timezone = "Asia/Tokyo"
max_attempts = 2

[[notifications.channels]]
name = "hook"
type = "webhook"
url = "${hook.url}${HOOK_PATH}"
secret = "${SECRET}"

[[notifications.channels]]
name = "tg"
type = "telegram"
bot_token = "${BOT_TOKEN}"
chat_id = 99
api_base_url = "${tg.url}"
events = ["daemon.started", "daemon.stopped"]
`;
}

function ntfyChannel(ntfy: Receiver): string {
  return `
[[notifications.channels]]
name = "phone"
type = "ntfy"
url = "${ntfy.url}/e2e-topic"
token = "${NTFY_TOKEN}"
`;
}

const eventsOf = (r: Receiver): string[] =>
  r.delivered().map((d) => (d.json as { event?: string }).event ?? '');

describe('notifications from the built daemon', () => {
  let hook: Receiver;
  let tg: Receiver;
  let ntfy: Receiver;
  let daemon: SpawnedDaemon | undefined;
  let exposition = '';

  before(async () => {
    hook = await startReceiver('webhook', { secret: SECRET });
    tg = await startReceiver('telegram', { botToken: BOT_TOKEN });
    ntfy = await startReceiver('ntfy', { token: NTFY_TOKEN });
  });
  after(async () => {
    await daemon?.stop('SIGKILL');
    await daemon?.home.remove();
    await Promise.all([hook.close(), tg.close(), ntfy.close()]);
  });

  it('start, a rejected config, a live reload, and stop reach the receivers; nothing leaks', async () => {
    const config = BASE + channels(hook, tg);
    daemon = await spawnDaemon(config);
    const d = daemon;
    const configPath = join(d.home.dir, 'config.toml');

    await hook.waitForDelivered(1);
    const [started] = await tg.waitForDelivered(1);
    assert.deepEqual(eventsOf(hook), ['daemon.started']);
    assert.match((started?.json as { text: string }).text, /^<b>palingenesis started<\/b>/);

    await writeFile(configPath, config.replace('port = 0', 'port = "not a number"'));
    d.child.kill('SIGHUP');
    const [, rejected] = await hook.waitForDelivered(2);
    const body = rejected?.json as { event: string; problems: string[]; message: string };
    assert.equal(body.event, 'config.rejected', d.stderrTail());
    assert.ok(
      body.problems.some((p) => p.includes('http')),
      JSON.stringify(body.problems),
    );
    assert.match(body.message, /last good one stays in force/);

    // Valid again, with a third channel: notifications apply live, no restart.
    await writeFile(configPath, config + ntfyChannel(ntfy));
    d.child.kill('SIGHUP');
    await waitUntil(async () => (await metrics(d)).includes('channel="phone"'), d);
    const text = await metrics(d);
    exposition = text;
    assert.match(text, /^palingenesis_notifications_total\{channel="hook",result="sent"\} [2-9]/m);
    assert.match(text, /^palingenesis_notifications_total\{channel="tg",result="sent"\} 1$/m);
    assert.match(text, /^palingenesis_notifications_total\{channel="tg",result="failed"\} 0$/m);
    assert.match(text, /^palingenesis_notifications_total\{channel="phone",result="dropped"\} 0$/m);

    const status = await (await d.api(`/api/v1/status`)).text();
    assert.equal(await d.stop('SIGTERM'), 0, d.stderrTail());
    // The stopping daemon flushes: daemon.stopped is out before it exits.
    assert.equal(eventsOf(hook).at(-1), 'daemon.stopped');
    assert.equal(tg.delivered().length, 2, 'tg filters out config.rejected');
    const [stopped] = ntfy.delivered();
    assert.equal((stopped?.json as { title: string }).title, 'palingenesis stopped');
    for (const r of [hook, tg, ntfy]) {
      assert.deepEqual(
        r.received.filter((x) => x.problem !== undefined),
        [],
      );
    }

    const log = await readFile(d.home.state.logFile, 'utf8');
    const audit = await readFile(d.home.state.auditFile, 'utf8');
    const shown = await runCli(['config', 'show', '--config', configPath], d.home.env);
    const json = await runCli(['config', 'show', '--json', '--config', configPath], d.home.env);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /\[\[notifications\.channels\]\]/);
    for (const [where, content] of Object.entries({ log, audit, status, text, shown, json })) {
      const all = typeof content === 'string' ? content : content.stdout + content.stderr;
      for (const secret of SECRETS) assert.ok(!all.includes(secret), `${secret} in ${where}`);
    }
    assert.match(audit, /"type":"daemon.started"/);
    assert.match(audit, /"type":"daemon.stopped"/);
  });

  it('the exposition with notification series passes `promtool check metrics`', (t) => {
    assert.match(exposition, /palingenesis_notifications_total\{channel="phone"/);
    const promtool = requireTool(t, 'promtool');
    if (promtool === undefined) return;
    const result = promtoolCheckMetrics(promtool, exposition);
    assert.equal(result.status, 0, result.output);
  });
});

describe('palingenesis notify test', () => {
  let home: TempHome;
  let hook: Receiver;
  let tg: Receiver;

  before(async () => {
    home = await createTempHome();
    hook = await startReceiver('webhook', { secret: SECRET });
    tg = await startReceiver('telegram', { botToken: BOT_TOKEN });
  });
  after(async () => {
    await Promise.all([hook.close(), tg.close(), home.remove()]);
  });

  const run = async (toml: string, ...args: string[]) => {
    const path = join(home.dir, 'notify.toml');
    await writeFile(path, toml);
    return runCli(['notify', 'test', ...args, '--config', path], home.env);
  };

  it('sends one test message per channel without a daemon: exit 0 when all went out', async () => {
    const result = await run(BASE + channels(hook, tg));
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, 'hook (webhook): sent\ntg (telegram): sent\n');
    const [message] = hook.delivered();
    assert.equal((message?.json as { event: string }).event, 'test');
    assert.match((tg.delivered()[0]?.json as { text: string }).text, /Channel "tg" works\./);
  });

  it('a failing channel: its line says why, the others still go; exit 1; CHANNEL picks one', async () => {
    hook.failNext({ status: 500, body: `echo ${SECRET}` });
    const result = await run(BASE + channels(hook, tg));
    assert.equal(result.code, 1, result.stderr);
    assert.equal(
      result.stdout,
      'hook (webhook): FAILED: HTTP 500 (the daemon would retry this)\ntg (telegram): sent\n',
    );
    const one = await run(BASE + channels(hook, tg), 'tg');
    assert.equal(one.code, 0, one.stderr);
    assert.equal(one.stdout, 'tg (telegram): sent\n');
    for (const secret of SECRETS) assert.ok(!(result.stdout + result.stderr).includes(secret));
  });

  it('an unknown channel, or none configured, is a clear error with exit 1', async () => {
    const unknown = await run(BASE + channels(hook, tg), 'pager');
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /no notification channel named "pager" .*; configured: hook, tg/);
    const none = await run(BASE);
    assert.equal(none.code, 1);
    assert.match(none.stderr, /no notification channels are configured in .*notify\.toml/);
    const help = await runCli(['notify', 'test', '--help'], home.env);
    assert.match(help.stdout, /Usage: palingenesis notify test \[options\] \[channel\]/);
    assert.match(help.stdout, /no daemon needed/);
  });
});

async function metrics(d: SpawnedDaemon): Promise<string> {
  return (await fetch(`${d.url}/api/v1/metrics`)).text();
}

async function waitUntil(check: () => Promise<boolean>, d: SpawnedDaemon): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out\n${d.stderrTail()}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
