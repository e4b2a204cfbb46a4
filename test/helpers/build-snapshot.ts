import { cp, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

export interface BuildSnapshot {
  /** The snapshot's cli.js, for spawnDaemon and runCli. */
  readonly cli: string;
  remove(): Promise<void>;
}

/**
 * A copy of the built dist/ (and package.json, which the build info reads) that a later
 * `npm run build` cannot rewrite under a long run. It sits in `.bench/` inside the repository, so
 * its imports still resolve from the repository's node_modules.
 */
export async function snapshotBuild(): Promise<BuildSnapshot> {
  await mkdir(join(ROOT, '.bench'), { recursive: true });
  const dir = await mkdtemp(join(ROOT, '.bench', 'build-'));
  try {
    await cp(join(ROOT, 'dist'), join(dir, 'dist'), { recursive: true });
    await cp(join(ROOT, 'package.json'), join(dir, 'package.json'));
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    cli: join(dir, 'dist', 'cli.js'),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
