import type { AgentDeps, AgentInstance } from '../definition.js';
import { createOpencodeAdapter } from './adapter.js';
import type { OpencodeSection } from './config.js';
import { createOpencodeSupervisor } from './supervisor.js';

/** The adapter, and with `manage = true` the supervised `opencode serve` it watches. */
export function createOpencodeInstance(section: OpencodeSection, deps: AgentDeps): AgentInstance {
  const adapter = createOpencodeAdapter({
    url: section.manage
      ? `http://${hostForUrl(section.serve_hostname)}:${section.serve_port}`
      : section.url,
    username: section.username,
    password: section.password,
    now: () => deps.clock.now(),
    sleep: deps.sleep,
    reconnect: { baseMs: 500, maxMs: 30_000 },
    tracked: deps.tracked,
    onError: deps.onError,
  });
  if (!section.manage) return { adapter };
  const supervisor = createOpencodeSupervisor({
    binary: section.binary,
    hostname: section.serve_hostname,
    port: section.serve_port,
    directory: section.directory === '' ? undefined : section.directory,
    env: deps.env,
    clock: deps.clock,
    log: deps.log,
    budget: { restarts: 5, windowMs: 10 * 60_000 },
    backoff: { baseMs: 1000, maxMs: 30_000 },
    onRestarted: (restarts) => {
      deps.onProcess({ kind: 'restarted', restarts });
    },
    onGaveUp: (reason) => {
      deps.onProcess({ kind: 'gave_up', reason });
    },
    onError: deps.onError,
  });
  return { adapter, process: supervisor };
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
}
