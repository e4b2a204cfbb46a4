import assert from 'node:assert/strict';
import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { installClaudeHooks, uninstallClaudeHooks, type HookFiles } from './claude-install.js';
import { manifestPath, readManifest } from './manifest.js';

const A = `'/usr/bin/node' '/a/dist/palingenesis-hook.js' claude-code --state-dir '/s'`;
const B = `'/usr/bin/node' '/b/dist/palingenesis-hook.js' claude-code --state-dir '/s'`;
const ORIGINAL = '{\n    "model": "opus",\n    "hooks": {\n        "Stop": []\n    }\n}';

describe('installClaudeHooks / uninstallClaudeHooks (real files)', () => {
  let root: string;
  let n = 0;
  /** A fresh settings dir and state dir per test. */
  async function setup(content?: string): Promise<HookFiles> {
    const dir = join(root, `case-${++n}`);
    await mkdir(join(dir, 'claude'), { recursive: true });
    const settingsPath = join(dir, 'claude', 'settings.json');
    if (content !== undefined) await writeFile(settingsPath, content, { mode: 0o640 });
    return {
      settingsPath,
      stateDir: join(dir, 'state'),
      now: new Date('2026-11-27T22:00:00.123Z'),
    };
  }
  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'palingenesis-install-'));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  it('backs up beside the file, keeps its mode, records the install, and restores the bytes', async () => {
    const files = await setup(ORIGINAL);
    const installed = await installClaudeHooks(files, A);
    assert.equal(installed.changed, true);
    const backup = `${files.settingsPath}.palingenesis-backup-2026-11-27T22-00-00-123Z`;
    assert.equal(installed.backupPath, backup);
    assert.equal(await readFile(backup, 'utf8'), ORIGINAL);
    assert.equal((await stat(files.settingsPath)).mode & 0o777, 0o640);
    const record = (await readManifest(manifestPath(files.stateDir))).installs[files.settingsPath];
    assert.equal(record?.backupPath, backup);
    assert.deepEqual(record.createdEvents, ['StopFailure', 'SessionStart', 'SessionEnd']);
    assert.equal(record.createdHooksObject, false);

    const again = await installClaudeHooks(files, A);
    assert.deepEqual([again.changed, again.backupPath], [false, null]);

    const removed = await uninstallClaudeHooks(files);
    assert.equal(removed.how, 'restored');
    assert.equal(await readFile(files.settingsPath, 'utf8'), ORIGINAL);
    assert.equal((await stat(files.settingsPath)).mode & 0o777, 0o640);
    assert.deepEqual((await readManifest(manifestPath(files.stateDir))).installs, {});
    assert.equal((await uninstallClaudeHooks(files)).how, 'unchanged');
  });

  it('a reinstall from another path keeps the first backup as the way back', async () => {
    const files = await setup(ORIGINAL);
    await installClaudeHooks(files, A);
    const moved = await installClaudeHooks({ ...files, now: new Date() }, B);
    assert.deepEqual([moved.changed, moved.backupPath], [true, null]);
    assert.match(await readFile(files.settingsPath, 'utf8'), /\/b\/dist/);
    assert.equal((await uninstallClaudeHooks(files)).how, 'restored');
    assert.equal(await readFile(files.settingsPath, 'utf8'), ORIGINAL);
  });

  it('after a user edit and a reinstall, uninstall removes ours rather than restore a stale copy', async () => {
    const files = await setup(ORIGINAL);
    await installClaudeHooks(files, A);
    const edited = (await readFile(files.settingsPath, 'utf8')).replace('"opus"', '"sonnet"');
    await writeFile(files.settingsPath, edited);
    const moved = await installClaudeHooks({ ...files, now: new Date('2026-11-28T00:00:00Z') }, B);
    assert.notEqual(moved.backupPath, null, 'the edited file was backed up');
    const removed = await uninstallClaudeHooks({ ...files, now: new Date('2026-11-29T00:00:00Z') });
    assert.equal(removed.how, 'edited');
    assert.equal(
      await readFile(files.settingsPath, 'utf8'),
      ORIGINAL.replace('"opus"', '"sonnet"'),
    );
  });

  it('a file (and directories) it had to create are deleted again', async () => {
    const base = await setup();
    const settingsPath = join(base.stateDir, '..', 'new', 'deeper', 'settings.json');
    const files = { ...base, settingsPath };
    const installed = await installClaudeHooks(files, A);
    assert.equal(installed.backupPath, null);
    assert.equal((await stat(settingsPath)).mode & 0o777, 0o600);
    assert.equal((await uninstallClaudeHooks(files)).how, 'deleted');
    assert.deepEqual(await readdir(join(base.stateDir, '..')), ['claude', 'state']);
  });

  it('writes through a symlinked settings file', async () => {
    const files = await setup();
    const real = join(files.stateDir, '..', 'dotfiles-settings.json');
    await writeFile(real, ORIGINAL);
    await symlink(real, files.settingsPath);
    await installClaudeHooks(files, A);
    assert.ok((await lstat(files.settingsPath)).isSymbolicLink());
    assert.match(await readFile(real, 'utf8'), /palingenesis-hook\.js/);
    await uninstallClaudeHooks(files);
    assert.ok((await lstat(files.settingsPath)).isSymbolicLink());
    assert.equal(await readFile(real, 'utf8'), ORIGINAL);
  });

  it('invalid JSON: an error naming file, line and column; nothing written', async () => {
    const files = await setup('{\n  "model": "opus"\n  "x": 1\n}\n');
    await assert.rejects(installClaudeHooks(files, A), (error: Error & { code?: string }) => {
      assert.equal(error.code, 'config_invalid');
      assert.equal(
        error.message,
        `${files.settingsPath}:3:3: invalid JSON (CommaExpected); nothing was changed`,
      );
      return true;
    });
    assert.deepEqual(await readdir(join(files.settingsPath, '..')), ['settings.json']);
    await assert.rejects(stat(files.stateDir), { code: 'ENOENT' });
  });
});
