import { z } from 'zod';
import { spawnJsonLines, type ProcessExit } from '../json-lines-process.js';

/** How a headless run ended. */
export interface HeadlessExit extends ProcessExit {
  /** The final `result` line, when the run got that far. */
  readonly result?: unknown;
}

export interface HeadlessRun {
  readonly pid: number | undefined;
  /** Resolves with the session id from the first line that names it; rejects if none comes. */
  readonly started: Promise<string>;
  readonly exited: Promise<HeadlessExit>;
  kill(): void;
}

export interface HeadlessOptions {
  readonly binary: string;
  readonly cwd: string | undefined;
  readonly prompt: string;
  /** Continue this session (`--resume`); absent: a new session. */
  readonly resume?: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** Every stream-json line, parsed; malformed lines are reported as such. */
  readonly onLine: (value: unknown) => void;
  readonly onMalformed: (line: string) => void;
}

const withSession = z.looseObject({ session_id: z.string().min(1) });
const resultLine = z.looseObject({ type: z.literal('result') });

/**
 * `claude -p [--resume ID] PROMPT --output-format stream-json --verbose` in the session's own
 * directory. The prompt is passed as one argument (no shell), so nothing in it is interpreted.
 */
export function runHeadless(options: HeadlessOptions): HeadlessRun {
  const args = ['-p'];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  args.push(options.prompt, '--output-format', 'stream-json', '--verbose');
  let result: unknown;
  const run = spawnJsonLines({
    binary: options.binary,
    args,
    cwd: options.cwd,
    env: options.env,
    naming: 'session',
    idOf: (value) => withSession.safeParse(value).data?.session_id,
    onMalformed: options.onMalformed,
    onLine: (value) => {
      if (resultLine.safeParse(value).success) result = value;
      options.onLine(value);
    },
  });
  return {
    pid: run.pid,
    started: run.started,
    exited: run.exited.then((exit) => ({ ...exit, result })),
    kill: () => {
      run.kill();
    },
  };
}
