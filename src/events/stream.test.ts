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

/**
 * A sink that keeps what it is sent. `buffered` plays the socket's unsent bytes; with `highWater`
 * set, writes report the sink full past it, like a socket, and `drain()` plays the peer reading.
 */
function memorySink(
  options: { buffered?: () => number; failWrites?: boolean; highWater?: number } = {},
) {
  const chunks: string[] = [];
  const closed: string[] = [];
  const drainListeners: (() => void)[] = [];
  let unread = 0;
  const sink: StreamSink = {
    write(chunk) {
      if (options.failWrites === true) throw new Error('socket reset');
      chunks.push(chunk);
      unread += Buffer.byteLength(chunk);
      return options.highWater === undefined || unread < options.highWater;
    },
    bufferedBytes: options.buffered ?? (() => (options.highWater === undefined ? 0 : unread)),
    onDrain(listener) {
      drainListeners.push(listener);
    },
    close(how) {
      closed.push(how);
    },
  };
  const text = (): string => chunks.join('');
  const ids = (): number[] => [...text().matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
  const drain = (): void => {
    unread = 0;
    for (const listener of drainListeners) listener();
  };
  return { sink, chunks, closed, text, ids, drain, unread: () => unread };
}

function stream(
  options: { capacity?: number; maxBufferBytes?: number; maxBufferedBytes?: number } = {},
) {
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

function padded(at: number, bytes: number): DaemonEvent {
  return Object.assign(stateChanged(at), { padding: 'x'.repeat(bytes) });
}

describe('event stream: buffer bounded in bytes', () => {
  it('keeps at most maxBufferBytes of frames, evicting the oldest; a replay says which are gone', () => {
    const { events } = stream({ maxBufferBytes: 5000 });
    for (let i = 0; i < 20; i++) events.publish(padded(T0 + i, 1000));
    const replay = events.replay({ kind: 'after_id', id: 0 });
    const held = replay.entries.map((e) => e.id);
    const bytes = replay.entries.reduce((sum, e) => sum + Buffer.byteLength(e.frame), 0);
    assert.ok(bytes <= 5000, `${bytes} bytes held`);
    assert.ok(bytes + Buffer.byteLength(sseFrame(1, padded(T0, 1000))) > 5000, 'no more than due');
    assert.equal(held.at(-1), 20);
    const oldest = held[0] ?? 0;
    assert.deepEqual(
      held,
      Array.from({ length: 21 - oldest }, (_, i) => oldest + i),
    );
    assert.equal(
      replay.notice,
      `events 1 to ${oldest - 1} are no longer buffered; replaying from ${oldest}`,
    );
    assert.equal(events.replay({ kind: 'after_id', id: oldest - 1 }).notice, undefined);
    assert.match(events.replay({ kind: 'at', atMs: T0 }).notice ?? '', /no longer buffered/);
  });

  it('an event larger than the whole buffer reaches live clients but is not kept', () => {
    const { events } = stream({ maxBufferBytes: 2000 });
    const live = memorySink();
    events.attach(live.sink, undefined);
    events.publish(stateChanged(T0));
    events.publish(padded(T0 + 1, 5000));
    assert.deepEqual(live.ids(), [1, 2]);
    const replay = events.replay({ kind: 'after_id', id: 0 });
    assert.deepEqual(replay.entries, []);
    assert.equal(replay.notice, 'events 1 to 2 are no longer buffered; replaying from 3');
    assert.equal(
      events.replay({ kind: 'at', atMs: T0 }).notice,
      'events 1 to 2 are no longer buffered; replaying from 3',
    );
    events.publish(stateChanged(T0 + 2));
    const late = memorySink();
    events.attach(late.sink, { kind: 'after_id', id: 1 });
    assert.deepEqual(late.ids(), [3]);
    assert.match(late.text(), /^: notice: events 2 to 2 are no longer buffered; replaying from 3/);
  });
});

describe('event stream: replay with backpressure', () => {
  const LIMIT = 4096;

  function drainUntil(client: ReturnType<typeof memorySink>, done: () => boolean): void {
    for (let i = 0; i < 500 && !done(); i++) {
      assert.ok(client.unread() <= LIMIT, `${client.unread()} bytes unsent`);
      client.drain();
    }
    assert.ok(done(), `not done after 500 drains; got ${client.ids().length} events`);
  }

  it('a replay is written a chunk at a time as the client drains: never more than the limit unsent', () => {
    const { events } = stream({ maxBufferedBytes: LIMIT });
    for (let i = 0; i < 50; i++) events.publish(padded(T0 + i, 400));
    const client = memorySink({ highWater: 1024 });
    events.attach(client.sink, { kind: 'after_id', id: 0 });
    assert.ok(client.ids().length < 50, 'the whole replay was written at once');
    assert.ok(client.unread() <= LIMIT, `${client.unread()} bytes unsent`);
    assert.equal(events.clientCount(), 1, 'a client catching up is not dropped');
    drainUntil(client, () => client.ids().length === 50);
    events.publish(stateChanged(T0 + 99));
    assert.deepEqual(
      client.ids(),
      Array.from({ length: 51 }, (_, i) => i + 1),
    );
    assert.equal(events.droppedCount(), 0);
  });

  it('a client that never drains is held with a bounded backlog, however many events follow', () => {
    const { events } = stream({ maxBufferedBytes: LIMIT });
    for (let i = 0; i < 50; i++) events.publish(padded(T0 + i, 400));
    const stuck = Array.from({ length: 20 }, () => memorySink({ highWater: 1024 }));
    for (const client of stuck) events.attach(client.sink, { kind: 'after_id', id: 0 });
    for (let i = 0; i < 50; i++) events.publish(padded(T0 + 50 + i, 400));
    const unsent = stuck.reduce((sum, client) => sum + client.unread(), 0);
    assert.ok(unsent <= 20 * LIMIT, `${unsent} bytes unsent`);
    assert.equal(events.clientCount() + events.droppedCount(), 20);
  });

  it('events published during a replay follow it in order, none twice', () => {
    const { events } = stream({ maxBufferedBytes: LIMIT });
    for (let i = 0; i < 30; i++) events.publish(padded(T0 + i, 400));
    const client = memorySink({ highWater: 1024 });
    events.attach(client.sink, { kind: 'after_id', id: 10 });
    for (let i = 0; i < 5; i++) events.publish(padded(T0 + 30 + i, 400));
    drainUntil(client, () => client.ids().length === 25);
    assert.deepEqual(
      client.ids(),
      Array.from({ length: 25 }, (_, i) => i + 11),
    );
  });

  it('a client so slow the buffer moved past it is told what it missed, then carries on', () => {
    const { events } = stream({ capacity: 10, maxBufferedBytes: LIMIT });
    for (let i = 0; i < 10; i++) events.publish(padded(T0 + i, 400));
    const client = memorySink({ highWater: 1 });
    events.attach(client.sink, { kind: 'after_id', id: 0 });
    const first = client.ids();
    assert.ok(first.length < 10);
    for (let i = 0; i < 20; i++) events.publish(padded(T0 + 10 + i, 400));
    drainUntil(client, () => client.ids().at(-1) === 30);
    const last = first.at(-1) ?? 0;
    assert.match(
      client.text(),
      new RegExp(`: notice: events ${last + 1} to 20 are no longer buffered; replaying from 21\n`),
    );
    assert.deepEqual(client.ids(), [...first, ...Array.from({ length: 10 }, (_, i) => i + 21)]);
  });

  it('follow: false sends the events held at attach, then ends; later ones are not sent', () => {
    const { events } = stream({ maxBufferedBytes: LIMIT });
    for (let i = 0; i < 20; i++) events.publish(padded(T0 + i, 400));
    const client = memorySink({ highWater: 1024 });
    events.attach(client.sink, { kind: 'after_id', id: 0 }, { follow: false });
    assert.deepEqual(client.closed, []);
    events.publish(stateChanged(T0 + 99));
    drainUntil(client, () => client.closed.length > 0);
    assert.deepEqual(client.closed, ['closed']);
    assert.deepEqual(
      client.ids(),
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    assert.equal(events.clientCount(), 0);

    const empty = memorySink();
    events.attach(empty.sink, { kind: 'after_id', id: 21 }, { follow: false });
    assert.deepEqual(empty.closed, ['closed']);
    assert.equal(empty.text(), '');
  });
});
