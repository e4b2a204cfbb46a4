import type { Logger } from 'pino';
import type { ConfigLocation, StatePaths } from '../config/paths.js';
import type { Config } from '../config/schema.js';
import { isPalError } from '../errors.js';
import { within } from '../node-util.js';
import type { BuildInfo } from './build-info.js';
import { startDaemon } from './daemon.js';
import { inlineTokenExposure } from './inline-token-exposure.js';
import { createDaemonLogger } from './logger.js';

export interface ForegroundOptions {
  readonly config: Config;
  readonly paths: StatePaths;
  readonly build: BuildInfo;
  readonly stdout: (text: string) => void;
  /** Where the config came from, for SIGHUP and file-change reloads. */
  readonly configLocation?: ConfigLocation | undefined;
}

const SHUTDOWN_TIMEOUT_MS = 10_000;

/**
 * Runs the daemon until SIGTERM or SIGINT, then stops it gracefully and resolves with 0. A stop
 * that failed or overran its deadline ends the process at once with exit code 1, as does a second
 * signal during shutdown.
 */
export async function runForeground(options: ForegroundOptions): Promise<number> {
  const { log, flush, tee, reportFileErrorsTo } = createDaemonLogger(
    options.paths.logFile,
    options.config.daemon.log_level,
  );
  // A stray rejection or throw (a bug, an input nobody foresaw) is logged and counted, and the
  // daemon goes on serving: one bad input must not end a daemon that runs for weeks.
  let report = (kind: string, error: unknown): void => {
    log.error({ err: error, kind }, `process ${kind}: caught, the daemon goes on`);
  };
  const onRejection = (reason: unknown): void => {
    report('unhandled_rejection', reason);
  };
  const onException = (error: Error): void => {
    report('uncaught_exception', error);
  };
  process.on('unhandledRejection', onRejection);
  process.on('uncaughtException', onException);
  const stopCatching = (): void => {
    process.off('unhandledRejection', onRejection);
    process.off('uncaughtException', onException);
  };
  // Listen before anything is printed: a signal sent the moment the ready line appears must be
  // handled, and without a listener Node applies the default action (instant death) to it.
  const received = listenForSignal();
  // SIGHUP's default action ends the process: the listener goes in first, like the others.
  let onHangup: () => void = () => {
    log.warn('SIGHUP before the daemon was ready: ignored');
  };
  const hangup = (): void => {
    onHangup();
  };
  process.on('SIGHUP', hangup);
  const tokenCheck = await warnOfExposedToken(options, log);
  const daemon = await startDaemon({ ...options, log, teeLog: tee }).catch((error: unknown) => {
    received.dispose();
    process.off('SIGHUP', hangup);
    stopCatching();
    if (tokenCheck !== undefined) log.warn({ err: tokenCheck }, tokenCheck.message);
    // A log file that failed while the daemon was starting is still reported, uncounted.
    reportFileErrorsTo((kind, error) => {
      log.error({ err: error, component: 'log', kind }, `log ${kind}: lines still go to stderr`);
    });
    // Expected refusals (already running, port in use) need no stack trace in the log.
    const detail = isPalError(error)
      ? { code: error.code, message: error.message }
      : { err: error };
    log.error(detail, 'daemon.start_failed');
    flush();
    throw error;
  });
  onHangup = () => {
    void daemon.reload('signal');
  };
  report = (kind, error) => {
    daemon.reportError('process', kind, error);
  };
  reportFileErrorsTo((kind, error) => {
    daemon.reportError('log', kind, error);
  });
  // Found before the start (where the warning belongs), logged and counted now that it can be.
  if (tokenCheck !== undefined) daemon.reportError('process', 'config_mode_check', tokenCheck);
  options.stdout(
    daemon.url === undefined
      ? `palingenesis running (pid ${process.pid}, HTTP API disabled)\n`
      : `palingenesis listening on ${daemon.url}\n`,
  );

  // Signal listeners do not keep the event loop alive; with the HTTP API disabled nothing else
  // might, and the process would exit by itself.
  const keepAlive = setInterval(() => undefined, 2 ** 31 - 1);
  const signal = await received.signal;
  received.dispose();
  process.off('SIGHUP', hangup);
  clearInterval(keepAlive);
  log.info({ signal }, 'daemon.signal');
  const forceExit = (): void => {
    log.warn('second signal during shutdown; exiting now');
    flush();
    process.exit(1);
  };
  process.once('SIGTERM', forceExit);
  process.once('SIGINT', forceExit);

  let failed = false;
  try {
    // The deadline holds the process open: a stop with nothing left to wait on but a stuck
    // promise must still end in exit 1, not in a quiet exit 0.
    const outcome = await within(daemon.stop(), SHUTDOWN_TIMEOUT_MS, { keepAlive: true });
    if (outcome.timedOut) {
      // The PID file is released last, after the last state write: it stays, and the next
      // daemon takes it over as stale rather than run beside writes this process still makes.
      log.error({ timeoutMs: SHUTDOWN_TIMEOUT_MS }, 'shutdown overran its deadline; exiting now');
      failed = true;
    }
  } catch (error) {
    log.error({ err: error }, 'shutdown failed');
    failed = true;
  } finally {
    process.off('SIGTERM', forceExit);
    process.off('SIGINT', forceExit);
    stopCatching();
    flush();
  }
  // Exit now: a hanging cleanup (a request that never ends, a write that never lands) or a
  // failed one (a server that did not close) would otherwise hold the process open for ever.
  if (failed) process.exit(1);
  return 0;
}

/**
 * An inline token in a config file others can read is a token others have: one line says so.
 * Resolves with the failure when the file's mode could not be read, for the caller to log and
 * count (once the daemon runs), else undefined. Exported for its tests.
 */
export async function warnOfExposedToken(
  options: Pick<ForegroundOptions, 'config' | 'configLocation'>,
  log: Logger,
): Promise<Error | undefined> {
  const file = options.configLocation?.path;
  if (file === undefined) return undefined;
  try {
    const warning = await inlineTokenExposure(file, options.config.http);
    if (warning !== undefined) log.warn({ file }, warning);
    return undefined;
  } catch (error) {
    return new Error(`cannot tell who may read the config file ${file}`, { cause: error });
  }
}

function listenForSignal(): { signal: Promise<NodeJS.Signals>; dispose(): void } {
  let onSignal: (signal: NodeJS.Signals) => void = () => undefined;
  const signal = new Promise<NodeJS.Signals>((resolve) => {
    onSignal = resolve;
  });
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  return {
    signal,
    dispose() {
      process.off('SIGTERM', onSignal);
      process.off('SIGINT', onSignal);
    },
  };
}
