import { setTimeout as sleep } from 'node:timers/promises';
import { createPrng, type Prng } from './prng.js';
import type { SoakAgentKind } from './soak-agents.js';
import {
  auditEvents,
  checkStateFile,
  startDaemonRun,
  type DaemonEvent,
  type DaemonRun,
} from './soak-daemon.js';
import { createEpisodes, type Episodes } from './soak-episodes.js';
import { phasesNow, reach, TARGETS, type Phase, type Target } from './soak-kills.js';
import { buildReport, type SoakReport } from './soak-report.js';
import { judgeSessions, zombieJobs } from './soak-verdict.js';
import { openWorld, type SoakWorld } from './soak-world.js';

export interface SoakOptions {
  /** Daemon stops: half SIGTERM, half SIGKILL, in a seeded order. */
  readonly stops: number;
  readonly seed: number;
  /** Episodes under way at once, per agent. */
  readonly concurrent?: Readonly<Record<SoakAgentKind, number>>;
  readonly maxSessions?: Readonly<Record<SoakAgentKind, number>>;
  /** Share of the daemon's opencode prompts the proxy fails at random (besides aimed ones). */
  readonly faultRate?: number;
  /** After the last stop: how long everything may take to come to rest. */
  readonly settleTimeoutMs?: number;
  /** Leave the HOME (daemon state, audit log, transcripts) behind, and say where. */
  readonly keepHome?: boolean;
  readonly progress?: (line: string) => void;
}

export type StopSignal = 'SIGTERM' | 'SIGKILL';

/** One stop of the daemon and what was found before it came back. */
export interface KillRecord {
  readonly index: number;
  readonly signal: StopSignal;
  readonly target: Target;
  /** When the signal was sent. */
  readonly at: number;
  /** A resume entered the target phase before the kill (else it landed where it landed). */
  readonly reached: boolean;
  readonly exitCode: number | null;
  /** From the signal to the exit. */
  readonly stopMs: number;
  /** Sessions whose resume was in a phase at the kill. */
  readonly phases: ReadonlyMap<string, Phase>;
  readonly jobs: number;
  readonly restartMs: number;
}

/** Findings gathered while the soak runs. */
export interface SoakLog {
  readonly kills: KillRecord[];
  /** Every life's events, from the audit log at the end. */
  events: DaemonEvent[];
  readonly stateProblems: string[];
  readonly zombies: string[];
  readonly restartFailures: string[];
  tempFilesMax: number;
  corruptFiles: number;
  settled: boolean;
}

const TICK_MS = 500;
/** Nothing pending and no agent working for this long: whatever is still stopped stays so. */
const QUIET_MS = 10_000;

/**
 * Drives real opencode and Claude Code sessions into limits while the built daemon is stopped
 * over and over, then judges every session from the agent's own record.
 */
export async function runSoak(options: SoakOptions): Promise<SoakReport> {
  const startedAt = Date.now();
  const say = options.progress ?? (() => undefined);
  const rng = createPrng(options.seed);
  const world = await openWorld(rng.fork('faults'), options.faultRate ?? 0.1, options);
  if (options.keepHome === true) say(`[soak] HOME kept at ${world.homeDir}`);
  const episodes = createEpisodes(world.agents, world.llm, rng.fork('plans'), {
    concurrent: options.concurrent ?? { opencode: 4, 'claude-code': 2 },
    maxSessions: options.maxSessions ?? { opencode: 16, 'claude-code': 6 },
  });
  const log: SoakLog = {
    kills: [],
    events: [],
    stateProblems: [],
    zombies: [],
    restartFailures: [],
    tempFilesMax: 0,
    corruptFiles: 0,
    settled: false,
  };
  const driver = startDriver(episodes);
  let run: DaemonRun | undefined;
  try {
    run = await startDaemonRun(world);
    const aim = rng.fork('kills');
    const signals = rng.fork('signals').shuffle(signalsFor(options.stops));
    for (const [i, signal] of signals.entries()) {
      const kill = await stopOnce(i + 1, signal, run, world, aim, log);
      run = undefined;
      const restarted = Date.now();
      run = await startDaemonRun(world).catch((e: unknown) => {
        log.restartFailures.push(`stop #${String(i + 1)}: ${String(e)}`);
        throw e;
      });
      log.kills.push({ ...kill, restartMs: Date.now() - restarted });
      say(progressLine(log.kills.at(-1), options.stops));
    }
    driver.stopStarting();
    log.settled = await settle(world, episodes, options.settleTimeoutMs ?? 120_000);
    run.events.close();
    await run.daemon.stop('SIGTERM');
    run = undefined;
    await inspectState(world, log, 'the end');
    log.events = await auditEvents(world.claude.home.state);
    const sessions = await judgeSessions(world, episodes.sessions);
    return buildReport(options, log, sessions, world, episodes.problems, Date.now() - startedAt);
  } finally {
    await driver.stop();
    if (run !== undefined) {
      run.events.close();
      await run.daemon.stop('SIGKILL');
    }
    await world.close();
  }
}

