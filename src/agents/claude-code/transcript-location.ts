import { realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { errorCode } from '../../node-util.js';

/** Where a path a hook claims as its transcript really is. */
export type TranscriptLocation =
  /** A transcript file, spelled under `projectsDir` the way the directory scan spells it. */
  | { readonly kind: 'transcript'; readonly path: string }
  /** Where a transcript could be, but there is no file (yet): a session Claude Code never wrote. */
  | { readonly kind: 'missing'; readonly detail: string }
  /** Not a transcript: elsewhere in or outside Claude Code's directory, or a link out of it. */
  | { readonly kind: 'foreign'; readonly detail: string };

/**
 * Hook payloads are not authenticated (any local process can post one), so a claimed path counts
 * only as a regular file exactly at `<projects>/<one dir>/<name>.jsonl` once symlinks are resolved
 * on both sides: `~/.claude/history.jsonl`, a deeper file (a sub-agent's) or a link pointing out
 * of `projects/` never qualifies. Resolving `projectsDir` too keeps a symlinked `~/.claude` working.
 */
export async function locateTranscript(
  projectsDir: string,
  claimed: string,
): Promise<TranscriptLocation> {
  if (!isAbsolute(claimed) || !claimed.endsWith('.jsonl')) {
    return { kind: 'foreign', detail: `${claimed}: not an absolute .jsonl path` };
  }
  const realProjects = await realpath(projectsDir).catch(() => resolve(projectsDir));
  let real: string;
  try {
    real = await realpath(claimed);
  } catch (error) {
    const where = [projectsDir, realProjects].some(
      (p) => transcriptParts(p, resolve(claimed)) !== undefined,
    );
    const detail = `${claimed}: ${String(errorCode(error) ?? error)}`;
    return where ? { kind: 'missing', detail } : { kind: 'foreign', detail };
  }
  const parts = transcriptParts(realProjects, real);
  if (parts === undefined) {
    return { kind: 'foreign', detail: `${claimed} is ${real}, not in ${realProjects}/<dir>/` };
  }
  const info = await stat(real).catch(() => undefined);
  if (info?.isFile() !== true) return { kind: 'foreign', detail: `${claimed}: not a file` };
  return { kind: 'transcript', path: join(projectsDir, parts[0], parts[1]) };
}

/** `[dir, file]` when `path` is `<projects>/<dir>/<file>.jsonl`, lexically. */
function transcriptParts(projects: string, path: string): [string, string] | undefined {
  const inside = relative(projects, path);
  if (inside === '' || isAbsolute(inside)) return undefined;
  const parts = inside.split(sep);
  const [dir, file] = parts;
  if (parts.length !== 2 || dir === undefined || file === undefined) return undefined;
  if (dir === '..' || dir === '.' || !file.endsWith('.jsonl')) return undefined;
  return [dir, file];
}
