import { PalError } from '../errors.js';
import { systemError, type SystemError } from '../node-util.js';

/** How a failed call reads in a sentence: "cannot create directory /x". */
const VERBS: Readonly<Record<string, string>> = {
  access: 'reach',
  chmod: 'change the mode of',
  copyfile: 'copy',
  link: 'link',
  lstat: 'read',
  mkdir: 'create directory',
  mkdtemp: 'create a temporary directory',
  open: 'open',
  read: 'read',
  readlink: 'read',
  realpath: 'resolve',
  rename: 'rename',
  rmdir: 'remove',
  scandir: 'list',
  stat: 'read',
  unlink: 'remove',
  write: 'write',
};

/**
 * The one line for a filesystem failure no command caught closer (the CLI's last resort): which
 * call on which path, and the cause — "cannot create directory /x: permission denied (EACCES)".
 * Undefined when `error` is no system error (a bug: that one keeps its stack).
 */
export function systemErrorLine(error: unknown): string | undefined {
  const failure = systemError(error);
  if (failure === undefined) return undefined;
  const verb = VERBS[failure.syscall ?? ''] ?? failure.syscall ?? 'use';
  const where = failure.path === undefined ? '' : ` ${failure.path}`;
  const dest = failure.dest === undefined ? '' : ` to ${failure.dest}`;
  return `cannot ${verb}${where}${dest}: ${failure.words} (${failure.code})`;
}

/**
 * `error` (reading or writing `path`, the file the user knows) as one line naming it and the cause,
 * with the call when it failed on another path (a temporary file, a parent directory); `then`
 * continues the sentence ("not saved; …"). Anything but a system error is returned unchanged.
 */
export function fileFailure(
  action: 'read' | 'write',
  path: string,
  error: unknown,
  then?: string,
): Error {
  const failure = systemError(error);
  if (failure === undefined) return error instanceof Error ? error : new Error(String(error));
  const detail = callOnOtherPath(failure, path);
  const message = `cannot ${action} ${path}: ${failure.words} (${failure.code}${detail})`;
  return new PalError('io', then === undefined ? message : `${message}; ${then}`, { cause: error });
}

function callOnOtherPath(failure: SystemError, path: string): string {
  if (failure.path === undefined || failure.path === path) return '';
  return `, ${failure.syscall ?? 'call'} ${failure.path}`;
}
