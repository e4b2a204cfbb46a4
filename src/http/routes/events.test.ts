import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { describe, it } from 'node:test';
import Fastify, { type FastifyInstance } from 'fastify';
import { openSse } from '../../../test/helpers/sse.js';
import type { DaemonEvent } from '../../core/events.js';
import { systemClock } from '../../jobs/clock.js';
import { createEventStream, type EventStream } from '../../events/stream.js';
import { eventRoutes } from './events.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function stateChanged(at: number): DaemonEvent {
  return { type: 'daemon.state_changed', at, from: 'monitoring', to: 'paused' };
}

async function serve(
  options: { maxBufferedBytes?: number; heartbeatMs?: number } = {},
): Promise<{ app: FastifyInstance; stream: EventStream; url: string; sockets: Socket[] }> {
  const stream = createEventStream({ clock: systemClock, heartbeatMs: 50, ...options });
  const app = Fastify({ logger: false, return503OnClosing: true });
  eventRoutes(app, stream, () => T0 + 10 * 60_000);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const sockets: Socket[] = [];
  app.server.on('connection', (socket: Socket) => sockets.push(socket));
  const address = app.server.address();
  assert.ok(address !== null && typeof address === 'object');
  return { app, stream, url: `http://127.0.0.1:${address.port}/api/v1/events`, sockets };
}

/** 16 KiB of evidence-sized text: 500 of them fill the default 8 MiB replay buffer. */
function large(at: number): DaemonEvent {
  return Object.assign(stateChanged(at), { padding: 'x'.repeat(16 * 1024) });
}

async function turns(count: number, done: () => boolean): Promise<void> {
  for (let i = 0; i < count && !done(); i++) await new Promise((resolve) => setImmediate(resolve));
}

