import fc from 'fast-check';
import type { InjectOptions } from 'fastify';
import { AUTH, TOKEN } from './http-app.js';

// Requests for the HTTP fuzz tests: a valid request to one route, with a few of its parts swapped
// for junk. Mostly-valid requests reach the handlers; all-junk ones would stop at the first check.

/** A well-formed request to one route, before anything is swapped. */
interface Template {
  readonly method: string;
  readonly path: string;
  readonly query?: string;
  readonly contentType?: string;
  readonly body?: string;
}

export const hookPayload = fc.record(
  {
    hook_event_name: fc.oneof(fc.constantFrom('Stop', 'StopFailure', 'SessionStart'), fc.string()),
    session_id: fc.oneof(
      fc.constantFrom('s1', 'flood'),
      fc.string(),
      fc.integer(),
      fc.constant(null),
    ),
    transcript_path: fc.oneof(fc.constant('/tmp/x.jsonl'), fc.string()),
    cwd: fc.string(),
    extra: fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 3 })),
  },
  { requiredKeys: [] },
);

const json = 'application/json';
const template: fc.Arbitrary<Template> = fc.oneof(
  fc.constantFrom<Template>(
    { method: 'GET', path: '/health' },
    { method: 'GET', path: '/api/v1/status' },
    { method: 'HEAD', path: '/api/v1/status' },
    { method: 'GET', path: '/api/v1/sessions' },
    { method: 'POST', path: '/api/v1/pause' },
    { method: 'POST', path: '/api/v1/resume' },
    { method: 'GET', path: '/api/v1/metrics' },
    { method: 'POST', path: '/api/v1/token/rotate' },
  ),
  fc
    .tuple(
      fc.constantFrom('s1', 'busy-one', 'nope'),
      fc.constantFrom('pause', 'resume', 'wake', 'cancel'),
    )
    .map(([id, command]) => ({ method: 'POST', path: `/api/v1/sessions/${id}/${command}` })),
  fc.constantFrom('s1', 'nope').map((id) => ({
    method: 'POST',
    path: '/api/v1/new-session',
    contentType: json,
    body: JSON.stringify({ session: id }),
  })),
  {
    weight: 2,
    arbitrary: fc
      .constantFrom('', '?follow=false', '?since=1&follow=false', '?since=10m', '?since=2')
      .map((query) => ({ method: 'GET', path: '/api/v1/events', query })),
  },
  hookPayload.map((payload) => ({
    method: 'POST',
    path: '/api/v1/hooks/claude-code',
    contentType: json,
    body: JSON.stringify(payload),
  })),
);

const segment = fc.oneof(
  fc.constantFrom('s1', 'busy-one', 'claude-code', 'opencode', '', '.', '..', '%2e%2e', '%2F'),
  fc.constantFrom('%ZZ', '%', '%E0%A4%A', '%C0%AF', '%00', '%0A', '%FF%FE', '%F0%9F%98%80', '+'),
  fc.string({ maxLength: 12 }).map(encodeURIComponent),
  fc.string({ unit: 'grapheme', maxLength: 8 }).map(encodeURIComponent),
  fc.integer({ min: 90, max: 400 }).map((n) => 'a'.repeat(n)),
  fc.stringMatching(/^[A-Za-z0-9%._~-]{0,20}$/),
);
/** Swaps one segment of the template's path, or adds or drops one. */
const pathEdit = fc
  .tuple(segment, fc.nat(), fc.constantFrom('swap', 'add', 'drop'))
  .map(([junk, at, how]) => (path: string) => {
    const parts = path.split('/');
    const i = 1 + (at % Math.max(1, parts.length - 1));
    if (how === 'swap') parts[i] = junk;
    else if (how === 'add') parts.splice(i, 0, junk);
    else parts.splice(i, 1);
    return parts.join('/') || '/';
  });

