import { z } from 'zod';
import { spawnJsonLines, type ProcessExit } from '../json-lines-process.js';

/** How a `codex exec` run ended. */
export interface ExecExit extends ProcessExit {
  /** The run reported its turn over (`turn.completed` or `turn.failed` on stdout). */
  readonly turnEnded: boolean;
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
  let turnEnded = false;
  const run = spawnJsonLines({
    binary: options.binary,
    args,
    cwd: options.cwd,
    env: options.env,
    naming: 'thread',
    idOf: (value) => threadStarted.safeParse(value).data?.thread_id,
    onMalformed: options.onMalformed,
    onLine: (value) => {
      const line = typed.safeParse(value);
      if (!line.success) return;
      if (line.data.type === 'turn.completed' || line.data.type === 'turn.failed') turnEnded = true;
      const retry = line.data.type === 'error' ? RECONNECTING.exec(line.data.message ?? '') : null;
      if (retry?.[1] !== undefined && retry[2] !== undefined) {
        options.onRetrying(Number(retry[1]), Number(retry[2]), line.data.message ?? '');
      }
    },
  });
  return {
    pid: run.pid,
    started: run.started,
    exited: run.exited.then((exit) => ({ ...exit, turnEnded })),
    kill: () => {
      run.kill();
    },
  };
}
