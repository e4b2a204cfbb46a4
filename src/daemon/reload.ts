import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import { formatIssue, loadConfig } from '../config/load.js';
import type { ConfigLocation } from '../config/paths.js';
import type { Config } from '../config/schema.js';

/** Sections the running daemon reads afresh each time: a change takes effect at once. */
const LIVE_SECTIONS = [
  'resume',
  'metrics',
  'daemon',
  'notifications',
] as const satisfies readonly (keyof Config)[];

export interface ConfigDiff {
  /** Keys (`section.key`) that changed and took effect. */
  readonly applied: string[];
  /** Keys that changed but only take effect after a restart. */
  readonly needsRestart: string[];
}

/** PURE: which keys differ, split by whether the running daemon can apply them. */
export function diffConfig(old: Config, next: Config): ConfigDiff {
  const applied: string[] = [];
  const needsRestart: string[] = [];
  for (const section of Object.keys(next) as (keyof Config)[]) {
    const before = old[section] as Record<string, unknown>;
    const after = next[section] as Record<string, unknown>;
    for (const key of Object.keys(after)) {
      if (JSON.stringify(before[key]) === JSON.stringify(after[key])) continue;
      const name = `${section}.${key}`;
      if ((LIVE_SECTIONS as readonly string[]).includes(section)) applied.push(name);
      else needsRestart.push(name);
    }
  }
  return { applied, needsRestart };
}

/** PURE: the config now in force: live sections from `next`, the rest as the daemon started. */
export function mergeLive(current: Config, next: Config): Config {
  return {
    ...current,
    resume: next.resume,
    metrics: next.metrics,
    daemon: next.daemon,
    notifications: next.notifications,
  };
}

/**
 * A Config whose live sections always read the holder's current value, so the parts that keep a
 * reference (the engine, the executor) see a reload without being rebuilt.
 */
export function liveView(holder: { current: Config }): Config {
  const view = {} as Config;
  for (const section of Object.keys(holder.current) as (keyof Config)[]) {
    Object.defineProperty(view, section, { enumerable: true, get: () => holder.current[section] });
  }
  return view;
}

export type ReloadOutcome =
  | { readonly ok: true; readonly diff: ConfigDiff; readonly config: Config }
  | { readonly ok: false; readonly problems: string[] };

/** Reads and validates the file again; never throws. */
export async function readNewConfig(
  location: ConfigLocation,
): Promise<{ ok: true; config: Config } | { ok: false; problems: string[] }> {
  const loaded = await loadConfig(location);
  if (loaded.ok) return { ok: true, config: loaded.config };
  return { ok: false, problems: loaded.issues.map((i) => formatIssue(loaded.path, i)) };
}

/**
 * Calls `onChange` when the config file's content changes (editors replace files: the directory
 * is watched), debounced. A missing directory means nothing to watch.
 */
export function watchConfigFile(
  path: string,
  onChange: () => void,
  debounceMs = 300,
): { close(): void } {
  let last: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  void readFile(path, 'utf8').then(
    (text) => (last = text),
    () => (last = undefined),
  );
  const check = async (): Promise<void> => {
    const text = await readFile(path, 'utf8').catch(() => undefined);
    if (text === undefined || text === last) return;
    last = text;
    onChange();
  };
  let watcher: FSWatcher | undefined;
  try {
    watcher = watch(dirname(path), (_event, name) => {
      if (name !== null && name !== basename(path)) return;
      clearTimeout(timer);
      timer = setTimeout(() => void check(), debounceMs);
    });
    watcher.on('error', () => watcher?.close());
  } catch {
    watcher = undefined;
  }
  return {
    close() {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
