import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it, type TestContext } from 'node:test';
import fc from 'fast-check';
import { jitteredBackoffMs } from './backoff.js';
import { classify } from './classify.js';
import { decide, type ResumePolicy } from './decide.js';
import { MAX_WAIT_MS, isCalendarInstant } from './max-wait.js';
import { resetFromHeaders } from './reset-headers.js';
import {
  STOP_REASONS,
  type AgentErrorEvidence,
  type StopEvidence,
  type StopReason,
} from './stop-reason.js';
import { parseStopText, readResetFromText } from './stop-text.js';

/**
 * Seeded, bounded properties: for any evidence the core never throws, always names a reason, and
 * any reset it states is a calendar instant at most MAX_WAIT_MS away, read in bounded time.
 * The inputs start from real stop messages (test/fixtures) and mutate them.
 */
const NOW = Date.parse('2026-11-27T22:00:00Z');
const SEED = 20261127;
/** Generous: a real input takes a few ms, and this runs on a loaded 2-core machine. */
const MAX_MS_PER_INPUT = 250;

/** Every string in the recorded fixtures that looks like part of a stop message. */
function fixtureMessages(): string[] {
  const root = new URL('../../test/fixtures/', import.meta.url);
  const found = new Set<string>();
  const walk = (value: unknown): void => {
    if (typeof value === 'string') {
      if (value.length <= 2000 && STOPPY.test(value)) found.add(value);
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v);
    } else if (typeof value === 'object' && value !== null) {
      for (const v of Object.values(value)) walk(v);
    }
  };
  for (const agent of ['claude-code', 'opencode']) {
    for (const file of readdirSync(new URL(`${agent}/`, root))) {
      if (file.endsWith('.json')) {
        walk(JSON.parse(readFileSync(new URL(`${agent}/${file}`, root), 'utf8')) as unknown);
      }
    }
  }
  return [...found].sort();
}
const STOPPY = /limit|rate|overload|reset|retry|429|529|context|too long|quota|error|exhaust/i;

/** Messages as agents and providers write them (the unit tests' rows hold many more). */
const WRITTEN = [
  "You've hit your limit · resets 2:45pm (Europe/Madrid)",
  'You’ve hit your session limit ∙ resets 4am',
  "You've hit your weekly limit · resets Mar 2, 8am (Asia/Tokyo)",
  'Claude AI usage limit reached|1795820400',
  'Rate limit reached for requests. Please try again in 20s.',
  'Please retry in 42.5s.\nRESOURCE_EXHAUSTED',
  '{"error":{"type":"usage_limit_reached","resets_at":1795831200,"resets_in_seconds":7200}}',
  '{"error":{"code":429,"status":"RESOURCE_EXHAUSTED","details":[{"retryDelay":"42s"}]}}',
  'retry-after-ms: 1500\nretry-after: Fri, 27 Nov 2026 23:30:00 GMT',
  "You've hit your usage limit. try again at Sep 9th, 2026 7:05 AM.",
  'try again in 3 days 4 hours 12 minutes',
  'API Error: 529 Overloaded. Retrying in 30 seconds…',
  '{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}',
  'Prompt is too long',
  "You've used 90% of your session limit · resets 3pm (Europe/Madrid)",
];

const hugeNumber = fc.oneof(
  fc.constantFrom('9999999999999', '1e300', '1e400', 'Infinity', 'NaN', '-1', '0', '1.5', '1e-9'),
  fc.bigInt({ min: 0n, max: 10n ** 40n }).map(String),
  fc.integer({ min: 1, max: 400 }).map((n) => '9'.repeat(n)),
  fc.double().map(String),
  fc.nat().map(String),
);

/** Any double a structured field could carry, NaN and ±Infinity included. */
const anyNumber = fc.oneof(
  fc.double(),
  fc.constantFrom(NaN, Infinity, -Infinity, 1e303, -1e303, 8.64e15, NOW),
  fc.double({ min: NOW - 1e10, max: NOW + 1e11, noNaN: true }),
);

