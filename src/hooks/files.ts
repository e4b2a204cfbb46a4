import { createHash, randomUUID } from 'node:crypto';
import { chmod, open, readFile, realpath, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, sep } from 'node:path';
import { errorCode } from '../node-util.js';

export interface ExistingFile {
  readonly bytes: Buffer;
  /** Permission bits, kept when the file is rewritten. */
  readonly mode: number;
  /** Where the bytes really are: a symlinked settings file is written through, not replaced. */
  readonly realPath: string;
}

/** The file's bytes, or undefined when it does not exist. */
export async function readExisting(path: string): Promise<ExistingFile | undefined> {
  let realPath: string;
  try {
    realPath = await realpath(path);
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return undefined;
    throw error;
  }
  const [bytes, info] = await Promise.all([readFile(realPath), stat(realPath)]);
  return { bytes, mode: info.mode & 0o7777, realPath };
}

export function sha256(bytes: string | Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/**
 * Temp file beside the target (fsync'd), then rename: readers such as a running Claude Code see the
 * old file or the new one, never half. The mode is set explicitly so the umask cannot change it.
 */
export async function writeAtomically(
  path: string,
  data: string | Uint8Array,
  mode: number,
): Promise<void> {
  const temp = join(dirname(path), `.${basename(path)}.${randomUUID()}.tmp`);
  const handle = await open(temp, 'wx', mode);
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await chmod(temp, mode);
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/** A copy that never overwrites anything (`wx`), with the original's mode. */
async function writeBackup(path: string, bytes: Uint8Array, mode: number): Promise<void> {
  const handle = await open(path, 'wx', mode);
  try {
    await handle.writeFile(bytes);
    await handle.sync();
  } finally {
    await handle.close();
  }
  await chmod(path, mode);
}

/** `<settings>.palingenesis-backup-<UTC time>` beside the file; never overwrites one. */
export async function backUp(
  path: string,
  bytes: Buffer,
  mode: number,
  now: Date,
): Promise<string> {
  const stamp = now.toISOString().replace(/[:.]/g, '-');
  for (let n = 0; ; n++) {
    const candidate = `${path}.palingenesis-backup-${stamp}${n === 0 ? '' : `-${n}`}`;
    try {
      await writeBackup(candidate, bytes, mode);
      return candidate;
    } catch (error) {
      if (errorCode(error) !== 'EEXIST' || n >= 20) throw error;
    }
  }
}

/** Removes the directories an install created, innermost first, each only when empty. */
export async function removeCreatedDirs(dir: string, topmost: string | null): Promise<void> {
  if (topmost === null) return;
  const inside = relative(topmost, dir);
  if (inside.startsWith('..')) return;
  const levels = inside === '' ? 0 : inside.split(sep).length;
  let current = dir;
  for (let i = 0; i <= levels; i++) {
    try {
      await rmdir(current);
    } catch (error) {
      if (errorCode(error) === 'ENOTEMPTY' || errorCode(error) === 'EEXIST') return;
      if (errorCode(error) !== 'ENOENT') throw error;
    }
    current = dirname(current);
  }
}
