import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import { notificationsSection, type Channel } from '../../config/notifications-schema.js';
import { renderMessage } from '../message.js';
import type { Notification } from '../notification.js';
import type { HttpReply } from '../outcome.js';
import { safeHint } from '../outcome.js';
import type { Envelope } from './envelope.js';
import { formatFor } from './index.js';
import { splitTopicUrl } from './ntfy.js';

const NOW = Date.parse('2026-11-27T22:00:00Z');
const n: Notification = {
  event: 'session.stopped',
  at: NOW,
  key: 'k',
  agent: 'claude-code',
  sessionId: 'a_b*c',
  reason: 'rate_limit',
  detail: 'limit <reached> & @everyone',
  action: 'resume_same',
  wakeAt: NOW + 3_600_000,
  attempt: 1,
};
const envelope: Envelope = {
  notification: n,
  message: renderMessage(n, { zone: 'UTC', host: 'box' }),
  id: '0123456789abcdef0123456789abcdef',
  zone: 'UTC',
  host: 'box',
  version: '9.9.9',
};

function channel(fields: Record<string, unknown>): Channel {
  const [parsed] = notificationsSection.parse({ channels: [{ name: 'c', ...fields }] }).channels;
  assert.ok(parsed !== undefined);
  return parsed;
}

function body(c: Channel): Record<string, unknown> {
  return JSON.parse(formatFor(c, envelope).request.body) as Record<string, unknown>;
}

describe('channel requests', () => {
  it('webhook: our JSON, delivery and event headers, HMAC-SHA256 of the exact body', () => {
    const { request } = formatFor(
      channel({ type: 'webhook', url: 'https://x.example/h', secret: 's3cret' }),
      envelope,
    );
    assert.equal(request.url, 'https://x.example/h');
    assert.equal(request.headers['x-palingenesis-delivery'], envelope.id);
    assert.equal(request.headers['x-palingenesis-event'], 'session.stopped');
    const mac = createHmac('sha256', 's3cret').update(request.body).digest('hex');
    assert.equal(request.headers['x-palingenesis-signature'], `sha256=${mac}`);
    const json = JSON.parse(request.body) as Record<string, unknown>;
    assert.equal(json['wakeAt'], '2026-11-27T23:00:00.000Z');
    assert.equal(json['wakeAtLocal'], '2026-11-27T23:00:00Z');
    assert.equal(json['reason'], 'rate_limit');
    assert.equal(json['id'], envelope.id);
    const unsigned = formatFor(channel({ type: 'webhook', url: 'https://x.example/h' }), envelope);
    assert.equal(unsigned.request.headers['x-palingenesis-signature'], undefined);
  });

  it('ntfy: JSON to the server root with the topic inside; bearer token; priority by severity', () => {
    const c = channel({ type: 'ntfy', url: 'https://ntfy.example/base/alerts', token: 'tk_x' });
    const { request } = formatFor(c, envelope);
    assert.equal(request.url, 'https://ntfy.example/base/');
    assert.equal(request.headers['authorization'], 'Bearer tk_x');
    assert.deepEqual(body(c), {
      topic: 'alerts',
      title: 'claude-code stopped: rate limit',
      message: envelope.message.text,
      priority: 3,
      tags: ['warning', 'session.stopped'],
    });
    assert.equal(body(channel({ type: 'ntfy', url: 'mytopic', priority: 5 }))['priority'], 5);
    assert.deepEqual(splitTopicUrl('mytopic'), { server: 'https://ntfy.sh', topic: 'mytopic' });
    assert.deepEqual(splitTopicUrl('http://127.0.0.1:1/t'), {
      server: 'http://127.0.0.1:1',
      topic: 't',
    });
  });

  it('discord: {content} with markdown escaped, and no mentions allowed', () => {
    const json = body(
      channel({ type: 'discord', url: 'https://discord.example/api/webhooks/1/t' }),
    );
    assert.deepEqual(json['allowed_mentions'], { parse: [] });
    assert.match(
      String(json['content']),
      /^\*\*claude-code stopped: rate limit\*\*\nSession a\\_b\\\*c/,
    );
  });

  it('slack: {text} in mrkdwn with &, < and > escaped', () => {
    const json = body(channel({ type: 'slack', url: 'https://hooks.example/services/x' }));
    assert.match(String(json['text']), /^\*claude-code stopped: rate limit\*\n/);
    assert.match(String(json['text']), /limit &lt;reached&gt; &amp; @everyone/);
  });

  it('telegram: POST {base}/bot<token>/sendMessage with chat_id, HTML text, parse_mode', () => {
    const c = channel({
      type: 'telegram',
      bot_token: '123:ABC',
      chat_id: -100,
      api_base_url: 'http://127.0.0.1:9/',
    });
    const { request } = formatFor(c, envelope);
    assert.equal(request.url, 'http://127.0.0.1:9/bot123:ABC/sendMessage');
    const json = body(c);
    assert.equal(json['chat_id'], '-100');
    assert.equal(json['parse_mode'], 'HTML');
    assert.match(String(json['text']), /^<b>claude-code stopped: rate limit<\/b>\n/);
    assert.match(String(json['text']), /limit &lt;reached&gt; &amp;/);
  });
});

