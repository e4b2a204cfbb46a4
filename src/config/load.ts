import { readFile } from 'node:fs/promises';
import { describeSystemError } from '../node-util.js';
import { parseConfigText, type ConfigIssue } from './parse.js';
import type { ConfigLocation } from './paths.js';
import { defaultConfig, type Config } from './schema.js';

export type LoadResult =
  | { readonly ok: true; readonly config: Config; readonly path: string; readonly exists: boolean }
  | { readonly ok: false; readonly path: string; readonly issues: readonly ConfigIssue[] };

/**
 * Reads and validates the configuration. A missing file at the default location means defaults;
 * a file named explicitly (flag or environment) must exist, since a typo there should not
 * silently start the daemon on defaults.
 */
export async function loadConfig(location: ConfigLocation): Promise<LoadResult> {
  let text: string;
  try {
    text = await readFile(location.path, 'utf8');
  } catch (error) {
    if (isNotFound(error) && location.source === 'default') {
      return { ok: true, config: defaultConfig(), path: location.path, exists: false };
    }
    const cause = describeSystemError(error);
    const reason = isNotFound(error)
      ? 'file not found'
      : cause === undefined
        ? String(error)
        : `cannot be read: ${cause}`;
    return { ok: false, path: location.path, issues: [{ key: '', message: reason }] };
  }
  const parsed = parseConfigText(text);
  if (!parsed.ok) return { ok: false, path: location.path, issues: parsed.issues };
  return { ok: true, config: parsed.config, path: location.path, exists: true };
}

export function formatIssue(path: string, issue: ConfigIssue): string {
  const where = issue.line === undefined ? path : `${path}:${issue.line}`;
  const at = issue.column === undefined ? where : `${where}:${issue.column}`;
  const key = issue.key === '' ? '' : `${issue.key}: `;
  return `${at}: ${key}${issue.message}`;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
