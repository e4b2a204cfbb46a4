import { renameSync } from 'node:fs';

/**
 * `path` → `path.1`, shifting `path.1` → `path.2` … up to `path.<keepFiles>`; the oldest is
 * overwritten, so deleted. Missing files are skipped. Throws on any other failure, leaving what was
 * already shifted in place: nothing is lost, and `path` itself moves last.
 */
export function rotateFiles(path: string, keepFiles: number): void {
  for (let n = keepFiles - 1; n >= 1; n--) renameIfThere(`${path}.${n}`, `${path}.${n + 1}`);
  renameSync(path, `${path}.1`);
}

function renameIfThere(from: string, to: string): void {
  try {
    renameSync(from, to);
  } catch (error) {
    if (!isMissing(error)) throw error;
  }
}

function isMissing(error: unknown): boolean {
  return error instanceof Error && 'code' in error && error.code === 'ENOENT';
}
