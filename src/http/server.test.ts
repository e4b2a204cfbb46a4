import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { INITIAL_FACTS, applyControl, daemonState } from '../core/daemon-state.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import type { DaemonControl, DaemonInfo } from './control.js';
import { createHttpApp } from './server.js';

const info: DaemonInfo = {
  version: '9.9.9',
  commit: 'cafe123',
  pid: 4242,
  startedAt: new Date('2026-11-27T10:00:00Z'),
  uptimeSeconds: () => 42.5,
};

function memoryControl(): DaemonControl {
  let facts = INITIAL_FACTS;
  return {
    state: () => daemonState(facts),
    apply: (command) => {
      const result = applyControl(facts, command);
      if (result.ok) facts = result.facts;
      return result;
    },
    sessions: () => [],
    command: (sessionId) =>
      Promise.resolve(
        sessionId === 'busy-one'
          ? { ok: false, error: 'conflict', message: 'session busy-one has no pending resume' }
          : { ok: false, error: 'not_found', message: `no session ${sessionId} is known` },
      ),
    totals: () => ({ saves: 0, timeSavedSeconds: 0 }),
  };
}

function collectingLogger(): { log: pino.Logger; lines: string[] } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  return { log: pino({ level: 'info' }, stream), lines };
}

function app(options: { metrics?: Metrics; log?: pino.Logger } = {}) {
  const control = memoryControl();
  return createHttpApp({
    info,
    control,
    metrics: options.metrics,
    log: options.log ?? pino({ level: 'silent' }),
  });
}

describe('routes', () => {
  it('GET /health', async () => {
    const res = await app().inject({ method: 'GET', url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 'ok', version: '9.9.9', uptimeSeconds: 42.5 });
  });

  it('GET /api/v1/status', async () => {
    const res = await app().inject({ method: 'GET', url: '/api/v1/status' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), {
      state: 'monitoring',
      stateCode: 1,
      version: '9.9.9',
      commit: 'cafe123',
      pid: 4242,
      startedAt: '2026-11-27T10:00:00.000Z',
      uptimeSeconds: 42.5,
      totals: { saves: 0, timeSavedSeconds: 0 },
      sessions: [],
    });
  });

  it('session commands: 404 unknown session, 409 conflict, 400 bad body, 405 wrong method', async () => {
    const server = app();
    const wake = await server.inject({ method: 'POST', url: '/api/v1/sessions/nope/wake' });
    assert.equal(wake.statusCode, 404);
    assert.deepEqual(wake.json(), {
      error: { code: 'not_found', message: 'no session nope is known' },
    });
    const cancel = await server.inject({ method: 'POST', url: '/api/v1/sessions/busy-one/cancel' });
    assert.equal(cancel.statusCode, 409);
    const body = await server.inject({
      method: 'POST',
      url: '/api/v1/new-session',
      payload: { sessionId: 'x' },
    });
    assert.equal(body.statusCode, 400);
    assert.equal(body.json<{ error: { code: string } }>().error.code, 'bad_request');
    const get = await server.inject({ method: 'GET', url: '/api/v1/sessions/abc/pause' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers['allow'], 'POST');
  });

  it('pause, pause again (409), resume, resume again (409)', async () => {
    const server = app();
    const calls: [string, number, unknown][] = [];
    for (const url of ['/api/v1/pause', '/api/v1/pause', '/api/v1/resume', '/api/v1/resume']) {
      const res = await server.inject({ method: 'POST', url });
      calls.push([url, res.statusCode, res.json()]);
    }
    assert.deepEqual(calls, [
      ['/api/v1/pause', 200, { state: 'paused', stateCode: 2 }],
      [
        '/api/v1/pause',
        409,
        { error: { code: 'conflict', message: 'the daemon is already paused' } },
      ],
      ['/api/v1/resume', 200, { state: 'monitoring', stateCode: 1 }],
      ['/api/v1/resume', 409, { error: { code: 'conflict', message: 'the daemon is not paused' } }],
    ]);
    const status = await server.inject({ method: 'GET', url: '/api/v1/status' });
    assert.equal(status.json<{ state: string }>().state, 'monitoring');
  });
});

describe('errors', () => {
  it('unknown path is a JSON 404', async () => {
    const res = await app().inject({ method: 'GET', url: '/api/v1/nope?x=1' });
    assert.equal(res.statusCode, 404);
    assert.match(String(res.headers['content-type']), /^application\/json/);
    assert.deepEqual(res.json(), {
      error: { code: 'not_found', message: 'no route for GET /api/v1/nope' },
    });
  });

  it('wrong method on a known path is a JSON 405 with Allow', async () => {
    const server = app();
    const del = await server.inject({ method: 'DELETE', url: '/api/v1/status' });
    assert.equal(del.statusCode, 405);
    assert.equal(del.headers['allow'], 'GET, HEAD');
    assert.equal(del.json<{ error: { code: string } }>().error.code, 'method_not_allowed');
    const get = await server.inject({ method: 'GET', url: '/api/v1/pause' });
    assert.equal(get.statusCode, 405);
    assert.equal(get.headers['allow'], 'POST');
  });

  it('malformed JSON body is a JSON 400', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { 'content-type': 'application/json' },
      payload: '{"x":',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'bad_request');
  });

  it('an oversized body is a JSON 413', async () => {
    const res = await app().inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { 'content-type': 'application/json' },
      payload: JSON.stringify({ pad: 'x'.repeat(100_000) }),
    });
    assert.equal(res.statusCode, 413);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'payload_too_large');
  });

  it('a real fault is a 500 that hides the detail from the client and logs it', async () => {
    const broken: Metrics = {
      contentType: 'text/plain',
      render: () => Promise.reject(new Error('secret internals')),
      record: () => undefined,
      notifications: { count: () => undefined, declare: () => undefined },
      close: () => undefined,
    };
    const { log, lines } = collectingLogger();
    const res = await app({ metrics: broken, log }).inject({
      method: 'GET',
      url: '/api/v1/metrics',
    });
    assert.equal(res.statusCode, 500);
    assert.deepEqual(res.json(), {
      error: { code: 'internal', message: 'internal error; see the daemon log' },
    });
    assert.equal(lines.length, 1);
    assert.match(lines[0] ?? '', /secret internals/);
  });
});

describe('metrics route', () => {
  it('serves the exposition with the exact content type', async () => {
    const metrics = createMetrics({
      version: '9.9.9',
      commit: 'cafe123',
      uptimeSeconds: info.uptimeSeconds,
      daemonState: () => 'monitoring',
      resume: {
        lifetime: { saves: 0, timeSavedSeconds: 0 },
        snapshot: () => ({ activeSessions: { opencode: 0, 'claude-code': 0 }, retryAttempts: 0 }),
      },
    });
    try {
      const res = await app({ metrics }).inject({ method: 'GET', url: '/api/v1/metrics' });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-type'], 'text/plain; version=0.0.4; charset=utf-8');
      assert.match(res.body, /^palingenesis_daemon_state 1$/m);
    } finally {
      metrics.close();
    }
  });

  it('is a plain 404 when metrics are disabled (AC4)', async () => {
    const res = await app().inject({ method: 'GET', url: '/api/v1/metrics' });
    assert.equal(res.statusCode, 404);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'not_found');
  });
});
