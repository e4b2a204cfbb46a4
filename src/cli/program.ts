import { Command, CommanderError } from 'commander';
import { readBuildInfo } from '../daemon/build-info.js';
import { isPalError } from '../errors.js';
import { classifyCommand } from './classify-command.js';
import { configCommands } from './config-commands.js';
import { controlCommands } from './control-commands.js';
import type { CliContext } from './context.js';
import { daemonCommands } from './daemon-commands.js';
import { doctorCommand } from './doctor.js';
import { hooksCommands } from './hooks-commands.js';
import { mcpCommands } from './mcp-commands.js';
import { notifyCommands } from './notify-commands.js';
import { observeCommands } from './observe-commands.js';
import { serviceCommands } from './service-commands.js';
import { tokenCommand } from './token-command.js';
import { EXIT, exitCodeFor } from './exit-codes.js';
import { systemErrorLine } from './fs-failure.js';

const EXIT_CODES_HELP = `
Exit codes:
  0  success
  1  failure (invalid configuration, I/O error, daemon failed)
  2  usage error (unknown command or option, missing argument)
  3  the daemon is already running
  4  the daemon is not running, or does not answer

Files:
  config  --config FILE > $PALINGENESIS_CONFIG > $XDG_CONFIG_HOME/palingenesis/config.toml
  state   $XDG_STATE_HOME/palingenesis (default ~/.local/state/palingenesis): pid file, log`;

export function buildProgram(ctx: CliContext): Command {
  const program = new Command('palingenesis')
    .description(
      'Watches AI coding agent sessions, works out why each stopped, and resumes it when it can.',
    )
    .version(readBuildInfo().version, '-V, --version')
    .option('-c, --config <file>', 'configuration file to use (must exist)')
    .showHelpAfterError('(run with --help for usage)')
    .exitOverride()
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .addHelpText('after', EXIT_CODES_HELP);
  const globals = (): { config?: string } => program.opts();
  daemonCommands(program, ctx, globals);
  controlCommands(program, ctx, globals);
  configCommands(program, ctx, globals);
  classifyCommand(program, ctx, ctx.readStdin);
  hooksCommands(program, ctx, globals);
  observeCommands(program, ctx, globals);
  mcpCommands(program, ctx, globals);
  notifyCommands(program, ctx, globals);
  serviceCommands(program, ctx, globals);
  doctorCommand(program, ctx, globals);
  tokenCommand(program, ctx, globals);
  return program;
}

/** Runs the CLI and returns the exit code; every error is turned into a message and a code here. */
export async function runCli(argv: readonly string[], ctx: CliContext): Promise<number> {
  const program = buildProgram(ctx);
  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : EXIT.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and version end with exitCode 0; everything else commander raises is a usage error.
      return error.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (isPalError(error)) {
      ctx.stderr(`palingenesis: ${error.message}\n`);
      return exitCodeFor(error.code);
    }
    // A file that cannot be read or written is the user's to fix, not a bug: one line, no stack.
    const line = systemErrorLine(error);
    if (line !== undefined) {
      ctx.stderr(`palingenesis: ${line}\n`);
      return EXIT.failure;
    }
    ctx.stderr(
      `palingenesis: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    return EXIT.failure;
  }
}
