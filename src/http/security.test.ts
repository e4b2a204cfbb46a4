import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pino } from 'pino';
import { memoryControl } from '../../test/helpers/http-app.js';
import { isLoopbackHost } from './loopback.js';
import {
  allowedHosts,
  bearerMatches,
  decideAccess,
  HOOK_ROUTE,
  type AccessPolicy,
  type AccessRequest,
} from './security.js';
import { createHttpApp } from './server.js';

const PORT = 7654;
const TOKEN = 's3cret-token';
const loopback = (token?: string): AccessPolicy => ({
  allowedHosts: allowedHosts('127.0.0.1', PORT, '127.0.0.1'),
  token,
});
const exposed: AccessPolicy = {
  allowedHosts: allowedHosts('0.0.0.0', PORT, '192.168.1.5'),
  token: TOKEN,
};

const base: AccessRequest = {
  method: 'GET',
  route: '/api/v1/status',
  host: `127.0.0.1:${PORT}`,
  origin: undefined,
  authorization: undefined,
};
const post = (route: string, extra: Partial<AccessRequest> = {}): AccessRequest => ({
  ...base,
  method: 'POST',
  route,
  ...extra,
});
const bearer = `Bearer ${TOKEN}`;

type Row = [string, AccessRequest, AccessPolicy, 'allow' | 'forbidden' | 'unauthorized'];
const table: Row[] = [
  // Host and Origin: checked first, whatever the token says.
  ['loopback IP host', base, loopback(), 'allow'],
  ['localhost host', { ...base, host: `localhost:${PORT}` }, loopback(), 'allow'],
  ['[::1] host', { ...base, host: `[::1]:${PORT}` }, loopback(), 'allow'],
  ['host is case-insensitive', { ...base, host: `LocalHost:${PORT}` }, loopback(), 'allow'],
  ['foreign host', { ...base, host: `evil.example:${PORT}` }, loopback(), 'forbidden'],
  ['rebinding host without port', { ...base, host: 'attacker.com' }, loopback(), 'forbidden'],
  ['right name, wrong port', { ...base, host: 'localhost:9999' }, loopback(), 'forbidden'],
  ['no host header', { ...base, host: undefined }, loopback(), 'forbidden'],
  [
    'foreign host with the token',
    { ...base, host: 'x:1', authorization: bearer },
    exposed,
    'forbidden',
  ],
  ['same-origin Origin', { ...base, origin: `http://localhost:${PORT}` }, loopback(), 'allow'],
  ['foreign Origin on GET', { ...base, origin: 'https://evil.example' }, loopback(), 'forbidden'],
  [
    'foreign Origin on POST',
    post('/api/v1/pause', { origin: 'http://evil.example' }),
    loopback(),
    'forbidden',
  ],
  [
    'https Origin of our host',
    { ...base, origin: `https://127.0.0.1:${PORT}` },
    loopback(),
    'forbidden',
  ],
  ['null Origin', { ...base, origin: 'null' }, loopback(), 'forbidden'],
  [
    'foreign Origin on the hook route',
    post(HOOK_ROUTE, { origin: 'http://evil.example' }),
    loopback(),
    'forbidden',
  ],
  // No token (in-memory tests only: the daemon always has one): everything past Host/Origin.
  ['no token: control', post('/api/v1/pause'), loopback(), 'allow'],
  // Loopback is no boundary: every route but /health and the metrics needs the token.
  ['token: GET status without it', base, loopback(TOKEN), 'unauthorized'],
  [
    'token: GET sessions without it',
    { ...base, route: '/api/v1/sessions' },
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: GET events without it',
    { ...base, route: '/api/v1/events' },
    loopback(TOKEN),
    'unauthorized',
  ],
  ['token: GET status with it', { ...base, authorization: bearer }, loopback(TOKEN), 'allow'],
  ['token: GET /health without it', { ...base, route: '/health' }, loopback(TOKEN), 'allow'],
  [
    'token: metrics route off, its path still open (404, not 401)',
    { ...base, route: undefined, path: '/api/v1/metrics' },
    loopback(TOKEN),
    'allow',
  ],
  [
    'token: another unmatched path needs it',
    { ...base, route: undefined, path: '/api/v1/secret' },
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: HEAD metrics without it',
    { ...base, method: 'HEAD', route: '/api/v1/metrics' },
    loopback(TOKEN),
    'allow',
  ],
  ['token: POST without it', post('/api/v1/pause'), loopback(TOKEN), 'unauthorized'],
  [
    'token: POST wrong token',
    post('/api/v1/pause', { authorization: 'Bearer nope' }),
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: POST token prefix',
    post('/api/v1/pause', { authorization: 'Bearer s3cret' }),
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: POST Basic scheme',
    post('/api/v1/pause', { authorization: `Basic ${TOKEN}` }),
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: POST right token',
    post('/api/v1/pause', { authorization: bearer }),
    loopback(TOKEN),
    'allow',
  ],
  [
    'token: scheme is case-insensitive',
    post('/api/v1/pause', { authorization: `bearer ${TOKEN}` }),
    loopback(TOKEN),
    'allow',
  ],
  ['token: session control', post('/api/v1/sessions/:id/resume'), loopback(TOKEN), 'unauthorized'],
  [
    'token: DELETE (future routes)',
    { ...base, method: 'DELETE', route: '/api/v1/jobs/:id' },
    loopback(TOKEN),
    'unauthorized',
  ],
  [
    'token: unknown POST path',
    post('/nowhere', { route: undefined }),
    loopback(TOKEN),
    'unauthorized',
  ],
  ['token: hook route without it', post(HOOK_ROUTE), loopback(TOKEN), 'unauthorized'],
  [
    'token: hook route with it',
    post(HOOK_ROUTE, { authorization: bearer }),
    loopback(TOKEN),
    'allow',
  ],
  // Bound beyond loopback: only /health and the metrics are open.
  [
    'exposed: LAN address as host',
    { ...base, host: `192.168.1.5:${PORT}`, route: '/health' },
    exposed,
    'allow',
  ],
  [
    'exposed: configured host',
    { ...base, host: `0.0.0.0:${PORT}`, route: '/health' },
    exposed,
    'allow',
  ],
  ['exposed: metrics without token', { ...base, route: '/api/v1/metrics' }, exposed, 'allow'],
  ['exposed: status without token', { ...base }, exposed, 'unauthorized'],
  ['exposed: status with token', { ...base, authorization: bearer }, exposed, 'allow'],
  ['exposed: unknown GET path', { ...base, route: undefined }, exposed, 'unauthorized'],
  ['exposed: control without token', post('/api/v1/resume'), exposed, 'unauthorized'],
  ['exposed: POST /health is no read', post('/health'), exposed, 'unauthorized'],
  ['exposed: hook from the network', post(HOOK_ROUTE), exposed, 'unauthorized'],
  [
    'exposed: hook from the network with token',
    post(HOOK_ROUTE, { authorization: bearer }),
    exposed,
    'allow',
  ],
];

