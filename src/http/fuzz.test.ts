import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { AUTH, info, memoryApp, memoryControl, sessionView } from '../../test/helpers/http-app.js';
import {
  body,
  hookPayload,
  refusedRequest,
  request,
  untrusted,
} from '../../test/helpers/http-arbitraries.js';
import type { DaemonEvent } from '../core/events.js';
import { createEventStream, type EventStream } from '../events/stream.js';
import type { Clock } from '../jobs/clock.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { HTTP_STATUS } from './errors.js';

// Seeded and bounded: the same requests every run, a few hundred of each kind, seconds in all.
const SEED = 20261127;
const RUNS = 250;
/** A generous sanity bound per request (in memory they take a few ms), not a timing goal. */
const ANSWER_WITHIN_MS = 3000;
const T0 = Date.parse('2026-11-27T10:00:00Z');

interface Harness {
  readonly app: FastifyInstance;
  readonly stream: EventStream;
  readonly accepted: unknown[];
  close(): Promise<void>;
}

/** The real app with every route: events, metrics, hooks and token rotation included. */
function harness(options: { hooksPerSecond?: number } = {}): Harness {
  const clock: Clock = { now: () => T0, setTimer: () => () => undefined };
  const stream = createEventStream({ clock });
  const event: DaemonEvent = {
    type: 'daemon.state_changed',
    at: T0,
    from: 'monitoring',
    to: 'paused',
  };
  for (let i = 0; i < 3; i++) stream.publish({ ...event, at: T0 + i });
  const metrics: Metrics = createMetrics({
    version: info.version,
    commit: info.commit,
    uptimeSeconds: info.uptimeSeconds,
    daemonState: () => 'monitoring',
    resume: {
      agents: ['opencode', 'claude-code'],
      lifetime: { saves: 0, timeSavedSeconds: 0 },
      snapshot: () => ({ activeSessions: { opencode: 0, 'claude-code': 0 }, retryAttempts: 0 }),
    },
  });
  const accepted: unknown[] = [];
  const app = memoryApp({
    control: memoryControl([sessionView('s1'), sessionView('busy-one', { state: 'busy' })]),
    events: stream,
    metrics,
    hooks: (_agent, payload) => {
      accepted.push(payload);
      return Promise.resolve({ kind: 'accepted' });
    },
    rotateToken: () => Promise.resolve({ ok: false, message: 'not in tests' }),
    now: () => T0,
    ...options,
  });
  return {
    app,
    stream,
    accepted,
    async close() {
      await app.close();
      metrics.close();
    },
  };
}

/**
 * The answer, however the route answers: an SSE stream that would follow forever is ended once it
 * is open (it got its 200 and headers by then). Rejects past ANSWER_WITHIN_MS.
 */
