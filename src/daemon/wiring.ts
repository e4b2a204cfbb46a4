import type { Logger } from 'pino';
import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentAdapter } from '../agents/adapter.js';
import {
  createClaudeAdapter,
  type ClaudeAdapter,
  type HookRejection,
} from '../agents/claude-code/adapter.js';
import { drainSpool, spoolDir } from '../hooks/spool.js';
import { createOpencodeAdapter } from '../agents/opencode/adapter.js';
import type { Config } from '../config/schema.js';
import { createOpencodeSupervisor, type Supervisor } from '../agents/opencode/supervisor.js';
import type { EventBus } from '../events/bus.js';
import type { Clock } from '../jobs/clock.js';

/** The agents this configuration enables. Adding an agent: one line here, one folder in agents/. */
export function createAdapters(
  config: Config,
  deps: {
    clock: Clock;
    log: Logger;
    tracked: Parameters<typeof createOpencodeAdapter>[0]['tracked'];
    env: NodeJS.ProcessEnv;
    stateDir: string;
    /**
     * Each Claude Code hook the adapter would not act on, with why (labels: `HOOK_REJECTIONS`
     * from agents/claude-code/adapter.ts): for a counter. Called per hook; never logs above debug.
     */
    onHookRejected?: (reason: HookRejection, detail: string) => void;
  },
): { adapters: Map<string, AgentAdapter>; claude?: ClaudeAdapter } {
  const adapters = new Map<string, AgentAdapter>();
  let claude: ClaudeAdapter | undefined;
  if (config.opencode.enabled) {
    adapters.set(
      'opencode',
      createOpencodeAdapter({
        url: config.opencode.manage
          ? `http://${hostForUrl(config.opencode.serve_hostname)}:${config.opencode.serve_port}`
          : config.opencode.url,
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
  if (config.claude_code.enabled) {
    const cc = config.claude_code;
    const spool = spoolDir(deps.stateDir, 'claude-code');
    claude = createClaudeAdapter({
      claudeDir: claudeDir(cc.config_dir, deps.env),
      binary: cc.binary,
      tmuxBinary: cc.tmux_binary,
      resumeMode: cc.resume_mode,
      pollMs: cc.poll_interval_ms,
      env: deps.env,
      now: () => deps.clock.now(),
      sleep: (ms, signal) => abortableSleep(deps.clock, ms, signal),
      maxTrackedFiles: config.limits.max_tracked_files,
      replaySpool: async (accept) => {
        const result = await drainSpool(spool, (value) => accept(value));
        if (result.replayed > 0 || result.malformed > 0)
          deps.log.info({ ...result, spool }, 'spooled Claude Code hook payloads replayed');
      },
      onHookRejected: (reason, detail) => {
        // A flood of forged hooks must not flood the log: debug only, and a counter.
        deps.log.debug({ reason, detail }, 'claude code hook not acted on');
        deps.onHookRejected?.(reason, detail);
      },
      onError: (what, error) => {
        deps.log.warn({ err: error, what }, 'agent adapter error');
      },
      onInfo: (what, details) => {
        deps.log.info(details, what);
      },
    });
    adapters.set('claude-code', claude);
  }
  return { adapters, claude };
}

/** `[claude_code] config_dir`, else `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
export function claudeDir(configured: string, env: NodeJS.ProcessEnv): string {
  if (configured !== '') return configured;
  const fromEnv = env['CLAUDE_CONFIG_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = env['HOME'];
  return join(home === undefined || home === '' ? homedir() : home, '.claude');
}

/** Runs `opencode serve` when `[opencode] manage = true`; undefined otherwise. */
export function createSupervisor(
  config: Config,
  deps: { clock: Clock; log: Logger; bus: EventBus; env: NodeJS.ProcessEnv },
): Supervisor | undefined {
  const oc = config.opencode;
  if (!oc.enabled || !oc.manage) return undefined;
  return createOpencodeSupervisor({
    binary: oc.binary,
    hostname: oc.serve_hostname,
    port: oc.serve_port,
    directory: oc.directory === '' ? undefined : oc.directory,
    env: deps.env,
    clock: deps.clock,
    log: deps.log,
    budget: { restarts: 5, windowMs: 10 * 60_000 },
    backoff: { baseMs: 1000, maxMs: 30_000 },
    onRestarted: (restarts) => {
      deps.bus.emit({ type: 'agent.restarted', at: deps.clock.now(), agent: 'opencode', restarts });
    },
    onGaveUp: (reason) => {
      deps.bus.emit({ type: 'agent.gave_up', at: deps.clock.now(), agent: 'opencode', reason });
    },
  });
}

function hostForUrl(host: string): string {
  return host.includes(':') ? `[${host}]` : host;
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