describe('GET /api/v1/events (in memory)', () => {
  it('a malformed since or Last-Event-ID is 400 with the error body', async () => {
    const stream = createEventStream({ clock: systemClock });
    const app = Fastify({ logger: false });
    eventRoutes(app, stream);
    try {
      for (const request of [
        { url: '/api/v1/events?since=yesterday' },
        { url: '/api/v1/events', headers: { 'last-event-id': '10m' } },
      ]) {
        const res = await app.inject({ method: 'GET', ...request });
        assert.equal(res.statusCode, 400, res.body);
        assert.equal(res.json<{ error: { code: string } }>().error.code, 'bad_request');
      }
    } finally {
      await app.close();
    }
  });

  it('follow=false sends the buffer (from since, by id or by time) and ends', async () => {
    const stream = createEventStream({ clock: systemClock });
    const app = Fastify({ logger: false });
    eventRoutes(app, stream, () => T0 + 10 * 60_000);
    for (let i = 0; i < 4; i++) stream.publish(stateChanged(T0 + i * 60_000));
    try {
      const all = await app.inject({ url: '/api/v1/events?follow=false' });
      assert.equal(all.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.deepEqual(ids(all.body), [1, 2, 3, 4]);
      const afterTwo = await app.inject({ url: '/api/v1/events?follow=false&since=2' });
      assert.deepEqual(ids(afterTwo.body), [3, 4]);
      // now is T0 + 10m: "8m" means from T0 + 2m.
      const byTime = await app.inject({ url: '/api/v1/events?follow=false&since=8m' });
      assert.deepEqual(ids(byTime.body), [3, 4]);

      // Ids restart with the daemon: an id from another run replays everything, with a notice.
      const sameRun = await app.inject({
        url: '/api/v1/events?follow=false',
        headers: { 'last-event-id': '1', 'palingenesis-stream': stream.streamId },
      });
      assert.equal(sameRun.headers['palingenesis-stream'], stream.streamId);
      assert.deepEqual(ids(sameRun.body), [2, 3, 4]);
      const otherRun = await app.inject({
        url: '/api/v1/events?follow=false',
        headers: { 'last-event-id': '1', 'palingenesis-stream': 'an-older-run' },
      });
      assert.deepEqual(ids(otherRun.body), [1, 2, 3, 4]);
      assert.match(otherRun.body, /^: notice: the daemon restarted since event 1; replaying/);
    } finally {
      await app.close();
    }
  });
});

describe('GET /api/v1/events (loopback)', () => {
  it('streams live events, resumes after Last-Event-ID, pings, and close() ends open streams', async () => {
    const { app, stream, url } = await serve();
    const first = await openSse(url);
    try {
      assert.equal(first.status, 200);
      stream.publish(stateChanged(T0));
      stream.publish(stateChanged(T0 + 1));
      const got = await first.waitForMessages(2);
      assert.deepEqual(
        got.map((m) => [m.id, m.event]),
        [
          ['1', 'daemon.state_changed'],
          ['2', 'daemon.state_changed'],
        ],
      );
      assert.deepEqual(JSON.parse(got[0]?.data ?? ''), stateChanged(T0));
      first.close();
      stream.publish(stateChanged(T0 + 2));
      stream.publish(stateChanged(T0 + 3));
      const again = await openSse(url, { 'last-event-id': '2' });
      const missed = await again.waitForMessages(2);
      assert.deepEqual(
        missed.map((m) => m.id),
        ['3', '4'],
      );
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.ok(again.comments.includes('ping'), `no ping in ${JSON.stringify(again.comments)}`);

      const started = Date.now();
      await app.close();
      assert.ok(Date.now() - started < 2000, 'close() waited on the open stream');
      await again.ended();
      assert.ok(again.comments.includes('notice: the daemon is stopping'));
      assert.equal(stream.clientCount(), 0);
    } finally {
      first.close();
      await app.close();
    }
  });

  it('a client that stops reading is dropped; the others and publish carry on', async () => {
    const { app, stream, url } = await serve({ maxBufferedBytes: 256 * 1024 });
    const { port } = new URL(url);
    const socket = connect(Number(port), '127.0.0.1');
    try {
      await once(socket, 'connect');
      socket.write(`GET /api/v1/events HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      socket.pause(); // never read: the kernel buffers fill, then the server's queue grows
      const reader = await openSse(url);
      const started = Date.now();
      for (let i = 0; i < 5000 && stream.droppedCount() === 0; i++) {
        stream.publish(Object.assign(stateChanged(T0 + i), { padding: 'x'.repeat(16 * 1024) }));
        await new Promise((resolve) => setImmediate(resolve));
      }
      assert.equal(stream.droppedCount(), 1, 'the stalled client was never dropped');
      assert.ok(Date.now() - started < 10_000);
      assert.equal(stream.clientCount(), 1);
      await reader.waitForMessages(1);
      reader.close();
    } finally {
      socket.destroy();
      await app.close();
    }
  });
});

describe('GET /api/v1/events (loopback): replay under backpressure', () => {
  it('clients asking for the whole replay and never reading hold at most their limit each', async () => {
    const limit = 256 * 1024;
    const { app, stream, url, sockets } = await serve({
      maxBufferedBytes: limit,
      heartbeatMs: 60_000,
    });
    const { port } = new URL(url);
    for (let i = 0; i < 500; i++) stream.publish(large(T0 + i));
    const stalled: Socket[] = [];
    try {
      for (const query of ['since=0', 'since=0', 'since=0&follow=false', 'since=0&follow=false']) {
        const socket = connect(Number(port), '127.0.0.1');
        stalled.push(socket);
        await once(socket, 'connect');
        socket.pause(); // never read: the kernel buffers fill, then the server's queue would grow
        socket.write(`GET /api/v1/events?${query} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`);
      }
      const held = (): number[] => sockets.map((socket) => socket.writableLength);
      const answered = (): boolean =>
        sockets.length === 4 && sockets.every((socket) => socket.bytesWritten > 0);
      await turns(2000, answered);
      assert.ok(answered(), 'not every client was answered');
      // Until the kernel stops taking bytes: what the server holds must stay bounded throughout.
      let settled = 0;
      let written = -1;
      for (let i = 0; i < 5000 && settled < 50; i++) {
        for (const bytes of held()) assert.ok(bytes <= limit, `a client holds ${bytes} bytes`);
        const now = sockets.reduce((sum, socket) => sum + socket.bytesWritten, 0);
        settled = now === written ? settled + 1 : 0;
        written = now;
        await new Promise((resolve) => setImmediate(resolve));
      }
      for (let i = 0; i < 100; i++) stream.publish(large(T0 + 500 + i));
      for (const bytes of held()) assert.ok(bytes <= limit, `a client holds ${bytes} bytes`);
      const total = held().reduce((sum, bytes) => sum + bytes, 0);
      assert.ok(total <= 4 * limit, `the clients hold ${total} bytes`);
      assert.equal(stream.clientCount() + stream.droppedCount(), 4);
    } finally {
      for (const socket of stalled) socket.destroy();
      await app.close();
    }
  });

  it('a reading client asking since=0 gets the whole large replay in order, then live events', async () => {
    const { app, stream, url } = await serve({ maxBufferedBytes: 256 * 1024 });
    for (let i = 0; i < 500; i++) stream.publish(large(T0 + i));
    const reader = await openSse(`${url}?since=0`);
    try {
      await reader.waitForMessages(500, 20_000);
      stream.publish(stateChanged(T0 + 999));
      const got = await reader.waitForMessages(501);
      assert.deepEqual(
        got.map((m) => Number(m.id)),
        Array.from({ length: 501 }, (_, i) => i + 1),
      );
      assert.deepEqual(
        reader.comments.filter((c) => c.startsWith('notice')),
        [],
      );
      assert.equal(stream.droppedCount(), 0);
      const replayOnly = await openSse(`${url}?since=0&follow=false`);
      await replayOnly.ended(20_000);
      assert.equal(replayOnly.messages.length, 501);
    } finally {
      reader.close();
      await app.close();
    }
  });
});

function ids(body: string): number[] {
  return [...body.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
}
