import { rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { join } from 'node:path';
import { applyControl, daemonState, type DaemonFacts } from '../core/daemon-state.js';
import { openAuditLog } from '../events/audit-log.js';
import { createEventBus } from '../events/bus.js';
import { createEventStream } from '../events/stream.js';
import { systemClock } from '../jobs/clock.js';
import { createResumeEngine, type ResumeEngine } from '../resume/engine.js';
import { createStateStore } from '../resume/store.js';
import { AGENT_KINDS } from '../agents/registry.js';
import { createAgents } from './wiring.js';
import { PalError } from '../errors.js';
import { ensurePrivateDirSync } from '../node-util.js';
import type { DaemonControl, DaemonInfo } from '../http/control.js';
import { createHttpApp } from '../http/server.js';
import { httpSecurityFor, rotateApiToken } from '../config/http-token.js';
import type { ErrorComponent } from '../telemetry/input-metrics.js';
import { createMetrics, type Metrics } from '../telemetry/metrics.js';
import { createNotifier } from '../notify/notifier.js';
import { createOtel, type Otel } from '../telemetry/otel.js';
import type { BuildInfo } from './build-info.js';
import { loadState } from '../state/state-file.js';
import { acquirePidFile } from './pid-file.js';
import type { ConfigLocation, StatePaths } from '../config/paths.js';
import {
  diffConfig,
  liveView,
  mergeLive,
  readNewConfig,
  watchConfigFile,
  type ReloadOutcome,
} from './reload.js';

export interface DaemonOptions {
  readonly config: Config;
  readonly paths: StatePaths;
  readonly build: BuildInfo;
  readonly log: Logger;
  /** Where the config came from: reloads read it again. Absent: no reloads (tests, embedders). */
  readonly configLocation?: ConfigLocation | undefined;
  /** Sends every log line to a stream too (for `[otel] logs_enabled`); absent: logs stay local. */
  readonly teeLog?: ((stream: DestinationStream) => () => void) | undefined;
  /** The environment agents are found and run in (HOME, CLAUDE_CONFIG_DIR, PATH…); default: ours. */
  readonly env?: NodeJS.ProcessEnv | undefined;
}

export interface RunningDaemon {
  /** The bound HTTP URL, or undefined when `[http] enabled = false`. */
  readonly url: string | undefined;
  readonly info: DaemonInfo;
  /** Graceful stop: refuse new requests, finish in-flight ones, close everything. Idempotent. */
  stop(): Promise<void>;
  /** Reads the config again: applies what can change live, keeps the rest; invalid → rejected. */
  reload(trigger: 'signal' | 'file' | 'api'): Promise<ReloadOutcome>;
  /** A failure caught outside any request or job (a stray rejection): logged and counted. */
  reportError(component: ErrorComponent, kind: string, error: unknown): void;
}

/** How long a stopping daemon waits for its last notifications (`daemon.stopped` among them). */
const NOTIFY_FLUSH_MS = 3000;

/** The composition root: the only place where the daemon's parts are constructed and wired. */
export async function startDaemon(options: DaemonOptions): Promise<RunningDaemon> {
  const { config, paths, build, log } = options;
  // The sections a reload may change are read through this holder (see reload.ts).
  const holder = { current: config };
  ensurePrivateDirSync(paths.dir);
  // Before any other side effect: a bad token file or an exposed bind without a token ends here.
  const security = config.http.enabled
    ? await httpSecurityFor(config.http, paths.tokenFile)
    : undefined;
  const pidLock = await acquirePidFile(paths.pidFile, process.pid);
  const cleanups: (() => Promise<void> | void)[] = [() => pidLock.release()];
  const runCleanups = async (): Promise<void> => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  };
  // Shut down after everything else (not a cleanup): the last events end the open traces, and
  // the log lines up to `daemon.stopped` are exported.
  let otel: Otel | undefined;

  try {
    otel = createOtel({
      config: config.otel,
      version: build.version,
      log,
      now: Date.now,
      teeLog: options.teeLog,
    });
    const startedMs = performance.now();
    const info: DaemonInfo = {
      ...build,
      pid: process.pid,
      startedAt: new Date(),
      uptimeSeconds: () => (performance.now() - startedMs) / 1000,
    };
    const loaded = await loadState(paths.stateFile, new Date());
    if (loaded.kind === 'corrupt') {
      log.error(
        { movedTo: loaded.movedTo, problem: loaded.problem },
        'state file unreadable: moved aside for inspection, starting with empty state',
      );
    }
    const store = createStateStore(paths.stateFile, loaded.state);
    const { limits } = config;
    let metrics: Metrics | undefined;
    const reportError = (
      component: ErrorComponent,
      kind: string,
      error: unknown,
      context: Record<string, unknown> = {},
    ): void => {
      log.error(
        { err: error, component, kind, ...context },
        `${component} ${kind}: caught, the daemon goes on`,
      );
      metrics?.inputs.error(component, kind);
    };
    const bus = createEventBus(
      (error, event) => {
        log.error({ err: error, event: event.type }, 'event listener failed');
      },
      { maxTextBytes: limits.max_event_text_bytes },
    );
    const audit = openAuditLog(paths.auditFile, {
      maxBytes: limits.audit_max_bytes,
      keepFiles: limits.audit_keep_files,
      onError: (error, { path }) => {
        reportError('store', 'audit_rotation', error, { path });
      },
    });
    cleanups.push(() => {
      audit.close();
    });
    bus.subscribe(audit.append);
    const events = createEventStream({
      clock: systemClock,
      maxBufferBytes: limits.event_buffer_bytes,
      onDrop: ({ bufferedBytes, error }) => {
        log.warn({ bufferedBytes, err: error }, 'event stream client dropped: too slow or gone');
      },
      onCloseError: (error) => {
        log.warn({ err: error }, 'event stream client could not be closed');
      },
    });
    bus.subscribe(events.publish);
    cleanups.push(() => {
      events.disconnectAll();
    });
    // Late in the stop order (cleanups run in reverse): the flush overlaps nothing but the end.
    const notifier = createNotifier({
      config: config.notifications,
      clock: systemClock,
      random: Math.random,
      log,
      host: hostname(),
      version: build.version,
      onResult: (channel, result) => metrics?.notifications.count(channel, result),
    });
    bus.subscribe(notifier.handle);
    cleanups.push(() => notifier.close(NOTIFY_FLUSH_MS));
    if (otel?.recordEvent !== undefined) bus.subscribe(otel.recordEvent);

    // The reload is defined once everything it reloads exists; the API reaches it through this.
    const reloadLate: { run: (trigger: 'signal' | 'file' | 'api') => Promise<ReloadOutcome> } = {
      run: () => Promise.resolve({ ok: false, problems: ['the daemon is still starting'] }),
    };
    let paused = false;
    // The engine reports changes through onChange, which reads the engine: a late-bound reference.
    const late: { engine?: ResumeEngine } = {};
    const facts = (): DaemonFacts => ({
      paused,
      pendingResumes: late.engine?.pendingResumes() ?? 0,
      activeResumes: late.engine?.activeResumes() ?? 0,
    });
    let lastState = daemonState(facts());
    const onChange = (): void => {
      const state = daemonState(facts());
      if (state === lastState) return;
      bus.emit({ type: 'daemon.state_changed', at: Date.now(), from: lastState, to: state });
      log.info({ from: lastState, to: state }, 'daemon.state_changed');
      lastState = state;
    };
    const agents = await createAgents(config, {
      clock: systemClock,
      log,
      env: options.env ?? process.env,
      stateDir: paths.dir,
      onRefused: (agent, reason) => metrics?.inputs.refused(agent, reason),
      onError: (agent) => metrics?.inputs.error('agent', agent),
      onProcess: (agent, event) => {
        bus.emit(
          event.kind === 'restarted'
            ? { type: 'agent.restarted', at: Date.now(), agent, restarts: event.restarts }
            : { type: 'agent.gave_up', at: Date.now(), agent, reason: event.reason },
        );
      },
      tracked: () =>
        late.engine
          ?.sessions()
          .map((s) => ({ agent: s.agent, sessionId: s.id, directory: s.directory })) ?? [],
    });
    const running = createResumeEngine({
      clock: systemClock,
      random: Math.random,
      config: liveView(holder),
      adapters: new Map([...agents].map(([kind, agent]) => [kind, agent.adapter])),
      agents: AGENT_KINDS,
      bus,
      log,
      store,
      paused: () => paused,
      backupDir: join(paths.dir, 'backups'),
      onChange,
    });
    late.engine = running;
    cleanups.push(() => {
      running.stop();
    });
    const control: DaemonControl = {
      state: () => daemonState(facts()),
      apply: (command) => {
        const result = applyControl(facts(), command);
        if (result.ok) {
          paused = result.facts.paused;
          onChange();
          running.poke();
        }
        return result;
      },
      sessions: () => running.sessions(),
      sessionsJson: () => running.sessionsJson(),
      command: (sessionId, command) => running.command(sessionId, command),
      totals: () => running.totals(),
    };

    if (config.otel.metrics_enabled) {
      const created = createMetrics({
        version: build.version,
        commit: build.commit,
        uptimeSeconds: info.uptimeSeconds,
        daemonState: control.state,
        resume: {
          lifetime: loaded.state.totals,
          agents: AGENT_KINDS,
          snapshot: () => running.snapshot(),
        },
      });
      metrics = created;
      created.notifications.declare(notifier.channelNames());
      bus.subscribe(created.record);
      cleanups.push(() => {
        created.close();
      });
    }

    let url: string | undefined;
    if (config.http.enabled) {
      const app = createHttpApp({
        security,
        info,
        control,
        metrics,
        events,
        log,
        now: () => systemClock.now(),
        maxBodyBytes: config.limits.max_body_bytes,
        maxConnections: config.limits.max_connections,
        hooksPerSecond: config.limits.hooks_per_second,
        onHookRefused: (agent, reason) => metrics?.inputs.refused(agent, reason),
        onInternalError: () => metrics?.inputs.error('http', 'internal'),
        rotateToken: async () => {
          if (config.http.token !== '' || config.http.token_file !== '') {
            return {
              ok: false,
              message: 'the token comes from [http] token or token_file: change it there',
            };
          }
          const token = await rotateApiToken(paths.tokenFile);
          if (security !== undefined) security.token = token;
          log.info({ file: paths.tokenFile }, 'api token rotated');
          return { ok: true, file: paths.tokenFile };
        },
        reload:
          options.configLocation === undefined
            ? undefined
            : async () => {
                const outcome = await reloadLate.run('api');
                return outcome.ok
                  ? { ok: true, ...outcome.diff }
                  : { ok: false, problems: outcome.problems };
              },
        hooks: (agent, payload) => {
          const accept = agents.get(agent)?.acceptHook;
          if (accept === undefined) return false;
          accept(payload);
          return true;
        },
      });
      cleanups.push(() => app.close());
      url = await listen(app, config.http.host, config.http.port);
      await writeRuntimeFile(paths.runtimeFile, { pid: process.pid, url });
      cleanups.push(() => rm(paths.runtimeFile, { force: true }));
    }

    log.info({ url, version: build.version, commit: build.commit }, 'daemon.started');
    bus.emit({ type: 'daemon.started', at: Date.now(), version: build.version, pid: process.pid });
    // Processes the agents run (a managed `opencode serve`), once the API is up to report them.
    for (const agent of agents.values()) {
      const child = agent.process;
      if (child === undefined) continue;
      child.start();
      cleanups.push(() => child.stop());
    }
    const watching = new AbortController();
    const watchers = [...running.adapters()].map((adapter) =>
      adapter.watch(running.observe, watching.signal).catch((error: unknown) => {
        log.error({ err: error, agent: adapter.agent }, 'agent watcher stopped unexpectedly');
      }),
    );
    cleanups.push(async () => {
      watching.abort();
      await Promise.all(watchers);
    });
    running.poke();

    const reload = async (trigger: 'signal' | 'file' | 'api'): Promise<ReloadOutcome> => {
      if (options.configLocation === undefined) return { ok: false, problems: ['no config file'] };
      const next = await readNewConfig(options.configLocation);
      if (!next.ok) {
        log.error(
          { trigger, problems: next.problems },
          'config.rejected: the last good config stays',
        );
        bus.emit({ type: 'config.rejected', at: Date.now(), trigger, problems: next.problems });
        return next;
      }
      const diff = diffConfig(holder.current, next.config);
      holder.current = mergeLive(holder.current, next.config);
      log.level = holder.current.daemon.log_level;
      notifier.reconfigure(holder.current.notifications);
      metrics?.notifications.declare(notifier.channelNames());
      running.poke();
      log.info({ trigger, ...diff }, 'config.reloaded');
      bus.emit({ type: 'config.reloaded', at: Date.now(), trigger, ...diff });
      return { ok: true, diff, config: holder.current };
    };
    reloadLate.run = reload;
    if (options.configLocation !== undefined) {
      const watcher = watchConfigFile(options.configLocation.path, () => void reload('file'));
      cleanups.push(() => {
        watcher.close();
      });
    }
    let stopping: Promise<void> | undefined;
    return {
      url,
      info,
      reload,
      reportError,
      stop() {
        stopping ??= (async () => {
          log.info('daemon.stopping');
          // Before anything closes: the audit log, the stream and the notifier still take it.
          bus.emit({ type: 'daemon.stopped', at: Date.now(), uptimeSeconds: info.uptimeSeconds() });
          try {
            await runCleanups();
            log.info('daemon.stopped');
          } finally {
            await otel?.shutdown();
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    try {
      await runCleanups();
    } finally {
      await otel?.shutdown();
    }
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

/** Written atomically (a forwarder may read it at any moment), readable by the owner only. */
async function writeRuntimeFile(
  path: string,
  content: { pid: number; url: string },
): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(content)}\n`, { mode: 0o600 });
  await rename(temp, path);
}
