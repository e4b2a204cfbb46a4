import assert from 'node:assert/strict';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { delay } from '../../node-util.js';
import type { Observation } from '../adapter.js';
import { createOpencodeAdapter } from './adapter.js';

/**
 * The real SDK client against a loopback stand-in of opencode's `/global/event`: frames that do
 * not parse, or do not match their schema, are reported as `malformed` (counted by the daemon).
 */
describe('opencode event stream: malformed frames', () => {
  it('a frame that is not JSON, and one of no known shape, are each a malformed frame', async () => {
    const streams: ServerResponse[] = [];
    const server = createServer((req, res) => {
      if (req.url?.startsWith('/global/event') === true) {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        res.write('data: {"payload": this is not json\n\n');
        res.write('data: {"directory": "/p"}\n\n');
        streams.push(res);
        return;
      }
      res.writeHead(404, { 'content-type': 'application/json' }).end('{}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const seen: Observation[] = [];
    const errors: string[] = [];
    const stopping = new AbortController();
    const adapter = createOpencodeAdapter({
      url: `http://127.0.0.1:${port}`,
      username: 'opencode',
      password: '',
      now: () => Date.now(),
      sleep: delay,
      reconnect: { baseMs: 10, maxMs: 50 },
      tracked: () => [],
      onError: (kind) => errors.push(kind),
    });
    const watching = adapter.watch((o) => seen.push(o), stopping.signal);
    try {
      const malformed = () =>
        seen.filter(
          (o): o is Extract<Observation, { kind: 'malformed' }> => o.kind === 'malformed',
        );
      for (let i = 0; i < 500 && malformed().length < 2; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      assert.deepEqual(
        malformed()
          .slice(0, 2)
          .map((o) => [o.agent, o.unit, o.count]),
        [
          ['opencode', 'frame', 1],
          ['opencode', 'frame', 1],
        ],
      );
      assert.deepEqual(errors, [], 'skipped and counted, not a failure of the watcher');
    } finally {
      stopping.abort();
      await watching;
      for (const res of streams) res.destroy();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
