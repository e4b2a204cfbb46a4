// The hook forwarder imports this file: keep it to node: built-ins so a hook starts fast.
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, readFile, rename, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { errorCode } from '../node-util.js';

/** An agent kind (lowercase, digits, dashes): also a directory name under `spool/`. */
export type SpoolAgent = string;
/** What a spool agent name may be: nothing that walks out of `spool/`. */
export const SPOOL_AGENT = /^[a-z][a-z0-9-]{0,31}$/;

export interface DrainResult {
  /** Entries handed to `handle` and then deleted. */
  readonly replayed: number;
  /** Entries that were not JSON, moved to `<dir>/malformed/` (kept, never deleted). */
  readonly malformed: number;
}

/** Where hook payloads wait while the daemon is down: `<state dir>/spool/<agent>`. */
export function spoolDir(stateDir: string, agent: SpoolAgent): string {
  if (!SPOOL_AGENT.test(agent)) throw new Error(`not an agent name: ${JSON.stringify(agent)}`);
  return join(stateDir, 'spool', agent);
}

let sequence = 0;

/**
 * Writes one payload as `<epoch ms>-<pid>-<sequence>-<random>.json` (mode 0600) and returns its path. The bytes
 * go to a temp name that does not end in `.json` first, so a reader never sees half an entry.
 */
export async function writeSpoolEntry(dir: string, payload: string | Uint8Array): Promise<string> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  // Within one process, the sequence keeps arrival order for entries written in the same ms.
  sequence += 1;
  const seq = String(sequence).padStart(6, '0');
  const base = `${Date.now()}-${process.pid}-${seq}-${randomBytes(4).toString('hex')}`;
  const temp = join(dir, `.${base}.tmp`);
  const path = join(dir, `${base}.json`);
  try {
    await writeFile(temp, payload, { mode: 0o600, flag: 'wx' });
    await rename(temp, path);
  } catch (error) {
    await unlink(temp).catch(() => undefined); // best effort: the original error is what matters
    throw error;
  }
  return path;
}

// A forwarder can spool while a drain runs; another pass picks such entries up. Bounded anyway.
const MAX_PASSES = 10;

/**
 * Replays spooled entries in name (= arrival) order: each file is deleted once `handle` resolved.
 * When `handle` throws, that file stays where it is and the error is rethrown (nothing after it is
 * touched), so the next drain starts there again. Temp files are ignored.
 */
export async function drainSpool(
  dir: string,
  handle: (value: unknown, file: string) => Promise<void>,
): Promise<DrainResult> {
  let replayed = 0;
  let malformed = 0;
  for (let pass = 0; pass < MAX_PASSES; pass++) {
    const names = await entryNames(dir);
    if (names.length === 0) break;
    for (const name of names) {
      const outcome = await replayOne(dir, name, handle);
      if (outcome === 'replayed') replayed++;
      else if (outcome === 'malformed') malformed++;
    }
  }
  return { replayed, malformed };
}

async function entryNames(dir: string): Promise<string[]> {
  let entries;
  try {
    entries = await readdir(dir, { withFileTypes: true });
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return [];
    throw error;
  }
  return entries
    .filter((e) => e.isFile() && e.name.endsWith('.json') && !e.name.startsWith('.'))
    .map((e) => e.name)
    .sort();
}

async function replayOne(
  dir: string,
  name: string,
  handle: (value: unknown, file: string) => Promise<void>,
): Promise<'replayed' | 'malformed' | 'gone'> {
  const file = join(dir, name);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return 'gone'; // another drain took it
    throw error;
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    await moveToMalformed(dir, name);
    return 'malformed';
  }
  await handle(value, file);
  await unlink(file).catch((error: unknown) => {
    if (errorCode(error) !== 'ENOENT') throw error;
  });
  return 'replayed';
}

async function moveToMalformed(dir: string, name: string): Promise<void> {
  const target = join(dir, 'malformed');
  await mkdir(target, { recursive: true, mode: 0o700 });
  await rename(join(dir, name), join(target, name));
}
