import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';

/** How a headless run ended. */
export interface HeadlessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The final `result` line, when the run got that far. */
  readonly result?: unknown;
  /** The last lines Claude Code wrote to stderr, for the log. */
  readonly stderrTail: string;
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
const STDERR_KEEP = 4000;

/**
 * `claude -p [--resume ID] PROMPT --output-format stream-json --verbose` in the session's own
 * directory. The prompt is passed as one argument (no shell), so nothing in it is interpreted.
 */
export function runHeadless(options: HeadlessOptions): HeadlessRun {
  const args = ['-p'];
  if (options.resume !== undefined) args.push('--resume', options.resume);
  args.push(options.prompt, '--output-format', 'stream-json', '--verbose');
  const child = spawn(options.binary, args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  let sessionId: string | undefined;
  let result: unknown;
  let resolveStarted: (id: string) => void = () => undefined;
  let rejectStarted: (error: Error) => void = () => undefined;
  const started = new Promise<string>((resolve, reject) => {
    resolveStarted = resolve;
    rejectStarted = reject;
  });
  // A caller that only waits for the exit must not see an unhandled rejection.
  started.catch(() => undefined);
  const lines = createInterface({ input: child.stdout, crlfDelay: Infinity });
  lines.on('line', (text) => {
    if (text.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(text) as unknown;
    } catch {
      options.onMalformed(text);
      return;
    }
    const named = withSession.safeParse(value);
    if (named.success && sessionId === undefined) {
      sessionId = named.data.session_id;
      resolveStarted(sessionId);
    }
    if (resultLine.safeParse(value).success) result = value;
    options.onLine(value);
  });
  const exited = new Promise<HeadlessExit>((resolve) => {
    child.on('error', (error) => {
      rejectStarted(new Error(`cannot run ${options.binary}: ${error.message}`));
      resolve({ code: null, signal: null, stderrTail: error.message });
    });
    child.on('close', (code, signal) => {
      if (sessionId === undefined) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ');
        rejectStarted(
          new Error(
            `${options.binary} exited (${signal ?? String(code)}) before naming its session${why === '' ? '' : `: ${why}`}`,
          ),
        );
      }
      resolve({ code, signal, result, stderrTail: stderr });
    });
  });
  return {
    pid: child.pid,
    started,
    exited,
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    },
  };
}
