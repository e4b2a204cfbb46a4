import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { readRolloutLine, type RolloutLine } from './rollout-lines.js';

const T = '2026-12-03T07:31:55.953Z';
const line = (type: string, payload: unknown) => JSON.stringify({ timestamp: T, type, payload });
const event = (payload: object) => line('event_msg', payload);

function record(text: string) {
  const read = readRolloutLine(text);
  if (read.kind !== 'record') assert.fail(JSON.stringify(read));
  return read.record;
}

describe('a Codex rollout line, read', () => {
  it('session_meta: the thread, where, by whom, which version', () => {
    const r = record(
      line('session_meta', {
        id: 't1',
        cwd: '/w',
        originator: 'codex-tui',
        cli_version: '0.171.0',
        model_provider: 'openai',
        base_instructions: { text: 'long' },
      }),
    );
    assert.deepEqual(r, {
      type: 'session_meta',
      at: Date.parse(T),
      meta: {
        id: 't1',
        cwd: '/w',
        originator: 'codex-tui',
        cli_version: '0.171.0',
        model_provider: 'openai',
        base_instructions: { text: 'long' },
      },
    });
  });

  it('task_complete: codex_error_info as a bare name or as a name with its HTTP status', () => {
    const named = record(
      event({
        type: 'task_complete',
        turn_id: 'u',
        error: { message: 'm', codex_error_info: 'x' },
      }),
    );
    assert.ok(named.type === 'event_msg' && named.event.type === 'task_complete');
    assert.deepEqual(named.event.error?.codex_error_info, { code: 'x' });
    const detailed = record(
      event({
        type: 'task_complete',
        error: {
          message: 'exceeded retry limit, last status: 429 Too Many Requests',
          codex_error_info: { response_too_many_failed_attempts: { http_status_code: 429 } },
        },
      }),
    );
    assert.ok(detailed.type === 'event_msg' && detailed.event.type === 'task_complete');
    assert.deepEqual(detailed.event.error?.codex_error_info, {
      code: 'response_too_many_failed_attempts',
      httpStatus: 429,
      resetAfterSeconds: undefined,
    });
  });

  it('a field of an unknown shape reads as absent, and never hides the end of a turn', () => {
    const r = record(
      event({
        type: 'task_complete',
        last_agent_message: 42,
        error: { message: 'm', codex_error_info: 7 },
      }),
    );
    assert.ok(r.type === 'event_msg' && r.event.type === 'task_complete');
    assert.equal(r.event.last_agent_message, undefined);
    assert.deepEqual(r.event.error, { message: 'm', codex_error_info: undefined });
    const odd = record(event({ type: 'task_complete', error: 'boom' }));
    assert.ok(odd.type === 'event_msg' && odd.event.type === 'task_complete');
    assert.ok(odd.event.error != null, 'an unreadable error is still an error');
  });

  it('token_count: the windows, with a broken window dropped and the rest kept', () => {
    const r = record(
      event({
        type: 'token_count',
        info: null,
        rate_limits: {
          primary: { used_percent: 100, window_minutes: 300, resets_at: 1796288495 },
          secondary: { used_percent: 'lots' },
          plan_type: null,
        },
      }),
    );
    assert.ok(r.type === 'event_msg' && r.event.type === 'token_count');
    assert.equal(r.event.rate_limits?.primary?.resets_at, 1796288495);
    assert.equal(r.event.rate_limits.secondary, undefined);
  });

  it('newer names of the turn events read as the ones 0.171 writes', () => {
    const r = record(event({ type: 'turn_complete', turn_id: 'u', last_agent_message: 'done' }));
    assert.ok(r.type === 'event_msg');
    assert.equal(r.event.type, 'task_complete');
    assert.equal(record(event({ type: 'turn_started', turn_id: 'u' })).type, 'event_msg');
  });

  it('turn_aborted, response items, turn_context and compacted', () => {
    const aborted = record(event({ type: 'turn_aborted', turn_id: 'u', reason: 'interrupted' }));
    assert.ok(aborted.type === 'event_msg' && aborted.event.type === 'turn_aborted');
    assert.equal(aborted.event.reason, 'interrupted');
    const msg = { type: 'message', role: 'user', content: [{ type: 'input_text', text: 'hi' }] };
    assert.equal(record(line('response_item', msg)).type, 'response_item');
    const call = { type: 'function_call', name: 'update_plan', arguments: '{}', call_id: 'c' };
    assert.equal(record(line('response_item', call)).type, 'response_item');
    assert.deepEqual(record(line('turn_context', { cwd: '/w', model: 'm' })), {
      type: 'turn_context',
      at: Date.parse(T),
      cwd: '/w',
    });
    assert.equal(record(line('compacted', { message: 's' })).type, 'compacted');
  });

  const cases: readonly [string, string, RolloutLine['kind'], string?][] = [
    ['an unknown line type', line('world_state', { full: true }), 'ignored', 'world_state'],
    [
      'an unknown event type',
      event({ type: 'thread_settings_applied' }),
      'ignored',
      'event_msg/thread_settings_applied',
    ],
    [
      'an unknown item type',
      line('response_item', { type: 'reasoning' }),
      'ignored',
      'response_item/reasoning',
    ],
    ['an event without a type', event({ message: 'x' }), 'ignored', 'event_msg'],
    ['a line cut short', line('session_meta', { id: 't1' }).slice(0, 30), 'malformed'],
    ['not JSON', 'Reconnecting... 1/5', 'malformed'],
    ['JSON that is no line', '[1,2,3]', 'malformed'],
    ['a line without a type', JSON.stringify({ timestamp: T, payload: {} }), 'malformed'],
    ['a known event of the wrong shape', event({ type: 'agent_message', message: 3 }), 'malformed'],
    ['a session_meta without an id', line('session_meta', { cwd: '/w' }), 'malformed'],
    ['an empty line', '', 'malformed'],
  ];
  for (const [what, text, kind, type] of cases) {
    it(`${what} is ${kind}`, () => {
      const read = readRolloutLine(text);
      assert.equal(read.kind, kind, JSON.stringify(read));
      if (type !== undefined && read.kind === 'ignored') assert.equal(read.type, type);
    });
  }

  it('a bad timestamp is no timestamp, and the line still counts', () => {
    const r = record(JSON.stringify({ timestamp: 'soon', type: 'compacted', payload: {} }));
    assert.deepEqual(r, { type: 'compacted', at: undefined });
  });
});

