import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentDeps, AgentInstance } from '../definition.js';
import { createClaudeAdapter } from './adapter.js';
import type { ClaudeCodeSection } from './config.js';

/**
 * The adapter; hook payloads go to it, from the forwarder or replayed by the daemon at its start
 * (its hook inbox, then the spool).
 */
export function createClaudeInstance(section: ClaudeCodeSection, deps: AgentDeps): AgentInstance {
  const adapter = createClaudeAdapter({
    claudeDir: claudeDir(section.config_dir, deps.env),
    binary: section.binary,
    tmuxBinary: section.tmux_binary,
    resumeMode: section.resume_mode,
    pollMs: section.poll_interval_ms,
    env: deps.env,
    now: () => deps.clock.now(),
    sleep: deps.sleep,
    maxTrackedFiles: deps.maxTrackedFiles,
    onHookRejected: (reason, detail) => {
      // A flood of forged hooks must not flood the log: debug only, and a counter.
      deps.log.debug({ reason, detail }, 'claude code hook not acted on');
      deps.onRefused(reason, detail);
    },
    onError: deps.onError,
    onInfo: (what, details) => {
      deps.log.info(details, what);
    },
  });
  return {
    adapter,
    acceptHook: (payload) => {
      const event = (payload as { hook_event_name?: unknown }).hook_event_name;
      deps.log.debug(
        { agent: 'claude-code', event: typeof event === 'string' ? event : undefined },
        'hook received',
      );
      return adapter.acceptHook(payload);
    },
  };
}

/** `[claude_code] config_dir`, else `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
export function claudeDir(configured: string, env: NodeJS.ProcessEnv): string {
  if (configured !== '') return configured;
  const fromEnv = env['CLAUDE_CONFIG_DIR'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = env['HOME'];
  return join(home === undefined || home === '' ? homedir() : home, '.claude');
}
