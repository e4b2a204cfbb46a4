import type { Logger } from 'pino';
import type { AgentAdapter } from '../agents/adapter.js';
import { createOpencodeAdapter } from '../agents/opencode/adapter.js';
import type { Config } from '../config/schema.js';
import type { Clock } from '../jobs/clock.js';

/** The agents this configuration enables. Adding an agent: one line here, one folder in agents/. */
export function createAdapters(
  config: Config,
  deps: {
    clock: Clock;
    log: Logger;
    tracked: Parameters<typeof createOpencodeAdapter>[0]['tracked'];
  },
): Map<string, AgentAdapter> {
  const adapters = new Map<string, AgentAdapter>();
  if (config.opencode.enabled) {
    adapters.set(
      'opencode',
      createOpencodeAdapter({
        url: config.opencode.url,
        username: config.opencode.username,
        password: config.opencode.password,
        now: () => deps.clock.now(),
        sleep: (ms, signal) => abortableSleep(deps.clock, ms, signal),
        reconnect: { baseMs: 500, maxMs: 30_000 },
        tracked: deps.tracked,
        onError: (what, error) => {
          deps.log.warn({ err: error, what }, 'agent adapter error');
        },
      }),
    );
  }
  return adapters;
}

export function abortableSleep(clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) {
      resolve();
      return;
    }
    const done = (): void => {
      cancel();
      signal.removeEventListener('abort', done);
      resolve();
    };
    const cancel = clock.setTimer(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}
