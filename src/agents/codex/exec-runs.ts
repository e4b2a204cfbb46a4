import type { Observation, SessionRef } from '../adapter.js';
import { runExec, type ExecExit, type ExecRun } from './headless.js';

/** The `codex exec` runs the daemon started, supervised until they exit. */
export interface ExecRuns {
  /** Starts a run in `directory` (continuing `resume`); resolves once it named its thread. */
  start(resume: string | undefined, directory: string, prompt: string): Promise<SessionRef>;
  running(threadId: string): boolean;
  killAll(): void;
}

const AGENT = 'codex';

export function createExecRuns(deps: {
  readonly binary: string;
  readonly execArgs: readonly string[];
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly emit: (o: Observation) => void;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
  /** What the exit means for the thread: its rollout tells. */
  readonly onExit: (threadId: string, exit: ExecExit) => Promise<void>;
}): ExecRuns {
  const runs = new Map<string, ExecRun>(); // by thread
  return {
    async start(resume, directory, prompt) {
      let threadId = resume;
      const run = runExec({
        binary: deps.binary,
        cwd: directory,
        prompt,
        resume,
        extraArgs: deps.execArgs,
        env: deps.env,
        // Codex waiting inside the turn (a 429's Retry-After): recorded, never acted on. Only
        // stdout says so; the rollout shows a running turn.
        onRetrying: (attempt, of, message) => {
          if (threadId === undefined) return;
          const at = deps.now();
          deps.emit({
            kind: 'retrying',
            ref: { agent: AGENT, sessionId: threadId, directory },
            attempt,
            message: `${message} (attempt ${String(attempt)} of ${String(of)})`,
            nextAt: at,
            at,
          });
        },
        onMalformed: (line) => {
          deps.emit({
            kind: 'malformed',
            agent: AGENT,
            unit: 'line',
            count: 1,
            detail: `codex exec --json line: ${line.slice(0, 120)}`,
            at: deps.now(),
          });
        },
      });
      const named = await run.started;
      if (resume !== undefined && named !== resume) {
        run.kill();
        throw new Error(`codex exec resume ${resume} continued thread ${named} instead`);
      }
      threadId = named;
      runs.set(named, run);
      const started: SessionRef = { agent: AGENT, sessionId: named, directory };
      deps.emit({ kind: 'busy', ref: started, at: deps.now() });
      void run.exited
        .then(async (exit) => {
          if (runs.get(named) === run) runs.delete(named);
          deps.onInfo('codex exec run ended', {
            session: named,
            code: exit.code,
            signal: exit.signal,
            stderr: exit.code === 0 ? undefined : exit.stderrTail.slice(-400),
          });
          await deps.onExit(named, exit);
        })
        .catch((error: unknown) => {
          deps.onError('exec_run', error);
        });
      return started;
    },
    running: (threadId) => runs.has(threadId),
    killAll() {
      for (const run of runs.values()) run.kill();
    },
  };
}
