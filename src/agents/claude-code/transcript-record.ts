import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { hasCode } from '../../node-util.js';
import { applyTranscriptLine, newTranscriptState, type TranscriptState } from './transcript.js';

/** A session id that is safe as a file name (Claude Code's are UUIDs). */
export const SESSION_ID = /^[\w-][\w.-]*$/;

/**
 * `<projects>/<dir>/<sessionId>.jsonl`, found without following it: a session whose transcript
 * is not followed (any more) can still be exported, handed off or resumed.
 */
export async function findTranscript(
  projectsDir: string,
  sessionId: string,
): Promise<string | undefined> {
  if (!SESSION_ID.test(sessionId)) return undefined;
  const projects = await readdir(projectsDir, { withFileTypes: true }).catch((error: unknown) => {
    if (hasCode(error, 'ENOENT')) return [];
    throw error;
  });
  for (const project of projects) {
    if (!project.isDirectory()) continue;
    const path = join(projectsDir, project.name, `${sessionId}.jsonl`);
    const info = await lstat(path).catch(() => undefined);
    if (info?.isFile() === true) return path;
  }
  return undefined;
}

/** Every line of a transcript and the state they fold into; a torn or corrupt line is skipped. */
export async function readTranscriptRecord(
  path: string,
  sessionId: string,
): Promise<{ lines: unknown[]; state: TranscriptState }> {
  const text = await readFile(path, 'utf8');
  const lines: unknown[] = [];
  const state = newTranscriptState(sessionId);
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    try {
      const value = JSON.parse(line) as unknown;
      lines.push(value);
      applyTranscriptLine(state, value);
    } catch {
      // A torn or corrupt line: the rest of the transcript still counts.
    }
  }
  return { lines, state };
}