async function stopOnce(
  index: number,
  signal: StopSignal,
  run: DaemonRun,
  world: SoakWorld,
  aim: Prng,
  log: SoakLog,
): Promise<Omit<KillRecord, 'restartMs'>> {
  const target = aim.weighted(TARGETS);
  const reached = await reach(target, run, world.proxy, world.faults, aim);
  const phases = phasesNow(run, world.proxy.requests());
  const at = Date.now();
  const exitCode = await run.daemon.stop(signal);
  const stopMs = Date.now() - at;
  run.events.close();
  const jobs = await inspectState(world, log, `stop #${String(index)} (${signal})`);
  return { index, signal, target, at, reached, exitCode, stopMs, phases, jobs };
}

/** Reads the state the next daemon will load: it must parse, hold one job a session at most. */
async function inspectState(world: SoakWorld, log: SoakLog, when: string): Promise<number> {
  const check = await checkStateFile(world.claude.home.state);
  if (check.problem !== undefined) log.stateProblems.push(`${when}: ${check.problem}`);
  log.tempFilesMax = Math.max(log.tempFilesMax, check.tempFiles);
  log.corruptFiles = check.corruptFiles;
  for (const zombie of await zombieJobs(check.state, world)) log.zombies.push(`${when}: ${zombie}`);
  return check.state?.jobs.length ?? 0;
}

function signalsFor(stops: number): StopSignal[] {
  const half = Math.floor(stops / 2);
  return Array.from({ length: stops }, (_, i) => (i < half ? 'SIGTERM' : 'SIGKILL'));
}

/** Waits until every episode has finished, or nothing moves any more; bounded. */
async function settle(world: SoakWorld, episodes: Episodes, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  let quietSince: number | undefined;
  while (Date.now() < deadline) {
    if (episodes.settled()) return true;
    const jobs = (await checkStateFile(world.claude.home.state)).state?.jobs.length ?? 0;
    const open = episodes.sessions.filter((s) => s.settledAt === undefined);
    const working = await Promise.all(open.map((s) => world.agent(s.agent).working(s.id)));
    if (jobs > 0 || working.some(Boolean)) quietSince = undefined;
    else quietSince ??= Date.now();
    if (quietSince !== undefined && Date.now() - quietSince > QUIET_MS) return false;
    await sleep(TICK_MS);
  }
  return false;
}

/** The soak's users: every TICK_MS, look at the sessions and start episodes where there is room. */
function startDriver(episodes: Episodes): { stopStarting(): void; stop(): Promise<void> } {
  let starting = true;
  const stopped = new AbortController();
  const loop = (async () => {
    while (!stopped.signal.aborted) {
      await episodes.tick(starting).catch((error: unknown) => {
        episodes.problems.push(`driver: ${String(error)}`);
      });
      await sleep(TICK_MS, undefined, { signal: stopped.signal }).catch(() => undefined);
    }
  })();
  return {
    stopStarting: () => (starting = false),
    async stop() {
      stopped.abort();
      await loop;
    },
  };
}

function progressLine(kill: KillRecord | undefined, stops: number): string {
  if (kill === undefined) return '';
  const phases = [...new Set(kill.phases.values())].join(',') || 'none';
  return `[soak] stop ${String(kill.index)}/${String(stops)} ${kill.signal} aimed at ${kill.target}${kill.reached ? '' : ' (missed)'}; resumes then: ${phases}; exit ${String(kill.exitCode)}; ${String(kill.jobs)} jobs saved; restart ${String(kill.restartMs)} ms`;
}
