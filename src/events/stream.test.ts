import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createFakeClock } from '../../test/helpers/fake-clock.js';
import type { DaemonEvent } from '../core/events.js';
import { createEventStream, sseFrame, type StreamSink } from './stream.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function stateChanged(at: number, to: 'paused' | 'monitoring' = 'paused'): DaemonEvent {
  return {
    type: 'daemon.state_changed',
    at,
    from: to === 'paused' ? 'monitoring' : 'paused',
    to,
  };
}

/** A sink that keeps what it is sent; `buffered` plays the socket's unsent bytes. */
function memorySink(options: { buffered?: () => number; failWrites?: boolean } = {}) {
  const chunks: string[] = [];
  const closed: string[] = [];
  const sink: StreamSink = {
    write(chunk) {
      if (options.failWrites === true) throw new Error('socket reset');
      chunks.push(chunk);
    },
    bufferedBytes: options.buffered ?? (() => 0),
    close(how) {
      closed.push(how);
    },
  };
  const text = (): string => chunks.join('');
  const ids = (): number[] => [...text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  return { sink, chunks, closed, text, ids };
}

function stream(options: { capacity?: number; maxBufferedBytes?: number } = {}) {
  const clock = createFakeClock(T0);
  const drops: { bufferedBytes: number; error?: unknown }[] = [];
  const events = createEventStream({
    clock,
    heartbeatMs: 1000,
    ...options,
    onDrop: (info) => drops.push(info),
  });
  return { clock, drops, events };
}

describe('event stream: ids and framing', () => {
  it('numbers events 1, 2, 3 … and frames each as id / event / one data line', () => {
    const { events } = stream();
    const client = memorySink();
    events.attach(client.sink, undefined);
    const event: DaemonEvent = {
      type: 'resume.failed',
      at: T0,
      agent: 'opencode',
      sessionId: 'ses_1',
      attempt: 1,
      errorType: 'request_failed',
      message: 'line one\nline two',
    };
    events.publish(stateChanged(T0));
    events.publish(event);
    assert.deepEqual(client.ids(), [1, 2]);
    assert.equal(client.chunks[1], sseFrame(2, event));
    assert.equal(
      client.chunks[1],
      `id: 2\nevent: resume.failed\ndata: ${JSON.stringify(event)}\n\n`,
    );
    assert.equal(sseFrame(2, event).split('\n').length, 5, 'a newline in a field stays escaped');
  });

  it('redacts values under secret-looking keys before anything is buffered or sent', () => {
    const { events } = stream();
    const leaky = Object.assign(stateChanged(T0), { token: 'hunter2' });
    events.publish(leaky);
    const replayed = events.replay({ kind: 'after_id', id: 0 }).entries[0]?.frame ?? '';
    assert.doesNotMatch(replayed, /hunter2/);
  });
});

describe('event stream: replay', () => {
  it('nothing requested: live events only', () => {
    const { events } = stream();
    events.publish(stateChanged(T0));
    const client = memorySink();
    events.attach(client.sink, undefined);
    assert.equal(client.text(), '');
    events.publish(stateChanged(T0 + 1, 'monitoring'));
    assert.deepEqual(client.ids(), [2]);
  });

  it('after an id: exactly the later events, then live ones, with no notice', () => {
    const { events } = stream();
    for (let i = 0; i < 5; i++) events.publish(stateChanged(T0 + i));
    const client = memorySink();
    events.attach(client.sink, { kind: 'after_id', id: 3 });
    events.publish(stateChanged(T0 + 9));
    assert.deepEqual(client.ids(), [4, 5, 6]);
    assert.doesNotMatch(client.text(), /^:/m);
  });

  it('by time: events at or after the instant', () => {
    const { events } = stream();
    for (let i = 0; i < 5; i++) events.publish(stateChanged(T0 + i * 60_000));
    const replay = events.replay({ kind: 'at', atMs: T0 + 120_000 });
    assert.deepEqual(
      replay.entries.map((e) => e.id),
      [3, 4, 5],
    );
    assert.equal(replay.notice, undefined);
  });

  it('an id that fell out of the buffer: what is there, and a notice comment first', () => {
    const { events } = stream({ capacity: 3 });
    for (let i = 0; i < 7; i++) events.publish(stateChanged(T0 + i));
    const client = memorySink();
    events.attach(client.sink, { kind: 'after_id', id: 2 });
    assert.deepEqual(client.ids(), [5, 6, 7]);
    assert.match(
      client.text(),
      /^: notice: events 3 to 4 are no longer buffered; replaying from 5\n\n/,
    );
    assert.deepEqual(
      events.replay({ kind: 'after_id', id: 4 }).entries.map((e) => e.id),
      [5, 6, 7],
    );
    assert.equal(events.replay({ kind: 'after_id', id: 4 }).notice, undefined);
  });

  it('a time before the oldest buffered event, once some were evicted: a notice', () => {
    const { events } = stream({ capacity: 2 });
    for (let i = 0; i < 4; i++) events.publish(stateChanged(T0 + i * 1000));
    const replay = events.replay({ kind: 'at', atMs: T0 });
    assert.deepEqual(
      replay.entries.map((e) => e.id),
      [3, 4],
    );
    assert.match(replay.notice ?? '', /before 2026-11-27T10:00:02.000Z are no longer buffered/);
  });

  it('an id ahead of the last one (a restarted daemon): everything, with a notice', () => {
    const { events } = stream();
    events.publish(stateChanged(T0));
    const replay = events.replay({ kind: 'after_id', id: 40 });
    assert.deepEqual(
      replay.entries.map((e) => e.id),
      [1],
    );
    assert.match(replay.notice ?? '', /ahead of this daemon's last event id 1/);
  });
});

describe('event stream: clients', () => {
  it('drops a client whose unsent bytes pass the limit, counts it, and keeps serving others', () => {
    const { events, drops } = stream({ maxBufferedBytes: 100 });
    let backlog = 0;
    const slow = memorySink({ buffered: () => backlog });
    const fast = memorySink();
    events.attach(slow.sink, undefined);
    events.attach(fast.sink, undefined);
    events.publish(stateChanged(T0));
    assert.equal(events.clientCount(), 2);
    backlog = 101;
    events.publish(stateChanged(T0 + 1, 'monitoring'));
    assert.deepEqual(slow.closed, ['dropped']);
    assert.equal(events.clientCount(), 1);
    assert.equal(events.droppedCount(), 1);
    assert.equal(drops[0]?.bufferedBytes, 101);
    events.publish(stateChanged(T0 + 2));
    assert.deepEqual(fast.ids(), [1, 2, 3]);
    assert.deepEqual(slow.ids(), [1, 2]);
  });

  it('a replay larger than the limit does not count against the client', () => {
    const { events } = stream({ maxBufferedBytes: 100 });
    for (let i = 0; i < 10; i++) events.publish(stateChanged(T0 + i));
    let backlog = 0;
    const client = memorySink({ buffered: () => backlog });
    const realWrite = client.sink.write.bind(client.sink);
    client.sink.write = (chunk) => {
      realWrite(chunk);
      backlog += Buffer.byteLength(chunk);
    };
    events.attach(client.sink, { kind: 'after_id', id: 0 });
    assert.equal(events.clientCount(), 1);
    assert.equal(client.ids().length, 10);
  });

  it('a client whose write throws is dropped; publish never throws', () => {
    const { events, drops } = stream();
    const broken = memorySink({ failWrites: true });
    events.attach(broken.sink, undefined);
    assert.doesNotThrow(() => {
      events.publish(stateChanged(T0));
    });
    assert.equal(events.clientCount(), 0);
    assert.equal(events.droppedCount(), 1);
    assert.match(String(drops[0]?.error), /socket reset/);
  });

  it('detaching removes the client; detaching twice is harmless', () => {
    const { events } = stream();
    const client = memorySink();
    const detach = events.attach(client.sink, undefined);
    detach();
    detach();
    events.publish(stateChanged(T0));
    assert.equal(client.text(), '');
    assert.deepEqual(client.closed, ['closed']);
    assert.equal(events.droppedCount(), 0);
  });

  it('disconnectAll ends every client with a notice; new clients can still attach', () => {
    const { events } = stream();
    const a = memorySink();
    const b = memorySink();
    events.attach(a.sink, undefined);
    events.attach(b.sink, undefined);
    events.disconnectAll('the daemon is stopping');
    assert.deepEqual([a.closed, b.closed], [['closed'], ['closed']]);
    assert.equal(a.text(), ': notice: the daemon is stopping\n\n');
    assert.equal(events.clientCount(), 0);
    const c = memorySink();
    events.attach(c.sink, undefined);
    events.publish(stateChanged(T0));
    assert.deepEqual(c.ids(), [1]);
  });
});

describe('event stream: heartbeat', () => {
  it('sends ": ping" every interval while clients are attached, and stops after the last', async () => {
    const { events, clock } = stream();
    const client = memorySink();
    const detach = events.attach(client.sink, undefined);
    await clock.advance(999);
    assert.equal(client.text(), '');
    await clock.advance(1);
    assert.equal(client.text(), ': ping\n\n');
    await clock.advance(2000);
    assert.equal(client.chunks.filter((c) => c === ': ping\n\n').length, 3);
    detach();
    const armed = clock.armed.length;
    await clock.advance(5000);
    assert.equal(client.chunks.length, 3);
    assert.equal(clock.armed.length, armed, 'no timer re-armed without clients');
  });

  it('a ping to a client that cannot keep up drops it like any other write', async () => {
    const { events, clock } = stream({ maxBufferedBytes: 5 });
    const client = memorySink({ buffered: () => 6 });
    events.attach(client.sink, undefined);
    await clock.advance(1000);
    assert.deepEqual(client.closed, ['dropped']);
  });
});