describe('decideAccess', () => {
  for (const [name, req, policy, expected] of table) {
    it(name, () => {
      assert.equal(decideAccess(req, policy).kind, expected);
    });
  }

  it('never puts the token or the Authorization header in its message', () => {
    const decision = decideAccess(
      post('/api/v1/pause', { authorization: 'Bearer wrong-guess' }),
      loopback(TOKEN),
    );
    if (decision.kind !== 'unauthorized') assert.fail(`expected 401, got ${decision.kind}`);
    assert.doesNotMatch(decision.message, /s3cret|wrong-guess/);
  });
});

describe('allowedHosts', () => {
  it('loopback by IP and name, the configured host and the local address, with the port', () => {
    assert.deepEqual([...allowedHosts('::', 8080, '::ffff:10.0.0.2')].sort(), [
      '10.0.0.2:8080',
      '127.0.0.1:8080',
      '[::1]:8080',
      '[::]:8080',
      'localhost:8080',
    ]);
  });

  it('port 80 may go unsaid, as browsers send it', () => {
    assert.ok(allowedHosts('127.0.0.1', 80, undefined).has('localhost'));
    assert.ok(!allowedHosts('127.0.0.1', 81, undefined).has('localhost'));
  });
});

describe('isLoopbackHost', () => {
  const cases: [string, boolean][] = [
    ['127.0.0.1', true],
    ['127.1.2.3', true],
    ['localhost', true],
    ['::1', true],
    ['[::1]', true],
    ['0:0:0:0:0:0:0:1', true],
    ['::ffff:127.0.0.1', true],
    ['0.0.0.0', false],
    ['::', false],
    ['192.168.1.5', false],
    ['128.0.0.1', false],
    ['localhost.example.com', false],
    ['mybox', false],
  ];
  for (const [host, expected] of cases) {
    it(`${host} → ${String(expected)}`, () => {
      assert.equal(isLoopbackHost(host), expected);
    });
  }
});

