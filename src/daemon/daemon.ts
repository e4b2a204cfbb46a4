import { mkdir } from 'node:fs/promises';
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Config } from '../config/schema.js';
import {
  INITIAL_FACTS,
  applyControl,
  daemonState,
  type DaemonFacts,
} from '../core/daemon-state.js';
import { PalError } from '../errors.js';
import type { DaemonControl, DaemonInfo } from '../http/control.js';
import { createHttpApp } from '../http/server.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import type { BuildInfo } from './build-info.js';
import { loadState } from '../state/state-file.js';
import { acquirePidFile } from './pid-file.js';
import type { StatePaths } from '../config/paths.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly paths: StatePaths;
  readonly build: BuildInfo;
  readonly log: Logger;
}

export interface RunningDaemon {
  /** The bound HTTP URL, or undefined when `[http] enabled = false`. */
  readonly url: string | undefined;
  readonly info: DaemonInfo;
  /** Graceful stop: refuse new requests, finish in-flight ones, close everything. Idempotent. */
  stop(): Promise<void>;
}

/** The composition root: the only place where the daemon's parts are constructed and wired. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config, paths, build, log } = options;
  await mkdir(paths.dir, { recursive: true, mode: 0o700 });
  const pidLock = await acquirePidFile(paths.pidFile, process.pid);
  const cleanups: (() => Promise<void> | void)[] = [() => pidLock.release()];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };

  try {
    const startedMs = performance.now();
    const info: DaemonInfo = {
      ...build,
      pid: process.pid,
      startedAt: new Date(),
      uptimeSeconds: () => (performance.now() - startedMs) / 1000,
    };
    let facts: DaemonFacts = INITIAL_FACTS;
    const control: DaemonControl = {
      state: () => daemonState(facts),
      apply: (command) => {
        const result = applyControl(facts, command);
        if (result.ok) {
          facts = result.facts;
          log.info({ command, state: result.state }, 'daemon.state_changed');
        }
        return result;
      },
    };

    const loaded = await loadState(paths.stateFile, new Date());
    if (loaded.kind === 'corrupt') {
      log.error(
        { movedTo: loaded.movedTo, problem: loaded.problem },
        'state file unreadable: moved aside for inspection, starting with empty state',
      );
    }
    const persisted = loaded.state;

    let metrics: Metrics | undefined;
    if (config.otel.metrics_enabled) {
      const created = createMetrics({
        version: build.version,
        commit: build.commit,
        uptimeSeconds: info.uptimeSeconds,
        daemonState: control.state,
        resume: {
          lifetime: persisted.totals,
          // No agent adapter is wired yet: no session is tracked, so none is active.
          snapshot: () => ({
            activeSessions: { opencode: 0, 'claude-code': 0 },
            retryAttempts: persisted.jobs.filter((job) => job.attempt > 1).length,
          }),
        },
      });
      metrics = created;
      cleanups.push(() => {
        created.close();
      });
    }

    let url: string | undefined;
    if (config.http.enabled) {
      const app = createHttpApp({ info, control, metrics, log });
      cleanups.push(() => app.close());
      url = await listen(app, config.http.host, config.http.port);
    }

    log.info({ url, version: build.version, commit: build.commit }, 'daemon.started');
    let stopping: Promise<void> | undefined;
    return {
      url,
      info,
      stop() {
        stopping ??= (async () => {
          log.info('daemon.stopping');
          await runCleanups();
          log.info('daemon.stopped');
        })();
        return stopping;
      },
    };
  } catch (error) {
    await runCleanups();
    throw error;
  }
}

async function listen(app: FastifyInstance, host: string, port: number): Promise<string> {
  try {
    await app.listen({ host, port });
  } catch (error) {
    const code = error instanceof Error && 'code' in error ? String(error.code) : '';
    const where = `${host}:${port}`;
    if (code === 'EADDRINUSE') {
      throw new PalError('address_in_use', `cannot listen on ${where}: the address is in use`, {
        cause: error,
      });
    }
    throw new PalError('internal', `cannot listen on ${where}: ${String(error)}`, { cause: error });
  }
  const address = app.server.address();
  if (address === null || typeof address === 'string') {
    throw new PalError('internal', 'the HTTP server has no TCP address after listening');
  }
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return `http://${shownHost}:${address.port}`;
}
