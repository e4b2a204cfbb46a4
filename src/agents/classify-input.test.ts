import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { classifyInput } from './classify-input.js';

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
    const v = classifyInput(recordedError('rate-limit'), NOW, 'UTC');
    assert.equal(v.reason, 'rate_limit');
    assert.equal(v.source, 'retry-after-ms');
    assert.equal(v.waitSeconds, 0);
  });

  it('a real opencode abort and failed compaction', () => {
    assert.equal(classifyInput(recordedError('user-abort'), NOW, 'UTC').reason, 'user_exit');
    assert.equal(
      classifyInput(recordedError('context-overflow-unrecoverable'), NOW, 'UTC').reason,
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
      const v = classifyInput(input, NOW, 'UTC');
      assert.equal(v.reason, reason, JSON.stringify(v));
      assert.equal(v.resetAt, resetAt);
    });
  }

  it('JSON lines: judged by the last line about how a turn ended', () => {
    const limit = JSON.stringify(
      claudeError('rate_limit', 429, "You've hit your limit · resets 4am (UTC)"),
    );
    const tail = JSON.stringify({ type: 'system', subtype: 'turn_duration' });
    assert.equal(classifyInput([limit, tail].join('\n'), NOW, 'UTC').reason, 'rate_limit');
    const completed = JSON.stringify({
      type: 'result',
      subtype: 'success',
      is_error: false,
      terminal_reason: 'completed',
    });
    assert.equal(
      classifyInput([limit, completed, tail].join('\n'), NOW, 'UTC').reason,
      'completed',
    );
    const unanswered = JSON.stringify({
      type: 'user',
      message: { role: 'user', content: 'go on' },
    });
    const crash = classifyInput([limit, completed, unanswered].join('\n'), NOW, 'UTC');
    assert.equal(crash.reason, 'unknown');
    assert.match(crash.evidence, /unanswered prompt/);
    assert.equal(classifyInput('{"a":1}\n{"b":2}\n', NOW, 'UTC').reason, 'none');
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
      const v = classifyInput(JSON.stringify(value), NOW, 'UTC');
      assert.equal(v.reason, reason, JSON.stringify(v));
      assert.equal(v.resetAt, resetAt);
      assert.match(v.source, source);
    });
  }
});
