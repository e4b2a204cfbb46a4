import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, it } from 'node:test';
import { readBuildInfo } from '../src/daemon/build-info.js';

const SCRIPT = fileURLToPath(new URL('../scripts/write-build-info.mjs', import.meta.url));

async function buildIn(root: string): Promise<{ version: string; commit: string }> {
  execFileSync(process.execPath, [SCRIPT, root]);
  return JSON.parse(await readFile(join(root, 'dist', 'build-info.json'), 'utf8')) as {
    version: string;
    commit: string;
  };
}

describe('build info', () => {
  it('records the short git SHA in a checkout', async () => {
    const root = await mkdtemp(join(tmpdir(), 'palingenesis-build-'));
    try {
      await writeFile(join(root, 'package.json'), '{"version":"3.2.1"}');
      const git = (...args: string[]): string =>
        execFileSync('git', ['-C', root, '-c', 'user.name=t', '-c', 'user.email=t@t', ...args], {
          encoding: 'utf8',
        }).trim();
      git('init', '-q');
      git('add', 'package.json');
      git('commit', '-qm', 'x');
      const sha = git('rev-parse', '--short', 'HEAD');
      assert.deepEqual(await buildIn(root), { version: '3.2.1', commit: sha });
      assert.deepEqual(readBuildInfo(new URL(`file://${root}/`)), {
        version: '3.2.1',
        commit: sha,
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('records "unknown" outside a git checkout', async () => {
    const root = await mkdtemp(join(tmpdir(), 'palingenesis-build-'));
    try {
      await writeFile(join(root, 'package.json'), '{"version":"3.2.1"}');
      assert.deepEqual(await buildIn(root), { version: '3.2.1', commit: 'unknown' });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });

  it('reads "unknown" when nothing was built', async () => {
    const root = await mkdtemp(join(tmpdir(), 'palingenesis-build-'));
    try {
      await writeFile(join(root, 'package.json'), '{"version":"0.0.7"}');
      assert.deepEqual(readBuildInfo(new URL(`file://${root}/`)), {
        version: '0.0.7',
        commit: 'unknown',
      });
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
