import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classifyInput } from './classify-input.js';
import { recordReaders } from './record-readers.js';

const READERS = (await recordReaders('auto')) ?? [];

const NOW = Date.parse('2026-11-27T22:00:00Z');

/** Real frames recorded from opencode 1.18.33 (test/fixtures/opencode). */
function recordedError(scenario: string): string {
  const fixture = JSON.parse(
    readFileSync(new URL(`../../test/fixtures/opencode/${scenario}.json`, import.meta.url), 'utf8'),
  ) as { phases: { events: { payload?: { type?: string } }[] }[] };
  const frame = fixture.phases
    .flatMap((p) => p.events)
    .filter((e) => e.payload?.type === 'session.error')
    .at(-1);
  assert.ok(frame, `no session.error in ${scenario}`);
  return JSON.stringify(frame);
}

describe('classifyInput', () => {
  it('a real opencode 429 event: rate limit, reset from its retry-after-ms header', () => {
    const v = classifyInput(recordedError('rate-limit'), NOW, 'UTC', READERS);
    assert.equal(v.reason, 'rate_limit');
    assert.equal(v.source, 'opencode:error:retry-after-ms');
    assert.equal(v.waitSeconds, 0);
  });

  it('a real opencode abort and failed compaction', () => {
    assert.equal(
      classifyInput(recordedError('user-abort'), NOW, 'UTC', READERS).reason,
      'user_exit',
    );
    assert.equal(
      classifyInput(recordedError('context-overflow-unrecoverable'), NOW, 'UTC', READERS).reason,
      'context_exhausted',
    );
  });

  const table: [string, string, string, string | null][] = [
    [
      'a Claude banner, zone in the message',
      "You've hit your limit · resets 4am (Europe/Madrid)",
      'rate_limit',
      '2026-11-28T03:00:00.000Z',
    ],
    [
      'a banner without zone uses --tz',
      '5-hour limit reached ∙ resets 6am',
      'rate_limit',
      '2026-11-28T06:00:00.000Z',
    ],
    ['a warning is not a stop', "You've used 90% of your session limit · resets 4am", 'none', null],
    [
      'ordinary text mentioning 429 is not a stop',
      'I fixed the HTTP 429 handler in rate_limit.py',
      'none',
      null,
    ],
    [
      'an API error body',
      '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
      'overloaded',
      null,
    ],
    [
      'a Codex body with resets_in_seconds',
      '{"error":{"type":"usage_limit_reached","resets_in_seconds":120}}',
      'rate_limit',
      '2026-11-27T22:02:00.000Z',
    ],
    [
      'an auth failure',
      '{"error":"authentication_failed","message":"Invalid API key"}',
      'auth_error',
      null,
    ],
  ];
  for (const [name, input, reason, resetAt] of table) {
    it(name, () => {
      const v = classifyInput(input, NOW, 'UTC', READERS);
      assert.equal(v.reason, reason, JSON.stringify(v));
      assert.equal(v.resetAt, resetAt);
    });
  }

  it('JSON lines: judged by the last line about how a turn ended', () => {
    const limit = JSON.stringify(
      claudeError('rate_limit', 429, "You've hit your limit · resets 4am (UTC)"),
    );
    const tail = JSON.stringify({ type: 'system', subtype: 'turn_duration' });
    assert.equal(classifyInput([limit, tail].join('\n'), NOW, 'UTC', READERS).reason, 'rate_limit');
    const completed = JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      terminal_reason: 'completed',
    });
    assert.equal(
      classifyInput([limit, completed, tail].join('\n'), NOW, 'UTC', READERS).reason,
      'completed',
    );
    const unanswered = JSON.stringify({
      type: 'user',
      message: { role: 'user', content: 'go on' },
    });
    const crash = classifyInput([limit, completed, unanswered].join('\n'), NOW, 'UTC', READERS);
    assert.equal(crash.reason, 'unknown');
    assert.match(crash.evidence, /unanswered prompt/);
    assert.equal(classifyInput('{"a":1}\n{"b":2}\n', NOW, 'UTC', READERS).reason, 'none');
  });
});

