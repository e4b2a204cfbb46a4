import assert from 'node:assert/strict';
import { createServer } from 'node:net';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { pino } from 'pino';
import { notificationsSection } from '../src/config/notifications-schema.js';
import type { DaemonEvent } from '../src/core/events.js';
import { systemClock, type Clock } from '../src/jobs/clock.js';
import type { DeliveryResult } from '../src/notify/channel-queue.js';
import { createNotifier, type Notifier } from '../src/notify/notifier.js';
import { jsonAnswer, startReceiver, type Receiver } from './helpers/notify-receiver.js';

/**
 * The notifier against loopback stand-ins of each service (test/helpers/notify-receiver.ts),
 * which check the real request formats. Waits are real but compressed: the clock records every
 * delay asked for and fires it after 1 ms.
 */
const AT = Date.parse('2026-11-27T22:00:00Z');
const SECRET = 'hmac-key-9f2c';
const BOT_TOKEN = '424242:bot-token-secret';
const NTFY_TOKEN = 'tk_ntfy_secret';

function quickClock(): Clock & { delays: number[] } {
  const delays: number[] = [];
  return {
    delays,
    now: () => Date.now(),
    setTimer(fn, delayMs) {
      delays.push(delayMs);
      const timer = setTimeout(fn, 1);
      return () => {
        clearTimeout(timer);
      };
    },
  };
}

function collectingLog(): { log: pino.Logger; text: () => string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'debug' }, stream), text: () => lines.join('') };
}

interface Harness {
  readonly notifier: Notifier;
  readonly clock: Clock & { delays: number[] };
  readonly results: [string, DeliveryResult][];
  readonly logText: () => string;
}

function harness(
  channels: Record<string, unknown>[],
  maxAttempts = 4,
  clock: Clock & { delays: number[] } = quickClock(),
): Harness {
  const results: [string, DeliveryResult][] = [];
  const { log, text } = collectingLog();
  const notifier = createNotifier({
    config: notificationsSection.parse({
      timezone: 'Europe/Paris',
      max_attempts: maxAttempts,
      timeout_seconds: 5,
      channels,
    }),
    clock,
    random: () => 0.5,
    log,
    host: 'testbox',
    version: '9.9.9',
    onResult: (channel, result) => results.push([channel, result]),
  });
  return { notifier, clock, results, logText: text };
}

const ref = { agent: 'claude-code', sessionId: 'sess-1' } as const;
const stopEvents: DaemonEvent[] = [
  {
    type: 'session.stopped',
    at: AT,
    ...ref,
    reason: 'rate_limit',
    detail: "You've hit your limit · resets 4am",
  },
  {
    type: 'decision.made',
    at: AT,
    ...ref,
    reason: 'rate_limit',
    action: 'resume_same',
    why: 'rate_limit: resets at 2026-11-28T03:00:00.000Z',
    dueAt: Date.parse('2026-11-28T03:00:30Z'),
    attempt: 1,
  },
];
const failed: DaemonEvent = {
  type: 'resume.failed',
  at: AT,
  ...ref,
  attempt: 1,
  errorType: 'not_verified',
  message: 'session did not become busy within 60s',
};

