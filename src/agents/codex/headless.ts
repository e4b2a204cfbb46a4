import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { z } from 'zod';

/** How a `codex exec` run ended. */
export interface ExecExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The run reported its turn over (`turn.completed` or `turn.failed` on stdout). */
  readonly turnEnded: boolean;
  /** The last lines Codex wrote to stderr, for the log. */
  readonly stderrTail: string;
}

export interface ExecRun {
  readonly pid: number | undefined;
  /** Resolves with the thread id from `thread.started`; rejects if the run ends without one. */
  readonly started: Promise<string>;
  readonly exited: Promise<ExecExit>;
  kill(): void;
}

export interface ExecOptions {
  readonly binary: string;
  readonly cwd: string;
  readonly prompt: string;
  /** Continue this thread (`exec resume <id>`; never `--last`); absent: a new thread. */
  readonly resume?: string | undefined;
  /** `[codex] exec_args`, before the subcommand's own arguments. */
  readonly extraArgs: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  /** Codex retrying inside the turn (`error` "Reconnecting... 2/5 (…)"), for the record. */
  readonly onRetrying: (attempt: number, of: number, message: string) => void;
  readonly onMalformed: (line: string) => void;
}

const threadStarted = z.looseObject({ type: z.literal('thread.started'), thread_id: z.string() });
const typed = z.looseObject({ type: z.string(), message: z.string().optional() });
const RECONNECTING = /^Reconnecting\.*\s*(\d+)\s*\/\s*(\d+)/i;
const STDERR_KEEP = 4000;

/**
 * `codex exec --json --skip-git-repo-check [exec_args] [resume <thread>] <prompt>` in the
 * session's own directory, stdin closed (an open stdin makes `codex exec` wait for it forever).
 * The prompt is one argument (no shell), so nothing in it is interpreted. The rollout file is
 * what the adapter judges; stdout gives the thread id and Codex's own retries, which the rollout
 * does not record.
 */
export function runExec(options: ExecOptions): ExecRun {
  const args = ['exec', '--json', '--skip-git-repo-check', ...options.extraArgs];
  if (options.resume !== undefined) args.push('resume', options.resume);
  // `--`: a prompt that starts with a dash is still the prompt.
  args.push('--', options.prompt);
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
  let threadId: string | undefined;
  let turnEnded = false;
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
    const thread = threadStarted.safeParse(value);
    if (thread.success && threadId === undefined) {
      threadId = thread.data.thread_id;
      resolveStarted(threadId);
      return;
    }
    const line = typed.safeParse(value);
    if (!line.success) return;
    if (line.data.type === 'turn.completed' || line.data.type === 'turn.failed') turnEnded = true;
    const retry = line.data.type === 'error' ? RECONNECTING.exec(line.data.message ?? '') : null;
    if (retry?.[1] !== undefined && retry[2] !== undefined) {
      options.onRetrying(Number(retry[1]), Number(retry[2]), line.data.message ?? '');
    }
  });
  const exited = new Promise<ExecExit>((resolve) => {
    child.on('error', (error) => {
      rejectStarted(new Error(`cannot run ${options.binary}: ${error.message}`));
      resolve({ code: null, signal: null, turnEnded, stderrTail: error.message });
    });
    child.on('close', (code, signal) => {
      if (threadId === undefined) {
        const why = stderr.trim().split('\n').slice(-3).join(' | ');
        rejectStarted(
          new Error(
            `${options.binary} exec exited (${signal ?? String(code)}) before naming its thread${why === '' ? '' : `: ${why}`}`,
          ),
        );
      }
      resolve({ code, signal, turnEnded, stderrTail: stderr });
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