/** A synthetic API-error transcript line as Claude Code 2.1 writes it (shared/notes/agents.md). */
function claudeError(
  error: string,
  status: number,
  text: string,
  resetsAt?: number,
): Record<string, unknown> {
  return {
    type: 'assistant',
    isApiErrorMessage: true,
    error,
    apiErrorStatus: status,
    ...(resetsAt === undefined
      ? {}
      : { apiError: 'usage_limit_reached', apiErrorParams: { rate_limit_info: { resetsAt } } }),
    message: { model: '<synthetic>', role: 'assistant', content: [{ type: 'text', text }] },
  };
}

describe('Claude Code records', () => {
  const epoch = Date.parse('2026-11-28T03:00:00Z') / 1000;
  const table: [string, unknown, string, string | null, RegExp][] = [
    [
      'transcript: plan limit with resetsAt (wins over the banner)',
      claudeError('rate_limit', 429, "You've hit your limit · resets 9am (UTC)", epoch),
      'rate_limit',
      '2026-11-28T03:00:00.000Z',
      /resetsAt$/,
    ],
    [
      'transcript: banner only',
      claudeError('rate_limit', 429, "You've hit your limit · resets 4am (UTC)"),
      'rate_limit',
      '2026-11-28T04:00:00.000Z',
      /clock-time/,
    ],
    [
      'transcript: prompt too long',
      claudeError('invalid_request', 400, 'Prompt is too long'),
      'context_exhausted',
      null,
      /transcript/,
    ],
    [
      'stream-json: API 429',
      {
        type: 'result',
        subtype: 'success',
        is_error: true,
        terminal_reason: 'api_error',
        api_error_status: 429,
        result: 'API Error: Request rejected (429)',
      },
      'rate_limit',
      null,
      /stream-json/,
    ],
    [
      'stream-json: prompt_too_long',
      { type: 'result', subtype: 'success', is_error: true, terminal_reason: 'prompt_too_long' },
      'context_exhausted',
      null,
      /stream-json/,
    ],
    [
      'stream-json: completed',
      { type: 'result', subtype: 'success', is_error: false, terminal_reason: 'completed' },
      'completed',
      null,
      /stream-json/,
    ],
    [
      'stream-json: rate_limit_event rejected',
      {
        type: 'rate_limit_event',
        rate_limit_info: { status: 'rejected', resetsAt: epoch, rateLimitType: 'five_hour' },
      },
      'rate_limit',
      '2026-11-28T03:00:00.000Z',
      /rate_limit_event/,
    ],
    [
      'stream-json: rate_limit_event warning',
      { type: 'rate_limit_event', rate_limit_info: { status: 'allowed_warning' } },
      'none',
      null,
      /rate_limit_event/,
    ],
    [
      'hook: StopFailure overloaded',
      {
        hook_event_name: 'StopFailure',
        session_id: 's',
        error: 'overloaded',
        error_details: '529 Overloaded',
      },
      'overloaded',
      null,
      /StopFailure/,
    ],
    [
      'hook: StopFailure authentication_failed',
      { hook_event_name: 'StopFailure', session_id: 's', error: 'authentication_failed' },
      'auth_error',
      null,
      /StopFailure/,
    ],
    [
      'hook: SessionEnd',
      { hook_event_name: 'SessionEnd', session_id: 's', reason: 'prompt_input_exit' },
      'user_exit',
      null,
      /SessionEnd/,
    ],
    ['hook: Stop', { hook_event_name: 'Stop', session_id: 's' }, 'completed', null, /hook:Stop/],
  ];
  for (const [name, value, reason, resetAt, source] of table) {
    it(name, () => {
      const v = classifyInput(JSON.stringify(value), NOW, 'UTC', READERS);
      assert.equal(v.reason, reason, JSON.stringify(v));
      assert.equal(v.resetAt, resetAt);
      assert.match(v.source, source);
    });
  }
});

