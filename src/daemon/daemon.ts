import { rename, rm, writeFile } from 'node:fs/promises';
import { hostname } from 'node:os';
import type { FastifyInstance } from 'fastify';
import { performance } from 'node:perf_hooks';
import type { DestinationStream, Logger } from 'pino';
import type { Config } from '../config/schema.js';
import { join } from 'node:path';
import { applyControl, daemonState, type DaemonFacts } from '../core/daemon-state.js';
import { openAuditLog } from '../events/audit-log.js';
import { createEventBus, type Listener } from '../events/bus.js';
import { createEventStream } from '../events/stream.js';
import { systemClock } from '../jobs/clock.js';
import { createResumeEngine, type ResumeEngine } from '../resume/engine.js';
import { createStateStore, type StoreOptions } from '../resume/store.js';
import { AGENT_KINDS } from '../agents/registry.js';
import { createAgents } from './wiring.js';
import { createHookDelivery } from './hook-delivery.js';
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
import { loadState, removeStaleTemps } from '../state/state-file.js';
import { acquirePidFile } from './pid-file.js';
import type { ConfigLocation, StatePaths } from '../config/paths.js';
import { watchConfigFile } from './config-watch.js';
import {
  diffConfig,
  liveView,
  mergeLive,
  readNewConfig,
  reloadSecurity,
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
  /** How the state file is written; default: atomically to disk. Tests: a write that is slow. */
  readonly saveState?: StoreOptions['save'];
  /** Also told every event, after the daemon's own listeners (tests: one that fails). */
  readonly onEvent?: Listener | undefined;
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
  reportError(
    component: ErrorComponent,
    kind: string,
    error: unknown,
    context?: Record<string, unknown>,
  ): void;
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
  const cleanups: (() => Promise<void> | void)[] = [];
  // Shut down after everything else (not a cleanup): the last events end the open traces, and
  // the log lines up to `daemon.stopped` are exported.
  let otel: Otel | undefined;
  /**
   * Every cleanup in reverse, each one even when an earlier one failed (a `daemon.json` that
   * cannot be removed must not leave the server answering); then the OTLP flush; then, last of
   * all, the PID file: until it goes no other daemon starts, and the cleanups end with the state
   * store idle, so no write of this process lands after one has. Resolves with the failures,
   * each reported as it happens; `stopped` runs between the cleanups and the flush.
   */
  const shutDown = async (
    report: (error: unknown) => void,
    stopped: (failures: number) => void = () => undefined,
  ): Promise<unknown[]> => {
    const failures: unknown[] = [];
    const attempt = async (step: () => Promise<void> | void): Promise<void> => {
      try {
        await step();
      } catch (error) {
        failures.push(error);
        report(error);
      }
    };
    for (const cleanup of [...cleanups].reverse()) await attempt(cleanup);
    stopped(failures.length);
    await attempt(() => otel?.shutdown());
    await attempt(() => pidLock.release());
    return failures;
  };

  let metrics: Metrics | undefined;
  // Failures before the metrics exist (a corrupt state file, a leftover that stays) are counted
  // once they do; undefined once that is settled (made, or `[otel] metrics_enabled = false`).
  let uncounted: [ErrorComponent, string, number][] | undefined = [];
  const count = (component: ErrorComponent, kind: string, by = 1): void => {
    if (metrics !== undefined) metrics.inputs.error(component, kind, by);
    else uncounted?.push([component, kind, by]);
  };
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
    count(component, kind);
  };

  try {
    // Only while holding the PID file: before, they may be another daemon's writes in flight.
    await removeLeftoverTemps(paths, log, () => {
      count('store', 'temp_remove');
    });
    otel = createOtel({
      config: config.otel,
      version: build.version,
      log,
      now: Date.now,
      teeLog: options.teeLog,
      onExportFailure: (signal) => {
        count('process', `otlp_${signal}`);
      },
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
      count('store', 'state_corrupt');
    }
    // A failed write is logged and counted each time; the event marks the start and the end of a
    // failing spell (the bus is made below; no write happens before the engine runs).
    const store = createStateStore(paths.stateFile, loaded.state, {
      save: options.saveState,
      onWriteFailed: (error) => {
        const health = store.health();
        reportError('store', 'state_write', error, { path: paths.stateFile });
        if (!health.ok && failingSince !== health.since) {
          failingSince = health.since;
          bus.emit({
            type: 'state.write_failed',
            at: Date.now(),
            path: paths.stateFile,
            problem: health.problem,
          });
        }
      },
      onRecovered: () => {
        const since = failingSince ?? Date.now();
        failingSince = undefined;
        log.info({ path: paths.stateFile }, 'state file writable again');
        bus.emit({
          type: 'state.write_recovered',
          at: Date.now(),
          path: paths.stateFile,
          failedForMs: Math.max(0, Date.now() - since),
        });
      },
    });
    let failingSince: number | undefined;
    // First in, so last out: it runs once everything that writes the state has stopped (the
    // engine, the HTTP API), and the PID file is released only after it.
    cleanups.push(async () => {
      log.debug('waiting for the last state writes before releasing the PID file');
      await store.idle();
      const health = store.health();
      if (!health.ok) throw new Error(`the last state write failed: ${health.problem}`);
    });
    const { limits } = config;
    const bus = createEventBus(
      (error, event) => {
        reportError('process', 'event_listener', error, { event: event.type });
      },
      { maxTextBytes: limits.max_event_text_bytes },
    );
    // A full disk costs the audit lines, counted once per streak; never the event (see bus.ts).
    const audit = openAuditLog(paths.auditFile, {
      maxBytes: limits.audit_max_bytes,
      keepFiles: limits.audit_keep_files,
      onError: (error, { path, kind }) => {
        reportError('store', kind, error, { path });
      },
      onRecovered: (linesLost, { path }) => {
        log.warn({ path, linesLost }, 'audit log writable again');
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
        count('http', 'stream_drop');
      },
      onCloseError: (error) => {
        log.warn({ err: error }, 'event stream client could not be closed');
        count('http', 'stream_close');
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
      onError: (_agent, kind) => {
        count('agent', kind);
      },
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
      onError: (kind) => {
        count('resume', kind);
      },
      onMalformed: (unit, skipped) => {
        count('agent', `malformed_${unit}`, skipped);
      },
    });
    late.engine = running;
    // Moved to the front of the stop order once the watchers exist (see below).
    const stopEngine = (): Promise<void> => running.stop();
    cleanups.push(stopEngine);
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
      for (const [component, kind, by] of uncounted) created.inputs.error(component, kind, by);
      created.notifications.declare(notifier.channelNames());
      bus.subscribe(created.record);
      cleanups.push(() => {
        created.close();
      });
    }
    uncounted = undefined;
    if (options.onEvent !== undefined) bus.subscribe(options.onEvent);

    // A hook is on disk before it is answered 202, until its agent is done with it.
    const hookDelivery = createHookDelivery({
      stateDir: paths.dir,
      maxBytes: limits.hook_inbox_bytes,
      agents,
      log,
      now: () => systemClock.now(),
      persisted: () => running.persisted(),
      onError: (kind, error, context) => {
        reportError('store', kind, error, context);
      },
      onRefused: (agent, reason) => metrics?.inputs.refused(agent, reason),
    });
    let url: string | undefined;
    if (config.http.enabled) {
      const app = createHttpApp({
        security,
        info,
        storeHealth: () => store.health(),
        control,
        metrics,
        events,
        log,
        now: () => systemClock.now(),
        maxBodyBytes: config.limits.max_body_bytes,
        maxConnections: config.limits.max_connections,
        hooksPerSecond: config.limits.hooks_per_second,
        onHookRefused: (agent, reason) => metrics?.inputs.refused(agent, reason),
        onInternalError: () => {
          count('http', 'internal');
        },
        rotateToken: async () => {
          // The token keys apply on reload: the config in force decides, not the one at start.
          const { http } = holder.current;
          if (http.token !== '' || http.token_file !== '') {
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
        hooks: (agent, payload) => hookDelivery.accept(agent, payload),
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
        // Not restarted: the agent goes unwatched until the daemon restarts (logged and counted).
        reportError('agent', 'watch_ended', error, { agent: adapter.agent });
      }),
    );
    // Hooks a daemon that died had accepted, then the spool: judged once each agent watches.
    const replaying = hookDelivery.replay(watching.signal);
    cleanups.push(async () => {
      watching.abort();
      await Promise.all([...watchers, replaying]);
    });
    // First of all at a stop (cleanups run in reverse): the resume work in flight is aborted
    // while the agents it talks to are still up, so an attempt cut short costs nothing.
    cleanups.splice(cleanups.indexOf(stopEngine), 1);
    cleanups.push(stopEngine);
    running.poke();

    const reject = (trigger: 'signal' | 'file' | 'api', problems: string[]): ReloadOutcome => {
      log.error({ trigger, problems }, 'config.rejected: the last good config stays');
      bus.emit({ type: 'config.rejected', at: Date.now(), trigger, problems });
      return { ok: false, problems };
    };
    const reload = async (trigger: 'signal' | 'file' | 'api'): Promise<ReloadOutcome> => {
      if (options.configLocation === undefined) return { ok: false, problems: ['no config file'] };
      const next = await readNewConfig(options.configLocation);
      if (!next.ok) return reject(trigger, next.problems);
      // Before anything changes: a bad token file leaves the old token, and all the rest, in force.
      const token =
        security === undefined
          ? undefined
          : await reloadSecurity(security, next.config.http, paths.tokenFile);
      if (token !== undefined && !token.ok) return reject(trigger, token.problems);
      const diff = diffConfig(holder.current, next.config);
      holder.current = mergeLive(holder.current, next.config);
      // Also when only the token file's content (or the state directory's copy) changed.
      if (security !== undefined && token?.ok === true && token.token !== security.token) {
        security.token = token.token;
        log.info({ file: paths.tokenFile }, 'api token replaced by the reload');
      }
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
      const watcher = watchConfigFile(options.configLocation.path, () => void reload('file'), {
        onError: (error, dir) => {
          reportError('process', 'config_watch', error, { dir });
        },
      });
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
          const failures = await shutDown(
            (error) => {
              log.error({ err: error }, 'a cleanup failed; the stop goes on');
              count('process', 'cleanup');
            },
            (failed) => {
              if (failed === 0) log.info('daemon.stopped');
              else log.error({ failed }, 'daemon.stopped, with failed cleanups');
            },
          );
          if (failures.length > 0) {
            throw new AggregateError(failures, `${failures.length} of the stop's steps failed`);
          }
        })();
        return stopping;
      },
    };
  } catch (error) {
    // The start's own error is the one to tell; a cleanup failing after it is logged.
    await shutDown((cleanupError) => {
      log.error({ err: cleanupError }, 'a cleanup failed after a failed start');
    });
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

/** Temp files a daemon killed mid-write (or a failed save) left beside the state and runtime files. */
async function removeLeftoverTemps(
  paths: StatePaths,
  log: Logger,
  onFailed: () => void,
): Promise<void> {
  const results = [
    await removeStaleTemps(paths.stateFile, 'uuid'),
    await removeStaleTemps(paths.runtimeFile, 'pid'),
  ];
  const removed = results.flatMap((r) => r.removed);
  // A leftover that stays is tried again at the next start; counted once the metrics exist.
  for (const { file, error } of results.flatMap((r) => r.failed)) {
    log.warn({ err: error, file }, 'a leftover temp file could not be removed');
    onFailed();
  }
  if (removed.length > 0) {
    log.info({ removed: removed.length, files: removed }, 'leftover temp files removed');
  }
}
