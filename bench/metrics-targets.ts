import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry, collectDefaultMetrics } from 'prom-client';
import { statePaths } from '../src/config/paths.js';
import { defaultConfig } from '../src/config/schema.js';
import { readBuildInfo } from '../src/daemon/build-info.js';
import { startDaemon } from '../src/daemon/daemon.js';
import { createDaemonLogger } from '../src/daemon/logger.js';
import type { ServerKind } from './metrics-ipc.js';

export interface Target {
  /** The full URL of the metrics endpoint. */
  readonly url: string;
  stop(): Promise<void>;
}

export function startTarget(kind: ServerKind): Promise<Target> {
  return kind === 'palingenesis' ? startPalingenesis() : startBaseline();
}

/** The real daemon through its composition root, so the bench sees what users run. */
async function startPalingenesis(): Promise<Target> {
  // A private state dir: the PID lock must not collide with a daemon the user is running.
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-bench-'));
  const paths = statePaths({
    env: { XDG_STATE_HOME: dir },
    platform: process.platform,
    homeDir: dir,
  });
  const base = defaultConfig();
  // No agents: the developer's own opencode (:4096) and ~/.claude must neither be touched nor
  // add their polling to what is measured.
  const config = {
    ...base,
    http: { ...base.http, host: '127.0.0.1', port: 0 },
    opencode: { ...base.opencode, enabled: false },
    claude_code: { ...base.claude_code, enabled: false },
  };
  const logger = createDaemonLogger(paths.logFile, 'warn');
  const daemon = await startDaemon({ config, paths, build: readBuildInfo(), log: logger.log });
  if (daemon.url === undefined) throw new Error('the daemon started without HTTP');
  return {
    url: `${daemon.url}/api/v1/metrics`,
    async stop() {
      await daemon.stop();
      logger.flush();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** What a typical service does: prom-client's default metrics on a bare node:http server. */
async function startBaseline(): Promise<Target> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const server = createServer((_req, res) => {
    registry.metrics().then(
      (body) => {
        res.writeHead(200, { 'content-type': registry.contentType }).end(body);
      },
      (error: unknown) => {
        res.writeHead(500).end(String(error));
      },
    );
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no TCP address');
  return {
    url: `http://127.0.0.1:${address.port}/metrics`,
    async stop() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
