import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  createPaint,
  formatClock,
  formatCountdown,
  formatDuration,
  formatTimestamp,
} from './format.js';

const S = 1000;
const M = 60 * S;
const H = 60 * M;
const D = 24 * H;

describe('formatDuration', () => {
  const cases: [number, string][] = [
    [0, '0s'],
    [999, '0s'],
    [45 * S, '45s'],
    [12 * M + 30 * S, '12m30s'],
    [12 * M, '12m'],
    [3 * H + 12 * M + 59 * S, '3h12m'],
    [3 * H, '3h'],
    [2 * D + 4 * H + 5 * M, '2d4h'],
    [-(3 * H + 12 * M), '3h12m'],
  ];
  for (const [ms, text] of cases) {
    it(`${ms} ms → ${text}`, () => {
      assert.equal(formatDuration(ms), text);
    });
  }
});

describe('instants in a zone', () => {
  const now = Date.parse('2026-11-27T22:08:00Z'); // 23:08 in Warsaw
  const zone = 'Europe/Warsaw';

  it('a countdown with the local wall-clock time and zone', () => {
    const due = Date.parse('2026-11-28T03:20:00Z'); // 04:20 in Warsaw
    assert.equal(formatCountdown(due, now, zone), 'in 5h12m (04:20 Europe/Warsaw)');
    assert.equal(formatCountdown(now - 12 * M, now, zone), '12m ago (22:56 Europe/Warsaw)');
  });

  it('the date is shown when the instant is a day or more away', () => {
    assert.equal(formatClock(now + 2 * D, now, zone), '2026-11-29 23:08 Europe/Warsaw');
  });

  it('timestamps: time only on the same local day, else with the date', () => {
    assert.equal(formatTimestamp(now, now, { zone }), '23:08:00');
    assert.equal(formatTimestamp(now + H, now, { zone }), '2026-11-28 00:08:00');
    assert.equal(formatTimestamp(now + 5, now, { zone, withMs: true }), '23:08:00.005');
  });
});

describe('createPaint', () => {
  it('colours only when enabled', () => {
    assert.equal(createPaint(false)('red', 'x'), 'x');
    assert.equal(createPaint(true)('red', 'x'), '\u001b[31mx\u001b[39m');
  });
});
