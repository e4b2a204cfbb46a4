import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import type { ResponsesAnswer } from '../fake-llm/script.js';
import { startFakeLlm, type FakeLlm, type RecordedRequest } from '../fake-llm/server.js';
import {
  createCodexHome,
  rolloutFileFor,
  runCodexExec,
  startCodexExec,
  type CodexExecOptions,
  type CodexExecResult,
  type CodexExecRun,
  type CodexHome,
  type CodexHomeOptions,
} from './codex.js';
import {
  cmdline,
  flockHolder,
  openFiles,
  parseRollout,
  readRollout,
  type RolloutLine,
} from './codex-rollout.js';
import { poll } from './claude.js';

// One Codex scenario = its own fake LLM and CODEX_HOME (so scenarios can run concurrently), a
// script of answers, one or more `codex exec` runs, and what they left: the rollout, what the
// fake received and, for scenarios that stop a live process, what /proc showed before.

type ExecOptions = Omit<CodexExecOptions, 'home'>;

/** What a live `codex exec` showed, taken once the fake had its request; then it was killed. */
export interface LiveSnapshot {
  readonly pid: number;
  readonly cmdline: readonly string[];
  /** /proc/<pid>/fd targets under $CODEX_HOME, relative to it (rollout, thread lock, SQLite). */
  readonly openFiles: readonly string[];
  /** Who held the flock on `thread-writer-locks/<thread>.lock`. */
  readonly lockHolder: number | undefined;
  /** The rollout as it was then. */
  readonly rollout: readonly RolloutLine[];
  /** After the kill -9: the lock file stays, nobody holds it. */
  readonly afterKill: { readonly lockFileExists: boolean; readonly lockHolder: number | undefined };
}

export interface ScenarioContext {
  readonly fake: FakeLlm;
  readonly h: CodexHome;
  /** The answers the scenario scripted, for assertions (`resetsAtSeconds`…); push as you script. */
  readonly scripted: ResponsesAnswer[];
  /** Runs `codex exec` in the scenario's home to the end; the result goes into `runs`. */
  exec(options: ExecOptions): Promise<CodexExecResult>;
  /** Starts `codex exec`; its result goes into `runs` once it has ended. */
  start(options: ExecOptions): CodexExecRun;
  /**
   * Once the rollout is open in /proc/<pid>/fd and `ready(rollout)` holds, snapshots the live
   * run (see LiveSnapshot), kill -9s it and waits for its end.
   */
  snapshotAndKill(
    run: CodexExecRun,
    threadId: string,
    ready: (rollout: readonly RolloutLine[]) => boolean,
  ): Promise<LiveSnapshot>;
}

export interface CodexScenario {
  readonly name: string;
  readonly description: string;
  readonly home?: CodexHomeOptions;
  /** Scripts the fake and drives Codex; returns a snapshot when it killed a live process. */
  drive(ctx: ScenarioContext): Promise<LiveSnapshot | undefined>;
}

export interface CodexScenarioRun {
  readonly scenario: string;
  readonly description: string;
  /** The thread of the first run (resumed runs continue it). */
  readonly threadId: string;
  readonly runs: readonly CodexExecResult[];
  readonly scripted: readonly ResponsesAnswer[];
  /** The rollout after the last run (parsed and as written), and its path relative to $CODEX_HOME. */
  readonly rollout: readonly RolloutLine[];
  readonly rolloutText: string;
  readonly rolloutPath: string;
  /** Every rollout file under $CODEX_HOME/sessions at the end, relative to $CODEX_HOME. */
  readonly rolloutFiles: readonly string[];
  readonly requests: readonly RecordedRequest[];
  readonly live?: LiveSnapshot;
  /** For normalising fixtures. */
  readonly paths: { readonly home: string; readonly codexHome: string; readonly project: string };
  readonly fakeUrl: string;
}

