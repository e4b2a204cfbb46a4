import { randomUUID } from 'node:crypto';
import { open, readFile, readdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { EMPTY_STATE, persistedStateSchema, type PersistedState } from '../core/jobs.js';

export type StateLoad =
  | { readonly kind: 'loaded'; readonly state: PersistedState }
  | { readonly kind: 'absent'; readonly state: PersistedState }
  /** The file could not be read as state. It was moved aside, never deleted. */
  | {
      readonly kind: 'corrupt';
      readonly state: PersistedState;
      readonly movedTo: string;
      readonly problem: string;
    };

/**
 * Reads the state file. A corrupt file is renamed to `<path>.corrupt-<timestamp>` and reported,
 * so the operator can inspect it; the daemon then starts from empty state.
 */
export async function loadState(path: string, now: Date): Promise<StateLoad> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (error instanceof Error && 'code' in error && error.code === 'ENOENT') {
      return { kind: 'absent', state: EMPTY_STATE };
    }
    throw new Error(`cannot read state file ${path}`, { cause: error });
  }
  const problem = validate(text);
  if (problem.ok) return { kind: 'loaded', state: problem.state };
  const movedTo = `${path}.corrupt-${now.toISOString().replace(/[:.]/g, '-')}`;
  await rename(path, movedTo);
  return { kind: 'corrupt', state: EMPTY_STATE, movedTo, problem: problem.message };
}

function validate(
  text: string,
): { ok: true; state: PersistedState } | { ok: false; message: string } {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return {
      ok: false,
      message: `not JSON: ${error instanceof Error ? error.message : String(error)}`,
    };
  }
  const parsed = persistedStateSchema.safeParse(data);
  if (parsed.success) return { ok: true, state: parsed.data };
  const first = parsed.error.issues[0];
  return { ok: false, message: `${first?.path.join('.') ?? ''}: ${first?.message ?? 'invalid'}` };
}

/**
 * Renders state as the same text as `JSON.stringify(state)`, reusing the text of every job and
 * session record rendered before: they are immutable (core/jobs.ts makes new ones for every
 * change), so a write of 5,000 sessions costs the records that changed, not the whole state.
 */
export function createStateRenderer(): (state: PersistedState) => string {
  const texts = new WeakMap<object, string>();
  const element = (value: unknown): string => {
    if (typeof value !== 'object' || value === null) return JSON.stringify(value);
    let text = texts.get(value);
    if (text === undefined) {
      text = JSON.stringify(value);
      texts.set(value, text);
    }
    return text;
  };
  return (state) => {
    // Any field, present or future, is written; an undefined one is left out, as JSON.stringify does.
    const fields = Object.entries(state as Record<string, unknown>)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => {
        const text = Array.isArray(value)
          ? `[${value.map(element).join(',')}]`
          : JSON.stringify(value);
        return `${JSON.stringify(key)}:${text}`;
      });
    return `{${fields.join(',')}}`;
  };
}

/**
 * Writes atomically: a temp file beside the target, fsync'd, then renamed over it. A crash at
 * any point leaves either the old state or the new one, never half of either; a failed write
 * leaves no temp file behind.
 */
export async function saveState(
  path: string,
  state: PersistedState,
  render: (state: PersistedState) => string = JSON.stringify,
): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  const text = `${render(state)}\n`;
  try {
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(text);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}

/**
 * What a writer that died mid-write leaves beside `path`: `<path>.<uuid>.tmp` (saveState, one per
 * write in flight) or `<path>.<pid>.tmp` (a file the process names after itself).
 */
export type TempName = 'uuid' | 'pid';

const TEMP_ID: Record<TempName, string> = {
  uuid: '[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}',
  pid: '[1-9][0-9]*',
};

export interface StaleTemps {
  readonly removed: readonly string[];
  /** Temp files that matched but could not be removed; the start goes on without them. */
  readonly failed: readonly { readonly file: string; readonly error: unknown }[];
}

/**
 * Removes the temp files earlier writers of `path` left behind (a failed save, `kill -9` during
 * one). Only for a writer that owns `path` alone, after it has made sure no other is running (the
 * daemon, once it holds the PID file): another writer's temp is a write in flight. Only names of
 * exactly that shape go; anything else beside the file is left alone.
 */
export async function removeStaleTemps(path: string, name: TempName = 'uuid'): Promise<StaleTemps> {
  const escaped = basename(path).replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  const pattern = new RegExp(`^${escaped}\\.${TEMP_ID[name]}\\.tmp$`);
  const dir = dirname(path);
  const entries = await readdir(dir, { withFileTypes: true });
  const removed: string[] = [];
  const failed: { file: string; error: unknown }[] = [];
  for (const entry of entries) {
    if (!entry.isFile() || !pattern.test(entry.name)) continue;
    const file = join(dir, entry.name);
    try {
      await rm(file, { force: true });
      removed.push(file);
    } catch (error) {
      failed.push({ file, error });
    }
  }
  return { removed, failed };
}
