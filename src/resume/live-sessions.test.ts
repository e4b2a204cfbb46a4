import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import {
  EMPTY_STATE,
  addJob,
  removeJob,
  upsertSession,
  type PersistedState,
} from '../core/jobs.js';
import { createLiveSessions } from './live-sessions.js';
import { sessionJson } from './session-json.js';

const IDS = ['a', 'b', 'c', 'd'];
const ref = (id: string) => ({ agent: 'opencode' as const, sessionId: id, directory: `/w/${id}` });

type Op =
  | { kind: 'touch'; id: string; state: 'busy' | 'idle' | 'retrying'; at: number }
  | { kind: 'title'; id: string; title: string }
  | { kind: 'set'; id: string; state: 'idle' | 'waiting' | 'resuming' }
  | { kind: 'todos'; id: string; done: number }
  | { kind: 'record'; id: string; attempts: number; paused: boolean }
  | { kind: 'job'; id: string; dueAt: number }
  | { kind: 'unjob'; id: string }
  | { kind: 'prune'; before: number };

const id = fc.constantFrom(...IDS);
const op: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    kind: fc.constant('touch' as const),
    id,
    state: fc.constantFrom('busy' as const, 'idle' as const, 'retrying' as const),
    at: fc.integer({ min: 0, max: 100 }),
  }),
  fc.record({ kind: fc.constant('title' as const), id, title: fc.string({ maxLength: 5 }) }),
  fc.record({
    kind: fc.constant('set' as const),
    id,
    state: fc.constantFrom('idle' as const, 'waiting' as const, 'resuming' as const),
  }),
  fc.record({ kind: fc.constant('todos' as const), id, done: fc.integer({ min: 0, max: 3 }) }),
  fc.record({
    kind: fc.constant('record' as const),
    id,
    attempts: fc.integer({ min: 0, max: 3 }),
    paused: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('job' as const), id, dueAt: fc.integer({ min: 0, max: 1e6 }) }),
  fc.record({ kind: fc.constant('unjob' as const), id }),
  fc.record({ kind: fc.constant('prune' as const), before: fc.integer({ min: 0, max: 100 }) }),
);

function apply(live: ReturnType<typeof createLiveSessions>, state: PersistedState, o: Op) {
  const key = `opencode:${'id' in o ? o.id : ''}`;
  switch (o.kind) {
    case 'touch':
      live.touch(ref(o.id), o.state, o.at);
      return state;
    case 'title':
      live.touch(ref(o.id), undefined, 0, undefined, o.title);
      return state;
    case 'set':
      live.set(key, { state: o.state });
      return state;
    case 'todos':
      live.todos(ref(o.id), o.done, 3, 50);
      return state;
    case 'record':
      return upsertSession(state, {
        agent: 'opencode',
        sessionId: o.id,
        attempts: o.attempts,
        paused: o.paused,
        lastStop: { reason: 'rate_limit', detail: `d${String(o.attempts)}`, at: 1, resetAt: 2 },
      });
    case 'job':
      return addJob(removeJob(state, key), {
        agent: 'opencode',
        sessionId: o.id,
        reason: 'rate_limit',
        action: 'resume_same',
        dueAt: o.dueAt,
        attempt: 1,
        createdAt: 0,
        stoppedAt: 0,
        why: 'x',
      }).state;
    case 'unjob':
      return removeJob(state, key);
    case 'prune':
      live.prune(o.before, () => false);
      return state;
  }
}

describe('live sessions', () => {
  it('the cached JSON list always equals a fresh rendering of the list (any order of changes)', () => {
    fc.assert(
      fc.property(fc.array(op, { maxLength: 40 }), (ops) => {
        const live = createLiveSessions();
        let state = EMPTY_STATE;
        for (const o of ops) {
          state = apply(live, state, o);
          assert.equal(live.listJson(state), JSON.stringify(live.list(state).map(sessionJson)));
        }
      }),
      { seed: 20261203, numRuns: 300 },
    );
  });

  it('lists in key order, finds one session, and renders an unchanged session once', () => {
    const live = createLiveSessions();
    live.touch(ref('b'), 'busy', 1);
    const state = upsertSession(EMPTY_STATE, { agent: 'opencode', sessionId: 'a', attempts: 0 });
    assert.deepEqual(
      live.list(state).map((s) => s.id),
      ['a', 'b'],
    );
    assert.equal(live.find(state, 'opencode:b')?.state, 'busy');
    assert.equal(live.find(state, 'opencode:zz'), undefined);
    const first = live.listJson(state);
    assert.equal(live.listJson(state), first);
    live.touch(ref('b'), 'idle', 2);
    assert.notEqual(live.listJson(state), first, 'a live change is seen');
  });
});