type Mutation =
  | { readonly kind: 'numbers'; readonly values: readonly string[] }
  | { readonly kind: 'insert'; readonly at: number; readonly junk: string }
  | { readonly kind: 'truncate'; readonly at: number }
  | { readonly kind: 'repeat'; readonly times: number }
  | { readonly kind: 'case'; readonly upper: boolean }
  | { readonly kind: 'wrap'; readonly escaped: boolean }
  | { readonly kind: 'concat'; readonly other: string };

// Mostly the written forms, which state resets; the fixtures add the real surroundings.
const sample = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...WRITTEN) },
  { weight: 1, arbitrary: fc.constantFrom(...fixtureMessages()) },
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({
    kind: fc.constant('numbers' as const),
    values: fc.array(hugeNumber, { minLength: 1, maxLength: 4 }),
  }),
  fc.record({
    kind: fc.constant('insert' as const),
    at: fc.nat(),
    junk: fc.string({ unit: 'binary', maxLength: 40 }),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('repeat' as const), times: fc.integer({ min: 2, max: 60 }) }),
  fc.record({ kind: fc.constant('case' as const), upper: fc.boolean() }),
  fc.record({ kind: fc.constant('wrap' as const), escaped: fc.boolean() }),
  fc.record({ kind: fc.constant('concat' as const), other: sample }),
);

function mutate(text: string, m: Mutation): string {
  switch (m.kind) {
    case 'numbers': {
      let i = 0;
      return text.replace(/\d+(?:\.\d+)?/g, () => m.values[i++ % m.values.length] ?? '');
    }
    case 'insert': {
      const at = m.at % (text.length + 1);
      return text.slice(0, at) + m.junk + text.slice(at);
    }
    case 'truncate':
      return text.slice(0, m.at % (text.length + 1));
    case 'repeat':
      return `${text}\n`.repeat(m.times);
    case 'case':
      return m.upper ? text.toUpperCase() : text.toLowerCase();
    case 'wrap': {
      const body = JSON.stringify({ error: { message: text } });
      return m.escaped ? JSON.stringify(body) : body;
    }
    case 'concat':
      return `${text} ${m.other}`;
  }
}

/** A real message, mutated a few times; kept under 32 KB so a run stays quick. */
const message: fc.Arbitrary<string> = fc
  .oneof(
    { weight: 6, arbitrary: fc.tuple(sample, fc.array(mutation, { maxLength: 4 })) },
    {
      weight: 1,
      arbitrary: fc.tuple(fc.string({ unit: 'binary', maxLength: 500 }), fc.constant([])),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(
        fc.string({ unit: 'grapheme', maxLength: 200 }),
        fc.array(mutation, { maxLength: 2 }),
      ),
    },
  )
  .map(([text, ms]) => ms.reduce((t: string, m: Mutation) => mutate(t, m).slice(0, 32_768), text));

const HEADER_NAMES = [
  'retry-after',
  'retry-after-ms',
  'x-ratelimit-reset',
  'x-ratelimit-reset-requests',
  'x-ratelimit-reset-tokens',
  'anthropic-ratelimit-unified-reset',
  'anthropic-ratelimit-tokens-reset',
  'content-type',
];
const headerValue = fc.oneof(
  hugeNumber,
  fc.constantFrom('Fri, 27 Nov 2026 23:30:00 GMT', '9999-12-31T00:00:00Z', '1h2m3.5s', '6m0s', ''),
  hugeNumber.map((n) => `${n}h`),
  fc.string({ unit: 'binary', maxLength: 30 }),
);
const headers = fc.dictionary(fc.constantFrom(...HEADER_NAMES), headerValue, { maxKeys: 4 });

const errorEvidence: fc.Arbitrary<AgentErrorEvidence> = fc.record(
  {
    name: fc.constantFrom(
      'APIError',
      'ContextOverflowError',
      'MessageAbortedError',
      'ClaudeCode:rate_limit',
      'ProviderAuthError',
      '',
    ),
    message,
    statusCode: fc.oneof(fc.constantFrom(429, 529, 500, 503, 401, 400, 0), anyNumber),
    isRetryable: fc.boolean(),
    headers,
    body: message,
    kind: fc.constantFrom(...STOP_REASONS),
    resetAt: anyNumber,
  },
  { requiredKeys: ['name'] },
);

