import { statSync, watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, relative, sep } from 'node:path';
import { errorCode } from '../node-util.js';

export interface ConfigWatchOptions {
  /** Quiet time after the last event before the file is read (editors write in steps). */
  readonly debounceMs?: number;
  /** A directory that exists but cannot be watched (inotify limits, permissions). */
  readonly onError?: (error: unknown, dir: string) => void;
}

interface Armed {
  readonly dir: string;
  /** `dev:ino`: a directory removed and made again under the same name is another one. */
  readonly id: string;
  readonly watcher: FSWatcher;
}

/**
 * Calls `onChange` when the config file's content changes, appears or goes away, debounced.
 * Editors replace files, so a directory is watched: the file's own, else (not made yet, or
 * removed) its nearest existing ancestor, re-armed on every event as directories come and go.
 */
export function watchConfigFile(
  path: string,
  onChange: () => void,
  options: ConfigWatchOptions = {},
): { close(): void } {
  const debounceMs = options.debounceMs ?? 300;
  let closed = false;
  let armed: Armed | undefined;
  let timer: NodeJS.Timeout | undefined;
  let last: string | undefined;
  const initial = fileState(path).then((state) => {
    last = state;
  });

  const check = async (): Promise<void> => {
    await initial;
    const state = await fileState(path);
    if (closed || state === last) return;
    last = state;
    onChange();
  };
  const schedule = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => void check(), debounceMs);
    timer.unref();
  };
  const onEvent = (dir: string, name: string | null): void => {
    if (closed || !relevant(path, dir, name)) return;
    rearm();
    schedule();
  };
  const rearm = (): void => {
    const target = nearestDirectory(dirname(path));
    if (armed?.dir === target.dir && armed.id === target.id) return;
    armed?.watcher.close();
    armed = undefined;
    try {
      const watcher = watch(target.dir, (_event, name) => {
        onEvent(target.dir, name);
      });
      watcher.on('error', (error) => {
        // Not re-armed here: a directory that keeps failing would spin. Reloads by SIGHUP or
        // the API still work, and the next event elsewhere cannot arrive anyway.
        options.onError?.(error, target.dir);
        watcher.close();
        if (armed?.watcher === watcher) armed = undefined;
      });
      watcher.unref();
      armed = { ...target, watcher };
    } catch (error) {
      options.onError?.(error, target.dir);
      return;
    }
    // What happened before this watcher was armed (the file written right after its
    // directory was made) would otherwise go unseen.
    schedule();
  };

  rearm();
  return {
    close() {
      closed = true;
      clearTimeout(timer);
      armed?.watcher.close();
      armed = undefined;
    },
  };
}

/** The file's content, or that it is gone or unreadable: any difference is a change. */
async function fileState(path: string): Promise<string> {
  try {
    return `text:${await readFile(path, 'utf8')}`;
  } catch (error) {
    const code = errorCode(error);
    return code === 'ENOENT' || code === 'ENOTDIR' ? 'gone' : `error:${String(code)}`;
  }
}

/** `dir` if it is a directory, else its nearest ancestor that is; the root at worst. */
function nearestDirectory(dir: string): { dir: string; id: string } {
  for (let current = dir; ; current = dirname(current)) {
    const id = directoryId(current);
    if (id !== undefined || dirname(current) === current) return { dir: current, id: id ?? '' };
  }
}

function directoryId(dir: string): string | undefined {
  try {
    const info = statSync(dir, { throwIfNoEntry: false });
    return info?.isDirectory() === true ? `${info.dev}:${info.ino}` : undefined;
  } catch {
    // Not a directory we can use (a part of the path is a file, or unreadable): look higher up.
    return undefined;
  }
}

/**
 * Whether an event in `dir` can matter: the file itself, the next directory on the way down to
 * it, or `dir` itself going away (reported under its own name).
 */
function relevant(path: string, dir: string, name: string | null): boolean {
  if (name === null || name === basename(dir)) return true;
  const next = relative(dir, path).split(sep)[0];
  return name === next;
}
