import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { chmod, mkdir, mkdtemp, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { lookupKey, tomlValueFor } from '../config/config-key.js';
import { formatIssue } from '../config/load.js';
import { parseConfigText, type ConfigIssue } from '../config/parse.js';
import { redactSecrets, renderDefaultConfigFile } from '../config/render.js';
import { setTomlValue } from '../config/toml-set.js';
import { PalError } from '../errors.js';
import { hasCode } from '../node-util.js';
import type { CliContext } from './context.js';
import { fileFailure } from './fs-failure.js';
import { shellCommand } from './shell-quote.js';

/**
 * `config edit`: the editor works on a private copy; the file is replaced (atomically) only by
 * a copy that validates, and only if nobody changed the file meanwhile. A rejected copy is kept.
 */
export async function editConfig(ctx: CliContext, path: string): Promise<void> {
  const original = await readIfExists(path);
  const start = original ?? renderDefaultConfigFile();
  const dir = await mkdtemp(join(tmpdir(), 'palingenesis-edit-')); // mode 0700: secrets inside
  const copy = join(dir, basename(path).endsWith('.toml') ? basename(path) : 'config.toml');
  await writeFile(copy, start, { mode: 0o600 });
  const kept = `your edit is kept in ${copy}`;
  const editor = editorCommand(ctx.pathEnv.env);
  const code = await runEditor(editor, copy);
  if (code !== 0) {
    throw new PalError('internal', `the editor (${editor}) exited with ${code}; ${kept}`);
  }
  const edited = await readFile(copy, 'utf8');
  if (edited === start) {
    await rm(dir, { recursive: true, force: true });
    ctx.stdout(`no changes; ${original === undefined ? 'nothing written' : `${path} unchanged`}\n`);
    return;
  }
  const parsed = parseConfigText(edited);
  if (!parsed.ok) {
    throw new PalError(
      'config_invalid',
      `not saved: your edit has ${problems(copy, parsed.issues)}\n` +
        `${path} is unchanged; ${kept}.\n` +
        `Fix it there, then: ${shellCommand(['palingenesis', 'config', 'validate', copy])} && ` +
        shellCommand(['cp', copy, path]),
    );
  }
  if ((await readIfExists(path, `not saved; ${kept}`)) !== original) {
    throw new PalError('conflict', `${path} changed while you were editing; not saved; ${kept}`);
  }
  try {
    await writeConfigFile(path, edited);
  } catch (error) {
    throw fileFailure('write', path, error, `not saved; ${kept}`);
  }
  await rm(dir, { recursive: true, force: true });
  ctx.stdout(`saved ${path}\n`);
}

/** `config set KEY VALUE`: one line of the file changes; the whole result must validate. */
export async function setConfigValue(
  ctx: CliContext,
  path: string,
  dotted: string,
  raw: string,
): Promise<void> {
  const found = lookupKey(dotted);
  if (!found.ok) throw new PalError('config_invalid', found.message);
  const original = await readIfExists(path);
  const value = tomlValueFor(raw, found.field);
  const edit = setTomlValue(original ?? renderDefaultConfigFile(), found.section, found.key, value);
  if (!edit.ok) throw new PalError('config_invalid', `${path}: ${edit.message}`);
  const parsed = parseConfigText(edit.text);
  if (!parsed.ok) {
    throw new PalError(
      'config_invalid',
      `not saved: with ${dotted} = ${value}, ${path} would have ${problems(path, parsed.issues)}`,
    );
  }
  try {
    await writeConfigFile(path, edit.text);
  } catch (error) {
    throw fileFailure('write', path, error);
  }
  // Nested under its section: some secrets are known by their path (`otel.headers`).
  const shown = String(
    redactSecrets({ [found.section]: { [found.key]: value } })[found.section]?.[found.key],
  );
  ctx.stdout(`${original === undefined ? 'created' : 'updated'} ${path}: ${dotted} = ${shown}\n`);
}

/** Mode 0600, written beside the target and renamed over it; a symlinked config stays linked. */
export async function writeConfigFile(path: string, text: string): Promise<void> {
  const target = await realpath(path).catch(() => path);
  await mkdir(dirname(target), { recursive: true, mode: 0o700 });
  const temp = `${target}.${String(process.pid)}.tmp`;
  try {
    await writeFile(temp, text, { mode: 0o600 });
    await chmod(temp, 0o600);
    await rename(temp, target);
  } finally {
    await rm(temp, { force: true });
  }
}

export function editorCommand(env: Readonly<Record<string, string | undefined>>): string {
  for (const name of ['VISUAL', 'EDITOR']) {
    const value = env[name]?.trim();
    if (value !== undefined && value !== '') return value;
  }
  return 'vi';
}

/** Through the shell, like git: `$EDITOR` may carry arguments (`code --wait`). */
async function runEditor(editor: string, file: string): Promise<number> {
  const child = spawn('sh', ['-c', `${editor} "$1"`, 'palingenesis-editor', file], {
    stdio: 'inherit',
  });
  const [code, signal] = (await once(child, 'exit')) as [number | null, NodeJS.Signals | null];
  return code ?? (signal === null ? 1 : 128);
}

function problems(path: string, issues: readonly ConfigIssue[]): string {
  const count = issues.length === 1 ? '1 problem' : `${issues.length} problems`;
  return `${count}:\n${issues.map((issue) => `  ${formatIssue(path, issue)}`).join('\n')}`;
}

/** The file's text, or undefined when there is none; any other failure names the file. */
async function readIfExists(path: string, then?: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    if (hasCode(error, 'ENOENT')) return undefined;
    throw fileFailure('read', path, error, then);
  }
}
