import { access } from 'node:fs/promises';
import { unreadable } from './claude-install.js';
import { readExisting } from '../../../hooks/files.js';
import { parseHookCommand } from '../../../hooks/hook-command.js';
import { manifestPath, readManifest } from './manifest.js';
import type { ClaudeHookEvent } from './events.js';
import { installedHooks } from './settings-view.js';

export interface HookEventStatus {
  readonly event: ClaudeHookEvent;
  readonly installed: boolean;
  /** Our commands on this event as written in the file. */
  readonly commands: readonly string[];
}

export interface HookPathCheck {
  readonly role: 'node' | 'hook script' | 'state dir';
  readonly path: string;
  readonly exists: boolean;
}

export interface ClaudeHookStatus {
  readonly agent: 'claude-code';
  readonly settingsPath: string;
  readonly settingsExists: boolean;
  readonly installed: 'all' | 'some' | 'none';
  /** Every installed command is the one `hooks install` would write now (same paths). */
  readonly current: boolean;
  readonly events: readonly HookEventStatus[];
  /** The paths inside the installed commands, and whether they still exist. */
  readonly paths: readonly HookPathCheck[];
  readonly manifest: { readonly path: string; readonly backupPath: string | null } | null;
}

export async function claudeHookStatus(
  files: { readonly settingsPath: string; readonly stateDir: string },
  expectedCommand: string,
): Promise<ClaudeHookStatus> {
  const file = await readExisting(files.settingsPath);
  const hooks = installedHooks(file?.bytes.toString('utf8') ?? '');
  if (!hooks.ok) throw unreadable(files.settingsPath, hooks);
  const events = hooks.events.map((e) => ({
    event: e.event,
    installed: e.commands.length > 0,
    commands: e.commands,
  }));
  const count = events.filter((e) => e.installed).length;
  const commands = [...new Set(events.flatMap((e) => e.commands))];
  const where = manifestPath(files.stateDir);
  const record = (await readManifest(where)).installs[files.settingsPath];
  return {
    agent: 'claude-code',
    settingsPath: files.settingsPath,
    settingsExists: file !== undefined,
    installed: count === 0 ? 'none' : count === events.length ? 'all' : 'some',
    current: commands.every((c) => c === expectedCommand),
    events,
    paths: await checkPaths(commands),
    manifest: record === undefined ? null : { path: where, backupPath: record.backupPath },
  };
}

async function checkPaths(commands: readonly string[]): Promise<HookPathCheck[]> {
  const checks: HookPathCheck[] = [];
  const seen = new Set<string>();
  for (const command of commands) {
    const parts = parseHookCommand(command);
    if (parts === undefined) continue;
    const pairs = [
      ['node', parts.node],
      ['hook script', parts.script],
      ['state dir', parts.stateDir],
    ] as const;
    for (const [role, path] of pairs) {
      if (seen.has(`${role}\0${path}`)) continue;
      seen.add(`${role}\0${path}`);
      checks.push({ role, path, exists: await exists(path) });
    }
  }
  return checks;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path);
    return true;
  } catch {
    return false; // status only reports presence; the reason (ENOENT, EACCES) does not change it
  }
}
