import { chmod, link, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { Command } from 'commander';
import { loadConfig } from '../config/load.js';
import { redactSecrets, renderConfigToml, renderDefaultConfigFile } from '../config/render.js';
import { PalError } from '../errors.js';
import { configLocation, invalidConfig, type CliContext } from './context.js';

type GlobalOpts = () => { config?: string };

export function configCommands(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  const config = program
    .command('config')
    .description('create, show and check the configuration file');

  config
    .command('init')
    .description('write a commented default config file (mode 0600)')
    .option('-f, --force', 'overwrite an existing file')
    .action(async (opts: { force?: boolean }) => {
      const { path } = configLocation(ctx, globals().config);
      await mkdir(dirname(path), { recursive: true, mode: 0o700 });
      // Write beside it, then link (fails if the file exists) or rename (--force): either way the
      // file appears whole, and an existing one is never clobbered without --force.
      const temp = `${path}.${process.pid}.tmp`;
      await writeFile(temp, renderDefaultConfigFile(), { mode: 0o600 });
      try {
        if (opts.force === true) await rename(temp, path);
        else await link(temp, path);
      } catch (error) {
        if (error instanceof Error && 'code' in error && error.code === 'EEXIST') {
          throw new PalError(
            'config_exists',
            `${path} already exists; use --force to overwrite it`,
          );
        }
        throw error;
      } finally {
        await rm(temp, { force: true });
      }
      await chmod(path, 0o600);
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
    .command('path')
    .description('print the config file path in use (--config > $PALINGENESIS_CONFIG > default)')
    .action(() => {
      ctx.stdout(`${configLocation(ctx, globals().config).path}\n`);
    });
}
