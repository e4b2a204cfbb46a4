import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { createOpencodeClient } from '@opencode-ai/sdk/v2/client';
import { delay } from '../../node-util.js';
import type { Observation, SessionRef } from '../adapter.js';
import type { OpencodeMessage } from './frames.js';
import { resync } from './resync.js';

const REF: SessionRef = { agent: 'opencode', sessionId: 'ses_prompted', directory: '/p' };

/** A turn whose assistant message has not finished: cut off, or still being written. */
const unfinished: OpencodeMessage[] = [
  { info: { id: 'u1', role: 'user', time: { created: 1 } }, parts: [] },
  { info: { id: 'a1', role: 'assistant', time: { created: 2 } }, parts: [] },
];

/**
 * The real SDK client against a loopback stand-in of opencode's session routes, whose status
 * answers change between reads: what a resync sees of a session prompted while it runs.
 */
async function judgeAfterRestart(statuses: readonly Record<string, { type: string }>[]) {
  let reads = 0;
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    if (req.url?.startsWith('/session/status') === true) {
      res.end(JSON.stringify(statuses[Math.min(reads++, statuses.length - 1)]));
      return;
    }
    if (req.url?.startsWith('/session') === true) res.end('[]');
    else res.writeHead(404).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const seen: Observation[] = [];
  try {
    await resync({
      client: createOpencodeClient({ baseUrl: `http://127.0.0.1:${port}` }),
      options: {
        url: `http://127.0.0.1:${port}`,
        username: 'opencode',
        password: '',
        now: () => 1000,
        sleep: delay,
        reconnect: { baseMs: 10, maxMs: 50 },
        tracked: () => [REF],
        onError: () => undefined,
      },
      emit: (o) => seen.push(o),
      signal: new AbortController().signal,
      messages: () => Promise.resolve(unfinished),
    });
  } finally {
    await new Promise((resolve) => server.close(resolve));
  }
  return seen.map((o) => o.kind);
}

describe('opencode resync after a restart', () => {
  it('an unfinished turn of a session still idle when asked again is a crash', async () => {
    assert.deepEqual(await judgeAfterRestart([{}]), ['stopped']);
  });

  it('a session idle at the first read but busy when asked again was prompted meanwhile: busy, not a crash', async () => {
    assert.deepEqual(await judgeAfterRestart([{}, { ses_prompted: { type: 'busy' } }]), ['busy']);
  });
});
