import { access } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { stateDir } from '../config/paths.js';
import { PalError } from '../errors.js';
import {
  installClaudeHooks,
  uninstallClaudeHooks,
  type HookFiles,
} from '../hooks/claude-install.js';
import { claudeSettingsPath } from '../hooks/claude-settings.js';
import { claudeHookStatus, type ClaudeHookStatus } from '../hooks/claude-status.js';
import { buildHookCommand } from '../hooks/hook-command.js';
import { CLAUDE_HOOK_EVENTS } from '../hooks/settings-view.js';
import { configLocation, requireConfig, type CliContext } from './context.js';

const AGENTS = ['claude-code'] as const;

const HOOKS_HELP = `
Claude Code: adds a command hook for ${CLAUDE_HOOK_EVENTS.join(', ')} to
$CLAUDE_CONFIG_DIR/settings.json (default ~/.claude/settings.json). Every other setting and hook,
the formatting and the key order stay as they are. The hook forwards each event to the daemon, or
spools it under <state dir>/spool/claude-code/ while the daemon is down; the daemon replays the
spool when it starts.`;

export function hooksCommands(
  program: Command,
  ctx: CliContext,
  globals: () => { config?: string },
): void {
  const hooks = program
    .command('hooks')
    .description("install, remove or check palingenesis's hooks in an agent's settings")
    .addHelpText('after', HOOKS_HELP);

  hooks
    .command('install <agent>')
    .description(`add our hooks to the agent's settings (agents: ${AGENTS.join(', ')})`)
    .addHelpText(
      'after',
      '\nBacks the settings file up first (<settings>.palingenesis-backup-<time>, beside it) and\n' +
        'records what it did in <state dir>/hooks/claude-code.json. Running it again changes nothing;\n' +
        'from another install location or state dir it points the hooks at the new paths.',
    )
    .action(async (agent: string) => {
      requireAgent(agent);
      const files = await hookFiles(ctx, globals().config);
      const script = hookScriptPath();
      await access(script).catch((error: unknown) => {
        throw new PalError('internal', `the hook forwarder ${script} is missing; build first`, {
          cause: error,
        });
      });
      const outcome = await installClaudeHooks(files, expectedCommand(files, script));
      if (!outcome.changed) {
        ctx.stdout(
          `claude-code hooks already installed in ${files.settingsPath}; nothing changed\n`,
        );
        return;
      }
      ctx.stdout(`claude-code hooks installed in ${files.settingsPath}\n`);
      for (const event of CLAUDE_HOOK_EVENTS)
        ctx.stdout(`  ${event.padEnd(13)} ${outcome.actions[event]}\n`);
      if (outcome.backupPath !== null)
        ctx.stdout(`backup of the previous file: ${outcome.backupPath}\n`);
      ctx.stdout(`undo with: palingenesis hooks uninstall claude-code\n`);
    });

  hooks
    .command('uninstall <agent>')
    .description(`remove exactly the hooks install added (agents: ${AGENTS.join(', ')})`)
    .addHelpText(
      'after',
      '\nIf the settings file is still as install left it, the original bytes are restored from the\n' +
        'backup. If it changed since, only our entries are removed and your changes are kept\n' +
        '(the file as it was before is backed up beside it first).',
    )
    .action(async (agent: string) => {
      requireAgent(agent);
      const files = await hookFiles(ctx, globals().config);
      const outcome = await uninstallClaudeHooks(files);
      const path = files.settingsPath;
      const lines = {
        unchanged: `no palingenesis hooks in ${path}; nothing changed`,
        deleted: `claude-code hooks removed: ${path} was created by install and is deleted again`,
        restored: `claude-code hooks removed: ${path} restored byte for byte from ${outcome.backupPath ?? ''}`,
        edited:
          `claude-code hooks removed from ${path}; the file changed since install, so only our ` +
          `entries were taken out\nbackup of the file before: ${outcome.backupPath ?? ''}`,
      };
      ctx.stdout(`${lines[outcome.how]}\n`);
    });

  hooks
    .command('status [agent]')
    .description('per event: are our hooks installed, where, and do their paths still exist')
    .option('--json', 'print JSON')
    .action(async (agent: string | undefined, opts: { json?: boolean }) => {
      if (agent !== undefined) requireAgent(agent);
      const files = await hookFiles(ctx, globals().config);
      const status = await claudeHookStatus(files, expectedCommand(files, hookScriptPath()));
      ctx.stdout(
        opts.json === true
          ? `${JSON.stringify({ agents: [status] }, null, 2)}\n`
          : renderStatus(status),
      );
    });
}

function requireAgent(agent: string): void {
  if (!(AGENTS as readonly string[]).includes(agent)) {
    throw new PalError('usage', `unknown agent "${agent}"; hooks exist for: ${AGENTS.join(', ')}`);
  }
}

/** The daemon's own view: `[claude_code] config_dir` when set, else $CLAUDE_CONFIG_DIR, else ~/.claude. */
export async function hookFiles(
  ctx: CliContext,
  configFlag: string | undefined,
): Promise<HookFiles> {
  const config = await requireConfig(configLocation(ctx, configFlag));
  const configured = config.claude_code.config_dir;
  return {
    settingsPath: resolve(
      configured === '' ? claudeSettingsPath(ctx.pathEnv) : join(configured, 'settings.json'),
    ),
    stateDir: resolve(stateDir(ctx.pathEnv)),
    now: new Date(),
  };
}

/** dist/palingenesis-hook.js, beside the dist/cli/ folder this file is built into. */
export function hookScriptPath(): string {
  return fileURLToPath(new URL('../palingenesis-hook.js', import.meta.url));
}

export function expectedCommand(files: HookFiles, script: string): string {
  return buildHookCommand({
    node: process.execPath,
    script,
    agent: 'claude-code',
    stateDir: files.stateDir,
  });
}

function renderStatus(status: ClaudeHookStatus): string {
  const count = status.events.filter((e) => e.installed).length;
  const lines = [
    `claude-code: ${count} of ${status.events.length} hooks installed in ${status.settingsPath}` +
      (status.settingsExists ? '' : ' (no such file)'),
    ...status.events.map(
      (e) => `  ${e.event.padEnd(13)} ${e.installed ? 'installed' : 'not installed'}`,
    ),
  ];
  for (const check of status.paths) {
    const state = check.exists
      ? 'exists'
      : check.role === 'state dir'
        ? 'not created yet'
        : 'MISSING';
    lines.push(`  ${check.role.padEnd(13)} ${check.path} (${state})`);
  }
  if (count > 0 && !status.current) {
    lines.push('the hooks run another palingenesis or state dir than this one;');
    lines.push('run `palingenesis hooks install claude-code` to point them here');
  }
  if (status.manifest !== null) {
    lines.push(`install record: ${status.manifest.path}`);
  } else if (count > 0) {
    lines.push('no install record in this state dir: uninstall will remove just our entries');
  }
  return `${lines.join('\n')}\n`;
}