describe('classifyInput: deep JSON is judged on what is readable, never a stack overflow', () => {
  const deep: [string, string, string][] = [
    ['5,000 nested arrays', `${'['.repeat(5000)}${']'.repeat(5000)}`, 'none'],
    ['5,000 nested objects', `${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`, 'none'],
    [
      'a limit message at the bottom of 5,000 objects',
      `${'{"a":'.repeat(5000)}"usage limit reached · try again in 20s"${'}'.repeat(5000)}`,
      'rate_limit',
    ],
    [
      'JSON lines of deep values',
      [
        `${'['.repeat(5000)}${']'.repeat(5000)}`,
        `{"error":"Overloaded"${',"x":['.repeat(1)}${'['.repeat(5000)}${']'.repeat(5001)}}`,
      ].join('\n'),
      'overloaded',
    ],
  ];
  for (const [name, input, reason] of deep) {
    it(name, () => {
      assert.equal(classifyInput(input, NOW, 'UTC', READERS).reason, reason);
    });
  }

  it('an error object nested a million deep', () => {
    const input = `${'{"a":'.repeat(1_000_000)}{"name":"APIError","data":{"statusCode":429}}${'}'.repeat(1_000_000)}`;
    // Deeper than an agent wraps its error (depth 6), so it is read as text.
    assert.equal(classifyInput(input, NOW, 'UTC', READERS).reason, 'none');
  });
});

describe('classifyInput: a reset stated too far away is clamped and says so', () => {
  const clamped = '2026-12-28T22:00:00.000Z';
  const note =
    /; reset [\d,]+ days away clamped to the 31-day maximum$|; reset more than 10\^15 days away clamped to the 31-day maximum$/;
  const table: [string, unknown][] = [
    ['plain text', 'Rate limit exceeded, try again in 9999999999999m'],
    [
      'a StopFailure hook payload',
      {
        hook_event_name: 'StopFailure',
        session_id: 's',
        error: 'rate_limit',
        error_details: 'try again in 9999999999999m',
      },
    ],
    ['a transcript line', claudeError('rate_limit', 429, 'API Error: try again in 9999999999999m')],
    [
      'a transcript line with a resetsAt past the calendar',
      claudeError('rate_limit', 429, "You've hit your limit", 1e300),
    ],
    [
      'a rate_limit_event with a 20-digit resetsAt',
      '{"type":"rate_limit_event","rate_limit_info":{"status":"rejected","resetsAt":99999999999999999999}}',
    ],
    [
      'an opencode error with retry-after 1e300',
      {
        type: 'session.error',
        properties: {
          error: {
            name: 'APIError',
            data: {
              message: 'Rate limited',
              statusCode: 429,
              responseHeaders: { 'retry-after': '1e300' },
            },
          },
        },
      },
    ],
    ['an API error body', '{"error":{"type":"usage_limit_reached","resets_in_seconds":1e400}}'],
  ];
  for (const [name, value] of table) {
    it(name, () => {
      const input = typeof value === 'string' ? value : JSON.stringify(value);
      const v = classifyInput(input, NOW, 'UTC', READERS);
      assert.equal(v.reason, 'rate_limit', JSON.stringify(v));
      assert.equal(v.resetAt, clamped);
      assert.equal(v.waitSeconds, 31 * 86_400);
      assert.match(v.evidence, note);
    });
  }

  it('the exact wording', () => {
    const v = classifyInput(
      'Rate limit exceeded, try again in 9999999999999m',
      NOW,
      'UTC',
      READERS,
    );
    assert.equal(
      v.evidence,
      'try again in 9999999999999m; reset 6,944,444,444 days away clamped to the 31-day maximum',
    );
  });
});

describe('classifyInput: long and repetitive input stays fast', () => {
  // Sanity bounds only; before the fix 200 KB of banners took 1–3 s.
  it('200 KB of a repeated banner, as text and as JSON lines', () => {
    const banner = "You've hit your limit · resets 8am";
    const text = `${banner}\n`.repeat(Math.ceil(200_000 / (banner.length + 1)));
    const lines = Array.from({ length: 2000 }, () =>
      JSON.stringify(claudeError('rate_limit', 429, text.slice(0, 100))),
    );
    for (const input of [text, lines.join('\n')]) {
      const started = performance.now();
      const v = classifyInput(input, NOW, 'UTC', READERS);
      const ms = performance.now() - started;
      assert.equal(v.reason, 'rate_limit');
      assert.equal(v.resetAt, '2026-11-28T08:00:00.000Z');
      assert.ok(ms < 250, `${ms.toFixed(0)} ms`);
    }
  });
});
