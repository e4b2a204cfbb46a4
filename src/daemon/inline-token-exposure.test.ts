import assert from 'node:assert/strict';
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { inlineTokenExposure } from './inline-token-exposure.js';

describe('inlineTokenExposure', () => {
  const cases: [string, number, string, boolean][] = [
    ['inline token, world-readable', 0o644, 'abc', true],
    ['inline token, group-readable', 0o640, 'abc', true],
    ['inline token, private', 0o600, 'abc', false],
    ['inline token, owner read-only', 0o400, 'abc', false],
    ['no inline token, world-readable', 0o644, '', false],
  ];
  for (const [name, mode, token, warns] of cases) {
    it(name, async () => {
      const dir = await mkdtemp(join(tmpdir(), 'palingenesis-exposure-'));
      try {
        const path = join(dir, 'config.toml');
        await writeFile(path, '[http]\n');
        await chmod(path, mode);
        const warning = await inlineTokenExposure(path, { token }, 'linux');
        if (!warns) {
          assert.equal(warning, undefined);
          return;
        }
        assert.equal(
          warning,
          `${path} holds [http] token and others can read it (mode 0${mode.toString(8)}): ` +
            `chmod 600 ${path}`,
        );
      } finally {
        await rm(dir, { recursive: true, force: true });
      }
    });
  }

  it('says nothing of a file that is gone, or on Windows', async () => {
    assert.equal(
      await inlineTokenExposure('/nonexistent/config.toml', { token: 'abc' }),
      undefined,
    );
    assert.equal(
      await inlineTokenExposure(import.meta.filename, { token: 'abc' }, 'win32'),
      undefined,
    );
  });
});
