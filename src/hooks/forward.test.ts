import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { FORWARD_TIMEOUT_MS, forwardHookPayload } from './forward.js';
import { spoolDir } from './spool.js';

const PAYLOAD = Buffer.from('{"hook_event_name":"StopFailure","error":"rate_limit"}');

/** A loopback receiver answering with `status` (or never, for null); records what it got. */
async function receiver(status: number | null): Promise<{
  url: string;
  bodies: string[];
  close(): Promise<void>;
}> {
  const bodies: string[] = [];
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const auth = req.headers.authorization === undefined ? '' : ` [${req.headers.authorization}]`;
      bodies.push(
        `${req.method ?? ''} ${req.url ?? ''}${auth} ${Buffer.concat(chunks).toString()}`,
      );
      if (status !== null) res.writeHead(status).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    bodies,
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

describe('forwardHookPayload', () => {
  let root: string;
  let n = 0;
  async function stateDir(daemon?: { pid: number; url: string }): Promise<string> {
    const dir = join(root, `s${++n}`);
    await mkdir(dir);
    if (daemon !== undefined) await writeFile(join(dir, 'daemon.json'), JSON.stringify(daemon));
    return dir;
  }
  async function spooled(dir: string): Promise<string[]> {
    const spool = spoolDir(dir, 'claude-code');
    const names = await readdir(spool).catch(() => []);
    return Promise.all(names.map((name) => readFile(join(spool, name), 'utf8')));
  }
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palingenesis-forward-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('delivers to a live daemon and spools nothing', async () => {
    const daemon = await receiver(202);
    try {
      const dir = await stateDir({ pid: process.pid, url: daemon.url });
      const outcome = await forwardHookPayload(dir, 'claude-code', PAYLOAD);
      assert.deepEqual(outcome, { kind: 'delivered', status: 202 });
      assert.deepEqual(daemon.bodies, [`POST /api/v1/hooks/claude-code ${PAYLOAD.toString()}`]);
      assert.deepEqual(await spooled(dir), []);
    } finally {
      await daemon.close();
    }
  });

  it("sends the daemon's API token from the state directory", async () => {
    const daemon = await receiver(202);
    try {
      const dir = await stateDir({ pid: process.pid, url: daemon.url });
      await writeFile(join(dir, 'api-token'), 'the-api-token\n', { mode: 0o600 });
      const outcome = await forwardHookPayload(dir, 'claude-code', PAYLOAD);
      assert.deepEqual(outcome, { kind: 'delivered', status: 202 });
      assert.deepEqual(daemon.bodies, [
        `POST /api/v1/hooks/claude-code [Bearer the-api-token] ${PAYLOAD.toString()}`,
      ]);
    } finally {
      await daemon.close();
    }
  });

  it('spools on a 401 (a token it does not have), keeping the payload', async () => {
    const daemon = await receiver(401);
    try {
      const dir = await stateDir({ pid: process.pid, url: daemon.url });
      const outcome = await forwardHookPayload(dir, 'claude-code', PAYLOAD);
      assert.equal(outcome.kind, 'spooled');
      assert.deepEqual(await spooled(dir), [PAYLOAD.toString()]);
    } finally {
      await daemon.close();
    }
  });

  it('spools on a 500, a dead pid, no daemon.json, and an answer that never comes', async () => {
    const failing = await receiver(500);
    const silent = await receiver(null);
    try {
      const cases: [string, { pid: number; url: string } | undefined, RegExp][] = [
        ['500', { pid: process.pid, url: failing.url }, /^daemon answered 500$/],
        // Above Linux's largest pid_max (2^22), so no process has it.
        ['dead pid', { pid: 2 ** 22 + 1, url: failing.url }, /pid \d+ is gone/],
        ['no daemon.json', undefined, /no daemon\.json/],
        ['timeout', { pid: process.pid, url: silent.url }, /no answer within 2000 ms/],
      ];
      for (const [name, daemon, why] of cases) {
        const dir = await stateDir(daemon);
        const started = Date.now();
        const outcome = await forwardHookPayload(dir, 'claude-code', PAYLOAD);
        assert.equal(outcome.kind, 'spooled', name);
        assert.match(outcome.why, why, name);
        assert.deepEqual(await spooled(dir), [PAYLOAD.toString()], name);
        assert.ok(Date.now() - started < FORWARD_TIMEOUT_MS + 1000, name);
      }
      assert.equal(failing.bodies.length, 1, 'the dead pid was not asked');
    } finally {
      await failing.close();
      await silent.close();
    }
  });

  it('an empty payload is nothing to do', async () => {
    const dir = await stateDir();
    assert.deepEqual(await forwardHookPayload(dir, 'claude-code', Buffer.from(' \n')), {
      kind: 'empty',
    });
    assert.deepEqual(await spooled(dir), []);
  });
});
