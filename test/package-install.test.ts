import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('the npm package', () => {
  it('packs without tests, installs, and `npx palingenesis --help` works', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'palingenesis-pack-'));
    try {
      const packed = await run(
        'npm', // dist/ is already built by `npm test`; rebuilding here could race other test files.
        ['pack', '--json', '--ignore-scripts', '--pack-destination', dir],
        {
          cwd: ROOT,
          timeout: 120_000,
        },
      );
      const [manifest] = JSON.parse(packed.stdout) as [
        { filename: string; files: { path: string }[] },
      ];
      const files = manifest.files.map((f) => f.path);
      assert.ok(files.includes('dist/cli.js'), 'dist/cli.js missing from the package');
      assert.ok(files.includes('dist/build-info.json'), 'build info missing from the package');
      assert.deepEqual(
        files.filter((f) => /\.test\.|^test\/|^src\//.test(f)),
        [],
        'tests or sources were packed',
      );

      const app = join(dir, 'app');
      await run(
        'npm',
        [
          'install',
          '--prefix',
          app,
          '--no-audit',
          '--no-fund',
          '--prefer-offline',
          join(dir, manifest.filename),
        ],
        { cwd: dir, timeout: 300_000 },
      );
      assert.ok((await readdir(join(app, 'node_modules', '.bin'))).includes('palingenesis'));
      const help = await run('npx', ['--no-install', 'palingenesis', '--help'], {
        cwd: app,
        timeout: 60_000,
        env: { ...process.env, HOME: dir },
      });
      assert.match(help.stdout, /^Usage: palingenesis /);
      assert.match(help.stdout, /daemon\s+start, stop, restart, reload or check the daemon/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('`npx palingenesis` in a clone runs dist/ as built, without rebuilding it', async () => {
    // npm exec links the project as a folder dependency, which runs `prepare`; a rebuild would
    // rewrite dist/ under a daemon running from it (and under the other test files here).
    const cache = await mkdtemp(join(tmpdir(), 'palingenesis-npx-'));
    const cli = join(ROOT, 'dist', 'cli.js');
    try {
      const before = (await stat(cli)).mtimeMs;
      const version = await run('npx', ['--yes', 'palingenesis', '--version'], {
        cwd: ROOT,
        timeout: 120_000,
        // A fresh npx cache: the link (and its `prepare`) is made anew, as in a fresh clone.
        env: { ...process.env, npm_config_cache: cache },
      });
      assert.match(version.stdout, /^\d+\.\d+\.\d+/);
      assert.equal((await stat(cli)).mtimeMs, before, 'npx rebuilt dist/');
    } finally {
      await rm(cache, { recursive: true, force: true });
    }
  });
});
