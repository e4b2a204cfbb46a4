import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { MAX_WAIT_MS } from '../core/max-wait.js';
import { STOP_REASONS } from '../core/stop-reason.js';
import { classifyInput, type ClassifyVerdict } from './classify-input.js';
import { CLASSIFY_AGENTS, recordReaders } from './record-readers.js';
import type { RecordReader } from './definition.js';

/**
 * Seeded, bounded properties of `palingenesis classify`: whatever it is given — text, a JSON
 * object, JSON lines of any agent's records, deep nesting, huge numbers, long lines — it answers
 * with a valid verdict, never throws, and any reset is at most MAX_WAIT_MS away. The records are
 * the real ones in test/fixtures, mutated.
 */
const NOW = Date.parse('2026-11-27T22:00:00Z');
const SEED = 20261128;
/** Generous: a real input takes a few ms, and this runs on a loaded 2-core machine. */
const MAX_MS_PER_INPUT = 250;

/** Every recorded record: transcript lines, hook payloads, stream-json lines, opencode frames. */
function fixtureRecords(): string[] {
  const root = new URL('../../test/fixtures/', import.meta.url);
  const records: unknown[] = [];
  for (const agent of ['claude-code', 'opencode']) {
    for (const file of readdirSync(new URL(`${agent}/`, root))) {
      if (!file.endsWith('.json')) continue;
      const f = JSON.parse(readFileSync(new URL(`${agent}/${file}`, root), 'utf8')) as {
        transcript?: unknown[];
        hooks?: unknown[];
        runs?: { streamJson?: unknown[] }[];
        phases?: { events?: unknown[] }[];
      };
      records.push(
        ...(f.transcript ?? []),
        ...(f.hooks ?? []),
        ...(f.runs ?? []).flatMap((r) => r.streamJson ?? []),
        ...(f.phases ?? []).flatMap((p) => p.events ?? []),
      );
    }
  }
  return records.map((r) => JSON.stringify(r));
}

/** Records that say how a turn ended, as each reader expects them. */
const WRITTEN: readonly unknown[] = [
  {
    type: 'assistant',
    isApiErrorMessage: true,
    error: 'rate_limit',
    apiErrorStatus: 429,
    apiErrorParams: { rate_limit_info: { resetsAt: 1795831200 } },
    message: { content: [{ type: 'text', text: "You've hit your limit · resets 4am (UTC)" }] },
    sessionId: 's',
  },
  {
    type: 'assistant',
    is_api_error_message: true,
    error: 'overloaded',
    api_error_status: 529,
    message: {
      content: [{ type: 'text', text: 'API Error: 529 Overloaded. Retrying in 30 seconds' }],
    },
    session_id: 's',
  },
  { type: 'rate_limit_event', rate_limit_info: { status: 'rejected', resetsAt: 1795831200 } },
  {
    type: 'result',
    is_error: true,
    api_error_status: 429,
    result: 'API Error: Request rejected (429)',
  },
  {
    hook_event_name: 'StopFailure',
    session_id: 's',
    error: 'rate_limit',
    error_details: 'Rate limited. Try again in 20 minutes.',
    last_assistant_message: "You've hit your limit · resets 8am",
  },
  {
    payload: {
      type: 'session.error',
      properties: {
        error: {
          name: 'APIError',
          data: {
            message: 'Rate limit reached for requests',
            statusCode: 429,
            responseHeaders: { 'retry-after': '120', 'x-ratelimit-reset': '1795831200' },
            responseBody: '{"error":{"code":"rate_limit_exceeded","resets_in_seconds":120}}',
          },
        },
      },
    },
  },
  { error: { type: 'usage_limit_reached', resets_at: 1795831200, resets_in_seconds: 7200 } },
  { error: { code: 429, status: 'RESOURCE_EXHAUSTED', details: [{ retryDelay: '42s' }] } },
];
const TEXTS = [
  "You've hit your limit · resets 2:45pm (Europe/Madrid)",
  'Claude AI usage limit reached|1795820400',
  'Rate limit reached for requests. Please try again in 20s.',
  'try again in 3 days 4 hours 12 minutes',
  '429 Too Many Requests\nretry-after: 30',
  'Prompt is too long',
  'Invalid API key',
];