describe('bearerMatches', () => {
  it('needs the Bearer scheme and the exact token', () => {
    assert.equal(bearerMatches(`Bearer ${TOKEN}`, TOKEN), true);
    assert.equal(bearerMatches(`Bearer  ${TOKEN} `, TOKEN), true);
    assert.equal(bearerMatches(`Bearer ${TOKEN}x`, TOKEN), false);
    assert.equal(bearerMatches(`Bearer ${TOKEN} extra`, TOKEN), false);
    assert.equal(bearerMatches(TOKEN, TOKEN), false);
    assert.equal(bearerMatches('Bearer ', TOKEN), false);
    assert.equal(bearerMatches(undefined, TOKEN), false);
  });
});

function app(token?: string) {
  return createHttpApp({
    info: {
      version: '0',
      commit: 'x',
      pid: 1,
      startedAt: new Date(0),
      uptimeSeconds: () => 0,
    },
    control: memoryControl(),
    log: pino({ level: 'silent' }),
    hooks: () => Promise.resolve({ kind: 'accepted' }),
    security: { host: '127.0.0.1', token },
  });
}

describe('the onRequest hook (in memory)', () => {
  it('a foreign Host is a JSON 403 with code forbidden, even for GET /health', async () => {
    const res = await app().inject({ method: 'GET', url: '/health', headers: { host: 'evil:80' } });
    assert.equal(res.statusCode, 403);
    assert.equal(res.json<{ error: { code: string } }>().error.code, 'forbidden');
  });

  it('401 with WWW-Authenticate: Bearer, then 200 with the token', async () => {
    const server = app(TOKEN);
    const refused = await server.inject({ method: 'POST', url: '/api/v1/pause' });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['www-authenticate'], 'Bearer');
    assert.equal(refused.json<{ error: { code: string } }>().error.code, 'unauthorized');
    const ok = await server.inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { authorization: bearer },
    });
    assert.equal(ok.statusCode, 200);
  });

  it('the token is checked before the body is read: no 413/400 for strangers', async () => {
    const res = await app(TOKEN).inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { 'content-type': 'application/json' },
      payload: '{"broken":',
    });
    assert.equal(res.statusCode, 401);
  });

  it('bodies are JSON: text/plain and forms are 415, a JSON body on a body-less route is 400', async () => {
    const server = app();
    for (const type of ['text/plain', 'application/x-www-form-urlencoded']) {
      const res = await server.inject({
        method: 'POST',
        url: '/api/v1/pause',
        headers: { 'content-type': type },
        payload: 'a=1',
      });
      assert.equal(res.statusCode, 415, type);
      assert.equal(res.json<{ error: { code: string } }>().error.code, 'unsupported_media_type');
    }
    const refused = await server.inject({
      method: 'POST',
      url: '/api/v1/pause',
      headers: { 'content-type': 'application/json' },
      payload: '{"whatever":true}',
    });
    assert.equal(refused.statusCode, 400);
    assert.match(refused.body, /takes no body/);
  });

  it('the hook route needs the token too (any local process could forge a stop)', async () => {
    const hook = (headers: Record<string, string>) =>
      app(TOKEN).inject({
        method: 'POST',
        url: '/api/v1/hooks/claude-code',
        headers: { 'content-type': 'application/json', ...headers },
        payload: '{"hook_event_name":"Stop"}',
      });
    assert.equal((await hook({})).statusCode, 401);
    assert.equal((await hook({ authorization: bearer })).statusCode, 202);
  });

  it('reads need the token: status, sessions; /health and the metrics do not', async () => {
    const server = app(TOKEN);
    assert.equal((await server.inject({ url: '/api/v1/status' })).statusCode, 401);
    assert.equal((await server.inject({ url: '/api/v1/sessions' })).statusCode, 401);
    assert.equal((await server.inject({ url: '/health' })).statusCode, 200);
    const authed = await server.inject({
      url: '/api/v1/status',
      headers: { authorization: bearer },
    });
    assert.equal(authed.statusCode, 200);
  });
});
