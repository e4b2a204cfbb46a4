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
});