const record = fc.oneof(
  { weight: 2, arbitrary: fc.constantFrom(...WRITTEN.map((r) => JSON.stringify(r))) },
  { weight: 1, arbitrary: fc.constantFrom(...fixtureRecords()) },
);
const text = fc.constantFrom(...TEXTS);

const hugeNumber = fc.oneof(
  fc.constantFrom(
    '9999999999999',
    '1e300',
    '1e400',
    '-1e400',
    '0',
    '-1',
    '1.5e9',
    '99999999999999999999',
  ),
  fc.integer({ min: 1, max: 400 }).map((n) => '9'.repeat(n)),
  fc.bigInt({ min: 0n, max: 10n ** 30n }).map(String),
);

/** Every number in the text replaced, in turn, by these (in JSON: still a number, or +-Infinity). */
function replaceNumbers(input: string, values: readonly string[]): string {
  let i = 0;
  return input.replace(
    /-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/g,
    () => values[i++ % values.length] ?? '0',
  );
}

type Edit =
  | { readonly kind: 'numbers'; readonly values: readonly string[] }
  | { readonly kind: 'insert'; readonly at: number; readonly junk: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'nest'; readonly depth: number; readonly asObject: boolean }
  | { readonly kind: 'pretty' };

const edit: fc.Arbitrary<Edit> = fc.oneof(
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('numbers' as const),
      values: fc.array(hugeNumber, { minLength: 1, maxLength: 3 }),
    }),
  },
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    junk: fc.string({ unit: 'binary', maxLength: 20 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({
    kind: fc.constant('nest' as const),
    depth: fc.integer({ min: 1, max: 12_000 }),
    asObject: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('pretty' as const) }),
);

function apply(input: string, e: Edit): string {
  switch (e.kind) {
    case 'numbers':
      return replaceNumbers(input, e.values);
    case 'insert': {
      const at = e.at % (input.length + 1);
      return input.slice(0, at) + e.junk + input.slice(at);
    }
    case 'truncate':
      return input.slice(0, e.at % (input.length + 1));
    case 'nest':
      return e.asObject
        ? `${'{"a":'.repeat(e.depth)}${input}${'}'.repeat(e.depth)}`
        : `${'['.repeat(e.depth)}${input}${']'.repeat(e.depth)}`;
    case 'pretty':
      // Indenting is quadratic in the depth: a nested input stays as it is.
      if (nesting(input) > 50) return input;
      try {
        return JSON.stringify(JSON.parse(input) as unknown, null, 2);
      } catch {
        return input; // not JSON (an earlier edit broke it): left as it is
      }
  }
}

/** How deep the brackets go (strings included: a bound, not a parse). */
function nesting(input: string): number {
  let depth = 0;
  let deepest = 0;
  for (const c of input) {
    if (c === '[' || c === '{') deepest = Math.max(deepest, ++depth);
    else if (c === ']' || c === '}') depth--;
  }
  return deepest;
}

const edited = (base: fc.Arbitrary<string>) =>
  fc.tuple(base, fc.array(edit, { maxLength: 3 })).map(([s, es]) => es.reduce(apply, s));

/** One input of each kind `palingenesis classify` reads. */
const input = fc.oneof(
  edited(text),
  edited(record),
  // JSON lines, the last that says anything deciding.
  fc.array(edited(record), { minLength: 2, maxLength: 20 }).map((lines) => lines.join('\n')),
  // A record wrapped in a record, as an escaped string (a body inside a message).
  edited(record).map((r) => JSON.stringify({ error: { message: r } })),
  fc.string({ unit: 'binary', maxLength: 1000 }),
  fc.string({ unit: 'grapheme', maxLength: 300 }),
);
const READERS = new Map<string, RecordReader[]>();
for (const name of CLASSIFY_AGENTS) READERS.set(name, (await recordReaders(name)) ?? []);
const agent = fc.constantFrom(...CLASSIFY_AGENTS);

function assertValidVerdict(v: ClassifyVerdict): void {
  assert.ok(v.reason === 'none' || STOP_REASONS.includes(v.reason), v.reason);
  assert.equal(typeof v.source, 'string');
  assert.equal(typeof v.evidence, 'string');
  assert.equal(v.resetAt === null, v.waitSeconds === null);
  if (v.resetAt === null || v.waitSeconds === null) return;
  const at = Date.parse(v.resetAt);
  assert.ok(Number.isFinite(at), v.resetAt);
  assert.ok(at <= NOW + MAX_WAIT_MS, v.resetAt);
  assert.ok(Number.isInteger(v.waitSeconds) && v.waitSeconds >= 0);
  assert.ok(v.waitSeconds <= MAX_WAIT_MS / 1000, String(v.waitSeconds));
  if (at === NOW + MAX_WAIT_MS) assert.match(v.evidence, /clamped to the \d+-day maximum/);
}

describe('classifyInput fuzz', () => {
  it('any input of any kind, for any agent', (t) => {
    let slowestMs = 0;
    const seen = { runs: 0, stops: 0, resets: 0, clamped: 0 };
    fc.assert(
      fc.property(input, agent, (given, who) => {
        const started = performance.now();
        const v = classifyInput(given, NOW, 'UTC', READERS.get(who) ?? []);
        const ms = performance.now() - started;
        slowestMs = Math.max(slowestMs, ms);
        assert.ok(ms < MAX_MS_PER_INPUT, `${ms.toFixed(0)} ms for ${given.length} chars`);
        assertValidVerdict(v);
        seen.runs++;
        if (v.reason !== 'none') seen.stops++;
        if (v.resetAt !== null) seen.resets++;
        if (/clamped/.test(v.evidence)) seen.clamped++;
      }),
      { seed: SEED, numRuns: 400 },
    );
    t.diagnostic(`slowest input: ${slowestMs.toFixed(1)} ms; ${JSON.stringify(seen)}`);
    // The inputs must reach the code under test: stops, resets, and clamped resets.
    assert.ok(seen.stops > seen.runs / 5 && seen.resets > seen.runs / 10, JSON.stringify(seen));
    assert.ok(seen.clamped > 5, JSON.stringify(seen));
  });

  it('long input: JSON lines, one long line, deep nesting', (t) => {
    let slowestMs = 0;
    const long = fc.oneof(
      fc
        .tuple(record, fc.integer({ min: 200, max: 1000 }))
        .map(([r, n]) => Array.from({ length: n }, () => r).join('\n')),
      fc
        .tuple(text, fc.integer({ min: 100_000, max: 1_000_000 }))
        .map(([s, n]) => `${s} `.repeat(Math.ceil(n / (s.length + 1)))),
      fc
        .tuple(record, fc.integer({ min: 10_000, max: 50_000 }))
        .map(([r, d]) => `${'['.repeat(d)}${r}${']'.repeat(d)}`),
    );
    fc.assert(
      fc.property(long, (given) => {
        const started = performance.now();
        assertValidVerdict(classifyInput(given, NOW, 'UTC', READERS.get('auto') ?? []));
        const ms = performance.now() - started;
        slowestMs = Math.max(slowestMs, ms);
        assert.ok(ms < MAX_MS_PER_INPUT, `${ms.toFixed(0)} ms for ${given.length} chars`);
      }),
      { seed: SEED, numRuns: 20 },
    );
    t.diagnostic(`slowest input: ${slowestMs.toFixed(1)} ms`);
  });
});
