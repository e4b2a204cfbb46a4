import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StopTextKind } from './stop-text.js';
import { parseStopText } from './stop-text.js';

/** A Friday evening in Madrid: 2026-11-27 23:00 CET. */
const NOW = '2026-11-27T22:00:00Z';
const NOW_S = Date.parse(NOW) / 1000;
const MIN = 60_000;
const HOUR = 60 * MIN;

interface Row {
  readonly text: string;
  readonly kind: StopTextKind;
  /** ISO instant, or a number of ms after `now`. */
  readonly resetAt?: string | number;
  readonly source?: string;
  /** ISO instant; NOW unless given. */
  readonly now?: string;
  /** The configured zone; Europe/Madrid unless given. */
  readonly zone?: string;
}

// Claude Code plan limits. Expected instants are worked out by hand, not with the library under test.
// prettier-ignore
const claude: Row[] = [
  { text: "You've hit your limit · resets 2:45pm (Europe/Madrid)", now: '2026-11-27T10:00:00Z', kind: 'rate_limit', resetAt: '2026-11-27T13:45:00Z', source: 'clock-time' },
  { text: "You've hit your limit · resets 2:45pm (Europe/Madrid)", kind: 'rate_limit', resetAt: '2026-11-28T13:45:00Z', source: 'clock-time' },
  { text: 'You’ve hit your session limit ∙ resets 4am', zone: 'America/New_York', now: '2026-11-27T10:00:00Z', kind: 'rate_limit', resetAt: '2026-11-28T09:00:00Z' },
  { text: '5-hour limit reached ∙ resets 6am', zone: 'Asia/Tokyo', now: '2026-11-27T18:00:00Z', kind: 'rate_limit', resetAt: '2026-11-27T21:00:00Z' },
  { text: 'Claude usage limit reached. Your limit will reset at 5pm (America/Denver).', kind: 'rate_limit', resetAt: '2026-11-28T00:00:00Z', source: 'clock-time' },
  { text: 'Claude usage limit reached. Your limit will reset at 12am.', kind: 'rate_limit', resetAt: '2026-11-27T23:00:00Z' },
  { text: "You've hit your limit · resets 12am (America/Los_Angeles)", kind: 'rate_limit', resetAt: '2026-11-28T08:00:00Z' },
  { text: "You've hit your limit · resets 12pm (UTC)", kind: 'rate_limit', resetAt: '2026-11-28T12:00:00Z' },
  { text: "You've hit your limit · resets 4:20am (Europe/Madrid)", kind: 'rate_limit', resetAt: '2026-11-28T03:20:00Z' },
  { text: 'Weekly limit reached ∙ resets 16:20', zone: 'UTC', kind: 'rate_limit', resetAt: '2026-11-28T16:20:00Z' },
  // Next year's Mar 2 (stop-text-time.test.ts reads it unbounded): past the maximum wait, so clamped.
  { text: "You've hit your weekly limit · resets Mar 2, 8am (Asia/Tokyo)", kind: 'rate_limit', resetAt: 31 * 24 * HOUR, source: 'date-time' },
  { text: "You've hit your weekly limit · resets Mar 2 at 8am (Asia/Tokyo)", now: '2026-02-27T00:00:00Z', kind: 'rate_limit', resetAt: '2026-03-01T23:00:00Z', source: 'date-time' },
  { text: "You've hit your weekly limit · resets Aug 3, 7am (Europe/Berlin)", kind: 'rate_limit', resetAt: 31 * 24 * HOUR },
  { text: "You've hit your weekly limit · resets Aug 3 at 7am (Europe/Berlin)", now: '2026-07-10T00:00:00Z', kind: 'rate_limit', resetAt: '2026-08-03T05:00:00Z' },
  { text: "You've hit your weekly limit · resets Jan 2, 9am (UTC)", now: '2026-12-30T12:00:00Z', kind: 'rate_limit', resetAt: '2027-01-02T09:00:00Z' },
  { text: "You're out of extra usage · resets 4pm (Europe/London)\n  ⎿  /extra-usage to keep going, or wait for the reset", now: '2026-11-27T12:00:00Z', kind: 'rate_limit', resetAt: '2026-11-27T16:00:00Z' },
  { text: 'Agent "reviewer" failed: Agent terminated early due to an API error: You\'ve hit your limit · resets 11pm (UTC)', kind: 'rate_limit', resetAt: '2026-11-27T23:00:00Z' },
  { text: 'Claude AI usage limit reached|1767225600', now: '2025-12-31T20:00:00Z', kind: 'rate_limit', resetAt: '2026-01-01T00:00:00Z', source: 'legacy-epoch' },
  { text: 'Claude usage limit reached. Your limit will reset at 5pm (PST).', zone: 'America/Los_Angeles', kind: 'rate_limit', resetAt: '2026-11-28T01:00:00Z' },
  { text: 'Claude usage limit reached. Your limit will reset at 1pm (Etc/GMT+5).', kind: 'rate_limit', resetAt: '2026-11-28T18:00:00Z' },
  { text: "You've hit your limit · resets 9pm (GMT+2)", kind: 'rate_limit', resetAt: '2026-11-28T19:00:00Z' },
  { text: "You've hit your limit · resets 9am (EST)", zone: 'Europe/Madrid', kind: 'rate_limit', resetAt: '2026-11-28T14:00:00Z' },
  { text: "You've hit your limit · resets 9am (CET)", zone: 'Europe/Berlin', now: '2026-07-01T00:00:00Z', kind: 'rate_limit', resetAt: '2026-07-01T07:00:00Z' },
  // Certain stops whose time cannot be read safely: the caller backs off.
  { text: '5-hour limit reached ∙ resets 6am', zone: 'Not/A_Zone', kind: 'rate_limit' },
  { text: 'Claude usage limit reached. Your limit will reset at 5pm (PDT).', zone: 'America/Los_Angeles', kind: 'rate_limit' },
  { text: "You've hit your limit · resets 3pm (Mars/Olympus_Mons)", kind: 'rate_limit' },
  { text: 'Weekly limit reached ∙ resets 8am on Mar 2', kind: 'rate_limit' },
  { text: "You've hit your weekly limit · resets Monday 8am", kind: 'rate_limit' },
  { text: "You've hit your weekly limit · resets tomorrow at 8am", kind: 'rate_limit' },
  { text: "You've hit your limit · resets 11pm today (UTC)", kind: 'rate_limit' },
  { text: "You've hit your weekly limit · resets Mars 2, 8am", kind: 'rate_limit' },
  { text: 'API Error: Request rejected (429) · this may be a temporary capacity issue', kind: 'rate_limit' },
];

