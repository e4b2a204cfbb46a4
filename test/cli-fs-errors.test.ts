import assert from 'node:assert/strict';
import { chmod, lchown, mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli, type CliRun } from './helpers/run-cli.js';
import { createTempHome, type TempHome } from './helpers/temp-home.js';

/** Permissions do not bind root: as root, the CLI runs as nobody, in a home nobody owns. */
const AS_ROOT = process.getuid?.() === 0;
const NOBODY = 65534;
const asUser = AS_ROOT ? { uid: NOBODY, gid: NOBODY } : {};

async function handOver(home: TempHome): Promise<void> {
  if (!AS_ROOT) return;
  await lchown(home.dir, NOBODY, NOBODY);
  for (const entry of await readdir(home.dir, { recursive: true })) {
    await lchown(join(home.dir, entry), NOBODY, NOBODY);
  }
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/** Exit 1, nothing on stdout, one line on stderr matching `pattern`: no stack, no "unexpected". */
function assertOneLine(run: CliRun, pattern: RegExp): void {
  assert.equal(run.code, 1, run.stderr);
  assert.equal(run.stdout, '');
  assert.doesNotMatch(run.stderr, /unexpected error|\n\s+at /);
  assert.equal(run.stderr.trimEnd().split('\n').length, 1, run.stderr);
  assert.match(run.stderr.trimEnd(), pattern);
}

const CONFIG = '[http]\nport = 0\n[opencode]\nenabled = false\n[claude_code]\nenabled = false\n';

describe(
  'filesystem failures: one line naming the path and the cause (built CLI)',
  {
    skip: process.platform === 'win32' && 'POSIX modes only',
  },
  () => {
    let home: TempHome;
    before(async () => {
      home = await createTempHome();
    });
    after(async () => {
      await home.remove();
    });
    const cli = (args: string[], vars: NodeJS.ProcessEnv = {}): Promise<CliRun> =>
      runCli(args, { ...home.env, ...vars }, asUser);

    it('a read-only config directory: config init, set and edit name the file; edit keeps the copy', async () => {
      const dir = join(home.dir, '.config', 'palingenesis');
      const path = join(dir, 'config.toml');
      const editor = join(home.dir, 'append-port');
      await mkdir(dir, { recursive: true });
      await writeFile(path, CONFIG, { mode: 0o600 });
      await writeFile(editor, `#!/bin/sh\nprintf '[resume]\\nmargin_seconds = 9\\n' >> "$1"\n`, {
        mode: 0o755,
      });
      await handOver(home);
      await chmod(dir, 0o500);
      try {
        const denied = `^palingenesis: cannot write ${escape(path)}: permission denied \\(EACCES`;
        assertOneLine(await cli(['config', 'init', '--force']), new RegExp(denied));
        assertOneLine(await cli(['config', 'set', 'http.port', '8080']), new RegExp(denied));
        assert.equal(await readFile(path, 'utf8'), CONFIG);

        const edit = await cli(['config', 'edit'], { EDITOR: editor, VISUAL: '' });
        assertOneLine(edit, new RegExp(`${denied}.*; not saved; your edit is kept in \\S+$`, 'm'));
        const copy = /your edit is kept in (\S+)$/m.exec(edit.stderr)?.[1] ?? '';
        assert.match(await readFile(copy, 'utf8'), /margin_seconds = 9/);
        assert.equal(await readFile(path, 'utf8'), CONFIG);
        await rm(dirname(copy), { recursive: true, force: true });
      } finally {
        await chmod(dir, 0o700);
      }
    });

    it('a file where the config directory should be (EEXIST, ENOTDIR): init and set name it', async () => {
      const configHome = join(home.dir, 'cfg-file');
      const dir = join(configHome, 'palingenesis');
      const path = join(dir, 'config.toml');
      await mkdir(configHome);
      await writeFile(dir, 'not a directory\n');
      await handOver(home);
      const vars = { XDG_CONFIG_HOME: configHome };
      assertOneLine(
        await cli(['config', 'init'], vars),
        new RegExp(
          `^palingenesis: cannot write ${escape(path)}: file already exists \\(EEXIST, mkdir ${escape(dir)}\\)$`,
        ),
      );
      assertOneLine(
        await cli(['config', 'set', 'http.port', '8080'], vars),
        new RegExp(`^palingenesis: cannot read ${escape(path)}: not a directory \\(ENOTDIR\\)$`),
      );
    });

    it('start: a state directory that cannot be made is one line naming it, exit 1', async () => {
      const config = join(home.dir, 'config.toml');
      const readOnly = join(home.dir, 'state-ro');
      const aFile = join(home.dir, 'state-file');
      await writeFile(config, CONFIG);
      await mkdir(readOnly);
      await writeFile(aFile, '');
      await handOver(home);
      await chmod(readOnly, 0o500);
      try {
        const denied = new RegExp(
          `^palingenesis: cannot create directory ${escape(join(readOnly, 'palingenesis'))}: ` +
            'permission denied \\(EACCES\\)$',
        );
        const vars = { XDG_STATE_HOME: readOnly };
        assertOneLine(await cli(['daemon', 'start', '--foreground', '-c', config], vars), denied);
        assertOneLine(await cli(['daemon', 'start', '-c', config], vars), denied);
        assertOneLine(
          await cli(['daemon', 'start', '--foreground', '-c', config], { XDG_STATE_HOME: aFile }),
          new RegExp(
            `^palingenesis: cannot create directory ${escape(join(aFile, 'palingenesis'))}: ` +
              'not a directory \\(ENOTDIR\\)$',
          ),
        );
        // An unreadable config is a config problem: named with its cause, no stack.
        await chmod(config, 0o000);
        const unreadable = await cli(['daemon', 'start', '--foreground', '-c', config]);
        assert.equal(unreadable.code, 1);
        assert.doesNotMatch(unreadable.stderr, /unexpected error|\n\s+at /);
        assert.match(
          unreadable.stderr,
          new RegExp(`^  ${escape(config)}: cannot be read: permission denied \\(EACCES\\)$`, 'm'),
        );
      } finally {
        await chmod(readOnly, 0o700);
      }
    });
  },
);
