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

  it('JSON lines: judged by the last line that says anything', () => {
    const lines = [
      JSON.stringify({ type: 'user', text: 'please continue' }),
      JSON.stringify({ type: 'assistant', isApiErrorMessage: true, text: 'Prompt is too long' }),
      JSON.stringify({ type: 'system', note: 'nothing here' }),
    ].join('\n');
    assert.equal(classifyInput(lines, NOW, 'UTC').reason, 'context_exhausted');
    assert.equal(classifyInput('{"a":1}\n{"b":2}\n', NOW, 'UTC').reason, 'none');
  });
});