// prettier-ignore
const codexGeminiOpenai: Row[] = [
  { text: "You've hit your usage limit. Upgrade to Pro (https://openai.com/chatgpt/pricing) or try again in 3 days 4 hours 12 minutes.", kind: 'rate_limit', resetAt: 3 * 24 * HOUR + 4 * HOUR + 12 * MIN, source: 'relative' },
  { text: "You've hit your usage limit. Upgrade to Plus to continue using Codex, or try again at Sep 9th, 2026 7:05 AM.", zone: 'America/Chicago', now: '2026-09-01T00:00:00Z', kind: 'rate_limit', resetAt: '2026-09-09T12:05:00Z', source: 'absolute' },
  { text: `{"error":{"type":"usage_limit_reached","message":"The usage limit has been reached","plan_type":"plus","resets_at":${NOW_S + 7200},"resets_in_seconds":7200}}`, kind: 'rate_limit', resetAt: 2 * HOUR, source: 'resets_at' },
  { text: `You've hit your usage limit, try again in 5 minutes. {"error":{"type":"usage_limit_reached","resets_in_seconds":7200}}`, kind: 'rate_limit', resetAt: 2 * HOUR, source: 'resets_in_seconds' },
  { text: `You've hit your usage limit, try again in 3 hours. {"error":{"type":"usage_limit_reached","resets_at":${NOW_S + 3600}}}`, kind: 'rate_limit', resetAt: HOUR, source: 'resets_at' },
  { text: `API Error: 429 "{\\"error\\":{\\"type\\":\\"usage_limit_reached\\",\\"resets_at\\":${NOW_S + 600}}}"`, kind: 'rate_limit', resetAt: 10 * MIN },
  { text: `{"type":"error","error":{"type":"rate_limit_error","message":"limited"},"resetsAt":${NOW_S + 900}}`, kind: 'rate_limit', resetAt: 15 * MIN, source: 'resetsAt' },
  { text: `{"type":"error","error":{"type":"rate_limit_error"},"resetsAt":${(NOW_S + 900) * 1000}}`, kind: 'rate_limit', resetAt: 15 * MIN },
  { text: '{"error":{"code":429,"message":"Resource has been exhausted (e.g. check quota). Please retry in 42.5s.","status":"RESOURCE_EXHAUSTED"}}', kind: 'rate_limit', resetAt: 42_500, source: 'relative' },
  { text: '{"error":{"code":429,"message":"Please retry in 42.5s.","status":"RESOURCE_EXHAUSTED","details":[{"@type":"type.googleapis.com/google.rpc.RetryInfo","retryDelay":"43s"}]}}', kind: 'rate_limit', resetAt: 43_000, source: 'retryDelay' },
  { text: 'You have exhausted your daily quota on this model.', kind: 'rate_limit' },
  { text: '[API Error: You have exhausted your capacity on this model. Your quota will reset after 18h31m42s.]', kind: 'rate_limit', resetAt: ((18 * 60 + 31) * 60 + 42) * 1000, source: 'relative' },
  { text: 'RESOURCE_EXHAUSTED', kind: 'rate_limit' },
  { text: 'Rate limit reached for gpt-4o in organization org-x on tokens per min (TPM): Limit 30000, Used 29000, Requested 2000. Please try again in 1m30s.', kind: 'rate_limit', resetAt: 90_000 },
  { text: 'Rate limit reached for gpt-4o-mini on requests per min (RPM). Please try again in 20ms.', kind: 'rate_limit', resetAt: 20 },
  { text: 'Rate limit exceeded. Please retry after 30 seconds', kind: 'rate_limit', resetAt: 30_000 },
  { text: '{"error":{"code":"rate_limit_exceeded","message":"Rate limit exceeded"}}', kind: 'rate_limit' },
  { text: 'HTTP/1.1 429 Too Many Requests\nretry-after: 30', kind: 'rate_limit', resetAt: 30_000, source: 'retry-after' },
  { text: 'HTTP/1.1 429 Too Many Requests\nretry-after-ms: 1500\nretry-after: 2', kind: 'rate_limit', resetAt: 2000 },
  { text: '429 Too Many Requests', kind: 'rate_limit' },
  { text: 'You are being rate limited. Try again in 2 minutes.', kind: 'rate_limit', resetAt: 2 * MIN },
];

