import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_WAIT_MS } from './max-wait.js';
import { goDurationMs, resetFromHeaders } from './reset-headers.js';

const NOW = Date.parse('2026-11-27T22:00:00Z');

describe('resetFromHeaders', () => {
  const table: [string, Record<string, string>, number | undefined, string | undefined][] = [
    ['none', {}, undefined, undefined],
    ['retry-after-ms', { 'retry-after-ms': '2500.5' }, NOW + 2500.5, 'retry-after-ms'],
    ['retry-after seconds', { 'retry-after': '7' }, NOW + 7000, 'retry-after'],
    ['retry-after fractional seconds', { 'retry-after': '0.5' }, NOW + 500, 'retry-after'],
    [
      'retry-after HTTP date',
      { 'retry-after': 'Fri, 27 Nov 2026 23:30:00 GMT' },
      Date.parse('2026-11-27T23:30:00Z'),
      'retry-after',
    ],
    [
      'retry-after date in the past clamps to now',
      { 'retry-after': 'Fri, 27 Nov 2026 20:00:00 GMT' },
      NOW,
      'retry-after',
    ],
    ['garbage retry-after falls through', { 'retry-after': 'soon' }, undefined, undefined],
    ['negative retry-after-ms is ignored', { 'retry-after-ms': '-5' }, undefined, undefined],
    [
      'anthropic unified reset (epoch seconds)',
      { 'anthropic-ratelimit-unified-reset': '1795831200' },
      1795831200_000,
      'anthropic-ratelimit-unified-reset',
    ],
    [
      'anthropic API reset (RFC 3339); the latest of several wins',
      {
        'anthropic-ratelimit-requests-reset': '2026-11-27T22:01:00Z',
        'anthropic-ratelimit-tokens-reset': '2026-11-27T22:05:00Z',
      },
      Date.parse('2026-11-27T22:05:00Z'),
      'anthropic-ratelimit-tokens-reset',
    ],
    [
      'openai durations',
      { 'x-ratelimit-reset-requests': '1s', 'x-ratelimit-reset-tokens': '6m0s' },
      NOW + 360_000,
      'x-ratelimit-reset-tokens',
    ],
  ];
  for (const [name, headers, resetAt, source] of table) {
    it(name, () => {
      const result = resetFromHeaders(headers, NOW);
      assert.equal(result?.resetAt, resetAt);
      assert.equal(result?.source, source);
    });
  }
});

describe('goDurationMs', () => {
  it('reads Go durations and rejects anything else', () => {
    assert.equal(goDurationMs('20ms'), 20);
    assert.equal(goDurationMs('1h2m3.5s'), 3_723_500);
    assert.equal(goDurationMs('6m0s'), 360_000);
    assert.equal(goDurationMs('6 minutes'), undefined);
    assert.equal(goDurationMs(''), undefined);
  });
});

describe('resetFromHeaders: absurd numbers are bounded by MAX_WAIT_MS', () => {
  // prettier-ignore
  const table: [string, Record<string, string>, number | undefined, boolean][] = [
    ['retry-after 1e300', { 'retry-after': '1e300' }, NOW + MAX_WAIT_MS, true],
    ['retry-after Infinity', { 'retry-after': 'Infinity' }, NOW + MAX_WAIT_MS, true],
    ['retry-after-ms with 400 digits', { 'retry-after-ms': '9'.repeat(400) }, NOW + MAX_WAIT_MS, true],
    ['x-ratelimit-reset with 20 digits (epoch seconds)', { 'x-ratelimit-reset': '99999999999999999999' }, NOW + MAX_WAIT_MS, true],
    ['x-ratelimit-reset far negative: already reset', { 'x-ratelimit-reset': '-1e300' }, NOW, false],
    ['anthropic unified reset with 20 digits', { 'anthropic-ratelimit-unified-reset': '99999999999999999999' }, NOW + MAX_WAIT_MS, true],
    ['an RFC 3339 reset in the year 9999', { 'anthropic-ratelimit-tokens-reset': '9999-12-31T00:00:00Z' }, NOW + MAX_WAIT_MS, true],
    ['a Go duration of 10^20 hours', { 'x-ratelimit-reset-requests': `1${'0'.repeat(20)}h` }, NOW + MAX_WAIT_MS, true],
    ['retry-after NaN falls through', { 'retry-after': 'NaN' }, undefined, false],
    ['retry-after -Infinity falls through', { 'retry-after': '-Infinity' }, undefined, false],
    ['30 days is within the maximum', { 'retry-after': String(30 * 86_400) }, NOW + 30 * 86_400_000, false],
  ];
  for (const [name, headers, resetAt, clamped] of table) {
    it(name, () => {
      const got = resetFromHeaders(headers, NOW);
      assert.equal(got?.resetAt, resetAt);
      assert.equal(got?.clampNote !== undefined, clamped, got?.clampNote);
      if (got !== undefined) assert.doesNotThrow(() => new Date(got.resetAt).toISOString());
    });
  }

  it('a `now` that is no instant: no reset', () => {
    assert.equal(resetFromHeaders({ 'retry-after': '5' }, NaN), undefined);
  });
});
