import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Settings } from 'luxon';
import { parseStopText } from './stop-text.js';
import { parseDay, parseTime, durationMs } from './stop-text-prose.js';
import { nextDateTime } from './stop-text-time.js';

/**
 * DST and clock edges, in real zones. Rule: a stop message is only ever a lower bound, so a wall
 * time that happens twice (fall back) is read as the later instant, and one that never happens
 * (spring forward) as the wall time in the offset before the jump, i.e. shifted later by the gap.
 */
const iso = (ms: number | undefined) => (ms === undefined ? 'none' : new Date(ms).toISOString());

describe('reset times across DST changes', () => {
  // [case, text, now, expected reset]
  // prettier-ignore
  const table: [string, string, string, string][] = [
    ['New York spring-forward gap: 2:30 does not exist, read as 3:30 EDT', "You've hit your limit · resets 2:30am (America/New_York)", '2026-03-08T05:00:00Z', '2026-03-08T07:30:00Z'],
    ['New York fall-back overlap: the later 1:30 (EST)', "You've hit your limit · resets 1:30am (America/New_York)", '2026-11-01T04:00:00Z', '2026-11-01T06:30:00Z'],
    ['New York overlap, between the two 1:30s: the second is still ahead', "You've hit your limit · resets 1:30am (America/New_York)", '2026-11-01T05:45:00Z', '2026-11-01T06:30:00Z'],
    ['Berlin spring-forward gap: 2:30 read as 3:30 CEST', "You've hit your limit · resets 2:30am (Europe/Berlin)", '2026-03-28T23:00:00Z', '2026-03-29T01:30:00Z'],
    ['Berlin fall-back overlap: the later 2:30 (CET)', "You've hit your limit · resets 2:30am (Europe/Berlin)", '2026-10-24T22:00:00Z', '2026-10-25T01:30:00Z'],
    ['a time just after the gap is unaffected', "You've hit your limit · resets 3:30am (Europe/Berlin)", '2026-03-28T23:00:00Z', '2026-03-29T01:30:00Z'],
    ['a date across the spring change uses the summer offset', "You've hit your weekly limit · resets Mar 9, 8am (America/New_York)", '2026-03-07T12:00:00Z', '2026-03-09T12:00:00Z'],
    ['a date across the autumn change uses the winter offset', "You've hit your weekly limit · resets Oct 26 at 9am (Europe/Berlin)", '2026-10-23T12:00:00Z', '2026-10-26T08:00:00Z'],
    ['4am on the spring-forward day is in summer time', "You've hit your limit · resets 4am (America/New_York)", '2026-03-08T06:00:00Z', '2026-03-08T08:00:00Z'],
    ['Lord Howe jumps half an hour: 2:15 falls in its gap, read as 2:45', "You've hit your limit · resets 2:15am (Australia/Lord_Howe)", '2026-10-03T13:00:00Z', '2026-10-03T15:45:00Z'],
  ];
  for (const [name, text, now, expected] of table) {
    it(name, () => {
      const got = parseStopText(text, Date.parse(now), 'UTC');
      assert.equal(got.kind, 'rate_limit');
      assert.equal(iso(got.resetAt), iso(Date.parse(expected)));
    });
  }
});

describe('overlap choice is pure', () => {
  // luxon resolves an ambiguous wall time with a guess taken from the machine's current offset
  // (Settings.now), so without our explicit rule the answer would change between summer and winter.
  for (const machineNow of ['2026-01-15T12:00:00Z', '2026-07-15T12:00:00Z']) {
    it(`same answer when the machine clock reads ${machineNow}`, () => {
      const saved = Settings.now;
      Settings.now = () => Date.parse(machineNow);
      try {
        const text = "You've hit your limit · resets 1:30am (America/New_York)";
        const got = parseStopText(text, Date.parse('2026-11-01T04:00:00Z'), 'UTC');
        assert.equal(iso(got.resetAt), '2026-11-01T06:30:00.000Z');
      } finally {
        Settings.now = saved;
      }
    });
  }
});