// prettier-ignore
const kinds: Row[] = [
  { text: 'Prompt is too long', kind: 'context_exhausted' },
  { text: 'prompt is too long: 210000 tokens > 200000 maximum', kind: 'context_exhausted' },
  { text: "This model's maximum context length is 128000 tokens. However, your messages resulted in 130000 tokens.", kind: 'context_exhausted' },
  { text: '{"error":{"code":"context_length_exceeded","message":"too long"}}', kind: 'context_exhausted' },
  { text: 'API Error: The model has reached its context window limit.', kind: 'context_exhausted' },
  { text: 'Context limit reached · /compact or /clear to continue', kind: 'context_exhausted' },
  { text: 'Conversation too long. Press esc twice to go up a few messages and try again.', kind: 'context_exhausted' },
  { text: 'API Error: 529 {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}', kind: 'overloaded' },
  { text: 'Overloaded', kind: 'overloaded' },
  { text: 'API Error: Repeated 529 Overloaded errors', kind: 'overloaded' },
  { text: 'API Error: 500 {"type":"error","error":{"type":"api_error","message":"Internal server error"}}', kind: 'overloaded' },
  { text: '503 Service Unavailable', kind: 'overloaded' },
  { text: 'The model is overloaded. Please try again later.', kind: 'overloaded' },
  { text: 'API Error: 529 Overloaded. Retrying in 30 seconds…', kind: 'overloaded', resetAt: 30_000 },
  { text: "You've used 90% of your session limit · resets 3pm (Europe/Madrid)", kind: 'warning' },
  { text: 'You’ve used 75% of your weekly limit · resets Mar 2, 8am', kind: 'warning' },
  { text: 'Approaching usage limit · resets at 12pm', kind: 'warning' },
  { text: 'I fixed the HTTP 429 handler in rate_limit.py', kind: 'none' },
  { text: 'we should add a rate limit to the API', kind: 'none' },
  { text: 'The client will try again in 5 seconds when it sees a 429.', kind: 'none' },
  { text: 'Our quota service resets at 4am every day.', kind: 'none' },
  { text: 'The method is overloaded for strings and numbers.', kind: 'none' },
  { text: 'We get too many requests from crawlers; add caching.', kind: 'none' },
  { text: '', kind: 'none' },
];

const ROWS: readonly Row[] = [...claude, ...codexGeminiOpenai, ...kinds];

