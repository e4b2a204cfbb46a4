import { homedir } from 'node:os';
import { join } from 'node:path';
import type { AgentDeps, AgentInstance } from '../definition.js';
import { createCodexAdapter } from './adapter.js';
import type { CodexSection } from './config.js';

export function createCodexInstance(section: CodexSection, deps: AgentDeps): AgentInstance {
  return {
    adapter: createCodexAdapter({
      codexHome: codexHome(section.home, deps.env),
      binary: section.binary,
      execArgs: section.exec_args,
      resumeMode: section.resume_mode,
      tmuxBinary: section.tmux_binary,
      pollMs: section.poll_interval_ms,
      env: deps.env,
      now: () => deps.clock.now(),
      sleep: deps.sleep,
      maxTrackedFiles: deps.maxTrackedFiles,
      onError: deps.onError,
      onInfo: (what, details) => {
        deps.log.info(details, what);
      },
    }),
  };
}

/** `[codex] home`, else `$CODEX_HOME`, else `~/.codex`. */
export function codexHome(configured: string, env: NodeJS.ProcessEnv): string {
  if (configured !== '') return configured;
  const fromEnv = env['CODEX_HOME'];
  if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
  const home = env['HOME'];
  return join(home === undefined || home === '' ? homedir() : home, '.codex');
}
