// Records the version and the short git SHA of the tree being built into dist/build-info.json.
// Outside a git checkout (a tarball, an npm install) the commit is "unknown".
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), '..');

function shortCommit(cwd) {
  try {
    const inside = execFileSync('git', ['rev-parse', '--is-inside-work-tree'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    if (inside.toString().trim() !== 'true') return 'unknown';
    const top = execFileSync('git', ['rev-parse', '--show-toplevel'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    // A package built inside some other repository (vendored, or under its node_modules) must not
    // report that repository's commit as its own.
    if (realpathSync(top.toString().trim()) !== realpathSync(root)) return 'unknown';
    const sha = execFileSync('git', ['rev-parse', '--short', 'HEAD'], {
      cwd,
      stdio: ['ignore', 'pipe', 'ignore'],
    });
    return sha.toString().trim() || 'unknown';
  } catch {
    return 'unknown';
  }
}

const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
const info = { version: pkg.version, commit: shortCommit(root) };
mkdirSync(join(root, 'dist'), { recursive: true });
writeFileSync(join(root, 'dist', 'build-info.json'), JSON.stringify(info) + '\n');
