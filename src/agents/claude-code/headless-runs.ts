import type { Observation, SessionRef } from '../adapter.js';
import { runHeadless, type HeadlessExit, type HeadlessRun } from './headless.js';

/** The headless `claude -p` runs the daemon started, supervised until they exit. */
export interface HeadlessRuns {
  /** Starts a run in `directory` (continuing `resume`); resolves once it named its session. */
  start(resume: string | undefined, directory: string, prompt: string): Promise<SessionRef>;
  running(sessionId: string): boolean;
  killAll(): void;
}

export function createHeadlessRuns(deps: {
  readonly binary: string;
  readonly env: NodeJS.ProcessEnv;
  readonly now: () => number;
  readonly emit: (o: Observation) => void;
  readonly onInfo: (what: string, details: Record<string, unknown>) => void;
  /** A caught failure, logged and counted; `kind` is a short fixed word (see AgentDeps). */
  readonly onError: (kind: string, error: unknown) => void;
  /** What the exit means for the session: its transcript and result line tell. */
  readonly onExit: (sessionId: string, exit: HeadlessExit) => Promise<void>;
}): HeadlessRuns {
  const runs = new Map<string, HeadlessRun>();
  return {
    async start(resume, directory, prompt) {
      const run = runHeadless({
        binary: deps.binary,
        cwd: directory,
        prompt,
        resume,
        env: deps.env,
        onLine: () => undefined,
        onMalformed: (line) => {
          deps.emit({
            kind: 'malformed',
            agent: 'claude-code',
            unit: 'line',
            count: 1,
            detail: `stream-json line: ${line.slice(0, 120)}`,
            at: deps.now(),
          });
        },
      });
      const sessionId = await run.started;
      runs.set(sessionId, run);
      const started: SessionRef = { agent: 'claude-code', sessionId, directory };
      // No busy here: the run named its session, but only the prompt in the transcript (which
      // the tracker reports as busy) shows the resume was taken; a run that dies before that is
      // not a resume.
      deps.onInfo('claude code headless run started', { session: sessionId });
      void run.exited
        .then(async (exit) => {
          if (runs.get(sessionId) === run) runs.delete(sessionId);
          deps.onInfo('claude code headless run ended', {
            session: sessionId,
            code: exit.code,
            signal: exit.signal,
          });
          await deps.onExit(sessionId, exit);
        })
        .catch((error: unknown) => {
          deps.onError('headless_run', error);
        });
      return started;
    },
    running: (sessionId) => runs.has(sessionId),
    killAll() {
      for (const run of runs.values()) run.kill();
    },
  };
}
