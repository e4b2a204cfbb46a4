import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { authed, memoryApp } from '../../../test/helpers/http-app.js';
import type { HookAcceptance, HookRefusal } from './hooks.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function intake(
  options: { hooksPerSecond?: number; maxBodyBytes?: number } = {},
  answer: HookAcceptance = { kind: 'accepted' },
) {
  let nowMs = T0;
  const accepted: unknown[] = [];
  const refused: HookRefusal[] = [];
  const app = memoryApp({
    hooks: (_agent, payload) => {
      accepted.push(payload);
      return Promise.resolve(answer);
    },
    now: () => nowMs,
    onHookRefused: (_agent, reason) => refused.push(reason),
    ...options,
  });
  const post = (payload: unknown, from = '127.0.0.1') =>
    authed(app, {
      method: 'POST',
      url: '/api/v1/hooks/claude-code',
      remoteAddress: from,
      headers: { 'content-type': 'application/json' },
      payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
    });
  const advance = (ms: number) => {
    nowMs += ms;
  };
  return { app, post, advance, accepted, refused };
}

const stop = (session: string) => ({ hook_event_name: 'Stop', session_id: session });

describe('POST /api/v1/hooks/:agent', () => {
  it('over the rate: 429 with Retry-After and the error body, counted; fine again later', async () => {
    const { post, advance, accepted, refused } = intake({ hooksPerSecond: 1 });
    for (let i = 0; i < 10; i++) assert.equal((await post(stop('s1'))).statusCode, 202);
    const over = await post(stop('s1'));
    assert.equal(over.statusCode, 429);
    assert.equal(over.headers['retry-after'], '1');
    assert.deepEqual(over.json(), {
      error: {
        code: 'too_many_requests',
        message:
          'hook posts from this session are over 1 a second, or from its address over 10 ' +
          '([limits] hooks_per_second); retry in 1 s',
      },
    });
    assert.equal(accepted.length, 10);
    assert.deepEqual(refused, ['rate_limited']);
    advance(1000);
    assert.equal((await post(stop('s1'))).statusCode, 202);
  });

  it("one session's flood does not hold up another session's hooks", async () => {
    const { post, accepted } = intake({ hooksPerSecond: 1 });
    let limited = 0;
    for (let i = 0; i < 50; i++) if ((await post(stop('flood'))).statusCode === 429) limited++;
    assert.equal(limited, 40);
    const legit = await post(stop('legit'));
    assert.equal(legit.statusCode, 202);
    assert.deepEqual(accepted.at(-1), stop('legit'));
    // Keyed by the remote address too: the same session id from elsewhere has its own bucket.
    assert.equal((await post(stop('flood'), '10.0.0.9')).statusCode, 202);
  });

  it('too large and bad payloads are counted, with their own status', async () => {
    const { post, refused } = intake({ maxBodyBytes: 4096 });
    assert.equal((await post({ ...stop('s'), pad: 'x'.repeat(5000) })).statusCode, 413);
    assert.equal((await post('{"session_id":')).statusCode, 400);
    assert.equal((await post('[1,2]')).statusCode, 400);
    assert.equal((await post('"Stop"')).statusCode, 400);
    assert.deepEqual(refused, ['too_large', 'bad_payload', 'bad_payload', 'bad_payload']);
  });

  it('what became of the payload decides the answer; only 2xx lets the forwarder drop it', async () => {
    const cases: [HookAcceptance, number, object | undefined][] = [
      [{ kind: 'accepted' }, 202, { accepted: true }],
      [{ kind: 'disabled' }, 202, { accepted: false }],
      [
        { kind: 'busy', retryAfterSeconds: 2, message: '1000 hooks are waiting' },
        429,
        { error: { code: 'too_many_requests', message: '1000 hooks are waiting' } },
      ],
      [
        { kind: 'too_large', message: 'larger than the inbox' },
        413,
        { error: { code: 'payload_too_large', message: 'larger than the inbox' } },
      ],
      [
        { kind: 'unavailable', message: 'not stored' },
        503,
        { error: { code: 'hook_write_failed', message: 'not stored' } },
      ],
    ];
    for (const [answer, status, body] of cases) {
      const { post } = intake({}, answer);
      const res = await post(stop('s1'));
      assert.equal(res.statusCode, status, answer.kind);
      assert.deepEqual(res.json(), body, answer.kind);
      assert.equal(res.headers['retry-after'], answer.kind === 'busy' ? '2' : undefined);
    }
  });

  it('an unknown agent is a 404, and not a refused hook', async () => {
    const { app, refused } = intake();
    const res = await authed(app, {
      method: 'POST',
      url: '/api/v1/hooks/opencode',
      headers: { 'content-type': 'application/json' },
      payload: '{}',
    });
    assert.equal(res.statusCode, 404);
    assert.deepEqual(refused, []);
  });
});
