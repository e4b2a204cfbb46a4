import assert from 'node:assert/strict';
import { once } from 'node:events';
import { get } from 'node:http';
import { connect, type Socket } from 'node:net';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import { pino } from 'pino';
import {
  AUTH,
  authed,
  info,
  memoryApp,
  memoryControl,
  sessionView,
} from '../../test/helpers/http-app.js';
import { createEventStream } from '../events/stream.js';
import { systemClock } from '../jobs/clock.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';

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
  const server = memoryApp({
    control: memoryControl([sessionView('busy-one', { state: 'busy' })]),
    metrics: options.metrics,
    ...(options.log ? { log: options.log } : {}),
  });
  return { inject: (request: InjectOptions) => authed(server, request), server };
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
      sessions: [
        {
          agent: 'claude-code',
          id: 'busy-one',
          directory: null,
          title: null,
          state: 'busy',
          attempts: 1,
          paused: false,
          lastStop: null,
          nextWakeAt: null,
          steps: null,
        },
      ],
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
      url: '/api/v1/new-session',
      headers: { 'content-type': 'application/json' },
      payload: '{"x":',
    });
    assert.equal(res.statusCode, 400);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'bad_request');
  });

  it('a body over maxBodyBytes is a 413 naming the limit; the default is 256 KiB', async () => {
    const post = (server: FastifyInstance, padBytes: number) =>
      authed(server, {
        method: 'POST',
        url: '/api/v1/new-session',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ session: 'x', pad: 'x'.repeat(padBytes) }),
      });
    const small = memoryApp({ maxBodyBytes: 4096 });
    const over = await post(small, 5000);
    assert.equal(over.statusCode, 413);
    assert.deepEqual(over.json(), {
      error: {
        code: 'payload_too_large',
        message: 'the request body is over the 4096-byte limit ([limits] max_body_bytes)',
      },
    });
    assert.equal((await post(small, 3000)).statusCode, 400); // parsed: the pad is not allowed
    const standard = memoryApp();
    assert.equal((await post(standard, 200_000)).statusCode, 400);
    const huge = await post(standard, 300_000);
    assert.equal(huge.statusCode, 413);
    assert.match(huge.json<{ error: { message: string } }>().error.message, /262144-byte limit/);
  });

  it('a real fault is a 500 that hides the detail from the client and logs it', async () => {
    const broken: Metrics = {
      contentType: 'text/plain',
      render: () => Promise.reject(new Error('secret internals')),
      record: () => undefined,
      notifications: { count: () => undefined, declare: () => undefined },
      inputs: { error: () => undefined, refused: () => undefined },
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
        agents: ['opencode', 'claude-code'],
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

/** What every refusal below must look like: our body shape, the status, and what it names. */
async function expectError(
  res: Promise<LightMyRequestResponse>,
  status: number,
  names: RegExp,
): Promise<void> {
  const answer = await res;
  assert.equal(answer.statusCode, status, answer.body);
  const { error } = answer.json<{ error: { code: string; message: string } }>();
  assert.equal(typeof error.code, 'string', answer.body);
  assert.match(error.message, names);
}

describe('bad requests are 4xx naming what was wrong, never 500', () => {
  const events = () =>
    memoryApp({
      events: createEventStream({ clock: systemClock }),
      hooks: () => Promise.resolve({ kind: 'accepted' }),
    });

  it('a repeated, bracketed, unknown or overlong query parameter is 400', async () => {
    const server = events();
    const get = (url: string) => authed(server, { method: 'GET', url });
    await expectError(get('/api/v1/events?since=1&since=2'), 400, /since is given 2 times/);
    await expectError(get('/api/v1/events?since[a]=1'), 400, /since takes one plain value/);
    await expectError(get('/api/v1/events?since[]=1'), 400, /since takes one plain value/);
    // Before: two follow values meant "follow", and this request never ended.
    await expectError(get('/api/v1/events?follow=false&follow=true'), 400, /follow is given 2/);
    await expectError(get('/api/v1/events?follow=maybe'), 400, /follow must be true or false/);
    await expectError(get('/api/v1/events?folow=false'), 400, /unknown query parameter "folow"/);
    await expectError(get(`/api/v1/events?since=${'1'.repeat(300)}`), 400, /longer than 256/);
    await expectError(get(`/api/v1/events?since=${'1'.repeat(100)}`), 400, /since must be/);
    await expectError(get('/api/v1/status?x=1'), 400, /"x"; this route takes none/);
    await expectError(get('/api/v1/sessions?__proto__=1'), 400, /"__proto__"/);
    const fine = await get('/api/v1/events?since=1&follow=false');
    assert.equal(fine.statusCode, 200);
  });

  it('a body on a route that takes none is 400 (415 if not JSON), before it is read', async () => {
    const server = events();
    const json = { 'content-type': 'application/json' };
    await expectError(
      authed(server, { method: 'POST', url: '/api/v1/pause', headers: json, payload: '{}' }),
      400,
      /^POST \/api\/v1\/pause takes no body$/,
    );
    await expectError(
      authed(server, { method: 'GET', url: '/api/v1/status', headers: json, payload: '{"a":' }),
      400,
      /GET \/api\/v1\/status takes no body/,
    );
    await expectError(
      authed(server, {
        method: 'POST',
        url: '/api/v1/sessions/busy-one/wake',
        headers: { 'content-type': 'text/plain' },
        payload: 'x'.repeat(1_000_000),
      }),
      415, // not 413: refused before the megabyte is read
      /must be JSON/,
    );
    const empty = await authed(server, { method: 'POST', url: '/api/v1/pause' });
    assert.equal(empty.statusCode, 200);
  });

  it('a bad path parameter is 400 (or 414) in the error body shape', async () => {
    const server = events();
    const post = (url: string) => authed(server, { method: 'POST', url });
    await expectError(post('/api/v1/sessions/%ZZ/pause'), 400, /not valid percent-encoded/);
    await expectError(post('/api/v1/sessions/%E0%A4%A/pause'), 400, /not valid percent-encoded/);
    await expectError(post(`/api/v1/sessions/${'a'.repeat(300)}/pause`), 414, /longer than 256/);
    await expectError(post('/api/v1/sessions//pause'), 400, /session id in the path/);
    await expectError(post('/api/v1/sessions/a%0Ab/pause'), 400, /control character/);
    await expectError(post('/api/v1/hooks/%ZZ'), 400, /not valid percent-encoded/);
    await expectError(post(`/api/v1/sessions/${'a'.repeat(256)}/pause`), 404, /no session/);
  });

  it('a body that is not JSON is 415; JSON of the wrong shape is 400', async () => {
    const server = events();
    const post = (url: string, type: string, payload: string) =>
      authed(server, { method: 'POST', url, headers: { 'content-type': type }, payload });
    await expectError(
      post('/api/v1/new-session', 'application/x-www-form-urlencoded', 'session=x'),
      415,
      /must be JSON \(Content-Type: application\/json\), not "application\/x-www-form-urlencoded"/,
    );
    await expectError(post('/api/v1/hooks/claude-code', 'text/plain', '{}'), 415, /JSON/);
    await expectError(post('/api/v1/new-session', 'application/json', '"x"'), 400, /session/);
    await expectError(post('/api/v1/new-session', 'application/json', ''), 400, /empty/);
    await expectError(post('/api/v1/hooks/claude-code', 'application/json', '[]'), 400, /object/);
    await expectError(
      post('/api/v1/hooks/claude-code', 'application/json', '{"__proto__":{"x":1}}'),
      400,
      /not valid JSON/, // secure-json-parse refuses __proto__ keys
    );
  });

  it('messages do not echo a megabyte of path back', async () => {
    const server = events();
    const res = await authed(server, { method: 'GET', url: `/api/v1/${'x'.repeat(1_000_000)}` });
    assert.equal(res.statusCode, 404);
    assert.ok(res.body.length < 1000, `${res.body.length} bytes`);
  });
});

describe('bad requests on a real socket (loopback)', () => {
  it('413 with the limit, 400 for a body where none is taken, 400 for bad encoding', async () => {
    const server = memoryApp({ maxBodyBytes: 4096 });
    await server.listen({ host: '127.0.0.1', port: 0 });
    try {
      const address = server.server.address();
      assert.ok(address !== null && typeof address === 'object');
      const base = `http://127.0.0.1:${address.port}`;
      const post = (path: string, body: string) =>
        fetch(`${base}${path}`, {
          method: 'POST',
          headers: { ...AUTH, 'content-type': 'application/json' },
          body,
        });
      const big = await post('/api/v1/new-session', JSON.stringify({ pad: 'x'.repeat(10_000) }));
      assert.equal(big.status, 413);
      assert.match(await big.text(), /4096-byte limit/);
      const extra = await post('/api/v1/pause', '{"now":true}');
      assert.equal(extra.status, 400);
      assert.match(await extra.text(), /takes no body/);
      const encoded = await fetch(`${base}/api/v1/sessions/%ZZ/pause`, {
        method: 'POST',
        headers: AUTH,
      });
      assert.equal(encoded.status, 400);
      assert.deepEqual(await encoded.json(), {
        error: { code: 'bad_request', message: 'the path is not valid percent-encoded UTF-8' },
      });
    } finally {
      await server.close();
    }
  });
});

describe('idle sockets cannot take the daemon down (loopback)', () => {
  it(
    'connections beyond maxConnections are closed at accept; the others are served',
    { timeout: 20_000 },
    async () => {
      const server = memoryApp({ maxConnections: 8 });
      await server.listen({ host: '127.0.0.1', port: 0 });
      const sockets: Socket[] = [];
      try {
        const address = server.server.address();
        assert.ok(address !== null && typeof address === 'object');
        const open = async (): Promise<Socket> => {
          const socket = connect(address.port, '127.0.0.1');
          socket.on('error', () => undefined);
          await once(socket, 'connect');
          sockets.push(socket);
          return socket;
        };
        for (let i = 0; i < 8; i++) await open(); // idle: they send nothing
        const extra = await open();
        // The ninth is closed by the server, unanswered (bounded: without the cap it stays open).
        await once(extra, 'close', { signal: AbortSignal.timeout(5000) });
        for (const socket of sockets.slice(0, 8)) socket.destroy();
        const health = await eventually(() => statusOf(address.port, '/health'));
        assert.equal(health, 200, 'served again once the idle sockets are gone');
        assert.equal(server.server.headersTimeout, 10_000);
      } finally {
        for (const socket of sockets) socket.destroy();
        await server.close();
      }
    },
  );
});

/** One GET with node:http (no pooled sockets), bounded by 1 s; undefined when it fails. */
function statusOf(port: number, path: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const req = get({ host: '127.0.0.1', port, path, agent: false, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => {
      resolve(undefined);
    });
  });
}

/** Retries `probe` (bounded: 50 × 20 ms) until it gives a value. */
async function eventually<T>(probe: () => Promise<T | undefined>): Promise<T | undefined> {
  for (let i = 0; i < 50; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}