describe('notifications to loopback services', () => {
  const receivers: Record<string, Receiver> = {};
  let h: Harness;

  before(async () => {
    receivers['webhook'] = await startReceiver('webhook', { secret: SECRET });
    receivers['ntfy'] = await startReceiver('ntfy', { token: NTFY_TOKEN });
    receivers['discord'] = await startReceiver('discord');
    receivers['slack'] = await startReceiver('slack');
    receivers['telegram'] = await startReceiver('telegram', { botToken: BOT_TOKEN });
    h = harness([
      { name: 'hook', type: 'webhook', url: `${url('webhook')}/in`, secret: SECRET },
      { name: 'phone', type: 'ntfy', url: `${url('ntfy')}/alerts`, token: NTFY_TOKEN },
      { name: 'disc', type: 'discord', url: `${url('discord')}/api/webhooks/1/discord-token` },
      { name: 'team', type: 'slack', url: `${url('slack')}/services/T/B/slack-token` },
      {
        name: 'tg',
        type: 'telegram',
        bot_token: BOT_TOKEN,
        chat_id: -1001,
        api_base_url: url('telegram'),
      },
    ]);
  });
  after(async () => {
    await h.notifier.close(1000);
    await Promise.all(Object.values(receivers).map((r) => r.close()));
  });

  function url(kind: string): string {
    const receiver = receivers[kind];
    assert.ok(receiver !== undefined);
    return receiver.url;
  }
  function receiver(kind: string): Receiver {
    const r = receivers[kind];
    assert.ok(r !== undefined);
    return r;
  }

  it('a stop reaches every service in its own format, with the wake time in the zone', async () => {
    for (const event of stopEvents) h.notifier.handle(event);
    // The bus listener only queues: nothing has been sent when handle() returns.
    assert.equal(receiver('webhook').received.length, 0);
    const [hook] = await receiver('webhook').waitForDelivered(1);
    const [ntfy] = await receiver('ntfy').waitForDelivered(1);
    const [discord] = await receiver('discord').waitForDelivered(1);
    const [slack] = await receiver('slack').waitForDelivered(1);
    const [telegram] = await receiver('telegram').waitForDelivered(1);

    const json = hook?.json as Record<string, unknown>;
    assert.equal(json['event'], 'session.stopped');
    assert.equal(json['reason'], 'rate_limit');
    assert.equal(json['sessionId'], 'sess-1');
    assert.equal(json['wakeAt'], '2026-11-28T03:00:30.000Z');
    assert.equal(json['wakeAtLocal'], '2026-11-28T04:00:30+01:00');
    assert.equal(json['timezone'], 'Europe/Paris');
    assert.match(String(json['message']), /Resumes at 2026-11-28 04:00 Europe\/Paris \(in 5h\)/);
    assert.match(String(hook?.headers['x-palingenesis-signature']), /^sha256=[0-9a-f]{64}$/);

    assert.deepEqual((ntfy?.json as { topic: string }).topic, 'alerts');
    assert.match((discord?.json as { content: string }).content, /04:00 Europe\/Paris/);
    assert.match((slack?.json as { text: string }).text, /^\*claude-code stopped: rate limit\*/);
    const tg = telegram?.json as { chat_id: string; text: string; parse_mode: string };
    assert.equal(tg.chat_id, '-1001');
    assert.match(tg.text, /^<b>claude-code stopped: rate limit<\/b>\nSession sess-1/);
    for (const r of Object.values(receivers)) {
      assert.deepEqual(
        r.received.map((x) => x.problem),
        [undefined],
      );
    }
  });

  it('retries 500 and 429 (honouring Retry-After), then delivers once with the same id and body', async () => {
    const hook = receiver('webhook');
    const before = hook.received.length;
    const sentBefore = h.results.filter(([c, r]) => c === 'hook' && r === 'sent').length;
    hook.failNext({ status: 500 }, { status: 429, headers: { 'retry-after': '2' } });
    h.clock.delays.length = 0;
    h.notifier.handle(failed);
    await hook.waitForDelivered(2);
    const tries = hook.received.slice(before);
    assert.deepEqual(
      tries.map((t) => t.status),
      [500, 429, 200],
    );
    assert.equal(new Set(tries.map((t) => t.headers['x-palingenesis-delivery'])).size, 1);
    assert.equal(new Set(tries.map((t) => t.body)).size, 1);
    // 2 s backoff after the 500 (base 2 s, no jitter), then what Retry-After asked for.
    assert.deepEqual(h.clock.delays, [2000, 2000]);
    await waitUntil(
      () => h.results.filter(([c, r]) => c === 'hook' && r === 'sent').length > sentBefore,
    );
    assert.equal(h.results.filter(([c, r]) => c === 'hook' && r === 'sent').length, sentBefore + 1);
  });

  it('a duplicated event is sent once; so is an event seen again after delivery', async () => {
    const slack = receiver('slack');
    const before = slack.delivered().length;
    const event: DaemonEvent = {
      type: 'resume.gave_up',
      at: AT + 1,
      ...ref,
      reason: 'crash',
      why: 'x',
    };
    h.notifier.handle(event);
    h.notifier.handle({ ...event });
    await slack.waitForDelivered(before + 1);
    h.notifier.handle({ ...event });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert.equal(slack.delivered().length, before + 1);
  });
});

