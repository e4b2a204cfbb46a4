import { readdir, stat } from 'node:fs/promises';
import type { Dirent } from 'node:fs';
import { basename, join } from 'node:path';
import { hasCode } from '../../node-util.js';
import { createJsonlTail, type JsonlTail } from '../jsonl-tail.js';
import { applyTranscriptLine, newTranscriptState, type TranscriptState } from './transcript.js';

/** One transcript file being followed. */
export interface Tracked {
  readonly path: string;
  readonly tail: JsonlTail;
  state: TranscriptState;
  /** The phase position last reported, so each turn's end is reported once. */
  reported?: string | undefined;
  /** A stop held back a moment (see the reporter), to be looked at again next tick. */
  deferred: boolean;
  /** A StopFailure hook waits for this transcript's error line (see hook-intake). */
  settling: boolean;
  /** Reads of one file never overlap: the tail's offset is not safe to share. */
  lock: Promise<void>;
}

export interface TranscriptTracker {
  bySession(sessionId: string): Tracked | undefined;
  byPath(path: string): Tracked | undefined;
  /** Every followed transcript, least recently active first (a copy: reading reorders). */
  entries(): Tracked[];
  readonly size: number;
  /**
   * Follows transcript files not followed yet; returns those to read from their start. At the
   * first scan, files idle longer than the discovery window are followed from their end.
   */
  scan(first: boolean): Promise<Tracked[]>;
  /** Follows `path` from its start (or returns its entry); undefined when no room can be made. */
  track(path: string): Tracked | undefined;
  /** An entry for `path` that is not followed: read it, judge it, then `adopt` it or drop it. */
  probe(path: string): Tracked;
  /** Follows a probed entry (or returns the one already followed there); undefined: no room. */
  adopt(probe: Tracked): Tracked | undefined;
  /** Folds the lines appended since the last read into the entry's state. */
  read(entry: Tracked): Promise<{ readonly changed: boolean; readonly malformed: number }>;
}

/** Transcripts older than this when the daemon starts are history, not sessions to judge. */
const DISCOVERY_WINDOW_MS = 24 * 60 * 60 * 1000;
/** File systems that keep mtimes to the second (or two): a file touched in it still counts. */
const MTIME_SLACK_MS = 2000;

/**
 * The transcripts under `<claude dir>/projects/<dir>/*.jsonl`, followed at most `maxTrackedFiles`
 * at once. Beyond the cap the least recently active entry without a running turn is dropped (map
 * order is recency: an entry that read new lines moves to the end). A dropped file is followed
 * again, from its start, once it changes: later scans look only at files modified since the scan
 * before (mtimes against `now`, as the discovery window does), so an idle dropped file costs a
 * stat per scan and nothing else.
 */
export function createTranscriptTracker(options: {
  readonly projectsDir: string;
  readonly maxTrackedFiles: number;
  readonly now: () => number;
  /** A project directory that cannot be listed (EACCES): once, until it lists again. */
  readonly onError?: (kind: string, error: unknown) => void;
}): TranscriptTracker {
  const cap = Math.max(1, Math.floor(options.maxTrackedFiles));
  const tracked = new Map<string, Tracked>(); // by path
  const sessions = new Map<string, Tracked>();
  let changedSince: number | undefined;
  // Project directories the last scan could not list: each is reported when it starts failing.
  let unlisted = new Set<string>();

  const entry = (path: string, fromEnd: boolean): Tracked => ({
    path,
    tail: createJsonlTail(path, { fromEnd }),
    state: newTranscriptState(basename(path, '.jsonl')),
    deferred: false,
    settling: false,
    lock: Promise.resolve(),
  });

  function insert(fresh: Tracked): Tracked | undefined {
    const existing = tracked.get(fresh.path);
    if (existing !== undefined) return existing;
    if (tracked.size >= cap && !evictOne()) return undefined;
    tracked.set(fresh.path, fresh);
    sessions.set(fresh.state.sessionId, fresh);
    return fresh;
  }

  function evictOne(): boolean {
    for (const old of tracked.values()) {
      if (old.state.phase === 'busy' || old.settling || old.deferred) continue;
      tracked.delete(old.path);
      if (sessions.get(old.state.sessionId) === old) sessions.delete(old.state.sessionId);
      return true;
    }
    return false;
  }

  async function readNow(e: Tracked): Promise<{ changed: boolean; malformed: number }> {
    const read = await e.tail.read();
    if (read.restarted) {
      e.state = newTranscriptState(e.state.sessionId);
      e.reported = undefined;
    }
    for (const value of read.values) applyTranscriptLine(e.state, value);
    const changed = read.values.length > 0;
    if (changed && tracked.get(e.path) === e) {
      tracked.delete(e.path);
      tracked.set(e.path, e);
    }
    return { changed, malformed: read.malformed };
  }

  async function candidates(first: boolean): Promise<{ path: string; mtimeMs: number }[]> {
    const found: { path: string; mtimeMs: number }[] = [];
    const failing = new Set<string>();
    const listProject = (dir: string): Promise<Dirent[]> =>
      list(dir).catch((error: unknown) => {
        if (hasCode(error, 'ENOTDIR')) return []; // replaced by a file since listed: none there
        // Its transcripts go unwatched: a failure, told once; the other directories still count.
        failing.add(dir);
        if (!unlisted.has(dir)) options.onError?.('scan_dir', error);
        return [];
      });
    for (const project of await list(options.projectsDir)) {
      // Claude Code writes real directories and files: a link here is not one of its transcripts.
      if (!project.isDirectory()) continue;
      const dir = join(options.projectsDir, project.name);
      for (const file of await listProject(dir)) {
        if (!file.isFile() || !file.name.endsWith('.jsonl')) continue;
        const path = join(dir, file.name);
        if (tracked.has(path)) continue;
        const info = await stat(path).catch(() => undefined); // gone since listed: no transcript
        if (info === undefined) continue;
        if (!first && changedSince !== undefined && info.mtimeMs < changedSince) continue;
        found.push({ path, mtimeMs: info.mtimeMs });
      }
    }
    unlisted = failing;
    return found.sort((a, b) => a.mtimeMs - b.mtimeMs);
  }

  return {
    bySession: (sessionId) => sessions.get(sessionId),
    byPath: (path) => tracked.get(path),
    entries: () => [...tracked.values()],
    get size() {
      return tracked.size;
    },
    async scan(first) {
      const startedAt = options.now();
      const found = await candidates(first);
      changedSince = startedAt - MTIME_SLACK_MS;
      const fresh: Tracked[] = [];
      // Oldest first: when there are more files than room, the newest are the ones followed.
      for (const { path, mtimeMs } of found) {
        const fromEnd = first && options.now() - mtimeMs > DISCOVERY_WINDOW_MS;
        const added = insert(entry(path, fromEnd));
        if (added === undefined) break;
        if (!fromEnd) fresh.push(added);
      }
      return fresh.filter((e) => tracked.get(e.path) === e);
    },
    track: (path) => insert(entry(path, false)),
    probe: (path) => entry(path, false),
    adopt: (probe) => insert(probe),
    read(e) {
      const next = e.lock.then(() => readNow(e));
      e.lock = next.then(
        () => undefined,
        () => undefined,
      );
      return next;
    },
  };
}

async function list(dir: string): Promise<Dirent[]> {
  return readdir(dir, { withFileTypes: true }).catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  });
}