const evidence: fc.Arbitrary<StopEvidence> = fc.record(
  {
    agent: fc.constantFrom(...['opencode', 'claude-code', 'codex']),
    lastAssistant: fc.record(
      {
        completed: fc.boolean(),
        finish: fc.constantFrom('stop', 'length', 'error', 'tool-calls'),
        error: errorEvidence,
      },
      { requiredKeys: ['completed'] },
    ),
    agentRestarted: fc.boolean(),
  },
  { requiredKeys: ['agent'] },
);

const now = fc.oneof(
  { weight: 8, arbitrary: fc.constant(NOW) },
  { weight: 2, arbitrary: fc.double({ min: -8.64e15, max: 8.64e15, noNaN: true }) },
  { weight: 1, arbitrary: fc.constantFrom(NaN, Infinity, -Infinity, 8.64e15, -8.64e15, 1e300) },
);
const zone = fc.constantFrom(
  'UTC',
  'Europe/Madrid',
  'America/New_York',
  'Asia/Tokyo',
  'Australia/Lord_Howe',
  'Mars/Olympus',
  '',
  'UTC+99:99',
);

/** Runs `f`, asserts it took less than the bound, and keeps the slowest time for the report. */
function timer() {
  let slowestMs = 0;
  return {
    run<T>(f: () => T): T {
      const started = performance.now();
      const result = f();
      const ms = performance.now() - started;
      slowestMs = Math.max(slowestMs, ms);
      assert.ok(ms < MAX_MS_PER_INPUT, `${ms.toFixed(0)} ms`);
      return result;
    },
    report(t: TestContext) {
      t.diagnostic(`slowest input: ${slowestMs.toFixed(1)} ms`);
    },
  };
}

function assertBoundedReset(resetAt: number | undefined, at: number): void {
  if (resetAt === undefined) return;
  assert.ok(isCalendarInstant(resetAt), String(resetAt));
  assert.ok(resetAt <= at + MAX_WAIT_MS, `${resetAt - at} ms away`);
  assert.doesNotThrow(() => new Date(resetAt).toISOString());
}

function assertValidStop(stop: StopReason, given: StopEvidence, at: number): void {
  assert.ok(STOP_REASONS.includes(stop.reason), stop.reason);
  assert.equal(typeof stop.detail, 'string');
  assert.equal(stop.evidence, given);
  assertBoundedReset(stop.resetAt, at);
  if (stop.resetAt !== undefined) assert.ok(stop.resetSource !== undefined);
  if (stop.clampNote !== undefined) assert.ok(stop.detail.endsWith(stop.clampNote));
}