describe('a clock time at or just behind now is the next day', () => {
  const text = "You've hit your limit · resets 4am (UTC)";
  // prettier-ignore
  const table: [string, string, string][] = [
    ['well before: today', '2026-11-27T01:00:00Z', '2026-11-27T04:00:00Z'],
    ['exactly now: tomorrow (strictly after now)', '2026-11-27T04:00:00Z', '2026-11-28T04:00:00Z'],
    ['three minutes past: tomorrow', '2026-11-27T04:03:00Z', '2026-11-28T04:00:00Z'],
    ['an hour past: tomorrow', '2026-11-27T05:00:00Z', '2026-11-28T04:00:00Z'],
  ];
  for (const [name, now, expected] of table) {
    it(name, () => {
      const got = parseStopText(text, Date.parse(now), 'UTC');
      assert.equal(iso(got.resetAt), iso(Date.parse(expected)));
      assert.ok((got.resetAt ?? 0) > Date.parse(now));
    });
  }
});

describe('parseTime', () => {
  // prettier-ignore
  const table: [string, [number, number] | undefined][] = [
    ['12am', [0, 0]], ['12pm', [12, 0]], ['12:30am', [0, 30]], ['1pm', [13, 0]], ['4:20am', [4, 20]],
    ['7:05 AM', [7, 5]], ['5 p.m.', [17, 0]], ['16:20', [16, 20]], ['0:05', [0, 5]],
    ['13pm', undefined], ['0am', undefined], ['24:00', undefined], ['4:60am', undefined], ['16', undefined],
  ];
  for (const [text, expected] of table) {
    it(text, () => {
      const got = parseTime(text);
      assert.deepEqual(got === undefined ? undefined : [got.hour, got.minute], expected);
    });
  }
});

describe('parseDay', () => {
  // prettier-ignore
  const table: [string, [number, number, number | undefined] | undefined][] = [
    ['Mar 2', [3, 2, undefined]], ['Sep 9th, 2026', [9, 9, 2026]], ['August 3', [8, 3, undefined]],
    ['Sept. 9', [9, 9, undefined]], ['Dec 31 2027', [12, 31, 2027]], ['Mars 2', undefined], ['Ma 2', undefined],
  ];
  for (const [text, expected] of table) {
    it(text, () => {
      const got = parseDay(text);
      assert.deepEqual(got === undefined ? undefined : [got.month, got.day, got.year], expected);
    });
  }
});

describe('durationMs', () => {
  // prettier-ignore
  const table: [string, number | undefined][] = [
    ['20s', 20_000], ['1m30s', 90_000], ['6ms', 6], ['15.3s', 15_300],
    ['3 days 4 hours 12 minutes', ((3 * 24 + 4) * 60 + 12) * 60_000], ['2 hours, 5 minutes', 125 * 60_000],
    ['5 apples', undefined], ['a moment', undefined],
  ];
  for (const [text, expected] of table) {
    it(text, () => {
      assert.equal(durationMs(text), expected);
    });
  }
});

describe('nextDateTime (unbounded: parseStopText clamps to MAX_WAIT_MS afterwards)', () => {
  // prettier-ignore
  const table: [string, [number, number], string, string][] = [
    ['Mar 2 read in November is next year’s', [3, 2], '2026-11-27T22:00:00Z', '2027-03-01T23:00:00Z'],
    ['Aug 3 read in November is next year’s', [8, 3], '2026-11-27T22:00:00Z', '2027-08-02T23:00:00Z'],
    ['Feb 29 read in 2026 is 2028’s', [2, 29], '2026-11-27T22:00:00Z', '2028-02-28T23:00:00Z'],
  ];
  for (const [name, [month, day], now, expected] of table) {
    it(name, () => {
      const got = nextDateTime(
        { month, day },
        { hour: 8, minute: 0 },
        'Asia/Tokyo',
        Date.parse(now),
      );
      assert.equal(iso(got), iso(Date.parse(expected)));
    });
  }
});
