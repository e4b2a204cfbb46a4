import { randomUUID } from 'node:crypto';
import { open, readFile, rename, rm } from 'node:fs/promises';
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
 * Writes atomically: a temp file beside the target, fsync'd, then renamed over it. A crash at
 * any point leaves either the old state or the new one, never half of either.
 */
export async function saveState(path: string, state: PersistedState): Promise<void> {
  const temp = `${path}.${randomUUID()}.tmp`;
  const handle = await open(temp, 'w', 0o600);
  try {
    // Compact: at 5,000 sessions the indented text is a third larger and slower to build.
    await handle.writeFile(`${JSON.stringify(state)}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (error) {
    await rm(temp, { force: true });
    throw error;
  }
}
