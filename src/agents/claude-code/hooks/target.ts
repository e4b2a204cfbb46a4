import { join, resolve } from 'node:path';
import { buildHookCommand } from '../../../hooks/hook-command.js';
import type { HookContext } from '../../definition.js';
import type { ClaudeCodeSection } from '../config.js';
import type { HookFiles } from './claude-install.js';
import { claudeSettingsPath } from './claude-settings.js';

/** The settings file our hooks go into, and the command they run. */
export interface HookTarget {
  readonly files: HookFiles;
  readonly command: string;
}

/**
 * The daemon's own view: `[claude_code] config_dir` when set, else $CLAUDE_CONFIG_DIR, else
 * ~/.claude. The command runs the forwarder for `claude-code` with this state dir.
 */
export function hookTarget(ctx: HookContext<ClaudeCodeSection>): HookTarget {
  const configured = ctx.section.config_dir;
  const settingsPath = resolve(
    configured === '' ? claudeSettingsPath(ctx.cli.pathEnv) : join(configured, 'settings.json'),
  );
  return {
    files: { settingsPath, stateDir: ctx.stateDir, now: ctx.now },
    command: buildHookCommand({ ...ctx.forwarder, agent: 'claude-code', stateDir: ctx.stateDir }),
  };
}
