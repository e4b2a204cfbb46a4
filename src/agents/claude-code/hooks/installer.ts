import type { HookInstaller, HookReport } from '../../definition.js';
import type { ClaudeCodeSection } from '../config.js';
import { installClaudeHooks, uninstallClaudeHooks } from './claude-install.js';
import { claudeHookStatus, type ClaudeHookStatus } from './claude-status.js';
import { CLAUDE_HOOK_EVENTS } from './events.js';
import { hookTarget } from './target.js';

/** `palingenesis hooks install|uninstall|status claude-code`: what each does and says. */
export const claudeHookInstaller: HookInstaller<ClaudeCodeSection> = {
  async install(ctx) {
    const { files, command } = hookTarget(ctx);
    const outcome = await installClaudeHooks(files, command);
    if (!outcome.changed) {
      return report([
        `claude-code hooks already installed in ${files.settingsPath}; nothing changed`,
      ]);
    }
    const lines = [
      `claude-code hooks installed in ${files.settingsPath}`,
      ...CLAUDE_HOOK_EVENTS.map((event) => `  ${event.padEnd(13)} ${outcome.actions[event]}`),
    ];
    if (outcome.backupPath !== null)
      lines.push(`backup of the previous file: ${outcome.backupPath}`);
    lines.push('undo with: palingenesis hooks uninstall claude-code');
    return report(lines);
  },

  async uninstall(ctx) {
    const { files } = hookTarget(ctx);
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
    return report([lines[outcome.how]]);
  },

  async status(ctx) {
    const { files, command } = hookTarget(ctx);
    const status = await claudeHookStatus(files, command);
    return { text: renderStatus(status), json: status };
  },
};

function report(lines: readonly string[]): HookReport {
  return { text: lines.map((line) => `${line}\n`).join('') };
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
  return report(lines).text;
}