const queryKey = fc.oneof(
  fc.constantFrom('since', 'follow', 'since[a]', 'since[]', 'a[b][c]', '__proto__', 'constructor'),
  fc.constantFrom('', 'x', 'toString', 'hasOwnProperty'),
  fc.string({ maxLength: 8 }).map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.constantFrom('1', '0', 'false', 'true', '10m', '2026-11-27T09:00:00Z', '', '-1', '1e3'),
  fc.constantFrom('99999999999999999999', '99999999999999999999d', '%ZZ', 'yesterday'),
  fc.string({ unit: 'grapheme', maxLength: 20 }).map(encodeURIComponent),
  fc.integer({ min: 60, max: 5000 }).map((n) => '9'.repeat(n)),
);
const pairs = fc.oneof(
  fc.array(fc.tuple(queryKey, queryValue), { minLength: 1, maxLength: 5 }),
  // A route's own parameters, repeated: what a careless client (or a proxy) sends.
  fc
    .tuple(fc.constantFrom('since', 'follow'), fc.array(queryValue, { minLength: 2, maxLength: 3 }))
    .map(([key, values]) => values.map((v): [string, string] => [key, v])),
);
/** Replaces the template's query, or adds to it (repeating what it has, say). */
const queryEdit = fc.tuple(pairs, fc.boolean()).map(([more, replace]) => (own: string): string => {
  const text = more.map(([k, v]) => `${k}=${v}`).join('&');
  return replace || own === '' ? `?${text}` : `${own}&${text}`;
});

const method = fc.constantFrom('GET', 'POST', 'HEAD', 'PUT', 'PATCH', 'DELETE', 'OPTIONS');

/** What bearerMatches takes: the scheme in any case, spaces around the token. */
export const GOOD_AUTH = [AUTH.authorization, `bearer ${TOKEN}`, `Bearer  ${TOKEN}  `];
const badAuthorization = fc.oneof(
  fc.constantFrom(undefined, 'Bearer', 'Bearer ', `Basic ${TOKEN}`, TOKEN, `Bearer ${TOKEN}x`),
  fc.constantFrom(`Bearer ${TOKEN} extra`, `Bearer\t${TOKEN}`, `Bearer ${TOKEN.slice(1)}`),
  fc.string({ maxLength: 40 }).map((s) => `Bearer ${s}`),
  fc.integer({ min: 1000, max: 100_000 }).map((n) => `Bearer ${'t'.repeat(n)}`),
);
const authorization = fc.oneof(fc.constantFrom(...GOOD_AUTH), badAuthorization);

export const FOREIGN_HOSTS = ['evil.example:80', 'localhost:80.evil', '127.0.0.1:8080', ' x'];
export const FOREIGN_ORIGINS = ['null', 'http://evil.example', 'file://', 'https://localhost:80'];
const foreignHost = fc.constantFrom(...FOREIGN_HOSTS);
const foreignOrigin = fc.constantFrom(...FOREIGN_ORIGINS);
const host = fc.oneof(
  fc.constantFrom('localhost:80', '127.0.0.1:80', '[::1]:80', 'LOCALHOST:80', 'localhost'),
  foreignHost,
);
const origin = fc.oneof(fc.constant('http://localhost:80'), foreignOrigin);

const contentType = fc.oneof(
  fc.constantFrom(undefined, json, 'application/json; charset=utf-8', 'APPLICATION/JSON'),
  fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; b=x'),
  fc.constantFrom('application/json; charset=latin1', ';;', 'application/', 'application/jsonx'),
  fc.string({ maxLength: 20 }),
);
const contentLength = fc.constantFrom('0', '1', '-1', 'abc', '99999999999999999999', '1, 2');

/** Deep nesting, as text: no JSON.stringify of a deep value on the way. */
const deepJson = fc
  .tuple(fc.integer({ min: 100, max: 60_000 }), fc.constantFrom('[', '{"a":', '{"__proto__":'))
  .map(([depth, open]) => {
    const close = open === '[' ? ']' : '}';
    return open.repeat(depth) + (open === '[' ? '' : '1') + close.repeat(depth);
  });
