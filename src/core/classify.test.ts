import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classify } from './classify.js';
import { MAX_WAIT_MS } from './max-wait.js';
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
      "the agent's own verdict (an abort) is trusted",
      failed({ name: 'Aborted', message: 'The operation was aborted.', kind: 'user_exit' }),
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
      'weekly banner with a date: next year, not tomorrow (so clamped to the maximum wait)',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: "You've hit your weekly limit · resets Mar 2, 8am (Asia/Tokyo)",
      }),
      'rate_limit',
      NOW + MAX_WAIT_MS,
    ],
    [
      'weekly banner with a date within the maximum wait',
      failed({
        name: 'APIError',
        statusCode: 429,
        message: "You've hit your weekly limit · resets Dec 2, 8am (Asia/Tokyo)",
      }),
      'rate_limit',
      Date.parse('2026-12-01T23:00:00Z'),
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
      'auth_error',
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

describe('classify: stated resets are bounded by MAX_WAIT_MS', () => {
  const clamped =
    /; reset [\d,.]+ days away clamped to the 31-day maximum$|; reset more than 10\^15 days away clamped to the 31-day maximum$/;
  // [case, error, reset source]: each once made `new Date(resetAt).toISOString()` throw.
  const table: [string, AgentErrorEvidence, string][] = [
    [
      'try again in 9999999999999m',
      { name: 'APIError', statusCode: 429, message: 'Rate limited. Try again in 9999999999999m.' },
      'message:relative',
    ],
    [
      'a StopFailure hook text (Claude Code says rate_limit)',
      { name: 'ClaudeCode:rate_limit', kind: 'rate_limit', message: 'try again in 9999999999999m' },
      'message:relative',
    ],
    [
      'a 400-digit retry in seconds',
      { name: 'APIError', statusCode: 429, message: `retry in ${'9'.repeat(400)}s` },
      'message:relative',
    ],
    [
      'resets_at with 26 digits in a body',
      {
        name: 'APIError',
        statusCode: 429,
        body: '{"error":{"resets_at":99999999999999999999999999}}',
      },
      'message:resets_at',
    ],
    [
      'retry-after 1e300',
      { name: 'APIError', statusCode: 429, headers: { 'retry-after': '1e300' } },
      'retry-after',
    ],
    [
      'retry-after-ms 1e400 (Infinity)',
      { name: 'APIError', statusCode: 429, headers: { 'retry-after-ms': '1e400' } },
      'retry-after-ms',
    ],
    [
      'x-ratelimit-reset with 20 digits',
      {
        name: 'APIError',
        statusCode: 429,
        headers: { 'x-ratelimit-reset': '99999999999999999999' },
      },
      'x-ratelimit-reset',
    ],
    [
      'anthropic unified reset with 20 digits',
      {
        name: 'APIError',
        statusCode: 429,
        headers: { 'anthropic-ratelimit-unified-reset': '99999999999999999999' },
      },
      'anthropic-ratelimit-unified-reset',
    ],
    [
      'OpenAI duration of 10^20 hours',
      {
        name: 'APIError',
        statusCode: 429,
        headers: { 'x-ratelimit-reset-tokens': `1${'0'.repeat(20)}h` },
      },
      'x-ratelimit-reset-tokens',
    ],
    [
      'a structured resetsAt of Infinity',
      { name: 'ClaudeCode:rate_limit', kind: 'rate_limit', resetAt: Infinity },
      'resetsAt',
    ],
    [
      'a structured resetsAt past the calendar',
      { name: 'ClaudeCode:rate_limit', kind: 'rate_limit', resetAt: 1e303 },
      'resetsAt',
    ],
    [
      'a legacy epoch in the year 2286',
      { name: 'APIError', message: 'Claude AI usage limit reached|9999999999999' },
      'message:legacy-epoch',
    ],
  ];
  for (const [name, error, source] of table) {
    it(name, () => {
      const stop = classify(failed(error), NOW, 'UTC');
      assert.equal(stop.reason, 'rate_limit');
      assert.equal(stop.resetAt, NOW + MAX_WAIT_MS);
      assert.equal(stop.resetSource, source);
      assert.match(stop.detail, clamped);
      assert.equal(stop.detail.endsWith(`; ${stop.clampNote ?? 'missing'}`), true);
      assert.doesNotThrow(() => new Date(stop.resetAt ?? NaN).toISOString());
    });
  }

  it('the detail says how far the stated reset was', () => {
    const stop = classify(
      failed({ name: 'APIError', statusCode: 429, message: 'try again in 9999999999999m' }),
      NOW,
      'UTC',
    );
    assert.equal(
      stop.detail,
      'APIError 429: try again in 9999999999999m; reset 6,944,444,444 days away clamped to the 31-day maximum',
    );
  });

  it('NaN, -Infinity and a past structured reset: no reset, now, and as stated', () => {
    const at = (resetAt: number) =>
      classify(failed({ name: 'X', kind: 'rate_limit', resetAt }), NOW, 'UTC').resetAt;
    assert.equal(at(NaN), undefined);
    assert.equal(at(-Infinity), NOW);
    assert.equal(at(NOW - 60_000), NOW - 60_000);
  });

  it('a reset within the maximum is neither moved nor annotated', () => {
    const stop = classify(
      failed({
        name: 'APIError',
        statusCode: 429,
        headers: { 'retry-after': String(30 * 86_400) },
      }),
      NOW,
      'UTC',
    );
    assert.equal(stop.resetAt, NOW + 30 * 86_400_000);
    assert.equal(stop.clampNote, undefined);
    assert.doesNotMatch(stop.detail, /clamped/);
  });

  it('a `now` that is no instant: no reset, no throw', () => {
    for (const now of [NaN, Infinity, 1e300]) {
      const stop = classify(
        failed({ name: 'APIError', statusCode: 429, message: 'try again in 5m' }),
        now,
        'UTC',
      );
      assert.equal(stop.reason, 'rate_limit');
      assert.equal(stop.resetAt, undefined);
    }
  });
});
