import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../node-util.js';
import { SPOOL_AGENT } from './spool.js';

/** Hook payloads accepted and not yet handled, whatever their size (the bytes have their own key). */
export const MAX_INBOX_FILES = 1000;

/** `<state dir>/hooks-inbox`: one directory per agent below it. */
export function hookInboxDir(stateDir: string): string {
  return join(stateDir, 'hooks-inbox');
}

/** One accepted payload on disk: `<inbox>/<agent>/<name>`. */
export interface InboxEntry {
  readonly agent: string;
  readonly name: string;
  readonly bytes: number;
}

export type InboxWrite =
  | { readonly kind: 'written'; readonly entry: InboxEntry }
  /** The inbox holds `maxFiles` entries or `maxBytes` bytes already: try again once one is gone. */
  | { readonly kind: 'full'; readonly files: number; readonly bytes: number }
  /** Larger than the whole inbox may ever hold. */
  | { readonly kind: 'too_large'; readonly maxBytes: number };

export type InboxRead =
  | { readonly kind: 'payload'; readonly payload: object }
  /** Not a JSON object (what every hook payload is): renamed to `<name>.corrupt` beside it (kept for inspection, no longer counted). */
  | { readonly kind: 'corrupt'; readonly movedTo: string; readonly problem: string }
  /** Removed meanwhile. */
  | { readonly kind: 'gone' };

export interface HookInbox {
  /**
   * Puts `payload` on disk for good before resolving (temp file, fsync, rename, fsync of the
   * directory), or says why there is no room. An I/O failure rejects: nothing was kept.
   */
  write(agent: string, payload: string): Promise<InboxWrite>;
  /**
   * What an earlier daemon left (it died before handling it), oldest first; its bytes count
   * towards the bound from now on. Temp files (writes never acknowledged) are deleted.
   */
  left(agent: string): Promise<InboxEntry[]>;
  read(entry: InboxEntry): Promise<InboxRead>;
  /** Deletes the entry (handled); idempotent. */
  remove(entry: InboxEntry): Promise<void>;
  /** Resolves once an entry is removed or moved aside (room again), or when `signal` aborts. */
  freed(signal: AbortSignal): Promise<void>;
  usage(): { readonly files: number; readonly bytes: number };
}

export interface HookInboxOptions {
  readonly dir: string;
  readonly maxBytes: number;
  /** Default MAX_INBOX_FILES. */
  readonly maxFiles?: number;
  /** Epoch ms, for names (their order is arrival order). */
  readonly now: () => number;
}

const ENTRY = /^\d{13}-\d{8}-[0-9a-f]{8}\.json$/;
const TEMP = /^\.\d{13}-\d{8}-[0-9a-f]{8}\.tmp$/;

/**
 * The daemon's hook inbox: a hook answered 202 is on disk until the agent has finished with it,
 * so a daemon that dies in between hands it on after its restart. Bounded in files and bytes;
 * directories are 0700, files 0600. Entries are named `<epoch ms>-<sequence>-<random>.json`.
 */