describe('filters, a failing channel, and the flush on stop', () => {
  it('each channel gets only its events; a dead channel retries on its own and is counted failed', async () => {
    const quiet = await startReceiver('discord');
    const busy = await startReceiver('webhook');
    const dead = await deadPort();
    const h = harness(
      [
        { name: 'dead', type: 'slack', url: `http://127.0.0.1:${dead}/services/x/dead-token` },
        { name: 'busy', type: 'webhook', url: `${busy.url}/h` },
        { name: 'quiet', type: 'discord', url: `${quiet.url}/w`, events: ['daemon.stopped'] },
      ],
      3,
    );
    try {
      h.notifier.handle(failed);
      h.notifier.handle({ type: 'daemon.stopped', at: AT + 2, uptimeSeconds: 60 });
      const got = await busy.waitForDelivered(2);
      assert.deepEqual(
        got.map((r) => (r.json as { event: string }).event),
        ['resume.failed', 'daemon.stopped'],
      );
      const [stopped] = await quiet.waitForDelivered(1);
      assert.match((stopped?.json as { content: string }).content, /palingenesis stopped/);
      await waitUntil(() => h.results.filter(([c]) => c === 'dead').length === 2);
      assert.deepEqual(
        h.results.filter(([c]) => c === 'dead').map(([, r]) => r),
        ['failed', 'failed'],
      );
      assert.equal(quiet.received.length, 1, 'filtered out: resume.failed');
      const log = h.logText();
      assert.match(
        log,
        /"channel":"dead","type":"slack".*"attempt":3.*"reason":"network error \(ECONNREFUSED\)"/,
      );
      assert.ok(!log.includes('dead-token') && !log.includes(String(dead)), log);
    } finally {
      await h.notifier.close(500);
      await Promise.all([quiet.close(), busy.close()]);
    }
  });

  it('close waits for the queue (bounded), then drops what is left; nothing is logged that holds a secret', async () => {
    const ok = await startReceiver('telegram', { botToken: BOT_TOKEN });
    const stuck = await startReceiver('ntfy', { token: NTFY_TOKEN });
    stuck.failAlways(
      jsonAnswer(503, { code: 50301, http: 503, error: 'unavailable' }, { 'retry-after': '30' }),
    );
    // Real waits here: the stuck channel is still waiting out its Retry-After when close ends.
    const h = harness(
      [
        { name: 'tg', type: 'telegram', bot_token: BOT_TOKEN, chat_id: 5, api_base_url: ok.url },
        { name: 'stuck', type: 'ntfy', url: `${stuck.url}/t`, token: NTFY_TOKEN },
      ],
      20,
      { ...systemClock, delays: [] },
    );
    try {
      h.notifier.handle({ type: 'daemon.stopped', at: AT, uptimeSeconds: 1 });
      const started = Date.now();
      await h.notifier.close(300);
      assert.ok(Date.now() - started < 3000, `close took ${Date.now() - started} ms`);
      assert.equal(ok.delivered().length, 1);
      assert.deepEqual(
        h.results.find(([c]) => c === 'stuck'),
        ['stuck', 'dropped'],
      );
      h.notifier.handle({ type: 'daemon.stopped', at: AT + 1, uptimeSeconds: 1 });
      await new Promise((resolve) => setTimeout(resolve, 100));
      assert.equal(ok.received.length, 1, 'nothing is queued after close');
      const log = h.logText();
      assert.match(log, /"channel":"stuck".*"status":503.*"reason":"HTTP 503 \(unavailable\)"/);
      for (const secret of [BOT_TOKEN, NTFY_TOKEN, ok.url, stuck.url]) {
        assert.ok(!log.includes(secret), secret);
      }
    } finally {
      await Promise.all([ok.close(), stuck.close()]);
    }
  });
});

describe('reconfigure (a reload)', () => {
  it('a changed channel keeps its queued messages for the new URL; a removed one is dropped', async () => {
    const old = await startReceiver('slack');
    const fixed = await startReceiver('slack');
    const gone = await startReceiver('discord');
    old.failAlways({ status: 503 });
    gone.failAlways({ status: 503 });
    const channels = (url: string) => [
      { name: 'team', type: 'slack', url: `${url}/s` },
      { name: 'gone', type: 'discord', url: `${gone.url}/w` },
    ];
    const h = harness(channels(old.url), 20, { ...systemClock, delays: [] });
    try {
      h.notifier.handle(failed);
      await waitUntil(() => old.received.length > 0 && gone.received.length > 0);
      h.notifier.reconfigure(
        notificationsSection.parse({ channels: channels(fixed.url).slice(0, 1), max_attempts: 20 }),
      );
      await waitUntil(() => h.results.length > 0);
      assert.deepEqual(h.results, [['gone', 'dropped']]);
      assert.deepEqual(h.notifier.channelNames(), ['team']);
      // The message waiting out its 2 s backoff goes to the new URL.
      const [moved] = await fixed.waitForDelivered(1, 10_000);
      assert.match((moved?.json as { text: string }).text, /resume attempt 1 failed/);
    } finally {
      await h.notifier.close(200);
      await Promise.all([old.close(), fixed.close(), gone.close()]);
    }
  });
});

/** A port nothing listens on (bound, then released). */
async function deadPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  assert.ok(address !== null && typeof address !== 'string');
  return address.port;
}

async function waitUntil(check: () => boolean, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
