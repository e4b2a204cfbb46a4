import { readFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { classifyInput } from '../agents/classify-input.js';
import { CLASSIFY_AGENTS, recordReaders } from '../agents/record-readers.js';
import { PalError } from '../errors.js';
import type { CliContext } from './context.js';

export function classifyCommand(
  program: Command,
  ctx: CliContext,
  readStdin: () => Promise<string>,
): void {
  program
    .command('classify [file]')
    .description(
      "why did (or didn't) it resume? judge a stop message, event, transcript line or transcript",
    )
    .option('--agent <agent>', `which agent wrote it: ${CLASSIFY_AGENTS.join(', ')}`, 'auto')
    .option('--now <iso>', 'the moment to judge at (ISO 8601), for reproducible answers')
    .option(
      '--tz <zone>',
      "IANA zone for times the message gives without one (default: this machine's)",
    )
    .addHelpText(
      'after',
      '\nReads FILE, or standard input when FILE is "-" or absent: plain text, one JSON object, or JSON lines\n' +
        '(judged by the last line that says anything). Prints one JSON object:\n' +
        '  {"reason", "resetAt", "waitSeconds", "source", "evidence"}\n' +
        'reason is rate_limit, context_exhausted, overloaded, user_exit, crash, auth_error, completed,\n' +
        "unknown, or none when the input holds no stop. It runs the daemon's own classifier: each\n" +
        "agent's record is read by that agent's own code, as the daemon reads it. --agent auto tries\n" +
        'every agent in turn; naming one reads only its records (anything else is read as text).',
    )
    .action(
      async (file: string | undefined, opts: { agent: string; now?: string; tz?: string }) => {
        const readers = await recordReaders(opts.agent);
        if (readers === undefined)
          throw new PalError('usage', `--agent must be one of ${CLASSIFY_AGENTS.join(', ')}`);
        const now = opts.now === undefined ? Date.now() : Date.parse(opts.now);
        if (Number.isNaN(now))
          throw new PalError('usage', `--now is not an ISO 8601 instant: ${opts.now ?? ''}`);
        const zone = opts.tz ?? Intl.DateTimeFormat().resolvedOptions().timeZone;
        if (!isZone(zone)) throw new PalError('usage', `--tz is not an IANA time zone: ${zone}`);
        const input =
          file === undefined || file === '-' ? await readStdin() : await readInput(file);
        ctx.stdout(`${JSON.stringify(classifyInput(input, now, zone, readers))}\n`);
      },
    );
}

async function readInput(file: string): Promise<string> {
  try {
    return await readFile(file, 'utf8');
  } catch (error) {
    throw new PalError(
      'usage',
      `cannot read ${file}: ${error instanceof Error ? error.message : String(error)}`,
      { cause: error },
    );
  }
}

function isZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
