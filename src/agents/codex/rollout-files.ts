import type { Dirent } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { hasCode } from '../../node-util.js';
import { createJsonlTail, type JsonlTail } from '../jsonl-tail.js';
import { readRolloutValue } from './rollout-lines.js';
import {
  foldRollout,
  newThreadState,
  threadIdFromRolloutName,
  type ThreadState,
} from './thread.js';

/** One rollout file being followed. */
export interface Rollout {
  readonly path: string;
  readonly tail: JsonlTail;
  readonly state: ThreadState;
  /** The phase position last reported, so each turn's end is reported once. */
  reported?: string | undefined;
  /** When a running turn was first seen with no Codex process holding its thread. */
  orphanedSince?: number | undefined;
  /** `turn:attempt` of the retry last reported from a TUI's screen. */
  retryReported?: string | undefined;
  /** Reads of one file never overlap: the tail's offset is not safe to share. */
  lock: Promise<void>;
}

export interface RolloutFiles {
  byThread(threadId: string): Rollout | undefined;
  /** Every followed rollout, least recently active first (a copy). */
  entries(): Rollout[];
  /** Follows rollout files not followed yet; returns them (read them from their start). */
  scan(first: boolean): Promise<Rollout[]>;
  /** The followed rollout of a thread, following its file when it exists but is not followed. */
  find(threadId: string): Promise<Rollout | undefined>;
  /** Folds the complete lines appended since the last read into the entry's state. */
  read(entry: Rollout): Promise<{ readonly changed: boolean; readonly malformed: number }>;
}

/** Rollouts older than this when the daemon starts are history, not sessions to judge. */
const DISCOVERY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** File systems that keep mtimes to the second (or two): a file touched in it still counts. */
const MTIME_SLACK_MS = 2000;
/** Every this many scans, all day directories are listed (an old thread resumed by hand). */
const FULL_SCAN_EVERY = 30;

/**
 * The rollouts under `<codex home>/sessions/YYYY/MM/DD/rollout-*-<thread>.jsonl`, followed at
 * most `maxTracked` at once (the least recently active without a running turn is dropped, and
 * followed again from its start once it changes). Each scan lists the two newest day
 * directories (Codex names them by its local date) and, every `FULL_SCAN_EVERY` scans, all of
 * them: a file counts when it was modified since the scan before.
 */
export function createRolloutFiles(options: {
  readonly sessionsDir: string;
  readonly maxTracked: number;
  readonly now: () => number;
}): RolloutFiles {
  const cap = Math.max(1, Math.floor(options.maxTracked));
  const byPath = new Map<string, Rollout>();
  const byThread = new Map<string, Rollout>();
  let changedSince: number | undefined;
  let scans = 0;

  const entry = (path: string): Rollout => ({
    path,
    tail: createJsonlTail(path),
    state: newThreadState(threadIdFromRolloutName(path)),
    lock: Promise.resolve(),
  });

  function insert(fresh: Rollout): Rollout | undefined {
    const existing = byPath.get(fresh.path);
    if (existing !== undefined) return existing;
    if (byPath.size >= cap && !evictOne()) return undefined;
    byPath.set(fresh.path, fresh);
    const thread = fresh.state.threadId;
    if (thread !== undefined) byThread.set(thread, fresh);
    return fresh;
  }

  function evictOne(): boolean {
    for (const [path, old] of byPath) {
      if (old.state.phase === 'busy') continue;
      byPath.delete(path);
      const thread = old.state.threadId;
      if (thread !== undefined && byThread.get(thread) === old) byThread.delete(thread);
      return true;
    }
    return false;
  }

  /** Day directories, newest first; `all` false: only the two newest. */
  async function dayDirs(all: boolean): Promise<string[]> {
    const found: string[] = [];
    for (const year of await names(options.sessionsDir)) {
      for (const month of await names(join(options.sessionsDir, year))) {
        for (const day of await names(join(options.sessionsDir, year, month))) {
          found.push(join(options.sessionsDir, year, month, day));
        }
      }
    }
    found.sort().reverse();
    return all ? found : found.slice(0, 2);
  }

  return {
    byThread: (threadId) => byThread.get(threadId),
    entries: () => [...byPath.values()],
    async scan(first) {
      const started = options.now();
      const since = first ? started - DISCOVERY_WINDOW_MS : (changedSince ?? started);
      const all = first || scans % FULL_SCAN_EVERY === 0;
      scans++;
      const fresh: Rollout[] = [];
      for (const dir of await dayDirs(all)) {
        for (const file of await rolloutNames(dir)) {
          const path = join(dir, file);
          if (byPath.has(path)) continue;
          const info = await stat(path).catch(() => undefined);
          if (info === undefined || info.mtimeMs < since - MTIME_SLACK_MS) continue;
          const added = insert(entry(path));
          if (added !== undefined) fresh.push(added);
        }
      }
      changedSince = started;
      return fresh;
    },
    async find(threadId) {
      const known = byThread.get(threadId);
      if (known !== undefined) return known;
      for (const dir of await dayDirs(true)) {
        const file = (await rolloutNames(dir)).find(
          (name) => threadIdFromRolloutName(name) === threadId,
        );
        if (file !== undefined) return insert(entry(join(dir, file)));
      }
      return undefined;
    },
    read(target) {
      const run = target.lock.then(async () => {
        const read = await target.tail.read();
        let malformed = read.malformed;
        const state = target.state;
        if (read.restarted) Object.assign(state, newThreadState(state.threadId));
        for (const value of read.values) {
          const line = readRolloutValue(value);
          if (line.kind === 'malformed') malformed++;
          if (line.kind === 'record') foldRollout(state, line.record);
        }
        // Map order is recency: a file with new lines moves to the end.
        if (read.values.length > 0 && byPath.get(target.path) === target) {
          byPath.delete(target.path);
          byPath.set(target.path, target);
        }
        const thread = state.threadId;
        if (thread !== undefined && byPath.has(target.path)) byThread.set(thread, target);
        return { changed: read.values.length > 0 || read.restarted, malformed };
      });
      target.lock = run.then(
        () => undefined,
        () => undefined,
      );
      return run;
    },
  };
}

/** `rollout-*.jsonl` names in a day directory; none when it is gone. */
async function rolloutNames(dir: string): Promise<string[]> {
  const entries = await listDir(dir);
  return entries
    .filter((e) => e.isFile() && e.name.startsWith('rollout-') && e.name.endsWith('.jsonl'))
    .map((e) => basename(e.name));
}

async function names(dir: string): Promise<string[]> {
  return (await listDir(dir)).filter((e) => e.isDirectory()).map((e) => e.name);
}

async function listDir(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (hasCode(error, 'ENOENT') || hasCode(error, 'ENOTDIR')) return [];
    throw error;
  }
}