function expectedAt(row: Row, now: number): number | undefined {
  if (row.resetAt === undefined) return undefined;
  return typeof row.resetAt === 'number' ? now + row.resetAt : Date.parse(row.resetAt);
}

describe('parseStopText', () => {
  for (const row of ROWS) {
    it(`${row.kind}: ${JSON.stringify(row.text).slice(0, 100)}`, () => {
      const now = Date.parse(row.now ?? NOW);
      const got = parseStopText(row.text, now, row.zone ?? 'Europe/Madrid');
      assert.equal(got.kind, row.kind, JSON.stringify(got));
      const want = expectedAt(row, now);
      assert.equal(
        got.resetAt === undefined ? undefined : new Date(got.resetAt).toISOString(),
        want === undefined ? undefined : new Date(want).toISOString(),
      );
      if (row.source !== undefined) assert.equal(got.source, row.source);
    });
  }

  it('has enough rows to mean something', () => {
    assert.ok(ROWS.length >= 50, `${ROWS.length} rows`);
  });
});

describe('parseStopText properties', () => {
  const read = (row: Row, zone = row.zone ?? 'Europe/Madrid') => {
    const now = Date.parse(row.now ?? NOW);
    return { now, got: parseStopText(row.text, now, zone) };
  };

  it('every reset read lies after now', () => {
    for (const row of ROWS) {
      const { now, got } = read(row);
      if (got.resetAt !== undefined) assert.ok(got.resetAt > now, row.text);
    }
  });

  it('a reset comes with its source and the fragment it was read from', () => {
    for (const row of ROWS) {
      const { got } = read(row);
      if (got.resetAt === undefined) continue;
      assert.ok(got.source !== undefined && got.source !== '', row.text);
      const fragment = (got.evidence ?? '').replace(/'/g, '’');
      assert.ok(
        got.evidence !== undefined &&
          (row.text.includes(got.evidence) || row.text.includes(fragment)),
        `${String(got.evidence)} not in ${row.text}`,
      );
    }
  });

  it('warnings, context exhaustion and plain text never carry a reset', () => {
    for (const row of ROWS) {
      const { got } = read(row);
      if (got.kind !== 'rate_limit' && got.kind !== 'overloaded')
        assert.equal(got.resetAt, undefined);
    }
  });

  it('a zone named in the message wins over the configured one', () => {
    const named = ROWS.filter((row) =>
      /\((?:[A-Z][a-z]+\/[\w/]+|UTC|Etc\/[\w+-]+|GMT[+-]\d+)\)/.test(row.text),
    );
    assert.ok(named.length >= 10);
    for (const row of named) {
      const a = read(row, 'Pacific/Kiritimati').got.resetAt;
      const b = read(row, 'America/Adak').got.resetAt;
      assert.equal(a, b, row.text);
    }
  });

  it('a clock time without a date is less than a day (plus a DST hour) ahead', () => {
    for (const row of ROWS) {
      const { now, got } = read(row);
      if (got.source === 'clock-time') assert.ok((got.resetAt ?? 0) - now <= 25 * HOUR, row.text);
    }
  });
});

describe('parseStopText: absurd resets are clamped to MAX_WAIT_MS and say so', () => {
  const now = Date.parse(NOW);
  // prettier-ignore
  const table: [string, string][] = [
    ['Rate limit exceeded, try again in 9999999999999m', 'relative'],
    [`Rate limit exceeded, retry in ${'9'.repeat(400)} seconds`, 'relative'],
    ['Claude AI usage limit reached|9999999999999', 'legacy-epoch'],
    ['usage_limit_reached "resets_at": 99999999999999999999999999', 'resets_at'],
    ['RESOURCE_EXHAUSTED "retryDelay": "99999999999999999999999s"', 'retryDelay'],
    ['429 Too Many Requests\nretry-after: 99999999999999999999', 'retry-after'],
    ["You've hit your weekly limit · resets Mar 2, 9999 at 8am (UTC)", 'absolute'],
  ];
  for (const [text, source] of table) {
    it(JSON.stringify(text).slice(0, 80), () => {
      const got = parseStopText(text, now, 'UTC');
      assert.equal(got.kind, 'rate_limit');
      assert.equal(got.resetAt, now + 31 * 24 * HOUR);
      assert.equal(got.source, source);
      assert.match(got.clampNote ?? '', /^reset .+ days away clamped to the 31-day maximum$/);
      assert.doesNotThrow(() => new Date(got.resetAt ?? NaN).toISOString());
    });
  }
});

describe('parseStopText: numbers in JSON bodies', () => {
  const now = Date.parse(NOW);
  // prettier-ignore
  const table: [string, number][] = [
    // Once read as 2026 epoch seconds (1970): the year before the dash.
    ['{"error":{"type":"usage_limit_reached","resets_at":"2026-11-28T03:00:00Z"}}', Date.parse('2026-11-28T03:00:00Z')],
    // JSON allows exponents; read as text the mantissa alone was 1795 s.
    ['{"error":{"type":"usage_limit_reached","resets_at":1.7958312e9}}', 1_795_831_200_000],
    ['{"error":{"type":"usage_limit_reached","resets_in_seconds":1.2E2}}', now + 120_000],
  ];
  for (const [text, resetAt] of table) {
    it(text, () => {
      const got = parseStopText(text, now, 'UTC');
      assert.equal(got.kind, 'rate_limit');
      assert.equal(got.resetAt, resetAt);
    });
  }
});

describe('parseStopText on long and repetitive text', () => {
  const now = Date.parse(NOW);
  const banner = "You've hit your limit · resets 8am\n";
  const timed = (text: string) => {
    const started = performance.now();
    const got = parseStopText(text, now, 'UTC');
    return { got, ms: performance.now() - started };
  };

  // Sanity bounds only (timing goals are benchmarks): before the fix 200 KB of banners took 1–3 s,
  // and 100 KB of blank lines 20 s. Now each takes a few ms.
  it('200 KB of one repeated banner', () => {
    const { got, ms } = timed(banner.repeat(Math.ceil(200_000 / banner.length)));
    assert.equal(got.kind, 'rate_limit');
    assert.equal(got.resetAt, Date.parse('2026-11-28T08:00:00Z'));
    assert.ok(ms < 250, `${ms.toFixed(0)} ms`);
  });

  it('whitespace-heavy text: blank lines, \\r, tabs', () => {
    // Under the length that is cut (64 KB), so this exercises the patterns themselves: each line
    // start once rescanned the rest of the text looking for a line that says only "Overloaded".
    for (const ws of ['\n'.repeat(30_000), '\r'.repeat(30_000), ' \t\n'.repeat(10_000)]) {
      const quiet = timed(`${ws}nothing to see\n${ws}`);
      assert.equal(quiet.got.kind, 'none');
      assert.ok(quiet.ms < 250, `${quiet.ms.toFixed(0)} ms`);
      const loud = timed(`${ws}Overloaded\n${ws.slice(0, 100)}`);
      assert.equal(loud.got.kind, 'overloaded');
      assert.ok(loud.ms < 250, `${loud.ms.toFixed(0)} ms`);
    }
  });

  it('a 1 MB single line and 60 KB of distinct reset phrases', () => {
    assert.ok(timed('x'.repeat(1 << 20)).ms < 250);
    const distinct = Array.from(
      { length: 2000 },
      (_, i) => `resets ${(i % 12) + 1}:${String(i % 60).padStart(2, '0')}am`,
    );
    const { got, ms } = timed(`usage limit reached\n${distinct.join('\n')}`);
    assert.equal(got.kind, 'rate_limit');
    assert.ok(ms < 250, `${ms.toFixed(0)} ms`);
  });

  it('a long text is read at its head and its tail', () => {
    const filler = 'lorem ipsum dolor sit amet\n'.repeat(10_000);
    const head = parseStopText(`Rate limit reached. Try again in 20s.\n${filler}`, now, 'UTC');
    assert.deepEqual([head.kind, head.resetAt], ['rate_limit', now + 20_000]);
    const tail = parseStopText(`${filler}You've hit your limit · resets 8am`, now, 'UTC');
    assert.deepEqual([tail.kind, tail.resetAt], ['rate_limit', Date.parse('2026-11-28T08:00:00Z')]);
    // The middle of a long text is not read.
    assert.equal(parseStopText(`${filler}Rate limit reached\n${filler}`, now, 'UTC').kind, 'none');
  });

  it('the cut never glues a number to a unit from the other side', () => {
    // No line break near either cut: the head ends with "3" and the tail starts with "m".
    const head = ' usage limit reached, try again in 3'.padStart(16 * 1024, 'a ');
    const tail = `m and then${' '.repeat(48 * 1024 - 10)}`;
    const got = parseStopText(`${head}${'z'.repeat(10_000)}${tail}`, now, 'UTC');
    assert.equal(got.kind, 'rate_limit');
    assert.equal(got.resetAt, undefined, 'read as "3m"');
  });
});
