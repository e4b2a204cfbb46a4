import { spawn, type ChildProcess } from 'node:child_process';
import type { Logger } from 'pino';
import type { Clock } from '../../jobs/clock.js';

export interface SupervisorOptions {
  readonly binary: string;
  readonly hostname: string;
  readonly port: number;
  /** The project directory `opencode serve` runs in; undefined: the daemon's own. */
  readonly directory?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  readonly clock: Clock;
  readonly log: Logger;
  /** At most `restarts` restarts within `windowMs`; one more and the supervisor gives up. */
  readonly budget: { readonly restarts: number; readonly windowMs: number };
  readonly backoff: { readonly baseMs: number; readonly maxMs: number };
  /** Called once when the crash-loop budget is spent: the agent stays down. */
  readonly onGaveUp: (reason: string) => void;
  readonly onRestarted: (restarts: number) => void;
  /** `opencode serve` could not be started (a missing binary): logged and counted. */
  readonly onError?: (kind: string, error: unknown) => void;
}

export interface Supervisor {
  start(): void;
  /** SIGTERM, then SIGKILL after a grace period; idempotent. */
  stop(): Promise<void>;
  pid(): number | undefined;
  /** Restarts so far (lifetime), for status. */
  restarts(): number;
}

const STOP_GRACE_MS = 5000;

/**
 * Runs `opencode serve` as a child and restarts it when it dies, with exponential backoff and a
 * crash-loop budget: a server that keeps dying is given up loudly rather than restarted forever.
 */
export function createOpencodeSupervisor(options: SupervisorOptions): Supervisor {
  const { clock, log } = options;
  let child: ChildProcess | undefined;
  let stopping = false;
  let gaveUp = false;
  let total = 0;
  let recent: number[] = [];
  let cancelRestart: (() => void) | undefined;
  let stopped: Promise<void> | undefined;

  const launch = (): void => {
    const args = ['serve', '--hostname', options.hostname, '--port', String(options.port)];
    const next = spawn(options.binary, args, {
      cwd: options.directory,
      env: options.env,
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child = next;
    let tail = '';
    next.stderr.on('data', (chunk: Buffer) => {
      tail = (tail + chunk.toString()).slice(-2000);
    });
    next.on('error', (error) => {
      if (options.onError === undefined) {
        log.error({ err: error, binary: options.binary }, 'cannot start opencode serve');
      } else {
        options.onError(
          'process_spawn',
          new Error(`cannot start opencode serve`, { cause: error }),
        );
      }
    });
    next.on('exit', (code, signal) => {
      if (child === next) child = undefined;
      if (stopping) return;
      log.warn(
        { code, signal, stderr: tail.split('\n').slice(-5).join('\n') },
        'opencode serve exited',
      );
      scheduleRestart();
    });
    log.info({ pid: next.pid, port: options.port }, 'opencode serve started');
  };

  const scheduleRestart = (): void => {
    const now = clock.now();
    recent = [...recent.filter((t) => now - t < options.budget.windowMs), now];
    if (recent.length > options.budget.restarts) {
      gaveUp = true;
      const reason = `opencode serve died ${recent.length} times within ${Math.round(options.budget.windowMs / 60_000)} min; not restarting it again`;
      log.error({ restarts: recent.length }, reason);
      options.onGaveUp(reason);
      return;
    }
    const delay = Math.min(
      options.backoff.maxMs,
      options.backoff.baseMs * 2 ** (recent.length - 1),
    );
    cancelRestart = clock.setTimer(() => {
      cancelRestart = undefined;
      if (stopping || gaveUp) return;
      total++;
      launch();
      options.onRestarted(total);
    }, delay);
  };

  return {
    start() {
      if (child === undefined && !stopping) launch();
    },
    stop() {
      stopped ??= (async () => {
        stopping = true;
        cancelRestart?.();
        const running = child;
        if (running === undefined || running.exitCode !== null || running.signalCode !== null)
          return;
        const exited = new Promise<void>((resolve) => {
          running.once('exit', () => {
            resolve();
          });
        });
        running.kill('SIGTERM');
        const cancelKill = clock.setTimer(() => {
          running.kill('SIGKILL');
        }, STOP_GRACE_MS);
        await exited;
        cancelKill();
      })();
      return stopped;
    },
    pid: () => child?.pid,
    restarts: () => total,
  };
}
