import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DaemonEvent } from '../core/events.js';
import { createEventBus } from './bus.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function stopped(detail: string): DaemonEvent {
  return {
    type: 'session.stopped',
    at: T0,
    agent: 'claude-code',
    sessionId: 'ses_1',
    reason: 'rate_limit',
    detail,
    evidence: { agent: 'claude-code', text: detail },
  };
}

describe('event bus', () => {
  it('every listener gets the event with its long text cut to maxTextBytes', () => {
    const bus = createEventBus(() => assert.fail('no listener throws'), { maxTextBytes: 512 });
    const got: DaemonEvent[][] = [[], []];
    bus.subscribe((event) => got[0]?.push(event));
    bus.subscribe((event) => got[1]?.push(event));
    bus.emit(stopped('x'.repeat(61_440)));
    const [first] = got[0] ?? [];
    assert.ok(first?.type === 'session.stopped');
    assert.ok(Buffer.byteLength(first.detail) <= 512);
    assert.match(first.detail, /… \[cut: 61440 bytes in all\]$/);
    assert.ok(Buffer.byteLength(JSON.stringify(first.evidence)) < 600);
    assert.equal(got[1]?.[0], first, 'capped once, the same event for everyone');
  });

  it('caps at 4096 bytes by default; short events pass through untouched', () => {
    const bus = createEventBus(() => undefined);
    const got: DaemonEvent[] = [];
    bus.subscribe((event) => got.push(event));
    const short = stopped('APIError 429');
    bus.emit(short);
    bus.emit(stopped('y'.repeat(5000)));
    assert.equal(got[0], short);
    assert.ok(got[1]?.type === 'session.stopped');
    assert.ok(Buffer.byteLength(got[1].detail) <= 4096);
    assert.ok(Buffer.byteLength(got[1].detail) > 4000);
  });

  it('a throwing listener is reported and the others still run; unsubscribe stops delivery', () => {
    const errors: string[] = [];
    const bus = createEventBus((error, event) => errors.push(`${String(error)} on ${event.type}`));
    const got: string[] = [];
    bus.subscribe(() => {
      throw new Error('disk full');
    });
    const off = bus.subscribe((event) => got.push(event.type));
    bus.emit(stopped('a'));
    off();
    bus.emit(stopped('b'));
    assert.deepEqual(got, ['session.stopped']);
    assert.deepEqual(errors, [
      'Error: disk full on session.stopped',
      'Error: disk full on session.stopped',
    ]);
  });
});