export function createHookInbox(options: HookInboxOptions): HookInbox {
  const maxFiles = options.maxFiles ?? MAX_INBOX_FILES;
  const held = new Map<string, number>(); // `<agent>/<name>` → bytes
  let heldBytes = 0;
  let sequence = 0;
  let waiters: (() => void)[] = [];
  const ready = new Set<string>();

  const keyOf = (entry: InboxEntry): string => `${entry.agent}/${entry.name}`;
  const hold = (entry: InboxEntry): void => {
    if (held.has(keyOf(entry))) return;
    held.set(keyOf(entry), entry.bytes);
    heldBytes += entry.bytes;
  };
  const release = (entry: InboxEntry): void => {
    const bytes = held.get(keyOf(entry));
    if (bytes === undefined) return;
    held.delete(keyOf(entry));
    heldBytes -= bytes;
    const woken = waiters;
    waiters = [];
    for (const wake of woken) wake();
  };

  async function agentDir(agent: string): Promise<string> {
    if (!SPOOL_AGENT.test(agent)) throw new Error(`not an agent name: ${JSON.stringify(agent)}`);
    const dir = join(options.dir, agent);
    if (ready.has(dir)) return dir;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    for (const made of [options.dir, dir]) await tighten(made);
    ready.add(dir);
    return dir;
  }

  return {
    async write(agent, payload) {
      const bytes = Buffer.byteLength(payload);
      if (bytes > options.maxBytes) return { kind: 'too_large', maxBytes: options.maxBytes };
      if (held.size >= maxFiles || heldBytes + bytes > options.maxBytes) {
        return { kind: 'full', files: held.size, bytes: heldBytes };
      }
      // Named and counted before the first await: concurrent writes keep their order and the bound.
      sequence += 1;
      const base = `${String(options.now()).padStart(13, '0')}-${String(sequence).padStart(8, '0')}-${randomBytes(4).toString('hex')}`;
      const entry: InboxEntry = { agent, name: `${base}.json`, bytes };
      hold(entry);
      try {
        const dir = await agentDir(agent);
        await durableWrite(dir, `.${base}.tmp`, entry.name, payload);
      } catch (error) {
        release(entry);
        throw error;
      }
      return { kind: 'written', entry };
    },
    async left(agent) {
      const dir = await agentDir(agent);
      const found: InboxEntry[] = [];
      for (const name of (await readdir(dir)).sort()) {
        if (TEMP.test(name)) {
          // Unless it is a write of ours still under way (a hook posted while this runs).
          if (!held.has(`${agent}/${name.slice(1, -'.tmp'.length)}.json`)) {
            await rm(join(dir, name), { force: true });
          }
          continue;
        }
        if (!ENTRY.test(name) || held.has(`${agent}/${name}`)) continue;
        const size = await stat(join(dir, name)).then(
          (s) => s.size,
          (error: unknown) => {
            if (errorCode(error) === 'ENOENT') return undefined;
            throw error;
          },
        );
        if (size === undefined) continue;
        const entry = { agent, name, bytes: size };
        hold(entry);
        found.push(entry);
      }
      return found;
    },
    async read(entry) {
      const path = join(options.dir, entry.agent, entry.name);
      let text: string;
      try {
        text = await readFile(path, 'utf8');
      } catch (error) {
        if (errorCode(error) !== 'ENOENT') throw error;
        release(entry);
        return { kind: 'gone' };
      }
      const parsed = parseObject(text);
      if (parsed.ok) return { kind: 'payload', payload: parsed.value };
      const movedTo = path.replace(/\.json$/, '.corrupt');
      await rename(path, movedTo);
      release(entry);
      return { kind: 'corrupt', movedTo, problem: parsed.problem };
    },
    async remove(entry) {
      await rm(join(options.dir, entry.agent, entry.name), { force: true });
      release(entry);
    },
    freed(signal) {
      return new Promise((resolve) => {
        if (signal.aborted) {
          resolve();
          return;
        }
        const done = (): void => {
          signal.removeEventListener('abort', done);
          waiters = waiters.filter((w) => w !== done);
          resolve();
        };
        waiters.push(done);
        signal.addEventListener('abort', done, { once: true });
      });
    },
    usage: () => ({ files: held.size, bytes: heldBytes }),
  };
}

function parseObject(text: string): { ok: true; value: object } | { ok: false; problem: string } {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { ok: false, problem: error instanceof Error ? error.message : String(error) };
  }
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? { ok: true, value }
    : { ok: false, problem: 'not a JSON object' };
}

/** `temp` (exclusive, 0600) → fsync → rename to `name` → fsync the directory: all or nothing. */
async function durableWrite(dir: string, temp: string, name: string, text: string): Promise<void> {
  const tempPath = join(dir, temp);
  try {
    const file = await open(tempPath, 'wx', 0o600);
    try {
      await file.writeFile(text);
      await file.sync();
    } finally {
      await file.close();
    }
    await rename(tempPath, join(dir, name));
    await syncDir(dir);
  } catch (error) {
    // Not acknowledged, so not kept: the forwarder keeps its own copy and sends it again.
    for (const path of [tempPath, join(dir, name)]) {
      await rm(path, { force: true }).catch((cleanup: unknown) => {
        throw new AggregateError([error, cleanup], `${path}: write failed, and its removal`);
      });
    }
    throw error;
  }
}

/** Makes a rename durable: the directory entry itself is flushed. */
async function syncDir(dir: string): Promise<void> {
  if (process.platform === 'win32') return; // directories cannot be opened for fsync there
  const handle = await open(dir, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/** A directory an older version or another tool left open to others is made 0700 again. */
async function tighten(dir: string): Promise<void> {
  if (process.platform === 'win32') return;
  if (((await stat(dir)).mode & 0o077) !== 0) await chmod(dir, 0o700);
}