describe('reading the answer', () => {
  const reply = (status: number, text = '', headers: Record<string, string> = {}): HttpReply => ({
    status,
    headers,
    body: text,
  });
  const hook = channel({ type: 'webhook', url: 'https://x.example/h' });
  const outcome = (c: Channel, r: HttpReply) => formatFor(c, envelope).outcome(r, NOW);

  it('2xx delivered; 5xx, 408 and 429 retried with Retry-After; other 4xx and 3xx failed', () => {
    assert.deepEqual(outcome(hook, reply(204)), { kind: 'ok' });
    assert.deepEqual(outcome(hook, reply(503)), {
      kind: 'retry',
      reason: 'HTTP 503',
      status: 503,
      retryAfterMs: undefined,
    });
    assert.equal(outcome(hook, reply(429, '', { 'retry-after': '7' })).kind, 'retry');
    const limited = outcome(hook, reply(429, '', { 'retry-after': '7' }));
    assert.ok(limited.kind === 'retry' && limited.retryAfterMs === 7000);
    const dated = outcome(
      hook,
      reply(503, '', { 'retry-after': new Date(NOW + 30_000).toUTCString() }),
    );
    assert.ok(dated.kind === 'retry' && dated.retryAfterMs === 30_000);
    assert.equal(outcome(hook, reply(408)).kind, 'retry');
    assert.deepEqual(outcome(hook, reply(404, 'secret echo')), {
      kind: 'fail',
      reason: 'HTTP 404',
      status: 404,
    });
    assert.equal(outcome(hook, reply(302)).kind, 'fail');
  });

  it('vendor answers: Slack codes, Discord retry_after, Telegram ok and retry_after', () => {
    const slack = channel({ type: 'slack', url: 'https://hooks.example/s' });
    assert.deepEqual(outcome(slack, reply(404, 'no_service')), {
      kind: 'fail',
      reason: 'HTTP 404 (no_service)',
      status: 404,
    });
    const discord = channel({ type: 'discord', url: 'https://discord.example/w' });
    const limited = outcome(
      discord,
      reply(429, '{"message":"You are being rate limited.","retry_after":1.5}'),
    );
    assert.ok(limited.kind === 'retry' && limited.retryAfterMs === 1500, JSON.stringify(limited));
    const tg = channel({ type: 'telegram', bot_token: '1:A', chat_id: 1 });
    assert.deepEqual(outcome(tg, reply(200, '{"ok":true,"result":{}}')), { kind: 'ok' });
    assert.equal(outcome(tg, reply(200, '{"ok":false}')).kind, 'fail');
    const flood = outcome(
      tg,
      reply(
        429,
        '{"ok":false,"error_code":429,"description":"Too Many Requests: retry after 3","parameters":{"retry_after":3}}',
      ),
    );
    assert.ok(flood.kind === 'retry' && flood.retryAfterMs === 3000, JSON.stringify(flood));
    assert.deepEqual(
      outcome(
        tg,
        reply(400, '{"ok":false,"error_code":400,"description":"Bad Request: chat not found"}'),
      ),
      { kind: 'fail', reason: 'HTTP 400 (Bad Request: chat not found)', status: 400 },
    );
  });

  it('a hint that could carry a secret (digits, URLs, long text) is never kept', () => {
    assert.equal(safeHint('Unauthorized'), 'Unauthorized');
    assert.equal(safeHint('bot123:ABC not found'), undefined);
    assert.equal(safeHint('see https://x/y'), undefined);
    assert.equal(safeHint('a'.repeat(81)), undefined);
    assert.equal(safeHint(42), undefined);
  });
});
