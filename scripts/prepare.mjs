// npm's `prepare`: builds dist/ on `npm install` / `npm ci` in a clone, before `npm pack` and
// `npm publish`, and when the package is installed from git. `npx palingenesis` inside a clone
// runs it too: npm exec links the project into its cache as a folder dependency, and a linked
// folder gets `prepare`. That rebuild (~20 s on 2 cores) would rewrite dist/ under a daemon
// running from it, so under npm exec a build that exists is used as it is.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

const built = existsSync(new URL('../dist/cli.js', import.meta.url));
if (process.env.npm_command === 'exec' && built) process.exit(0);

const npmCli = process.env.npm_execpath;
const result =
  npmCli === undefined || npmCli === ''
    ? spawnSync('npm', ['run', 'build'], { stdio: 'inherit', shell: process.platform === 'win32' })
    : spawnSync(process.execPath, [npmCli, 'run', 'build'], { stdio: 'inherit' });
process.exit(result.status ?? 1);
