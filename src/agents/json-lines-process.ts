import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

/** How a supervised agent process ended. */
export interface ProcessExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The last lines it wrote to stderr, for the log. */
  readonly stderrTail: string;
}

export interface JsonLinesProcess {
  readonly pid: number | undefined;
  /** Resolves with the id from the first line that names one; rejects if the process ends first. */
  readonly started: Promise<string>;
  readonly exited: Promise<ProcessExit>;
  kill(): void;
}

export interface JsonLinesOptions {
  readonly binary: string;
  readonly args: readonly string[];
  readonly cwd: string | undefined;
  readonly env: NodeJS.ProcessEnv;
  /** The session (or thread) id a line names, when it is a line that names one. */
  readonly idOf: (value: unknown) => string | undefined;
  /** What the id is, for the error when none came: `session`, `thread`. */
  readonly naming: string;
  /** Every stdout line, parsed; lines that are not JSON go to onMalformed. */
  readonly onLine: (value: unknown) => void;
  readonly onMalformed: (line: string) => void;
}

const STDERR_KEEP = 4000;

/**
 * An agent's headless run (`claude -p`, `codex exec`) whose stdout is JSON lines: spawned
 * without a shell (each argument is one argv entry, so nothing in a prompt is interpreted), stdin
 * closed (an open stdin makes `codex exec` wait for it forever), stdout read a line at a time,
 * the end of stderr kept.
 */
export function spawnJsonLines(options: JsonLinesOptions): JsonLinesProcess {
  const child = spawn(options.binary, options.args, {
    cwd: options.cwd,
    env: options.env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_KEEP);
  });
  let id: string | undefined;
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
    const named = id === undefined ? options.idOf(value) : undefined;
    if (named !== undefined) {
      id = named;
      resolveStarted(named);
    }
    options.onLine(value);
  });
  const exited = new Promise<ProcessExit>((resolve) => {
    child.on('error', (error) => {
      rejectStarted(new Error(`cannot run ${options.binary}: ${error.message}`));
      resolve({ code: null, signal: null, stderrTail: error.message });
    });
    child.on('close', (code, signal) => {
      if (id === undefined) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ');
        rejectStarted(
          new Error(
            `${options.binary} exited (${signal ?? String(code)}) before naming its ${options.naming}${why === '' ? '' : `: ${why}`}`,
          ),
        );
      }
      resolve({ code, signal, stderrTail: stderr });
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