/** Runs one scenario in a fresh fake and CODEX_HOME, both removed afterwards. */
export async function runScenario(scenario: CodexScenario): Promise<CodexScenarioRun> {
  const fake = await startFakeLlm();
  let h: CodexHome | undefined;
  const started: CodexExecRun[] = [];
  try {
    h = await createCodexHome(fake, scenario.home);
    const home = h;
    const runs: CodexExecResult[] = [];
    const scripted: ResponsesAnswer[] = [];
    const ctx: ScenarioContext = {
      fake,
      h: home,
      scripted,
      exec: async (options) => {
        const result = await runCodexExec({ ...options, home });
        runs.push(result);
        return result;
      },
      start: (options) => {
        const run = startCodexExec({ ...options, home });
        started.push(run);
        void run.done.then((result) => runs.push(result)).catch(() => undefined);
        return run;
      },
      snapshotAndKill: (run, threadId, ready) => snapshotAndKill(home, run, threadId, ready),
    };
    const live = await scenario.drive(ctx);
    await Promise.allSettled(started.map((run) => run.done));
    const threadId = runs[0]?.threadId;
    if (threadId === undefined) throw new Error(`${scenario.name}: no thread.started`);
    const path = await rolloutFileFor(home, threadId);
    if (path === undefined) throw new Error(`${scenario.name}: no rollout for ${threadId}`);
    const text = await readFile(path, 'utf8');
    return {
      scenario: scenario.name,
      description: scenario.description,
      threadId,
      runs,
      scripted,
      rollout: parseRollout(text),
      rolloutText: text,
      rolloutPath: relative(home.codexHome, path),
      rolloutFiles: await rolloutFiles(home.codexHome),
      requests: fake.requests(),
      ...(live === undefined ? {} : { live }),
      paths: { home: home.home.dir, codexHome: home.codexHome, project: home.project },
      fakeUrl: fake.url,
    };
  } catch (error) {
    const tails = started.map((run) => `codex ${run.pid} stderr:\n${run.stderrTail()}`);
    const requests = fake.requests().map((r) => `  #${r.seq} ${r.path} -> ${r.answeredWith}`);
    const detail = [...tails, 'fake LLM requests:', ...requests].join('\n');
    throw new Error(`scenario ${scenario.name} failed\n${detail}`, { cause: error });
  } finally {
    for (const run of started) run.child.kill('SIGKILL');
    await Promise.allSettled(started.map((run) => run.done));
    await h?.remove();
    await fake.close();
  }
}

async function rolloutFiles(codexHome: string): Promise<string[]> {
  const all = await readdir(join(codexHome, 'sessions'), { recursive: true });
  return all.filter((path) => path.endsWith('.jsonl')).map((path) => join('sessions', path));
}

async function snapshotAndKill(
  h: CodexHome,
  run: CodexExecRun,
  threadId: string,
  ready: (rollout: readonly RolloutLine[]) => boolean,
): Promise<LiveSnapshot> {
  const rolloutPath = await poll(() => rolloutFileFor(h, threadId), 10_000, 'the rollout file');
  const lockPath = join(h.codexHome, 'thread-writer-locks', `${threadId}.lock`);
  // Wait for the fact, not a time: the rollout open in /proc/<pid>/fd.
  await poll(
    () => (openFiles(run.pid).includes(rolloutPath) ? true : undefined),
    10_000,
    'rollout fd',
  );
  const rollout = await poll(
    async () => {
      const lines = await readRollout(rolloutPath);
      return ready(lines) ? lines : undefined;
    },
    10_000,
    'the rollout to be ready',
  );
  const files = openFiles(run.pid)
    .filter((path) => path.startsWith(h.codexHome))
    .map((path) => relative(h.codexHome, path));
  const snapshot = {
    pid: run.pid,
    // argv[0] is the binary's path in node_modules: keep its name only.
    cmdline: cmdline(run.pid).map((arg, i) => (i === 0 ? basename(arg) : arg)),
    openFiles: [...new Set(files)].sort(),
    lockHolder: flockHolder(lockPath),
    rollout,
  };
  await run.kill9();
  return {
    ...snapshot,
    afterKill: { lockFileExists: existsSync(lockPath), lockHolder: flockHolder(lockPath) },
  };
}
