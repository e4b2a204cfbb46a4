import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from './classify.js';
import type { AgentErrorEvidence, StopEvidence, StopReasonKind } from './stop-reason.js';

const NOW = Date.parse('2026-11-27T22:00:00Z');

function failed(error: AgentErrorEvidence): StopEvidence {
  return { agent: 'opencode', lastAssistant: { completed: true, finish: 'error', error } };
}

describe('classify', () => {
  const table: [string, StopEvidence, StopReasonKind, number | undefined][] = [
    ['no assistant message', { agent: 'opencode' }, 'unknown', undefined],
    [
      'a completed turn',
      { agent: 'opencode', lastAssistant: { completed: true, finish: 'stop' } },
      'completed',
      undefined,
    ],
    [
      'user abort',
      failed({ name: 'MessageAbortedError', message: 'The operation was aborted.' }),
      'user_exit',
      undefined,
    ],
    [
      '429 after opencode gave up, retry-after seconds',
      failed({
        name: 'APIError',
        message: 'Rate limit exceeded',
        statusCode: 429,
        isRetryable: true,
        headers: { 'retry-after': '120' },
      }),
      'rate_limit',
      NOW + 120_000,
    ],
    [
      '429 with retry-after-ms wins over retry-after',
      failed({
        name: 'APIError',
        statusCode: 429,
        headers: { 'retry-after-ms': '1500', 'retry-after': '99' },
      }),
      'rate_limit',
      NOW + 1500,
    ],
    [
      'no reset header: the wait written in the message',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: 'Rate limit reached for requests. Please try again in 20s.',
      }),
      'rate_limit',
      NOW + 20_000,
    ],
    [
      'a header wins over the message',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: 'Please try again in 20s.',
        headers: { 'retry-after': '5' },
      }),
      'rate_limit',
      NOW + 5000,
    ],
    [
      'Claude Code banner with its zone, nothing structured',
      failed({
        name: 'APIError',
        message: "You've hit your limit · resets 2:45pm (Europe/Madrid)",
      }),
      'rate_limit',
      Date.parse('2026-11-28T13:45:00Z'),
    ],
    [
      'weekly banner with a date: next year, not tomorrow',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: "You've hit your weekly limit · resets Mar 2, 8am (Asia/Tokyo)",
      }),
      'rate_limit',
      Date.parse('2027-03-01T23:00:00Z'),
    ],
    [
      'Codex body: resets_at in the body wins over prose in the message',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: "You've hit your usage limit. Try again in 5 minutes.",
        body: `{"error":{"type":"usage_limit_reached","resets_at":${NOW / 1000 + 7200}}}`,
      }),
      'rate_limit',
      NOW + 7_200_000,
    ],
    [
      'legacy Claude Code banner',
      failed({ name: 'Error', message: `Claude AI usage limit reached|${NOW / 1000 + 3600}` }),
      'rate_limit',
      NOW + 3_600_000,
    ],
    [
      'a header wins over a banner',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: "You've hit your limit · resets 2:45pm (Europe/Madrid)",
        headers: { 'retry-after': '60' },
      }),
      'rate_limit',
      NOW + 60_000,
    ],
    [
      'a stop whose time cannot be read safely: no reset, the caller backs off',
      failed({ name: 'APIError', message: "You've hit your weekly limit · resets 8am on Mar 2" }),
      'rate_limit',
      undefined,
    ],
    [
      'Gemini quota wording without a status code',
      failed({ name: 'Error', message: 'You have exhausted your daily quota on this model.' }),
      'rate_limit',
      undefined,
    ],
    [
      '429 with no reset information',
      failed({ name: 'APIError', statusCode: 429, message: 'Too Many Requests' }),
      'rate_limit',
      undefined,
    ],
    [
      'rate limit recognised from the body when the status is missing',
      failed({ name: 'APIError', body: '{"error":{"type":"rate_limit_error"}}' }),
      'rate_limit',
      undefined,
    ],
    [
      'failed compaction',
      failed({
        name: 'ContextOverflowError',
        message: 'Conversation history too large to compact',
      }),
      'context_exhausted',
      undefined,
    ],
    [
      'context length in a provider error',
      failed({
        name: 'APIError',
        statusCode: 400,
        message: "This model's maximum context length is 8192 tokens",
      }),
      'context_exhausted',
      undefined,
    ],
    [
      '529 overloaded',
      failed({ name: 'APIError', statusCode: 529, message: 'Overloaded' }),
      'overloaded',
      undefined,
    ],
    [
      '503 with retry-after',
      failed({ name: 'APIError', statusCode: 503, headers: { 'retry-after': '30' } }),
      'overloaded',
      NOW + 30_000,
    ],
    [
      'an authentication error is not resumable',
      failed({ name: 'ProviderAuthError', message: 'invalid api key', statusCode: 401 }),
      'unknown',
      undefined,
    ],
    [
      'agent died mid-turn',
      { agent: 'opencode', lastAssistant: { completed: false }, agentRestarted: true },
      'crash',
      undefined,
    ],
    [
      'unfinished message without a restart is not a crash',
      { agent: 'opencode', lastAssistant: { completed: false } },
      'unknown',
      undefined,
    ],
  ];
  for (const [name, evidence, reason, resetAt] of table) {
    it(name, () => {
      const stop = classify(evidence, NOW);
      assert.equal(stop.reason, reason, stop.detail);
      assert.equal(stop.resetAt, resetAt);
      assert.equal(stop.evidence, evidence, 'evidence is kept');
    });
  }

  it('reads a wall time without a zone in the given zone, and says where the reset came from', () => {
    const evidence = failed({ name: 'APIError', message: '5-hour limit reached ∙ resets 6am' });
    const tokyo = classify(evidence, NOW, 'Asia/Tokyo');
    assert.equal(tokyo.resetAt, Date.parse('2026-11-28T21:00:00Z'));
    assert.equal(tokyo.resetSource, 'message:clock-time');
    const denver = classify(evidence, NOW, 'America/Denver');
    assert.equal(denver.resetAt, Date.parse('2026-11-28T13:00:00Z'));
  });

  it('the zone defaults to the system zone', () => {
    const evidence = failed({ name: 'APIError', message: '5-hour limit reached ∙ resets 6am' });
    const system = Intl.DateTimeFormat().resolvedOptions().timeZone;
    assert.equal(classify(evidence, NOW).resetAt, classify(evidence, NOW, system).resetAt);
  });

  it('names the form a text reset was read from', () => {
    const sources: [AgentErrorEvidence, string][] = [
      [
        { name: 'APIError', statusCode: 429, message: 'Please try again in 20s.' },
        'message:relative',
      ],
      [
        { name: 'APIError', message: 'Claude AI usage limit reached|1795820400' },
        'message:legacy-epoch',
      ],
      [{ name: 'APIError', statusCode: 429, headers: { 'retry-after': '5' } }, 'retry-after'],
    ];
    for (const [error, source] of sources)
      assert.equal(classify(failed(error), NOW).resetSource, source);
  });
});