/** Every recorded line, to mutate. */
function recorded(): string[] {
  const dir = new URL('../../../test/fixtures/codex/notes/', import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .flatMap((f) => readFileSync(new URL(f, dir), 'utf8').split('\n'))
    .filter((l) => l !== '');
}

describe('junk never throws', () => {
  const KINDS = new Set(['record', 'ignored', 'malformed']);
  const check = (text: string) => KINDS.has(readRolloutLine(text).kind);
  const params = { seed: 20261203, numRuns: 300 };

  it('any string', () => {
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 400 }), check), params);
  });

  it('any JSON value, alone or as a payload of each line and event type', () => {
    const types = ['session_meta', 'turn_context', 'event_msg', 'response_item', 'compacted'];
    const events = ['task_started', 'task_complete', 'turn_aborted', 'token_count', 'error'];
    const payload = fc.oneof(
      fc.jsonValue(),
      fc.record({ type: fc.constantFrom(...events, 'message') }, { requiredKeys: [] }),
      fc.dictionary(fc.constantFrom('type', 'error', 'rate_limits', 'id'), fc.jsonValue()),
    );
    const text = fc.oneof(
      fc.jsonValue().map((v) => JSON.stringify(v)),
      fc
        .tuple(fc.constantFrom(...types), payload)
        .map(([type, p]) => JSON.stringify({ timestamp: T, type, payload: p })),
    );
    fc.assert(fc.property(text, check), params);
  });

  it('recorded lines, cut anywhere or with a character replaced', () => {
    const real = recorded();
    const text = fc
      .tuple(fc.constantFrom(...real), fc.nat(), fc.string({ maxLength: 3 }))
      .chain(([l, at, junk]) => {
        const i = at % l.length;
        return fc.constantFrom(l.slice(0, i), `${l.slice(0, i)}${junk}${l.slice(i + 1)}`);
      });
    fc.assert(fc.property(text, check), params);
  });
});
