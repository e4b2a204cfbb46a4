import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDurationMs, parseSince, type Since } from './since.js';

const NOW = Date.parse('2026-11-27T10:00:00Z');

describe('parseSince', () => {
  const cases: [string, boolean, Since | undefined][] = [
    ['42', true, { kind: 'after_id', id: 42 }],
    ['0', true, { kind: 'after_id', id: 0 }],
    ['42', false, undefined],
    ['10m', true, { kind: 'at', atMs: NOW - 600_000 }],
    ['1h30m', false, { kind: 'at', atMs: NOW - 5_400_000 }],
    ['2d', false, { kind: 'at', atMs: NOW - 2 * 86_400_000 }],
    ['90s', false, { kind: 'at', atMs: NOW - 90_000 }],
    ['2026-11-27T09:00:00Z', true, { kind: 'at', atMs: NOW - 3_600_000 }],
    ['2026-11-27T11:00:00+02:00', false, { kind: 'at', atMs: NOW - 3_600_000 }],
    ['', true, undefined],
    ['m', true, undefined],
    ['10 minutes', true, undefined],
    ['yesterday', true, undefined],
    ['2026-13-45T99:00:00Z', true, undefined],
    ['-5', true, undefined],
    ['99999999999999999999', true, undefined],
    ['99999999999999999999d', true, undefined],
    ['9007199254740991s', true, undefined],
    [' 42 ', true, { kind: 'after_id', id: 42 }],
    [`${'1'.repeat(65)}x`, true, undefined],
    [`2026-11-27T09:00:00Z${' '.repeat(60)}`, true, undefined],
  ];
  for (const [text, allowId, expected] of cases) {
    it(`${JSON.stringify(text)}${allowId ? '' : ' (no ids)'} → ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseSince(text, NOW, { allowId }), expected);
    });
  }

  it('durations in order only, each unit once', () => {
    assert.equal(parseDurationMs('1h1m1s'), 3_661_000);
    assert.equal(parseDurationMs('1m1h'), undefined);
    assert.equal(parseDurationMs(''), undefined);
  });
});