describe('core fuzz', () => {
  it('classify: any evidence, any now and zone', (t) => {
    const time = timer();
    const seen = { runs: 0, resets: 0, clamped: 0 };
    fc.assert(
      fc.property(evidence, now, zone, (e, at, z) => {
        const stop = time.run(() => classify(e, at, z));
        assertValidStop(stop, e, at);
        seen.runs++;
        if (stop.resetAt !== undefined) seen.resets++;
        if (stop.clampNote !== undefined) seen.clamped++;
      }),
      { seed: SEED, numRuns: 400 },
    );
    time.report(t);
    t.diagnostic(JSON.stringify(seen));
    // The inputs must reach the code under test: resets are read, and some are clamped.
    assert.ok(seen.resets > seen.runs / 10 && seen.clamped > 10, JSON.stringify(seen));
  });

  it('parseStopText and readResetFromText: any text', (t) => {
    const time = timer();
    const seen = { runs: 0, stops: 0, clamped: 0 };
    fc.assert(
      fc.property(message, now, zone, (text, at, z) => {
        const read = time.run(() => parseStopText(text, at, z));
        seen.runs++;
        if (read.kind !== 'none') seen.stops++;
        if (read.clampNote !== undefined) seen.clamped++;
        assert.ok(
          ['rate_limit', 'context_exhausted', 'overloaded', 'warning', 'none'].includes(read.kind),
        );
        assertBoundedReset(read.resetAt, at);
        if (read.resetAt !== undefined) assert.ok(read.source !== undefined);
        const reset = time.run(() => readResetFromText(text, at, z));
        assertBoundedReset(reset?.resetAt, at);
      }),
      { seed: SEED, numRuns: 400 },
    );
    time.report(t);
    t.diagnostic(JSON.stringify(seen));
    assert.ok(seen.stops > seen.runs / 5 && seen.clamped > 5, JSON.stringify(seen));
  });

  it('resetFromHeaders: any header values', (t) => {
    const time = timer();
    fc.assert(
      fc.property(headers, now, (h, at) => {
        assertBoundedReset(time.run(() => resetFromHeaders(h, at))?.resetAt, at);
      }),
      { seed: SEED, numRuns: 500 },
    );
    time.report(t);
  });

  it('long input: 100 KB to 1 MB of repeated messages, junk or one line', (t) => {
    const long = fc.oneof(
      fc
        .tuple(sample, fc.integer({ min: 100_000, max: 1_000_000 }))
        .map(([s, n]) => `${s}\n`.repeat(Math.ceil(n / (s.length + 1)))),
      fc
        .tuple(
          fc.string({ unit: 'binary', minLength: 1, maxLength: 20 }),
          fc.integer({ min: 100_000, max: 1_000_000 }),
        )
        .map(([s, n]) => s.repeat(Math.ceil(n / s.length))),
      fc
        .tuple(sample, fc.integer({ min: 100_000, max: 1_000_000 }))
        .map(([s, n]) => `${' '.repeat(n)}${s}`),
      // Blank lines, under and over the length that is cut.
      fc
        .tuple(
          fc.constantFrom('\n', '\r', ' \t\n', '\r\n', '\u2028'),
          fc.integer({ min: 10_000, max: 300_000 }),
          sample,
        )
        .map(([ws, n, s]) => `${ws.repeat(Math.ceil(n / ws.length))}${s}`),
    );
    const time = timer();
    fc.assert(
      fc.property(long, (text) => {
        const e: StopEvidence = {
          agent: 'claude-code',
          lastAssistant: {
            completed: true,
            error: { name: 'APIError', message: text, body: text },
          },
        };
        assertValidStop(
          time.run(() => classify(e, NOW, 'UTC')),
          e,
          NOW,
        );
      }),
      { seed: SEED, numRuns: 30 },
    );
    time.report(t);
  });

  it('decide: any stop, history, policy, now and jitter', () => {
    const policy: fc.Arbitrary<ResumePolicy> = fc.record({
      marginMs: anyNumber,
      backoffBaseMs: anyNumber,
      backoffMaxMs: anyNumber,
      maxRetries: fc.oneof(fc.integer({ min: 0, max: 100 }), anyNumber),
    });
    const stop: fc.Arbitrary<StopReason> = fc.record(
      {
        reason: fc.constantFrom(...STOP_REASONS),
        resetAt: anyNumber,
        resetSource: fc.string({ maxLength: 10 }),
        detail: fc.string({ maxLength: 20 }),
        evidence: fc.constant<StopEvidence>({ agent: 'opencode' }),
      },
      { requiredKeys: ['reason', 'detail', 'evidence'] },
    );
    const attempts = fc.oneof(fc.integer({ min: 0, max: 10 }), anyNumber);
    fc.assert(
      fc.property(stop, attempts, policy, now, anyNumber, (s, n, p, at, jitter) => {
        const decision = decide(s, { attempts: n }, p, at, jitter);
        assert.equal(typeof decision.why, 'string');
        if (!('dueAt' in decision)) return;
        assert.ok(isCalendarInstant(decision.dueAt), String(decision.dueAt));
        assert.ok(decision.dueAt <= at + 2 * MAX_WAIT_MS);
        assert.ok(Number.isSafeInteger(decision.attempt) && decision.attempt >= 1);
      }),
      { seed: SEED, numRuns: 500 },
    );
  });

  it('jitteredBackoffMs: any numbers give whole ms within [0, MAX_WAIT_MS]', () => {
    fc.assert(
      fc.property(anyNumber, anyNumber, anyNumber, anyNumber, (attempt, base, max, jitter) => {
        const ms = jitteredBackoffMs(attempt, base, max, jitter);
        assert.ok(Number.isInteger(ms) && ms >= 0 && ms <= MAX_WAIT_MS, String(ms));
      }),
      { seed: SEED, numRuns: 500 },
    );
  });
});
