import { InvalidArgumentError, type Command } from 'commander';
import { statePaths } from '../config/paths.js';
import { PalError } from '../errors.js';
import { parseSince } from '../events/since.js';
import type { CliContext } from './context.js';
import { connectDaemon, type DaemonClient } from './daemon-client.js';
import { describeEvent, parseEventData } from './event-lines.js';
import { readEvents, type StreamMessage } from './event-source.js';
import { createPaint, localZone, stdoutWantsColour } from './format.js';
import { followLines, readLastLines, readLinesFrom, type LinesRead } from './log-file.js';
import { describeLogLine, logLineTime } from './log-lines.js';

interface ObserveOpts {
  readonly follow?: boolean;
  readonly since?: string;
  readonly json?: boolean;
}

const DEFAULT_TAIL = 50;

/** `events` (the daemon's live stream, over HTTP) and `logs` (its log file, read directly). */
export function observeCommands(
  program: Command,
  ctx: CliContext,
  globals: () => { config?: string },
): void {
  program
    .command('events')
    .description("print the daemon's recent events (its last 1000); --follow keeps streaming")
    .option('-f, --follow', 'keep printing new events until Ctrl-C, reconnecting when needed')
    .option('--since <when>', 'from an event id, a duration ago (10m, 1h30m) or an ISO instant')
    .option('--json', 'print each event as one line of JSON')
    .action(async (opts: ObserveOpts) => {
      const since = sinceQuery(opts.since, true);
      const connect = async (): Promise<DaemonClient> =>
        (await connectDaemon(ctx, globals().config)).client;
      const print = eventPrinter(ctx, opts.json === true);
      await untilInterrupted((signal) =>
        readEvents(connect, {
          since,
          follow: opts.follow === true,
          signal,
          onMessage: print,
          onNotice: (text) => {
            ctx.stderr(`palingenesis: ${text}\n`);
          },
        }),
      );
    });

  program
    .command('logs')
    .description("print the daemon's log file (works while the daemon is down too)")
    .option('-f, --follow', 'keep printing lines as they are written, until Ctrl-C')
    .option('-n, --tail <lines>', `how many of the last lines (default ${DEFAULT_TAIL})`, count)
    .option('--since <when>', 'lines from a duration ago (10m, 1h30m) or an ISO instant on')
    .option('--json', 'print the raw JSON lines')
    .action(async (opts: ObserveOpts & { tail?: number }) => {
      const since = sinceQuery(opts.since, false);
      const path = statePaths(ctx.pathEnv).logFile;
      const first = await readLog(path, since, opts.tail);
      if (first.end.ino === undefined && opts.follow !== true) {
        throw new PalError('not_found', `no log file at ${path}: the daemon has not run here yet`);
      }
      const print = logPrinter(ctx, opts.json === true);
      print(first.lines);
      if (opts.follow !== true) return;
      await untilInterrupted((signal) =>
        followLines(path, first.end, signal, (lines, restarted) => {
          if (restarted) ctx.stderr(`palingenesis: ${path} was truncated or replaced\n`);
          print(lines);
        }),
      );
    });
}

function count(text: string): number {
  const value = Number(text);
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new InvalidArgumentError('expected a whole number of lines (0 or more)');
  }
  return value;
}

/** `--since` → the query value the daemon reads (an id, or an ISO instant in this CLI's clock). */
function sinceQuery(text: string | undefined, allowId: true): string;
function sinceQuery(text: string | undefined, allowId: false): string | undefined;
function sinceQuery(text: string | undefined, allowId: boolean): string | undefined {
  if (text === undefined) return allowId ? '0' : undefined;
  const since = parseSince(text, Date.now(), { allowId });
  if (since === undefined) {
    const forms = allowId ? 'an event id, a duration like 10m or 1h30m' : 'a duration like 10m';
    throw new PalError('usage', `--since takes ${forms} or an ISO 8601 instant, not "${text}"`);
  }
  return since.kind === 'after_id' ? String(since.id) : new Date(since.atMs).toISOString();
}

function eventPrinter(ctx: CliContext, json: boolean): (message: StreamMessage) => void {
  const paint = createPaint(!json && stdoutWantsColour());
  const zone = localZone();
  return (message) => {
    if (json) {
      ctx.stdout(`${message.data}\n`);
      return;
    }
    const shown = parseEventData(message.data);
    const line =
      shown === undefined
        ? `${message.type} ${message.data}`
        : describeEvent(shown, message.id, { nowMs: Date.now(), zone, paint });
    ctx.stdout(`${line}\n`);
  };
}

async function readLog(
  path: string,
  since: string | undefined,
  tail: number | undefined,
): Promise<LinesRead> {
  if (since === undefined) return readLastLines(path, tail ?? DEFAULT_TAIL);
  const sinceMs = Date.parse(since);
  const read = await readLinesFrom(path, (line) => (logLineTime(line) ?? -Infinity) >= sinceMs);
  if (tail === undefined) return read;
  return { ...read, lines: tail === 0 ? [] : read.lines.slice(-tail) };
}

function logPrinter(ctx: CliContext, json: boolean): (lines: readonly string[]) => void {
  const paint = createPaint(!json && stdoutWantsColour());
  const zone = localZone();
  return (lines) => {
    for (const line of lines) {
      if (line.trim() === '') continue;
      ctx.stdout(`${json ? line : describeLogLine(line, { nowMs: Date.now(), zone, paint })}\n`);
    }
  };
}

/** Runs `work` until it ends or Ctrl-C / SIGTERM aborts it; an interrupt is a normal exit (0). */
async function untilInterrupted(work: (signal: AbortSignal) => Promise<void>): Promise<void> {
  const controller = new AbortController();
  const stop = (): void => {
    controller.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    await work(controller.signal);
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}
