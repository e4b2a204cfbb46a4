import { mkdir, rm } from 'node:fs/promises';
import { dirname } from 'node:path';
import { PalError } from '../../../errors.js';
import { planInstall, planUninstall, type EventAction } from './claude-settings.js';
import {
  backUp,
  readExisting,
  removeCreatedDirs,
  sha256,
  writeAtomically,
  type ExistingFile,
} from '../../../hooks/files.js';
import { manifestPath, readManifest, writeManifest, type InstallRecord } from './manifest.js';
import type { ClaudeHookEvent } from './events.js';
import { installedHooks, type Problem } from './settings-view.js';

/** The file side of `hooks install|uninstall claude-code`: backup, atomic write, manifest. */

export interface HookFiles {
  readonly settingsPath: string;
  readonly stateDir: string;
  readonly now: Date;
}

export interface InstallOutcome {
  readonly changed: boolean;
  readonly actions: Readonly<Record<ClaudeHookEvent, EventAction>>;
  /** The copy of the file made before this run changed it (null: none was needed). */
  readonly backupPath: string | null;
}

export interface UninstallOutcome {
  /** restored: the original bytes are back; deleted: we had created the file; edited: only our
   * entries were removed (the file changed since we wrote it); unchanged: none of ours was there. */
  readonly how: 'restored' | 'deleted' | 'edited' | 'unchanged';
  readonly actions: Readonly<Record<ClaudeHookEvent, EventAction>>;
  readonly backupPath: string | null;
}

const NEW_FILE_MODE = 0o600;

export async function installClaudeHooks(
  files: HookFiles,
  command: string,
): Promise<InstallOutcome> {
  const { settingsPath } = files;
  const file = await readExisting(settingsPath);
  const plan = planInstall(file?.bytes.toString('utf8') ?? '', command);
  if (!plan.ok) throw unreadable(settingsPath, plan);
  if (file !== undefined && plan.text === file.bytes.toString('utf8')) {
    return { changed: false, actions: plan.actions, backupPath: null };
  }
  const where = manifestPath(files.stateDir);
  const manifest = await readManifest(where);
  const { base, backupPath } = await wayBack(files, file, manifest.installs[settingsPath]);
  await writeAtomically(file?.realPath ?? settingsPath, plan.text, file?.mode ?? NEW_FILE_MODE);
  const record: InstallRecord = {
    ...base,
    createdHooksObject: base.createdHooksObject || plan.created.hooksObject,
    createdEvents: [...new Set([...base.createdEvents, ...plan.created.events])],
    writtenSha256: sha256(plan.text),
    command,
    installedAt: files.now.toISOString(),
  };
  await writeManifest(where, {
    version: 1,
    installs: { ...manifest.installs, [settingsPath]: record },
  });
  return { changed: true, actions: plan.actions, backupPath };
}

type RecordBase = Omit<InstallRecord, 'writtenSha256' | 'command' | 'installedAt'>;

/**
 * How to undo this install. A file still exactly as we last wrote it keeps the first install's
 * backup as the way back; otherwise the file as it is now is backed up (or, missing, its directory
 * is created and noted).
 */
async function wayBack(
  files: HookFiles,
  file: ExistingFile | undefined,
  previous: InstallRecord | undefined,
): Promise<{ base: RecordBase; backupPath: string | null }> {
  if (previous !== undefined && previous.writtenSha256 === sha256(file?.bytes ?? '')) {
    return { base: previous, backupPath: null };
  }
  const { settingsPath } = files;
  let backupPath: string | null = null;
  let createdDir: string | null = null;
  if (file === undefined) {
    createdDir = (await mkdir(dirname(settingsPath), { recursive: true, mode: 0o700 })) ?? null;
  } else {
    backupPath = await backUp(settingsPath, file.bytes, file.mode, files.now);
  }
  const base: RecordBase = {
    settingsPath,
    backupPath,
    originalSha256: file === undefined ? null : sha256(file.bytes),
    createdFile: file === undefined,
    createdDir,
    // Containers an earlier install created are still ours to remove once empty.
    createdHooksObject: previous?.createdHooksObject ?? false,
    createdEvents: previous?.createdEvents ?? [],
  };
  return { base, backupPath };
}

export async function uninstallClaudeHooks(files: HookFiles): Promise<UninstallOutcome> {
  const { settingsPath } = files;
  const where = manifestPath(files.stateDir);
  const manifest = await readManifest(where);
  const record = manifest.installs[settingsPath];
  const file = await readExisting(settingsPath);
  const text = file?.bytes.toString('utf8') ?? '';
  const created = {
    hooksObject: record?.createdHooksObject ?? false,
    events: record?.createdEvents ?? [],
  };
  const plan = planUninstall(text.trim() === '' ? '{}' : text, created);
  if (!plan.ok) throw unreadable(settingsPath, plan);
  const { actions } = plan;
  let outcome: UninstallOutcome;
  if (file === undefined || !Object.values(actions).includes('removed')) {
    outcome = { how: 'unchanged', actions, backupPath: null };
  } else {
    const undone = record === undefined ? undefined : await undoExactly(files, file, record);
    outcome = { actions, ...(undone ?? (await removeOurs(files, file, plan.text))) };
  }
  if (record !== undefined) {
    const installs = Object.fromEntries(
      Object.entries(manifest.installs).filter(([path]) => path !== settingsPath),
    );
    await writeManifest(where, { version: 1, installs });
  }
  return outcome;
}

/** The file is still as we wrote it: delete what we created, or put the original bytes back. */
async function undoExactly(
  files: HookFiles,
  file: ExistingFile,
  record: InstallRecord,
): Promise<Omit<UninstallOutcome, 'actions'> | undefined> {
  if (sha256(file.bytes) !== record.writtenSha256) return undefined;
  if (record.createdFile) {
    await rm(file.realPath);
    await removeCreatedDirs(dirname(files.settingsPath), record.createdDir);
    return { how: 'deleted', backupPath: null };
  }
  const original = await restorable(record);
  if (original === undefined) return undefined;
  await writeAtomically(file.realPath, original, file.mode);
  return { how: 'restored', backupPath: record.backupPath };
}

/** The user changed the file since: take out only our entries, after backing it up. */
async function removeOurs(
  files: HookFiles,
  file: ExistingFile,
  text: string,
): Promise<Omit<UninstallOutcome, 'actions'>> {
  const backupPath = await backUp(files.settingsPath, file.bytes, file.mode, files.now);
  await writeAtomically(file.realPath, text, file.mode);
  return { how: 'edited', backupPath };
}

/** The backup's bytes, if it is still the untouched original and holds none of our hooks. */
async function restorable(record: InstallRecord): Promise<Buffer | undefined> {
  if (record.backupPath === null) return undefined;
  const backup = await readExisting(record.backupPath);
  if (backup === undefined || sha256(backup.bytes) !== record.originalSha256) return undefined;
  const hooks = installedHooks(backup.bytes.toString('utf8'));
  if (!hooks.ok || hooks.events.some((e) => e.commands.length > 0)) return undefined;
  return backup.bytes;
}

/** The error for a settings file we cannot merge into: names the file and the position. */
export function unreadable(path: string, problem: Problem): PalError {
  const at = problem.line === undefined ? '' : `${problem.line}:${problem.column ?? 0}:`;
  return new PalError('config_invalid', `${path}:${at} ${problem.message}; nothing was changed`);
}