async function answer(h: Harness, request: InjectOptions): Promise<LightMyRequestResponse> {
  const state = { settled: false };
  const pending = h.app.inject(request).finally(() => {
    state.settled = true;
  });
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new Error(`no answer within ${ANSWER_WITHIN_MS} ms: ${show(request)}`));
    }, ANSWER_WITHIN_MS);
  });
  try {
    for (let tick = 0; tick < 10_000 && !state.settled; tick++) {
      await new Promise((resolve) => setImmediate(resolve));
      if (h.stream.clientCount() > 0) h.stream.disconnectAll('fuzz: that will do');
    }
    return await Promise.race([pending, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** What holds for every answer: no 5xx, and a refusal in the API's one error shape. */
function checkAnswer(request: InjectOptions, res: LightMyRequestResponse): void {
  const what = `${show(request)} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.ok(res.statusCode < 500, what);
  if (res.statusCode < 400 || request.method === 'HEAD') return;
  const body = res.json<{ error?: { code?: unknown; message?: unknown } }>();
  const code = body.error?.code;
  assert.ok(typeof code === 'string' && code in HTTP_STATUS, what);
  assert.equal(HTTP_STATUS[code as keyof typeof HTTP_STATUS], res.statusCode, what);
  assert.equal(typeof body.error?.message, 'string', what);
  assert.ok(res.body.length < 2000, `an error body echoes too much: ${what}`);
}

async function stillHealthy(h: Harness): Promise<void> {
  const res = await h.app.inject({ method: 'GET', url: '/health' });
  assert.equal(res.statusCode, 200, res.body);
}

function urlOf(request: InjectOptions): string {
  return typeof request.url === 'string' ? request.url : JSON.stringify(request.url);
}

function show(request: InjectOptions): string {
  const headers = JSON.stringify(request.headers ?? {});
  const { payload } = request;
  const size =
    typeof payload === 'string' || Buffer.isBuffer(payload) ? payload.length : payload ? '?' : 0;
  return `${request.method ?? 'GET'} ${urlOf(request).slice(0, 200)} ${headers.slice(0, 300)} body ${size}`;
}

const OPEN_ROUTES = new Set(['/health', '/api/v1/metrics']);

/**
 * The access check's part: refused (401, 403) exactly when token, Host or Origin is wrong, except
 * on the open routes and where the router refuses the path before any check runs.
 */
function checkAccess(r: InjectOptions, res: LightMyRequestResponse): void {
  const path = urlOf(r).split('?')[0] ?? '';
  const open = (r.method === 'GET' || r.method === 'HEAD') && OPEN_ROUTES.has(path);
  const refusedByRouter = res.statusCode === 414 || /percent-encoded/.test(res.body);
  const what = `${show(r)} → ${res.statusCode} ${res.body.slice(0, 200)}`;
  if (!untrusted(r)) assert.ok(![401, 403].includes(res.statusCode), what);
  else if (!open && !refusedByRouter) assert.ok([401, 403].includes(res.statusCode), what);
}

describe('HTTP API fuzz (seeded, bounded, in memory)', () => {
  it('any request: never a 5xx, the error body shape, answered in time, /health after', async () => {
    const h = harness();
    const seen = new Map<number, number>();
    try {
      await fc.assert(
        fc.asyncProperty(request, async (r) => {
          const res = await answer(h, r);
          seen.set(res.statusCode, (seen.get(res.statusCode) ?? 0) + 1);
          checkAnswer(r, res);
          checkAccess(r, res);
          await stillHealthy(h);
        }),
        { seed: SEED, numRuns: RUNS * 2, endOnFailure: true },
      );
      // The generators reach every kind of answer (a fixed seed: this is a fact, not luck).
      for (const status of [200, 202, 400, 401, 403, 404, 405, 409, 413, 415]) {
        assert.ok(seen.has(status), `no ${status} in ${JSON.stringify([...seen])}`);
      }
    } finally {
      await h.close();
    }
  });

  it('without the right token, or from a foreign Host or Origin: 401 or 403, never more', async () => {
    const h = harness();
    try {
      await fc.assert(
        fc.asyncProperty(refusedRequest, async (r) => {
          const res = await answer(h, r);
          checkAnswer(r, res);
          checkAccess(r, res);
        }),
        { seed: SEED + 1, numRuns: RUNS, endOnFailure: true },
      );
      assert.equal(h.accepted.length, 0, 'a hook got in without the token');
    } finally {
      await h.close();
    }
  });

  it('hook payloads of any shape: 202 for an object, else 400 / 413 / 429', async () => {
    // The clock stands still: no session gets more than its burst of 10, no address its 100.
    const h = harness({ hooksPerSecond: 1 });
    const seen = new Set<number>();
    const post = fc.oneof(
      hookPayload.map((p) => JSON.stringify(p)),
      body.filter((b) => b !== undefined),
    );
    try {
      await fc.assert(
        fc.asyncProperty(post, fc.constantFrom('127.0.0.1', '::1'), async (payload, from) => {
          const r: InjectOptions = {
            method: 'POST',
            url: '/api/v1/hooks/claude-code',
            remoteAddress: from,
            headers: { ...AUTH, 'content-type': 'application/json' },
            payload,
          };
          const res = await answer(h, r);
          checkAnswer(r, res);
          seen.add(res.statusCode);
          assert.ok(
            [202, 400, 413, 429].includes(res.statusCode),
            `${show(r)} → ${res.statusCode}`,
          );
        }),
        { seed: SEED + 2, numRuns: RUNS, endOnFailure: true },
      );
      assert.deepEqual([...seen].sort(), [202, 400, 413, 429]);
      const perSession = new Map<unknown, number>();
      for (const payload of h.accepted) {
        assert.ok(typeof payload === 'object' && payload !== null && !Array.isArray(payload));
        const id = 'session_id' in payload ? payload.session_id : undefined;
        perSession.set(id, (perSession.get(id) ?? 0) + 1);
      }
      assert.ok(h.accepted.length <= 200, `${h.accepted.length} accepted from two addresses`);
      for (const [id, count] of perSession) {
        assert.ok(count <= 20, `session ${String(id)}: ${count} accepted, over two bursts of 10`);
      }
      await stillHealthy(h);
    } finally {
      await h.close();
    }
  });
});
