import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { jitteredBackoffMs } from './backoff.js';
import { MAX_WAIT_MS } from './max-wait.js';

describe('jitteredBackoffMs', () => {
  it('doubles from the base, jitters ±25 %, caps at the maximum', () => {
    assert.deepEqual(
      [1, 2, 3].map((n) => jitteredBackoffMs(n, 1000, 60_000, 0.5)),
      [1000, 2000, 4000],
    );
    assert.equal(jitteredBackoffMs(1, 1000, 60_000, 0), 750);
    assert.equal(jitteredBackoffMs(30, 1000, 60_000, 0.5), 60_000);
  });

  // [case, attempt, base, max, jitter, expected]
  // prettier-ignore
  const extremes: [string, number, number, number, number, number][] = [
    ['a millionth attempt: the cap', 1e6, 1000, 60_000, 0.5, 60_000],
    ['an infinite attempt: the cap', Infinity, 1000, 60_000, 0.5, 60_000],
    ['base 0, huge attempt (0·∞): 0, not NaN', 1e6, 0, 60_000, 0.5, 0],
    ['NaN attempt: the first', NaN, 1000, 60_000, 0.5, 1000],
    ['attempt 0 or negative: the first', -5, 1000, 60_000, 0.5, 1000],
    ['NaN jitter: the low end', 1, 1000, 60_000, NaN, 750],
    ['jitter out of range: clamped', 1, 1000, 60_000, 7, 1250],
    ['infinite maximum: MAX_WAIT_MS', 1e6, 1000, Infinity, 0.5, MAX_WAIT_MS],
    ['NaN maximum: 0', 3, 1000, NaN, 0.5, 0],
    ['negative base: 0', 3, -1000, 60_000, 0.5, 0],
    ['infinite base: the cap', 1, Infinity, 60_000, 0.5, 60_000],
  ];
  for (const [name, attempt, base, max, jitter, expected] of extremes) {
    it(name, () => {
      assert.equal(jitteredBackoffMs(attempt, base, max, jitter), expected);
    });
  }
});
