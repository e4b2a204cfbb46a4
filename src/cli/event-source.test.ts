import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify from 'fastify';
import type { DaemonEvent } from '../core/events.js';
import { createEventStream } from '../events/stream.js';
import { eventRoutes } from '../http/routes/events.js';
import { systemClock } from '../jobs/clock.js';
import { isPalError } from '../errors.js';
import { createDaemonClient } from './daemon-client.js';
import { readEvents, type StreamMessage } from './event-source.js';

const T0 = Date.parse('2026-11-27T10:00:00Z');

function stateChanged(at: number): DaemonEvent {
  return { type: 'daemon.state_changed', at, from: 'monitoring', to: 'paused' };
}

async function until(what: string, ok: () => boolean): Promise<void> {
  for (let i = 0; i < 500 && !ok(); i++) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(ok(), `timed out waiting for ${what}`);
}

describe('readEvents (loopback)', () => {
  it('after the server ends a followed stream it reconnects with Last-Event-ID: nothing lost or repeated', async () => {
    const stream = createEventStream({ clock: systemClock });
    const app = Fastify({ logger: false });
    eventRoutes(app, stream);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    const client = createDaemonClient(`http://127.0.0.1:${address.port}`);
    const got: StreamMessage[] = [];
    const notices: string[] = [];
    const controller = new AbortController();
    const reading = readEvents(() => Promise.resolve(client), {
      since: '0',
      follow: true,
      signal: controller.signal,
      onMessage: (m) => got.push(m),
      onNotice: (n) => notices.push(n),
    });
    try {
      stream.publish(stateChanged(T0));
      await until('event 1', () => got.length === 1);
      stream.disconnectAll();
      stream.publish(stateChanged(T0 + 1)); // while nobody is connected
      await until('event 2 replayed', () => got.length === 2);
      stream.publish(stateChanged(T0 + 2));
      await until('event 3 live', () => got.length === 3);
      assert.deepEqual(
        got.map((m) => [m.id, m.type]),
        [
          [1, 'daemon.state_changed'],
          [2, 'daemon.state_changed'],
          [3, 'daemon.state_changed'],
        ],
      );
      assert.deepEqual(notices, ['the daemon ended the stream; reconnecting', 'reconnected']);
    } finally {
      controller.abort();
      await reading;
      await app.close();
    }
  });

  it('a refusal is not retried; a daemon that is not there is daemon_unreachable', async () => {
    const stream = createEventStream({ clock: systemClock });
    const app = Fastify({ logger: false });
    eventRoutes(app, stream);
    await app.listen({ host: '127.0.0.1', port: 0 });
    const address = app.server.address();
    assert.ok(address !== null && typeof address === 'object');
    const url = `http://127.0.0.1:${address.port}`;
    const options = {
      follow: true,
      signal: new AbortController().signal,
      onMessage: () => undefined,
      onNotice: () => undefined,
    };
    try {
      await assert.rejects(
        readEvents(() => Promise.resolve(createDaemonClient(url)), { ...options, since: 'x' }),
        (error) => isPalError(error) && error.code === 'usage',
      );
    } finally {
      await app.close();
    }
    await assert.rejects(
      readEvents(() => Promise.resolve(createDaemonClient(url)), { ...options, since: '0' }),
      (error) => isPalError(error) && error.code === 'daemon_unreachable',
    );
  });
});
