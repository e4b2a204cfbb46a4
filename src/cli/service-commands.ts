import { resolve } from 'node:path';
import type { Command } from 'commander';
import { stateDir } from '../config/paths.js';
import { PalError } from '../errors.js';
import {
  exists,
  installService,
  readServiceArgs,
  renderService,
  serviceFilePath,
  uninstallService,
  type ManagerOutcome,
} from '../service/install.js';
import { serviceManager, type ServicePlatform } from '../service/service-manager.js';
import type { ServiceSpec } from '../service/spec.js';
import { configLocation, requireConfig, type CliContext } from './context.js';
import { EXIT } from './exit-codes.js';
import { selfCommand } from './self.js';
import { shellCommand } from './shell-quote.js';

const PLATFORMS = ['linux', 'darwin'] as const;
/** Passed on to the daemon as they are here, so it finds the agents and the same directories. */
const INHERITED_ENV = ['PATH', 'XDG_CONFIG_HOME', 'XDG_STATE_HOME', 'CLAUDE_CONFIG_DIR'] as const;

const SERVICE_HELP = `
Linux: a systemd user unit, $XDG_CONFIG_HOME/systemd/user/palingenesis.service.
macOS: a launchd agent, ~/Library/LaunchAgents/dev.palingenesis.daemon.plist.
Either runs \`daemon start --foreground\` with this node and this palingenesis, restarts it when it
fails, and keeps the log where \`palingenesis logs\` reads it (the systemd journal, or
launchd.*.log in the state directory, also get its stdout and stderr).`;

type Globals = () => { config?: string };
interface PlatformOpts {
  platform?: string;
}

export function serviceCommands(program: Command, ctx: CliContext, globals: Globals): void {
  const service = program
    .command('service')
    .description('run the daemon at login: a systemd user unit or a launchd agent')
    .addHelpText('after', SERVICE_HELP);
  const platformOption = `linux (systemd) or darwin (launchd); default: this system`;

  service
    .command('install')
    .description(
      'write the service file, then enable and start it when the service manager answers',
    )
    .option('--platform <platform>', platformOption)
    .option('--dry-run', 'print the service file instead of writing it')
    .option('--start', 'run systemctl/launchctl even if it does not seem usable')
    .option('--no-start', 'only write the file; print the commands that would start it')
    .action(async (opts: PlatformOpts & { dryRun?: boolean; start?: boolean }) => {
      const platform = choosePlatform(opts.platform);
      const spec = await buildSpec(ctx, globals);
      const text = renderService(platform, spec);
      const file = serviceFilePath(platform, ctx.pathEnv);
      if (opts.dryRun === true) {
        ctx.stderr(`# palingenesis service install would write ${file}:\n`);
        ctx.stdout(text);
        return;
      }
      const manager = serviceManager(platform, process.platform);
      const outcome = await installService({
        file,
        text,
        stateDir: spec.stateDir,
        manager,
        start: opts.start,
      });
      ctx.stdout(`wrote ${file}\n${nextSteps(outcome, 'start it')}`);
    });

  service
    .command('uninstall')
    .description('stop and disable the service when possible, and remove its file')
    .option('--platform <platform>', platformOption)
    .option('--stop', 'run systemctl/launchctl even if it does not seem usable')
    .option('--no-stop', 'only remove the file; print the commands that would stop it')
    .action(async (opts: PlatformOpts & { stop?: boolean }) => {
      const platform = choosePlatform(opts.platform);
      const file = serviceFilePath(platform, ctx.pathEnv);
      const manager = serviceManager(platform, process.platform);
      const outcome = await uninstallService({ file, manager, start: opts.stop });
      if (!outcome.removed) {
        ctx.stdout(`no service file at ${file}; nothing to do\n`);
        return;
      }
      ctx.stdout(`removed ${file}\n${nextSteps(outcome, 'stop it')}`);
    });

  service
    .command('status')
    .description('is the service file there, do its paths exist, is it running (exit 1 if not ok)')
    .option('--platform <platform>', platformOption)
    .action(async (opts: PlatformOpts) => {
      const platform = choosePlatform(opts.platform);
      const file = serviceFilePath(platform, ctx.pathEnv);
      const args = await readServiceArgs(platform, file);
      if (args === undefined) {
        ctx.stdout(`not installed: no ${file}\n`);
        process.exitCode = EXIT.failure;
        return;
      }
      const [node = '', cli = ''] = args;
      const checks = [
        { role: 'node', path: node, ok: await exists(node) },
        { role: 'cli', path: cli, ok: await exists(cli) },
      ];
      const state = await serviceManager(platform, process.platform).isActive();
      ctx.stdout(
        [
          `installed: ${file}`,
          ...checks.map((c) => `  ${c.role.padEnd(6)} ${c.path} (${c.ok ? 'exists' : 'MISSING'})`),
          `  ${'state'.padEnd(6)} ${state === 'unknown' ? 'unknown (the service manager does not answer here)' : state}`,
          ...(checks.every((c) => c.ok)
            ? []
            : [
                'the file runs a palingenesis that is gone: run `palingenesis service install` again',
              ]),
        ].join('\n') + '\n',
      );
      if (!checks.every((c) => c.ok)) process.exitCode = EXIT.failure;
    });
}

function choosePlatform(option: string | undefined): ServicePlatform {
  const chosen = option ?? process.platform;
  if ((PLATFORMS as readonly string[]).includes(chosen)) return chosen as ServicePlatform;
  throw new PalError(
    'usage',
    option === undefined
      ? `services exist for linux (systemd) and darwin (launchd), not ${chosen}; --platform previews one`
      : `--platform must be one of ${PLATFORMS.join(', ')}`,
  );
}

/** The daemon as this CLI would run it; a config that does not validate is refused here. */
async function buildSpec(ctx: CliContext, globals: Globals): Promise<ServiceSpec> {
  const location = configLocation(ctx, globals().config);
  await requireConfig(location);
  const environment: Record<string, string> = {};
  for (const key of INHERITED_ENV) {
    const value = ctx.pathEnv.env[key];
    if (value !== undefined && value !== '') environment[key] = value;
  }
  const home = ctx.pathEnv.env['HOME'];
  return {
    ...selfCommand(),
    ...(location.source === 'default' ? {} : { configPath: resolve(location.path) }),
    environment,
    stateDir: resolve(stateDir(ctx.pathEnv)),
    homeDir: home === undefined || home === '' ? ctx.pathEnv.homeDir : home,
  };
}

function nextSteps(outcome: ManagerOutcome, what: string): string {
  if (outcome.pending.length === 0) {
    return outcome.ran.map((argv) => `ran: ${shellCommand(argv)}\n`).join('');
  }
  const commands = outcome.pending.map((argv) => `  ${shellCommand(argv)}\n`).join('');
  return `the service manager does not answer here (or --no-start/--no-stop); to ${what}, run:\n${commands}`;
}
