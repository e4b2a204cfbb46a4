import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PathEnv, StatePaths } from '../../src/config/paths.js';
import { statePaths } from '../../src/config/paths.js';

export interface TempHome {
  readonly dir: string;
  /** Environment for a child process: HOME and XDG pointed inside the temp dir. */
  readonly env: NodeJS.ProcessEnv;
  readonly pathEnv: PathEnv;
  readonly state: StatePaths;
  remove(): Promise<void>;
}

/** An isolated HOME with its own XDG directories, removed in teardown. */
export async function createTempHome(): Promise<TempHome> {
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-test-'));
  const vars = {
    HOME: dir,
    XDG_CONFIG_HOME: join(dir, '.config'),
    XDG_STATE_HOME: join(dir, '.local', 'state'),
  };
  // Nothing of the developer's own agents may leak in: a test daemon must never see them.
  const inherited = Object.entries(process.env).filter(
    ([name]) =>
      name !== 'PALINGENESIS_CONFIG' &&
      name !== 'CLAUDE_CONFIG_DIR' &&
      !name.startsWith('OPENCODE'),
  );
  const env: NodeJS.ProcessEnv = { ...Object.fromEntries(inherited), ...vars };
  const pathEnv: PathEnv = { env: vars, platform: process.platform, homeDir: dir };
  return {
    dir,
    env,
    pathEnv,
    state: statePaths(pathEnv),
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
