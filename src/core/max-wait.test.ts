import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_WAIT_MS, boundReset, clampNote, isCalendarInstant } from './max-wait.js';

const NOW = Date.parse('2026-11-27T22:00:00Z');
const DAY = 86_400_000;

describe('boundReset', () => {
  // [case, stated resetAt, bounded resetAt (undefined: none), clamped]
  // prettier-ignore
  const table: [string, number, number | undefined, boolean][] = [
    ['an hour away: kept', NOW + 3_600_000, NOW + 3_600_000, false],
    ['exactly the maximum: kept', NOW + MAX_WAIT_MS, NOW + MAX_WAIT_MS, false],
    ['a ms past the maximum: clamped', NOW + MAX_WAIT_MS + 1, NOW + MAX_WAIT_MS, true],
    ['9999999999999 minutes: clamped', NOW + 9_999_999_999_999 * 60_000, NOW + MAX_WAIT_MS, true],
    ['past the calendar: clamped', 1e20, NOW + MAX_WAIT_MS, true],
    ['+Infinity: clamped', Infinity, NOW + MAX_WAIT_MS, true],
    ['in the past: kept, it is still true', NOW - 5000, NOW - 5000, false],
    ['before the calendar: already reset, so now', -1e20, NOW, false],
    ['-Infinity: now', -Infinity, NOW, false],
    ['NaN: no reset', NaN, undefined, false],
  ];
  for (const [name, stated, want, clamped] of table) {
    it(name, () => {
      const got = boundReset(stated, NOW);
      assert.equal(got?.resetAt, want);
      assert.equal(got?.clampNote !== undefined, clamped);
      if (got !== undefined) assert.doesNotThrow(() => new Date(got.resetAt).toISOString());
    });
  }

  it('a `now` that is no instant gives no reset; one at the calendar edge stays on it', () => {
    assert.equal(boundReset(NOW, NaN), undefined);
    assert.equal(boundReset(NOW, Infinity), undefined);
    assert.equal(boundReset(NOW, 1e16), undefined);
    const edge = 8.64e15;
    assert.equal(boundReset(Infinity, edge)?.resetAt, edge);
  });

  it('is idempotent', () => {
    for (const stated of [1e20, NOW + 60_000, -Infinity]) {
      const once = boundReset(stated, NOW)?.resetAt ?? NaN;
      assert.equal(boundReset(once, NOW)?.resetAt, once);
    }
  });
});

describe('clampNote', () => {
  it('says how far the stated reset was and what the maximum is', () => {
    assert.equal(MAX_WAIT_MS, 31 * DAY);
    assert.equal(
      clampNote(9_999_999_999_999 * 60_000),
      'reset 6,944,444,444 days away clamped to the 31-day maximum',
    );
    assert.equal(clampNote(45.25 * DAY), 'reset 45.3 days away clamped to the 31-day maximum');
    assert.equal(
      clampNote(Infinity),
      'reset more than 10^15 days away clamped to the 31-day maximum',
    );
    assert.equal(clampNote(1e300), 'reset more than 10^15 days away clamped to the 31-day maximum');
  });
});

describe('isCalendarInstant', () => {
  it('is what toISOString can print', () => {
    for (const ms of [0, NOW, 8.64e15, -8.64e15]) assert.ok(isCalendarInstant(ms), String(ms));
    for (const ms of [8.64e15 + 1, NaN, Infinity, -Infinity]) {
      assert.ok(!isCalendarInstant(ms), String(ms));
      assert.throws(() => new Date(ms).toISOString(), RangeError);
    }
  });
});
