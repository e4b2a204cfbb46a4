import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { defaultConfig } from '../config/schema.js';
import { configCheck } from './doctor-checks.js';

describe('doctor: the config check', () => {
  it('an inline token in a file whose mode cannot be read is a warning that says why, not ok', async () => {
    const config = defaultConfig();
    config.http.token = 'a-token-written-inline';
    const path = '/dev/null/config.toml'; // ENOTDIR: a part of the path is a file
    const check = await configCheck({ ok: true, config, path, exists: true });
    assert.equal(check.status, 'warn');
    assert.match(check.finding, /who may read it cannot be told: .*ENOTDIR/);
  });
});
