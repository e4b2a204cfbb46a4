import { mkdir, readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import { PalError } from '../../../errors.js';
import { errorCode } from '../../../node-util.js';
import { writeAtomically } from '../../../hooks/files.js';
import { CLAUDE_HOOK_EVENTS } from './events.js';

/**
 * What an install did to one settings file, so uninstall can undo exactly that: restore the original
 * bytes when the file is still as we wrote it, else remove only our entries.
 */
const installRecordSchema = z.object({
  settingsPath: z.string(),
  /** sha256 of the settings file as we last wrote it. */
  writtenSha256: z.string(),
  /** The file before our first install (null: there was no file). */
  backupPath: z.string().nullable(),
  originalSha256: z.string().nullable(),
  createdFile: z.boolean(),
  /** The topmost directory the install created for the file (null: it existed). */
  createdDir: z.string().nullable(),
  createdHooksObject: z.boolean(),
  createdEvents: z.array(z.enum(CLAUDE_HOOK_EVENTS)),
  command: z.string(),
  installedAt: z.string(),
});

const manifestSchema = z.object({
  version: z.literal(1),
  /** Keyed by settings path: each CLAUDE_CONFIG_DIR is its own install. */
  installs: z.record(z.string(), installRecordSchema),
});

export type InstallRecord = z.infer<typeof installRecordSchema>;
export type Manifest = z.infer<typeof manifestSchema>;

/** `<state dir>/hooks/claude-code.json`. */
export function manifestPath(stateDir: string): string {
  return join(stateDir, 'hooks', 'claude-code.json');
}

/** A missing manifest is empty; an unreadable one is an error (we would lose the way back). */
export async function readManifest(path: string): Promise<Manifest> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if (errorCode(error) === 'ENOENT') return { version: 1, installs: {} };
    throw new PalError('internal', `cannot read ${path}`, { cause: error });
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    throw new PalError('internal', `${path} is not JSON; move it aside to go on`, { cause: error });
  }
  const parsed = manifestSchema.safeParse(data);
  if (!parsed.success) {
    const message = `${path} is not a hooks manifest; move it aside to go on`;
    throw new PalError('internal', message, { cause: parsed.error });
  }
  return parsed.data;
}

export async function writeManifest(path: string, manifest: Manifest): Promise<void> {
  await mkdir(dirname(path), { recursive: true, mode: 0o700 });
  await writeAtomically(path, `${JSON.stringify(manifest, null, 2)}\n`, 0o600);
}
