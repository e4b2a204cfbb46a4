import { chmod, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { redactSecrets, renderConfigToml, renderDefaultConfigFile } from '../config/render.js';
import { PalError } from '../errors.js';
import { hasCode, systemError } from '../node-util.js';
import { editConfig, setConfigValue } from './config-edit.js';
import { configLocation, invalidConfig, type CliContext } from './context.js';
import { fileFailure } from './fs-failure.js';

type GlobalOpts = () => { config?: string };

export function configCommands(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  const config = program
    .command('config')
    .description('create, show, check and change the configuration file');

  config
    .command('init')
    .description('write a commented default config file (mode 0600)')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (opts: { force?: boolean }) => {
      const { path } = configLocation(ctx, globals().config);
      // Write beside it, then link (fails if the file exists) or rename (--force): either way the
      // file appears whole, and an existing one is never clobbered without --force.
      const temp = `${path}.${process.pid}.tmp`;
      try {
        await mkdir(dirname(path), { recursive: true, mode: 0o700 });
        await writeFile(temp, renderDefaultConfigFile(), { mode: 0o600 });
        if (opts.force === true) await rename(temp, path);
        else await link(temp, path);
        await chmod(path, 0o600);
      } catch (error) {
        // Only the link says the file is there: a mkdir's EEXIST is a file in a directory's place.
        if (hasCode(error, 'EEXIST') && systemError(error)?.syscall === 'link') {
          throw new PalError(
            'config_exists',
            `${path} already exists; use --force to overwrite it`,
          );
        }
        throw fileFailure('write', path, error);
      } finally {
        // ENOTDIR: the temp file was never made (its directory is a file); the failure says so.
        await rm(temp, { force: true }).catch((error: unknown) => {
          if (!hasCode(error, 'ENOTDIR')) throw error;
        });
      }
      ctx.stdout(`wrote ${path}\n`);
    });

  config
    .command('show')
    .description('print the effective configuration (defaults applied, secrets redacted)')
    .option('--json', 'print JSON instead of TOML')
    .action(async (opts: { json?: boolean }) => {
      const location = configLocation(ctx, globals().config);
      const result = await loadConfig(location);
      if (!result.ok) throw invalidConfig(result.path, result.issues);
      if (opts.json === true) {
        const out = {
          path: result.path,
          exists: result.exists,
          config: redactSecrets(result.config),
        };
        ctx.stdout(`${JSON.stringify(out, null, 2)}\n`);
        return;
      }
      const origin = result.exists ? `from ${result.path}` : `defaults (no file at ${result.path})`;
      ctx.stdout(`# effective configuration: ${origin}\n${renderConfigToml(result.config)}`);
    });

  config
    .command('validate [file]')
    .description('check a config file; exit 0 when valid, 1 listing every problem')
    .action(async (file: string | undefined) => {
      const location =
        file === undefined
          ? configLocation(ctx, globals().config)
          : { path: file, source: 'flag' as const };
      const result = await loadConfig(location);
      if (!result.ok) throw invalidConfig(result.path, result.issues);
      ctx.stdout(
        result.exists ? `${result.path}: valid\n` : `${result.path}: no file; defaults are valid\n`,
      );
    });

  config
    .command('edit')
    .description('open the config in $VISUAL/$EDITOR (else vi); saved only if it validates')
    .addHelpText(
      'after',
      '\nThe editor works on a private copy (the commented default when there is no file yet).\n' +
        'A copy that does not validate is not saved: every problem is listed with its line, the\n' +
        'file stays as it was, and the copy is kept (its path is printed). Exit 1 then.',
    )
    .action(async () => {
      await editConfig(ctx, configLocation(ctx, globals().config).path);
    });

  config
    .command('set <key> <value>')
    .description('set one key (e.g. http.port 8080), keeping the rest of the file as it is')
    .addHelpText(
      'after',
      '\nVALUE is read as TOML when it is one the key accepts (8080, true, "text", [1, 2]), else\n' +
        'as a string (debug, 127.0.0.1). Only that line changes, or one is added under its\n' +
        'section; comments stay. The whole result must validate, or nothing is written (exit 1).',
    )
    .action(async (key: string, value: string) => {
      await setConfigValue(ctx, configLocation(ctx, globals().config).path, key, value);
    });

  config
    .command('path')
    .description('print the config file path in use (--config > $PALINGENESIS_CONFIG > default)')
    .action(() => {
      ctx.stdout(`${configLocation(ctx, globals().config).path}\n`);
    });
}
