import type { Command } from 'commander';
import { statePaths } from '../config/paths.js';
import { readBuildInfo } from '../daemon/build-info.js';
import { runForeground } from '../daemon/run-foreground.js';
import { PalError } from '../errors.js';
import { configLocation, requireConfig, type CliContext } from './context.js';

type GlobalOpts = () => { config?: string };

export function daemonCommands(program: Command, ctx: CliContext, globals: GlobalOpts): void {
  const daemon = program.command('daemon').description('run the daemon');

  daemon
    .command('start')
    .description('start the daemon')
    .option('--foreground', 'run in this terminal until SIGTERM or SIGINT (Ctrl-C)')
    .addHelpText(
      'after',
      '\nPrints one line, "palingenesis listening on <url>", once the HTTP API is ready.\n' +
        'Logs go to stderr and to the log file in the state directory.',
    )
    .action(async (opts: { foreground?: boolean }) => {
      if (opts.foreground !== true) {
        throw new PalError(
          'usage',
          'only foreground mode exists so far: run `palingenesis daemon start --foreground` ' +
            '(under systemd, launchd or tmux to keep it running)',
        );
      }
      const location = configLocation(ctx, globals().config);
      const config = await requireConfig(location);
      const code = await runForeground({
        config,
        configLocation: location,
        paths: statePaths(ctx.pathEnv),
        build: readBuildInfo(),
        stdout: ctx.stdout,
      });
      process.exitCode = code;
    });
}