export const body = fc.oneof(
  fc.constant(undefined),
  fc.json({ maxDepth: 4 }),
  hookPayload.map((p) => JSON.stringify(p)),
  fc.constantFrom('', '{', '{"session":"s1"}', '{"session":""}', 'null', '"x"', '[]', '{}'),
  deepJson,
  fc.uint8Array({ maxLength: 64 }).map((bytes) => Buffer.from(bytes)),
  fc.integer({ min: 200_000, max: 400_000 }).map((n) => `{"pad":"${'x'.repeat(n)}"}`),
);

/** Mostly the template's own value (null: keep it), now and then a swapped one. */
function sometimes<T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<T | null> {
  return fc.oneof({ weight: 7, arbitrary: fc.constant(null) }, { weight: 1, arbitrary });
}

const swaps = {
  method: sometimes(method),
  path: sometimes(pathEdit),
  query: sometimes(queryEdit),
  authorization: sometimes(authorization),
  host: sometimes(host),
  origin: sometimes(origin),
  contentType: sometimes(contentType),
  contentLength: sometimes(contentLength),
  lastEventId: sometimes(fc.constantFrom('1', '', 'x', '9'.repeat(80))),
  body: sometimes(body),
};
type Swaps = {
  [K in keyof typeof swaps]: (typeof swaps)[K] extends fc.Arbitrary<infer T> ? T : never;
};

/** Whether the access check certainly refuses it: a bad token, or a foreign Host or Origin. */
export function untrusted(r: InjectOptions): boolean {
  const headers = (r.headers ?? {}) as Record<string, string | undefined>;
  const { authorization: auth, host: h, origin: o } = headers;
  return (
    auth === undefined ||
    !GOOD_AUTH.includes(auth) ||
    (h !== undefined && FOREIGN_HOSTS.includes(h)) ||
    (o !== undefined && FOREIGN_ORIGINS.includes(o))
  );
}

function build(t: Template, s: Swaps, remoteAddress: string, split: boolean): InjectOptions {
  const keep = <T>(swapped: T | null, own: T): T => (swapped === null ? own : swapped);
  const headers: Record<string, string> = {};
  const set = (name: string, value: string | undefined) => {
    if (value !== undefined) headers[name] = value;
  };
  set('authorization', keep(s.authorization, AUTH.authorization));
  set('host', keep(s.host, undefined)); // inject's default: localhost:80
  set('origin', keep(s.origin, undefined));
  set('content-type', keep(s.contentType, t.contentType));
  set('content-length', keep(s.contentLength, undefined));
  set('last-event-id', keep(s.lastEventId, undefined));
  const payload = keep(s.body, t.body);
  return {
    method: keep(s.method, t.method) as InjectOptions['method'],
    url: keep(s.path, (p: string) => p)(t.path) + keep(s.query, (q: string) => q)(t.query ?? ''),
    headers,
    remoteAddress,
    ...(payload === undefined ? {} : { payload }),
    ...(split ? { simulate: { end: true, split: true, error: false, close: false } } : {}),
  };
}

const addresses = fc.constantFrom('127.0.0.1', '::1', '10.0.0.7');

/** Any request: a route's valid request with a few parts swapped. */
export const request: fc.Arbitrary<InjectOptions> = fc
  .tuple(template, fc.record(swaps), addresses, fc.boolean())
  .map(([t, s, from, split]) => build(t, s, from, split));

/** Requests the access check must refuse: one of token, Host or Origin is certainly wrong. */
export const refusedRequest: fc.Arbitrary<InjectOptions> = fc
  .tuple(
    template,
    fc.record(swaps),
    fc.oneof(
      badAuthorization.map((authorization) => ({ authorization })),
      foreignHost.map((host) => ({ host, authorization: null })),
      foreignOrigin.map((origin) => ({ origin, authorization: null })),
    ),
    addresses,
  )
  .map(([t, s, access, from]) => build(t, { ...s, ...access }, from, false));
